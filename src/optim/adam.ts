/** Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), updating float32 parameters in place. */
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkGrads, checkParams, copyF32, f32Buffer, type OptimizerState } from './state.js';

export interface AdamOptions {
  /** Learning rate (overridable per step, e.g. by a schedule). */
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Decoupled weight decay (AdamW); 0 = plain Adam. */
  readonly weightDecay?: number;
  /** Per-parameter multipliers of the learning rate, by name (absent: 1). */
  readonly lrScale?: Readonly<Record<string, number>>;
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken so far. */
  step = 0;
  private readonly lrScale: Readonly<Record<string, number>>;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  /** `params` are updated in place by step(). */
  constructor(
    readonly params: Readonly<Record<string, Tensor>>,
    options: AdamOptions,
  ) {
    checkParams(params, 'Adam');
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.lrScale = options.lrScale ?? {};
    for (const [name, scale] of Object.entries(this.lrScale)) {
      if (!(name in params) || !(scale >= 0))
        throw new WemoeError(`Adam: lrScale.${name} must name a parameter and be ≥ 0, got ${scale}`);
    }
    if (!(this.lr >= 0) || !(this.beta1 >= 0 && this.beta1 < 1) || !(this.beta2 >= 0 && this.beta2 < 1)) {
      throw new WemoeError(
        `Adam: lr must be ≥ 0 and betas in [0, 1), got lr ${this.lr}, betas ${this.beta1}, ${this.beta2}`,
      );
    }
    for (const [name, p] of Object.entries(params)) {
      this.m.set(name, new Float32Array(p.data.length));
      this.v.set(name, new Float32Array(p.data.length));
    }
  }

  /** One update from `grads` (by parameter name) with learning rate `baseLr` (default: the constructor's) × lrScale. */
  update(grads: Readonly<Record<string, Tensor>>, baseLr = this.lr): void {
    checkGrads(this.params, grads, 'Adam');
    this.step++;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    for (const [name, p] of Object.entries(this.params)) {
      const lr = baseLr * (this.lrScale[name] ?? 1);
      const w = p.data as Float32Array;
      const g = grads[name].data as Float32Array;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      for (let i = 0; i < w.length; i++) {
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * g[i];
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * g[i] * g[i];
        const decayed = w[i] - lr * this.weightDecay * w[i];
        w[i] = decayed - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.eps);
      }
    }
  }

  /** Step count, hyperparameters and moment buffers (copies). */
  state(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    for (const [name, p] of Object.entries(this.params)) {
      tensors[`m.${name}`] = copyF32({ dtype: 'F32', shape: p.shape, data: this.m.get(name)! });
      tensors[`v.${name}`] = copyF32({ dtype: 'F32', shape: p.shape, data: this.v.get(name)! });
    }
    const { lr, beta1, beta2, eps, weightDecay, step } = this;
    return { meta: { kind: 'adam', step, lr, beta1, beta2, eps, weightDecay }, tensors };
  }

  /** Restores a state() taken from an Adam over the same parameter names and sizes. */
  loadState(state: OptimizerState): void {
    if (state.meta.kind !== 'adam')
      throw new WemoeError(`Adam: cannot load optimizer state of kind ${state.meta.kind}`);
    for (const [name, p] of Object.entries(this.params)) {
      this.m.get(name)!.set(f32Buffer(state.tensors, `m.${name}`, p.data.length, 'Adam state'));
      this.v.get(name)!.set(f32Buffer(state.tensors, `v.${name}`, p.data.length, 'Adam state'));
    }
    this.step = state.meta.step;
  }
}
