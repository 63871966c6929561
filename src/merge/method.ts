/**
 * What a merge method is. Static methods (weight average, task arithmetic, Ties, DARE) see one tensor of
 * every model at a time, in memory, and never do I/O: the streaming driver (stream.ts) reads, they merge.
 * Test-time methods (AdaMerging, WEMoE) live in adapt/; methods/registry.ts lists both kinds by name.
 */
import type { z } from 'zod';

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

/** What every merge method, static or test-time, says of itself. */
export interface MethodInfo<P> {
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
