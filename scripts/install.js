#!/usr/bin/env node
/**
 * The package's install script. A development checkout (not inside node_modules) builds with
 * ./setup.sh instead, so nothing happens there. Inside node_modules: if an addon loads (the
 * prebuilt linux-x64 one, or one built before), done; otherwise build from source with node-gyp
 * (a runtime dependency, like node-addon-api), after checking the system libraries and tools so
 * that what is missing is named on one line instead of a page of compiler errors.
 */
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { BUILD_TOOLS, multiarch, sourceBuildRequirements } = require('./native-deps');

const root = path.resolve(__dirname, '..');

function fail(message) {
  process.stderr.write(`hessian-lab: ${message}\n`);
  process.exit(1);
}

function addonLoads() {
  try {
    const file = require('node-gyp-build').resolve(root);
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function main() {
  if (!root.split(path.sep).includes('node_modules') || process.env.HESSIAN_LAB_ADDON) return;
  if (addonLoads()) return;
  const platform = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') fail(`no prebuilt addon for ${platform}, and a build from source is supported on Linux only (Debian/Ubuntu packages)`);
  const missing = new Set();
  for (const t of BUILD_TOOLS) if (!hasCommand(t.command)) missing.add(t.package);
  for (const r of sourceBuildRequirements(multiarch())) if (!fs.existsSync(r.file)) missing.add(r.package);
  if (missing.size) fail(`no prebuilt addon loads on ${platform} and building one from source needs system packages: sudo apt-get install ${[...missing].join(' ')} (then: npm rebuild hessian-lab)`);
  process.stderr.write(`hessian-lab: no prebuilt addon loads on ${platform}; building it from source with node-gyp (a few minutes)\n`);
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  const r = spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`the build from source failed (node-gyp exit ${r.status}); the lines above say why`);
  if (!addonLoads()) fail('the addon was built from source but does not load');
}

main();
