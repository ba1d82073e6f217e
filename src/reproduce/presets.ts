/**
 * Preset facts shared by the runner and the experiments: which presets a user may ask for, the
 * hidden test size, and the quick-preset wall-time budgets (issue 4) that the report compares the
 * measured times with. The per-experiment size tables live in each experiment (they are its
 * settings); `bySize` in ./common picks the row.
 */
import type { Preset } from './types';

/** What `--preset` accepts. */
export const PUBLIC_PRESETS: readonly Preset[] = ['quick', 'paper'];

/**
 * The tests' size: every experiment at a minimal network, seconds per experiment. Not a CLI
 * option; the runner accepts it only through runReproduce({preset: TINY}) (test/61) or the
 * HESSIAN_LAB_REPRODUCE_TINY=1 environment variable (for end-to-end CLI tests).
 */
export const TINY = 'tiny' as Preset;

/** Quick-preset budgets in seconds (issue 4): all ten experiments together ≤ 600 s on 2 cores. */
export const QUICK_BUDGET_SECONDS: Partial<Record<string, number>> = { E1: 60, E2: 150, E4: 120, E5: 40, total: 600 };
