/** The wemoe library API: everything the CLI does is reachable from here. */
export { WemoeError } from './errors.js';
export * from './tensor/tensor.js';
export type { TensorInfo, TensorSource } from './io/tensor-source.js';
