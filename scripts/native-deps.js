/**
 * The system libraries the addon is built against, in one place for the scripts that check them:
 * prebuild.js (the static .a files of the prebuilt linux-x64 addon) and install.js (the headers
 * and shared libraries of a build from source). Debian/Ubuntu package names; setup.sh installs
 * the same packages for a development checkout.
 */
'use strict';
const { execFileSync } = require('child_process');

/** Debian's multiarch triplet (x86_64-linux-gnu, aarch64-linux-gnu, ...). */
function multiarch() {
  try {
    return execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim() || 'x86_64-linux-gnu';
  } catch {
    return process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  }
}

const X64 = '/usr/lib/x86_64-linux-gnu';

/** What the prebuilt addon links statically (linux-x64 only). */
const STATIC_LIBRARIES = [
  { file: `${X64}/openblas64-pthread/libopenblas64.a`, package: 'libopenblas64-pthread-dev' },
  { file: `${X64}/liblapacke64.a`, package: 'liblapacke64-dev' },
];

/** What a build from source needs: files, and the package that brings each. */
function sourceBuildRequirements(arch = multiarch()) {
  return [
    { file: `/usr/include/${arch}/openblas64-pthread/cblas.h`, package: 'libopenblas64-dev' },
    { file: `/usr/lib/${arch}/openblas64-pthread/libopenblas64.so`, package: 'libopenblas64-dev' },
    { file: `/usr/lib/${arch}/liblapacke64.so`, package: 'liblapacke64-dev' },
    { file: '/usr/include/lapacke.h', package: 'liblapacke-dev' },
  ];
}

/** Build tools a source build runs (node-gyp needs make, a C++ compiler and python3). */
const BUILD_TOOLS = [
  { command: 'g++', package: 'g++' },
  { command: 'make', package: 'make' },
  { command: 'python3', package: 'python3' },
];

/** The file name of the prebuilt addon inside prebuilds/<platform>-<arch>/ (node-gyp-build's tags). */
const PREBUILT_NAME = 'hessian_lab.glibc.node';

module.exports = { multiarch, STATIC_LIBRARIES, sourceBuildRequirements, BUILD_TOOLS, PREBUILT_NAME };
