/** Session options: threads, execution provider, optimization level, where constants live. */
import { availableParallelism } from 'node:os';
import type * as ort from 'onnxruntime-node';
import type { EmitOptions } from '../graph/onnx/emit.js';

/** Session options; `externalData` defaults to 'always' here: constants ≥ 1 KiB go to ORT from memory. */
export interface CompileOptions extends EmitOptions {
  /** Intra-op threads; default os.availableParallelism(). */
  readonly threads?: number;
  /** Execution provider: 'cpu' (default), or 'cuda' / 'webgpu' / ... where the ORT build offers it. */
  readonly provider?: string;
  /** ORT graph optimization level; default 'all'. */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let idle intra-op threads spin (ORT's own default). Default false: idle threads sleep and yield the
   * cores. On a machine shared with other work (2 cores, load 12) spinning threads lost their time slices:
   * a ViT-B/32 forward took 1.16× and a WEMoE step 1.33× the wall time with spinning (docs/experiments.md).
   */
  readonly spinning?: boolean;
  /**
   * ORT's CPU memory arena (default on). Off, a run's activations go back to the system when it ends; the
   * arena instead keeps them and grows by powers of two (measured: WEMoE step peak +770 MB vs +440 MB).
   */
  readonly arena?: boolean;
  /**
   * Write ONNX Runtime's per-node profile (Chrome trace JSON) to `<profile>_<date>.json` when the session
   * is released (a diagnostic: bench/profile-summary.ts totals it by operator).
   */
  readonly profile?: string;
}

export function sessionOptions(options: CompileOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [options.provider ?? 'cpu'],
    intraOpNumThreads: options.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimization ?? 'all',
    logSeverityLevel: 3,
    ...(options.arena === false ? { enableCpuMemArena: false } : {}),
    ...(options.profile === undefined ? {} : { enableProfiling: true, profileFilePrefix: options.profile }),
    ...(options.spinning === true ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
}

/** The part of the options that changes the session (the compile cache key). */
export function optionsKey(options: CompileOptions): string {
  const o = sessionOptions(options);
  return JSON.stringify([
    o.executionProviders,
    o.intraOpNumThreads,
    o.graphOptimizationLevel,
    o.extra,
    o.enableCpuMemArena,
    o.profileFilePrefix,
    options.externalData,
  ]);
}
