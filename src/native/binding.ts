/**
 * The one loader of the native addon, and the private typing of its raw interface. Everything
 * else in the package goes through the typed wrappers in src/engine; nothing outside this file
 * touches the `.node` module directly.
 */
import * as fs from 'fs';
import * as path from 'path';

export type RawDtype = 'float64' | 'float32';
export type RawKind = 'hessian' | 'ggn' | 'residual' | 'gradient_covariance';
export type ProgressCallback = (stage: string, fraction: number) => void;

/** An MLP (the fast path); also what toRawModel sends for a sequential model that is exactly an MLP. */
export interface RawModel {
  layers: number[];
  activation: string;
  loss: string;
  bias: boolean;
}

/**
 * A sequential model (native/core/sequential.h); the addon tells it from a RawModel by the
 * `inputShape` key. Every default is filled in and pairs are [height, width].
 */
export interface RawSequentialModel {
  inputShape: number[];
  layers: RawLayer[];
  loss: string;
}

export type RawLayer =
  | { type: 'conv2d'; outChannels: number; kernel: [number, number]; stride: [number, number]; padding: [number, number]; bias: boolean }
  | { type: 'maxpool2d'; kernel: [number, number]; stride: [number, number]; padding: [number, number] }
  | { type: 'flatten' }
  | { type: 'linear'; out: number; bias: boolean }
  | { type: 'relu' | 'tanh' | 'sigmoid' | 'identity' };

/** Either model form; the functions that take it accept both. */
export type RawAnyModel = RawModel | RawSequentialModel;

export interface RawCancelToken {
  cancel(): void;
  readonly cancelled: boolean;
}

export interface RawEigenResult {
  values: Float64Array;
  driver: string;
  vectors?: RawMatrix;
  residuals?: Float64Array;
}

export interface RawMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: RawDtype | null;
  readonly disposed: boolean;
  block(rowBegin: number, rowEnd: number, colBegin: number, colEnd: number): Float64Array;
  eigen(
    options: { vectors?: boolean; first?: number; last?: number; driver?: string; residuals?: boolean; threads?: number },
    token?: RawCancelToken,
    onProgress?: ProgressCallback,
  ): Promise<RawEigenResult>;
  multiply(vectors: Float64Array, count: number, token?: RawCancelToken): Promise<Float64Array>;
  saveNpy(path: string): Promise<void>;
  dispose(): void;
}

/** What the factor route would do (native/core/factor_spectrum.h, FactorPlan). */
export interface RawFactorPlan {
  supported: boolean;
  refusal: string;
  M: number;
  N: number;
  lossRank: number;
  rank: number;
  largestBegin: number;
  largestEnd: number;
  basisColumns: number;
  flops: number;
  bytes: number;
}

export interface RawFactorResult {
  values: Float64Array;
  rank: number;
  driver: string;
  vectors?: RawMatrix;
  vectorIndex: Float64Array;
  factorSeconds: number;
  eigenSeconds: number;
  plan: RawFactorPlan;
}

export interface RawAssembleOptions {
  kinds: RawKind[];
  dtype?: RawDtype;
  rowBegin?: number;
  rowEnd?: number;
  colBegin?: number;
  colEnd?: number;
  /** Threads of this job (0 or absent = all cores); the numbers do not depend on it. */
  threads?: number;
  /** Sequential models: no MLP-tail unit slabs, every block by the R-operator route (tests). */
  rOperatorOnly?: boolean;
  /** Per kind, a Matrix (rows x cols, dtype) to write into and resolve with, or undefined to allocate. */
  outputs?: (RawMatrix | undefined)[];
}

/** One constant-step phase of (S)GD; batchSize 0 = the full batch in dataset order. */
export interface RawPhase {
  steps: number;
  batchSize: number;
  lr: number;
  momentum: number;
}

export interface RawTrainOptions {
  phases: RawPhase[];
  seed: number;
  recordEvery: number;
  gradNormStop: number;
}

