#!/usr/bin/env node
/**
 * `npm pack` (prepack) builds the addon that ships inside the package, so that `npm install
 * hessian-lab` needs no compiler and no system packages on Linux x86-64 (glibc):
 *   prebuilds/linux-x64/hessian_lab.glibc.node  OpenBLAS64 + LAPACKE64 linked in statically and
 *                                               hidden (CMakeLists.txt, HESSIAN_LAB_STATIC)
 *   prebuilds/linux-x64/lib*.so.*               GCC's runtimes it needs beyond what Node loads
 *                                               (libgomp, libgfortran, libquadmath: their .a
 *                                               cannot go into a shared object), found by $ORIGIN
 * Then it checks with ldd that every library resolves either to one Node itself loads or to a file
 * beside the addon, and that the addon loads in a fresh Node process.
 * Elsewhere (another platform, or without the static libraries) it packs no prebuilt addon and
 * says so on one line; the package's install script then builds from source.
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { STATIC_LIBRARIES, PREBUILT_NAME } = require('./native-deps');

const root = path.resolve(__dirname, '..');
const platformDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const buildDir = path.join(root, 'build-prebuild');

function note(message) {
  process.stderr.write(`prebuild: ${message}\n`);
}

/** name -> resolved path (or null when "not found") of every library ldd lists for `file`. */
function ldd(file) {
  const out = execFileSync('ldd', [file], { encoding: 'utf8' });
  const libs = new Map();
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(not found|\S+)/.exec(line);
    if (m) libs.set(m[1], m[2] === 'not found' ? null : m[2]);
  }
  return libs;
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    note(`no prebuilt addon for ${process.platform}-${process.arch} (only linux-x64 is prebuilt); installs build from source`);
    return;
  }
  const missing = STATIC_LIBRARIES.filter((l) => !fs.existsSync(l.file));
  if (missing.length) {
    note(`no prebuilt addon packed: missing ${missing.map((l) => l.file).join(', ')} (apt-get install ${[...new Set(missing.map((l) => l.package))].join(' ')})`);
    return;
  }
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  execFileSync(process.execPath, [cmakeJs, 'compile', '--CDCMAKE_BUILD_TYPE=Release', '--CDHESSIAN_LAB_STATIC=ON', '-O', buildDir],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  fs.rmSync(platformDir, { recursive: true, force: true });
  fs.mkdirSync(platformDir, { recursive: true });
  const addon = path.join(platformDir, PREBUILT_NAME);
  fs.copyFileSync(path.join(buildDir, 'Release', 'hessian_lab.node'), addon);
  execFileSync('strip', ['--strip-unneeded', addon]);
  // The helper process of stoppable eigensolves (native/helper): the addon looks for it beside itself.
  const helper = path.join(platformDir, 'hessian_lab_eigensolver');
  fs.copyFileSync(path.join(buildDir, 'Release', 'hessian_lab_eigensolver'), helper);
  fs.chmodSync(helper, 0o755);
  execFileSync('strip', ['--strip-unneeded', helper]);

  // What Node itself loads is there wherever Node runs; anything else is copied beside the addon.
  const nodeLibs = ldd(process.execPath);
  for (const [name, resolved] of ldd(addon)) {
    if (nodeLibs.has(name)) continue;
    if (resolved === null) throw new Error(`${name}: not found (needed by the addon)`);
    fs.copyFileSync(fs.realpathSync(resolved), path.join(platformDir, name));
  }
  for (const file of [addon, helper]) {
    const outside = [...ldd(file)].filter(([name, p]) => !nodeLibs.has(name) && (p === null || path.dirname(p) !== platformDir));
    if (outside.length) throw new Error(`${path.basename(file)} still needs ${outside.map(([n, p]) => `${n} => ${p}`).join(', ')}`);
  }
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(addon)}).threads()`], { stdio: 'inherit' });
  fs.writeFileSync(path.join(platformDir, 'NOTICE.md'), NOTICE);
  const files = fs.readdirSync(platformDir);
  note(`${path.relative(root, platformDir)}: ${files.join(', ')} (needs only ${[...nodeLibs.keys()].filter((n) => ldd(addon).has(n)).join(', ')} from the system)`);
}

const NOTICE = `# Third-party code in this folder

- hessian_lab.glibc.node contains OpenBLAS (BSD-3-Clause) with its reference LAPACK (BSD-3-Clause)
  and LAPACKE (BSD-3-Clause), linked statically from Debian's libopenblas64-dev and liblapacke64-dev,
  and Eigen (MPL-2.0, native/vendor/eigen).
- libgomp.so.1, libgfortran.so.5, libquadmath.so.0 are GCC's runtime libraries (GPL-3.0 with the
  GCC Runtime Library Exception, which permits this redistribution), copied from Debian's packages.
`;

try {
  main();
} catch (err) {
  note(`failed: ${err.message.split('\n')[0]}`);
  process.exit(1);
}
