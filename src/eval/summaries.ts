/** Reducing per-batch outputs to what a report shows: task averages and mean routing weights. */
import { WemoeError } from '../errors.js';
import type { RoutingSummary, TaskScore } from './report-types.js';

/** Unweighted mean over `tasks` of their scores: the paper's "Avg." column. */
export function averageScore(perTask: Record<string, TaskScore>, tasks: readonly string[]): TaskScore {
  if (tasks.length === 0) throw new WemoeError('averageScore: tasks is empty, expected at least one task');
  let accuracy = 0;
  let loss = 0;
  for (const task of tasks) {
    const score = perTask[task];
    if (score === undefined) throw new WemoeError(`averageScore: no score for task "${task}"`);
    accuracy += score.accuracy;
    loss += score.loss;
  }
  return { accuracy: accuracy / tasks.length, loss: loss / tasks.length };
}

/**
 * Sums a WEMoE model's routing weights — the forward output `routing_weights` [L, B, T] (L upscaled
 * layers, B samples, T experts) — per evaluated task, for the paper's routing analysis.
 */
export class RoutingStats {
  /** [task][layer · T + expert]: summed weights. */
  private readonly sums: Float64Array[];
  private readonly counts: number[];

  constructor(
    readonly layers: readonly number[],
    readonly experts: readonly string[],
    readonly tasks: readonly string[],
  ) {
    this.sums = tasks.map(() => new Float64Array(layers.length * experts.length));
    this.counts = tasks.map(() => 0);
  }

  /** Adds one batch of `task`'s samples; `weights` is row-major [L, batch, T]. */
  add(task: string, weights: Float32Array, batch: number): void {
    const t = this.tasks.indexOf(task);
    if (t < 0)
      throw new WemoeError(`routing stats: unknown task "${task}", expected one of ${this.tasks.join(', ')}`);
    const L = this.layers.length;
    const T = this.experts.length;
    if (weights.length !== L * batch * T) {
      throw new WemoeError(
        `routing stats: routing_weights has ${weights.length} values, expected [L, B, T] = [${L}, ${batch}, ${T}]`,
      );
    }
    const sum = this.sums[t];
    for (let l = 0; l < L; l++) {
      for (let b = 0; b < batch; b++) {
        const row = (l * batch + b) * T;
        for (let e = 0; e < T; e++) sum[l * T + e] += weights[row + e];
      }
    }
    this.counts[t] += batch;
  }

  /** Mean weights [layer][task][expert]; every task must have had samples. */
  summary(): RoutingSummary {
    const T = this.experts.length;
    const mean_weights = this.layers.map((_, l) =>
      this.tasks.map((task, t) => {
        if (this.counts[t] === 0)
          throw new WemoeError(`routing stats: no samples of task "${task}" were added`);
        return Array.from({ length: T }, (_, e) => this.sums[t][l * T + e] / this.counts[t]);
      }),
    );
    return { layers: [...this.layers], experts: [...this.experts], tasks: [...this.tasks], mean_weights };
  }
}