/** Full-batch metrics, one entry per record (test fields NaN without test data). */
export interface RawRecords {
  step: Float64Array;
  trainLoss: Float64Array;
  trainAccuracy: Float64Array;
  gradNorm: Float64Array;
  testLoss: Float64Array;
  testAccuracy: Float64Array;
}

export interface RawSegmentResult {
  params: Float64Array;
  velocity: Float64Array;
  step: number;
  stopped: 'segment' | 'steps' | 'gradNorm';
  records: RawRecords;
}

export interface RawManyResult {
  params: Float64Array;
  /** 0: ran all steps, 1: gradient-norm stop, 2: diverged. */
  status: Int32Array;
  steps: Float64Array;
  trainLoss: Float64Array;
  trainAccuracy: Float64Array;
  gradNorm: Float64Array;
  testLoss: Float64Array;
  testAccuracy: Float64Array;
  seconds: number;
}

export interface RawBinding {
  trainSegment(
    model: RawAnyModel,
    params: Float64Array,
    velocity: Float64Array | undefined,
    X: Float64Array,
    y: Int32Array,
    testX: Float64Array | undefined,
    testY: Int32Array | undefined,
    options: RawTrainOptions & { startStep: number; endStep: number },
    token?: RawCancelToken,
    onProgress?: ProgressCallback,
  ): Promise<RawSegmentResult>;
  /** MLPs only (many tiny runs in plain loops); trainMany() refuses other models before calling it. */
  trainMany(
    model: RawModel,
    inits: Float64Array,
    X: Float64Array,
    y: Int32Array,
    testX: Float64Array | undefined,
    testY: Int32Array | undefined,
    options: RawTrainOptions & { threads: number },
    token?: RawCancelToken,
    onProgress?: ProgressCallback,
  ): Promise<RawManyResult>;
  evaluateMany(
    model: RawAnyModel,
    params: Float64Array,
    X: Float64Array,
    y: Int32Array,
    options: { gradient?: boolean },
    token?: RawCancelToken,
    onProgress?: ProgressCallback,
  ): Promise<{ loss: Float64Array; accuracy: Float64Array; gradNorm?: Float64Array }>;
  CancelToken: new () => RawCancelToken;
  Matrix: { fromArray(data: Float64Array, rows: number, cols: number, dtype?: RawDtype): RawMatrix };
  assemble(
    model: RawAnyModel,
    params: Float64Array,
    X: Float64Array,
    y: Int32Array,
    options: RawAssembleOptions,
    token?: RawCancelToken,
    onProgress?: ProgressCallback,
  ): Promise<{ matrices: Partial<Record<RawKind, RawMatrix>>; seconds: number; allocationSeconds: number }>;
  evaluate(
    model: RawAnyModel,
    params: Float64Array,
    X: Float64Array,
    y: Int32Array,
    options?: { perSample?: boolean },
  ): { loss: number; losses: Float64Array; outputs: Float64Array; gradient: Float64Array; perSampleGradients?: Float64Array };
  assemblyWorkspaceBytes(model: RawAnyModel, N: number, kinds: RawKind[], threads?: number): number;
  /** Matrix-free H or G times `count` vectors (one after another, M each); see native/core/hvp.h. */
  curvatureProducts(
    model: RawAnyModel,
    params: Float64Array,
    X: Float64Array,
    y: Int32Array,
    options: { kind: 'hessian' | 'ggn'; samples?: Int32Array; threads?: number },
    vectors: Float64Array,
    count: number,
    token?: RawCancelToken,
    onProgress?: ProgressCallback,
  ): Promise<Float64Array>;
  productsWorkspaceBytes(model: RawAnyModel, B: number, count: number): number;
  /** The factor route (native/core/factor_spectrum.h): all M eigenvalues without the M x M matrix. */
  factorSpectrum(
    model: RawAnyModel,
    params: Float64Array,
    X: Float64Array,
    y: Int32Array,
    options: { kind: RawKind; vectors?: number; threads?: number },
    token?: RawCancelToken,
    onProgress?: ProgressCallback,
  ): Promise<RawFactorResult>;
  factorPlan(model: RawAnyModel, N: number, kind: RawKind): RawFactorPlan;
  eigenWorkspaceBytes(n: number, dtype: RawDtype, options: { vectors?: boolean; first?: number; last?: number }): number;
  dsyevdWorkspaceQuery(n: number): number;
  /** Seconds of one (m x k)(k x n) dgemm on `threads` OpenBLAS threads (default all cores). */
  benchmarkGemm(m: number, n: number, k: number, threads?: number): number;
  /** The hardware's thread count (the default of every job's `threads`). */
  threads(): number;
  availableMemory(): number;
  readonly lapackIntegerBits: number;
}

