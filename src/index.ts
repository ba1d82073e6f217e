/** hessian-lab: exact Hessians of neural-network training losses, their spectra, and the paper's experiments. */
import './util/abortSignal';
export * from './engine/model';
export * from './engine/modelSummary';
export * from './engine/curvature';
export * from './engine/matrix';
export * from './engine/spectrum';
export { availableMemoryBytes, formatBytes } from './engine/memory';
export { AbortError, InputError } from './util/errors';
export * from './train';
export * as approx from './approx';
export { readNpy, writeNpy, encodeNpy, decodeNpy } from './io/npy';
export type { NpyArray, NpyData, NpyDtype } from './io/npy';
export { fromArrays, datasetFromSpec, describeDataset } from './data';
export type { Dataset, DatasetSpec, ArraysOptions } from './data';
export { modelFromOnnx, ONNX_OPERATORS } from './onnx/import';
export type { OnnxImportOptions, OnnxModel } from './onnx/import';
export { readSafetensors, paramsFromSafetensors } from './io/safetensors';
export type { SafetensorsTensor } from './io/safetensors';
