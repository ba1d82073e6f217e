/**
 * The experiments `reproduce` can run, in report order (the order of EXPERIMENT_IDS in ./types).
 * To add one: import its module and add it to REGISTRY — one import and one entry, nothing else;
 * the runner, the CLI's --only validation and the report pick it up from here. An id of
 * EXPERIMENT_IDS without an entry is reported as "not available yet" when asked for.
 */
import type { Experiment } from './types';
import { experiment as E1 } from './experiments/E1';
import { experiment as E2 } from './experiments/E2';
import { experiment as E5 } from './experiments/E5';
import { experiment as E3 } from './experiments/E3';
import { experiment as E4 } from './experiments/E4/index';
import { experiment as E6 } from './experiments/E6';
import { experiment as P2 } from './experiments/P2';
import { experiment as P3 } from './experiments/P3';
import { experiment as P4 } from './experiments/P4';
import { experiment as P5 } from './experiments/P5';
import { experiment as P6 } from './experiments/P6';
import { experiment as A1 } from './experiments/A1';
import { experiment as L1 } from './experiments/L1';

export const REGISTRY: readonly Experiment[] = [
  E1,
  E2,
  E3,
  E4,
  E5,
  E6,
  L1,
  P2,
  P3,
  P4,
  P5,
  P6,
  A1,
];
