/**
 * The paper's plotted points (reference/sagun2018/*.csv, digitised from the S18 PDF) as typed columns,
 * so the report can overlay them on our curves. One function per figure file.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vega from 'vega';
import { rangeError, requireOneOf } from '../util/errors';

const FILES = {
  fig1: 'fig1_full_spectrum_init_vs_final.csv',
  fig2: 'fig2_gmm_top136_eigs_by_k.csv',
  fig3: 'fig3_mnist_top136_eigs_by_M.csv',
  fig4: 'fig4_mnist_convnet_top45_SB_vs_LB.csv',
  fig5: 'fig5_mnist_smallest_eigs_by_M.csv',
  fig6: 'fig6_mnist_convnet_smallest_eigs_SB_vs_LB.csv',
  fig7: 'fig7_cifar10_two_phase_training.csv',
  fig8: 'fig8_cifar10_line_interpolation.csv',
} as const;

export type ReferenceName = keyof typeof FILES;
export const REFERENCE_NAMES = Object.keys(FILES) as ReferenceName[];

/** A reference file as read: its header and its rows, every field still a string. */
export interface ReferenceTable {
  file: string;
  header: string[];
  rows: Record<string, string>[];
}

const SUBDIR = path.join('reference', 'sagun2018');

/**
 * The reference folder. Walks up from this file because it runs both from src/report (ts-jest)
 * and from dist/report (compiled), and the package may be installed anywhere.
 */
export function referenceDir(): string {
  for (let dir = __dirname; ; ) {
    const candidate = path.join(dir, SUBDIR);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${SUBDIR} in any parent of ${__dirname}`);
    dir = parent;
  }
}

/** Reads one reference CSV; vega's reader handles the quoted, comma-containing header of fig8. */
export function loadReference(name: ReferenceName): ReferenceTable {
  requireOneOf('name', name, REFERENCE_NAMES);
  const file = path.join(referenceDir(), FILES[name]);
  const text = fs.readFileSync(file, 'utf8');
  // vega.read without a parse map keeps every field a string: parsing stays explicit below.
  const rows = vega.read(text, { type: 'csv' }) as Record<string, string>[];
  return { file, header: rows.length ? Object.keys(rows[0]) : [], rows };
}

/** A numeric column, with a RangeError naming file, column and row for any unparsable value. */
function numbers(table: ReferenceTable, column: string, rows = table.rows): number[] {
  if (!table.header.includes(column)) throw rangeError('column', `one of ${table.header.join(', ')} in ${table.file}`, column);
  return rows.map((row, i) => {
    const v = Number(row[column]);
    if (row[column] === '' || !Number.isFinite(v)) throw rangeError(`${path.basename(table.file)} row ${i + 1} ${column}`, 'a finite number', row[column]);
    return v;
  });
}

/** Columns named `${prefix}${number}` (e.g. "k=10") as a record keyed by that number. */
function byNumberedColumn(table: ReferenceTable, prefix: string): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (const col of table.header) if (col.startsWith(prefix)) out[Number(col.slice(prefix.length))] = numbers(table, col);
  return out;
}

/** Fig. 1: the full spectrum (M = 5510) at init and at the end, both ascending; rank 1 = smallest. */
export function fig1(): { rank: number[]; init: number[]; final: number[] } {
  const t = loadReference('fig1');
  return { rank: numbers(t, 'rank_ascending'), init: numbers(t, 'eig_init'), final: numbers(t, 'eig_final') };
}

/** Fig. 2: top 136 eigenvalues (descending) for k ∈ {2, 5, 10, 20, 50} Gaussian clusters. */
export function fig2(): { rankDesc: number[]; byK: Record<number, number[]> } {
  const t = loadReference('fig2');
  return { rankDesc: numbers(t, 'rank_desc'), byK: byNumberedColumn(t, 'k=') };
}

/** Fig. 3: top 136 eigenvalues (descending), MNIST-1K, one column per parameter count M. */
export function fig3(): { rankDesc: number[]; byM: Record<number, number[]> } {
  const t = loadReference('fig3');
  return { rankDesc: numbers(t, 'rank_desc'), byM: byNumberedColumn(t, 'M=') };
}

/** Fig. 4: top 45 eigenvalues (descending) of the MNIST convnet, batch 10 vs batch 512. */
export function fig4(): { rankDesc: number[]; smallBatch: number[]; largeBatch: number[] } {
  const t = loadReference('fig4');
  return { rankDesc: numbers(t, 'rank_desc'), smallBatch: numbers(t, 'small_batch_bs10'), largeBatch: numbers(t, 'large_batch_bs512') };
}

/** Fig. 5: negative eigenvalues (ascending) vs rank/M (from 0), per parameter count M. */
export function fig5(): { byM: Record<number, { fraction: number[]; eig: number[] }> } {
  const t = loadReference('fig5');
  const byM: Record<number, { fraction: number[]; eig: number[] }> = {};
  const ms = numbers(t, 'M');
  const fraction = numbers(t, 'fraction_position');
  const eig = numbers(t, 'eig');
  ms.forEach((m, i) => {
    const s = (byM[m] ??= { fraction: [], eig: [] });
    s.fraction.push(fraction[i]);
    s.eig.push(eig[i]);
  });
  return { byM };
}

/** Fig. 6: negative eigenvalues (ascending) vs rank/M of the convnet, small vs large batch. */
export function fig6(): { fraction: number[]; smallBatch: number[]; largeBatch: number[] } {
  const t = loadReference('fig6');
  return { fraction: numbers(t, 'fraction_position'), smallBatch: numbers(t, 'small_batch'), largeBatch: numbers(t, 'large_batch') };
}

export type Fig7Series = 'train_loss' | 'test_loss' | 'train_acc' | 'test_acc';

/** Fig. 7: CIFAR-10 curves along the step clock (switch at step 25,000); series differ in length. */
export function fig7(): { bySeries: Record<Fig7Series, { step: number[]; value: number[] }> } {
  const t = loadReference('fig7');
  const bySeries = {} as Record<Fig7Series, { step: number[]; value: number[] }>;
  for (const name of ['train_loss', 'test_loss', 'train_acc', 'test_acc'] as const) {
    const rows = t.rows.filter((r) => r.series === name);
    bySeries[name] = { step: numbers(t, 'step', rows), value: numbers(t, 'value', rows) };
  }
  return { bySeries };
}

/** Fig. 8: loss/accuracy on w(α) = w_I + α(w_II − w_I); α = 0 is the large-batch end, 1 the small-batch end. */
export function fig8(): { alpha: number[]; trainLoss: number[]; testLoss: number[]; trainAcc: number[]; testAcc: number[] } {
  const t = loadReference('fig8');
  return {
    alpha: numbers(t, t.header[0]), // the header is a long quoted description of α
    trainLoss: numbers(t, 'train_loss'),
    testLoss: numbers(t, 'test_loss'),
    trainAcc: numbers(t, 'train_acc'),
    testAcc: numbers(t, 'test_acc'),
  };
}
