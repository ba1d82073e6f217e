// A require hook for child processes spawned by tests: loads src/**/*.ts through TypeScript's
// transpileModule (types are checked by `tsc` in npm test, not here), so a child runs the current
// sources without a build, as jest's ts-jest does in-process. Transpiled files are cached by
// path, size and mtime under the OS temp dir, so that only the first child pays for TypeScript.
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const cacheDir = path.join(os.tmpdir(), `hessian-lab-ts-cache-${process.getuid ? process.getuid() : 0}`);
let ts;

require.extensions['.ts'] = (module, filename) => {
  const st = fs.statSync(filename);
  const key = crypto.createHash('sha1').update(`${filename}\0${st.size}\0${st.mtimeMs}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    ts = ts || require('typescript');
    code = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
    }).outputText;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const temp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(temp, code);
      fs.renameSync(temp, cached);
    } catch {
      // A read-only temp dir only costs speed.
    }
  }
  module._compile(code, filename);
};
