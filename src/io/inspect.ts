/** What `wemoe inspect` reports about a checkpoint: tensors, metadata, parameter count. */
import { numel } from '../tensor/tensor.js';
import { openCheckpoint } from './checkpoint.js';
import type { TensorInfo } from './tensor-source.js';

export interface CheckpointSummary {
  readonly tensors: TensorInfo[];
  readonly metadata: Record<string, string>;
  /** Total elements over all tensors. */
  readonly parameters: number;
}

/** Lists a safetensors file, index file or model folder without reading any tensor data. */
export function inspectCheckpoint(path: string): CheckpointSummary {
  const source = openCheckpoint(path);
  try {
    const tensors = source.names().map((name) => {
      const { dtype, shape } = source.info(name);
      return { name, dtype, shape: [...shape] };
    });
    const parameters = tensors.reduce((n, t) => n + numel(t.shape), 0);
    return { tensors, metadata: { ...source.metadata }, parameters };
  } finally {
    source.close();
  }
}
