/** Session options: threads, execution provider, optimization level, where constants live. */
import { availableParallelism } from 'node:os';
import type * as ort from 'onnxruntime-node';
import type { EmitOptions } from '../graph/onnx/emit.js';

export interface CompileOptions extends EmitOptions {
  /** Intra-op threads; default os.availableParallelism(). */
  readonly threads?: number;
  /** Execution provider: 'cpu' (default), or 'cuda' / 'webgpu' / ... where the ORT build offers it. */
  readonly provider?: string;
  /** ORT graph optimization level; default 'all'. */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export function sessionOptions(options: CompileOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [options.provider ?? 'cpu'],
    intraOpNumThreads: options.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimization ?? 'all',
    logSeverityLevel: 3,
  };
}

/** The part of the options that changes the session (the compile cache key). */
export function optionsKey(options: CompileOptions): string {
  const o = sessionOptions(options);
  return JSON.stringify([
    o.executionProviders,
    o.intraOpNumThreads,
    o.graphOptimizationLevel,
    options.externalData,
  ]);
}
