/** hessian-lab: exact Hessians of neural-network training losses, their spectra, and the paper's experiments. */
export * from './engine/model';
export * from './engine/modelSummary';
export * from './engine/curvature';
export * from './engine/matrix';
export * from './engine/spectrum';
export * from './engine/distributed';
export { availableMemoryBytes, formatBytes } from './engine/memory';
export { AbortError, InputError } from './util/errors';
export * from './train';
export * as approx from './approx';
