/**
 * What a merge method is. Static methods (weight average, task arithmetic, Ties, DARE) see one tensor of
 * every model at a time, in memory, and never do I/O: the streaming driver (stream.ts) reads, they merge.
 * Test-time methods (AdaMerging, WEMoE) need the tasks' unlabeled data and run asynchronously.
 */
import type { z } from 'zod';
import type { MergeConfig } from '../config/merge-config.js';
import type { ProgressMode } from '../util/progress.js';

/** One floating-point tensor of every model, converted to float32. */
export interface MergeTensors {
  readonly name: string;
  readonly shape: readonly number[];
  readonly pretrained: Float32Array;
  /** Experts in task order (the order of `tasks`). */
  readonly experts: readonly Float32Array[];
  readonly tasks: readonly string[];
}

/**
 * Merges a model tensor by tensor. A merge that needs statistics over all parameters first (Ties' exact
 * global threshold) asks for `passes` full passes over every float tensor (`observe`) before the first
 * `merge`.
 */
export interface TensorMerger {
  /**
   * How many observation passes precede the merge pass (0: merge at once); read again after each pass, as
   * what a method observed may make it ask for one more.
   */
  readonly passes: number;
  /** Sees every float tensor once per pass, in the same order each pass. */
  observe?(pass: number, tensors: MergeTensors): void;
  /** The merged tensor (a new array the caller may keep). */
  merge(tensors: MergeTensors): Float32Array;
}

export interface StaticMergeContext {
  /** Task names in expert order. */
  readonly tasks: readonly string[];
  /** Number of floating-point parameters of one model (the d of Ties' global trim). */
  readonly floatParams: number;
  readonly seed: number;
}

interface MethodInfo<P> {
  readonly name: string;
  /** The paper the method comes from. */
  readonly paper: string;
  readonly description: string;
  /** Parameters with their defaults; parsing `{}` gives the defaults. */
  readonly params: z.ZodType<P, unknown>;
}

export interface StaticMergeMethod<P = unknown> extends MethodInfo<P> {
  readonly kind: 'static';
  createMerger(params: P, context: StaticMergeContext): TensorMerger;
}

export interface TestTimeContext {
  /** The resolved merge config (absolute paths): models, tasks with their data, heads, seed. */
  readonly config: MergeConfig;
  /** An empty folder (renamed into place afterwards) where the method writes config.json and the model. */
  readonly outputDir: string;
  readonly log: (line: string) => void;
  /** How to show the adaptation's progress (default 'auto'). */
  readonly progress?: ProgressMode;
}

export interface TestTimeOutcome {
  readonly trainableParams: number;
  readonly allParams: number;
  /** Seconds per phase. */
  readonly timing: Readonly<Record<string, number>>;
  /** More report.json keys (for example per-task accuracy or loss curves). */
  readonly report?: Readonly<Record<string, unknown>>;
}

export interface TestTimeMergeMethod<P = unknown> extends MethodInfo<P> {
  readonly kind: 'test-time';
  run(params: P, context: TestTimeContext): Promise<TestTimeOutcome>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds methods of every parameter type
export type MergeMethod = StaticMergeMethod<any> | TestTimeMergeMethod<any>;