/** The package root: the nearest ancestor of this file that holds package.json. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

let cached: RawBinding | undefined;

/** The `code` of the Error binding() throws when no addon loads (the CLI makes it one line, exit 2). */
export const ADDON_LOAD_ERROR = 'ERR_HL_ADDON_LOAD';

/** The prebuilt addon's folder and file name inside the package (scripts/prebuild.js writes it). */
export function prebuiltAddonPath(root = packageRoot()): string {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'hessian_lab.glibc.node');
}

/**
 * Where the addon may be, in order: HESSIAN_LAB_ADDON; what node-gyp-build picks (a local build in
 * build/Release or build/Debug, else the matching prebuilt one in prebuilds/); and the prebuilt
 * one again when a local build was picked, in case that build cannot load.
 */
function addonCandidates(root: string, failures: string[]): string[] {
  const candidates: string[] = [];
  if (process.env.HESSIAN_LAB_ADDON) candidates.push(process.env.HESSIAN_LAB_ADDON);
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
    candidates.push(nodeGypBuild.resolve(root));
  } catch (err) {
    failures.push(`${root}: ${(err as Error).message.split('\n')[0]}`);
  }
  const prebuilt = prebuiltAddonPath(root);
  if (fs.existsSync(prebuilt) && !candidates.includes(prebuilt)) candidates.push(prebuilt);
  return candidates;
}

/** The remedy that works where the package is: inside node_modules, or a development checkout. */
function remedy(root: string): string {
  if (root.split(path.sep).includes('node_modules'))
    return 'reinstall it (npm install hessian-lab: linux-x64 glibc gets a prebuilt addon), or build it from source with `npm rebuild hessian-lab --foreground-scripts` (needs the Debian/Ubuntu packages libopenblas64-dev liblapacke64-dev liblapacke-dev g++ make python3)';
  return 'build it with `./setup.sh` (installs libopenblas64-dev liblapacke64-dev and compiles) or `npm run build:native`';
}

/**
 * Loads the native addon (see addonCandidates for where it looks). On failure the Error (code
 * ADDON_LOAD_ERROR) says on its first line the platform, each path tried and why it failed, and the
 * remedy; the lines after it repeat the paths one per line.
 */
export function binding(): RawBinding {
  if (cached) return cached;
  const root = packageRoot();
  const failures: string[] = [];
  for (const candidate of addonCandidates(root, failures)) {
    if (!fs.existsSync(candidate)) {
      failures.push(`${candidate}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      cached = require(candidate) as RawBinding;
      return cached;
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const where = `${process.platform}-${process.arch}, Node ${process.version}`;
  const error = new Error(
    [
      `could not load the hessian-lab native addon on ${where} (tried ${failures.join('; ')}); ${remedy(root)}`,
      'Tried:',
      ...failures.map((f) => `  ${f}`),
      'A "cannot open shared object file" error means a library the addon links is missing.',
    ].join('\n'),
  ) as Error & { code: string };
  error.code = ADDON_LOAD_ERROR;
  throw error;
}
