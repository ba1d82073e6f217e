/**
 * Progress bars for long CLI work (cli-progress), one line per job, only when stderr is a
 * terminal (CI logs and pipes get one plain line per stage instead of a flood of redraws).
 */
import { MultiBar, Presets, SingleBar } from 'cli-progress';

export interface Progress {
  /** A callback for the engine's onProgress(stage, fraction). */
  update(stage: string, fraction: number): void;
  stop(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    let lastStage = '';
    return {
      update(stage) {
        if (stage !== lastStage) stream.write(`${label}: ${stage}\n`);
        lastStage = stage;
      },
      stop() {},
    };
  }
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {stage} | {duration_formatted}`, stream, hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  bar.start(1000, 0, { stage: '' });
  return {
    update(stage, fraction) {
      bar.update(Math.round(1000 * Math.min(1, Math.max(0, fraction))), { stage });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Several bars at once (e.g. experiment and step), same TTY rule. */
export function multiProgress(stream: NodeJS.WriteStream = process.stderr): {
  bar(label: string): Progress;
  stop(): void;
} {
  if (!stream.isTTY) return { bar: (label) => progressBar(label, stream), stop() {} };
  const multi = new MultiBar({ format: '{label} [{bar}] {percentage}% | {stage}', stream, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  return {
    bar(label) {
      const b = multi.create(1000, 0, { label, stage: '' });
      return {
        update(stage, fraction) { b.update(Math.round(1000 * Math.min(1, Math.max(0, fraction))), { stage, label }); },
        stop() { b.stop(); },
      };
    },
    stop() { multi.stop(); },
  };
}
