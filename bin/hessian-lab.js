#!/usr/bin/env node
// The CLI entry point: the compiled TypeScript lives in dist/ (built by ./setup.sh or `npm run build`).
'use strict';
let main;
try {
  main = require('../dist/cli/main.js').main;
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]cli[\\/]main/.test(String(err.message))) {
    process.stderr.write('hessian-lab: not built yet. Run ./setup.sh (or npm run build) in the package folder.\n');
    process.exit(2);
  }
  throw err;
}
main(process.argv).then((code) => { process.exitCode = code; });
