/** The metric records of a run (one per `recordEvery` steps) and the metrics.jsonl log. */
import { writeFileAtomic } from '../io/atomic';
import { RawRecords } from '../native/binding';
import { Phase, phaseOfStep } from './config';

/** Full-batch metrics after `step` updates. Test fields are null without a test split. */
export interface MetricRecord {
  step: number;
  phase: number;
  trainLoss: number;
  trainAccuracy: number;
  gradNorm: number;
  testLoss: number | null;
  testAccuracy: number | null;
}

export function recordsFromRaw(raw: RawRecords, phases: Phase[]): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (let i = 0; i < raw.step.length; i++) {
    const step = raw.step[i];
    out.push({
      step,
      phase: phaseOfStep(phases, step),
      trainLoss: raw.trainLoss[i],
      trainAccuracy: raw.trainAccuracy[i],
      gradNorm: raw.gradNorm[i],
      testLoss: Number.isNaN(raw.testLoss[i]) ? null : raw.testLoss[i],
      testAccuracy: Number.isNaN(raw.testAccuracy[i]) ? null : raw.testAccuracy[i],
    });
  }
  return out;
}

/** metrics.jsonl: one JSON record per line, in step order (easy to stream, grep and plot). */
export function writeMetricsLog(file: string, records: MetricRecord[]): void {
  writeFileAtomic(file, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
}
