/**
 * The losses a model can end in, shared by both model forms (MLP and sequential), with the one
 * rule they impose on the number of outputs. Means over the N samples of: cross_entropy
 * (-log softmax(f)_y), mse (1/2 ||f - onehot(y)||^2 summed over outputs), logistic (one output;
 * softplus(f) - y f).
 */
export const LOSSES = ['cross_entropy', 'mse', 'logistic'] as const;
export type Loss = (typeof LOSSES)[number];

/**
 * Why `outputs` logits cannot feed `loss` ("end in ..."), or null when they can: logistic needs exactly 1,
 * cross_entropy at least 2 (softmax over one logit is constant), mse any number.
 */
export function outputCountProblem(loss: Loss, outputs: number): string | null {
  if (loss === 'logistic' && outputs !== 1) return 'end in 1 output for the logistic loss';
  if (loss === 'cross_entropy' && outputs < 2) return 'end in at least 2 outputs for the cross_entropy loss';
  return null;
}

/** Number of classes the labels range over given the outputs (2 for the one-output logistic loss). */
export function classesOf(loss: Loss, outputs: number): number {
  return loss === 'logistic' ? 2 : outputs;
}
