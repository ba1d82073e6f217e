/**
 * Output buffers kept across repeated analyses of one model (a λ1 trajectory over training,
 * spectra along an interpolation path): the M x M matrices are allocated — and their pages
 * first-touched by the kernel, 0.2–2.6 s/GB on these machines — once, then overwritten by each
 * later assembly. Pass one to analyzeNetwork / curvatureSpectrum as `buffers`; dispose() it when
 * the series is done. A buffer of another shape or dtype is dropped and replaced.
 */
import { MatrixName } from './curvature';
import { Dtype, Matrix } from './matrix';

export class MatrixBuffers {
  private readonly held = new Map<MatrixName, Matrix>();

  /** The kept matrix for `name` if it is live and rows x cols of `dtype` (removed from the pool while lent), else undefined. */
  take(name: MatrixName, rows: number, cols: number, dtype: Dtype): Matrix | undefined {
    const m = this.held.get(name);
    if (m === undefined) return undefined;
    this.held.delete(name);
    if (!m.disposed && m.rows === rows && m.cols === cols && m.dtype === dtype) return m;
    m.dispose();
    return undefined;
  }

  /** Keeps `matrix` for the next analysis (a matrix already kept under `name` is disposed). */
  keep(name: MatrixName, matrix: Matrix): void {
    const old = this.held.get(name);
    if (old !== undefined && old !== matrix) old.dispose();
    this.held.set(name, matrix);
  }

  /** Bytes held. */
  get bytes(): number {
    let b = 0;
    for (const m of this.held.values()) if (!m.disposed) b += m.rows * m.cols * (m.dtype === 'float32' ? 4 : 8);
    return b;
  }

  dispose(): void {
    for (const m of this.held.values()) m.dispose();
    this.held.clear();
  }
}
