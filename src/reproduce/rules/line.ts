/**
 * Claim 9 and S16 P6: the loss on a straight line between two trained weight vectors has no
 * barrier between them (S18: LB and SB end points; S16: GD and SGD iterates at equal times).
 */
import { defineRule, pctText } from './rule';

export const LINE = {
  /** No barrier: the train loss on [0, 1] exceeds the larger end-point loss by at most this share of it. */
  barrierTolerance: 0.05,
  /** Steep rise: the loss at the far side of the LB end (α < 0) at least this × L(0). */
  rise: 2,
  /** S16 P6 "flat on the scale of training": every barrier ≤ this share of the loss drop since init. */
  progressShare: 0.05,
};

export interface BarrierEvidence {
  /** max over α ∈ [0, 1] of the train loss minus the larger end-point loss. */
  barrier: number;
  /** LINE.barrierTolerance × the larger end-point loss. */
  tolerance: number;
  /** Train loss at the smallest α over L(0). */
  riseRatio: number;
}

export const claim9 = defineRule<BarrierEvidence>({
  id: 'E6.claim9', claim: 9, section: 'E6', setting: 'substitute', substitute: 'an MNIST MLP instead of CIFAR-10 and a “bare” AlexNet (CIFAR-10 is not available offline)',
  thresholds: () =>
    `no barrier: the train loss on α ∈ [0, 1] never exceeds the larger end-point loss by more than ${pctText(LINE.barrierTolerance)} of it; steep rise: L(α_min) ≥ ${LINE.rise}·L(0); ` +
    'reproduced if both hold, partly if only the first, not reproduced if there is a barrier',
  check: (e) => (e.barrier > e.tolerance ? 'not' : e.riseRatio >= LINE.rise ? 'reproduced' : 'partly'),
});

export interface SimultaneousLinesEvidence {
  /** One line per time t: its barrier, tolerance, and barrier over the loss drop since init. */
  times: { barrier: number; tolerance: number; relToProgress: number }[];
}

export const p6 = defineRule<SimultaneousLinesEvidence>({
  id: 'P6.s16', claim: 'S16-P6', section: 'P6', setting: 'paper',
  claimText: 'GD and SGD from one init: the straight line between simultaneous iterates stays flat (S16).',
  thresholds: () =>
    `reproduced if at every time t the train loss on [0, 1] stays within ${pctText(LINE.barrierTolerance)} of the larger end-point loss; ` +
    `partly if every barrier is ≤ ${pctText(LINE.progressShare)} of the loss drop from the init to that end point (flat on the scale of training); not reproduced otherwise`,
  check: (e) => (e.times.every((t) => t.barrier <= t.tolerance) ? 'reproduced' : e.times.every((t) => t.relToProgress <= LINE.progressShare) ? 'partly' : 'not'),
});

