// A require hook for child processes spawned by tests: loads src/**/*.ts through TypeScript's
// transpileModule (types are checked by `tsc` in npm test, not here), so a child runs the current
// sources without a build, as jest's ts-jest does in-process.
const fs = require('fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  });
  module._compile(out.outputText, filename);
};
