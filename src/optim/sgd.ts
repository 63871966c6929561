/** Stochastic gradient descent with optional (heavy-ball, PyTorch-style) momentum, in place on float32 parameters. */
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkGrads, checkParams, copyF32, f32Buffer, type OptimizerState } from './state.js';

export interface SgdOptions {
  readonly lr: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
}

export class Sgd {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  step = 0;
  private readonly velocity = new Map<string, Float32Array>();

  constructor(
    readonly params: Readonly<Record<string, Tensor>>,
    options: SgdOptions,
  ) {
    checkParams(params, 'SGD');
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.lr >= 0) || !(this.momentum >= 0 && this.momentum < 1)) {
      throw new WemoeError(`SGD: lr must be ≥ 0 and momentum in [0, 1), got ${this.lr}, ${this.momentum}`);
    }
    for (const [name, p] of Object.entries(params)) this.velocity.set(name, new Float32Array(p.data.length));
  }

  /** One update: buf = μ·buf + g (+ wd·w); w −= lr·buf. */
  update(grads: Readonly<Record<string, Tensor>>, lr = this.lr): void {
    checkGrads(this.params, grads, 'SGD');
    this.step++;
    for (const [name, p] of Object.entries(this.params)) {
      const w = p.data as Float32Array;
      const g = grads[name].data as Float32Array;
      const buf = this.velocity.get(name)!;
      for (let i = 0; i < w.length; i++) {
        const d = g[i] + this.weightDecay * w[i];
        buf[i] = this.step === 1 ? d : this.momentum * buf[i] + d;
        w[i] -= lr * (this.momentum > 0 ? buf[i] : d);
      }
    }
  }

  state(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    for (const [name, p] of Object.entries(this.params)) {
      tensors[`velocity.${name}`] = copyF32({ dtype: 'F32', shape: p.shape, data: this.velocity.get(name)! });
    }
    const { lr, momentum, weightDecay, step } = this;
    return { meta: { kind: 'sgd', step, lr, momentum, weightDecay }, tensors };
  }

  loadState(state: OptimizerState): void {
    if (state.meta.kind !== 'sgd')
      throw new WemoeError(`SGD: cannot load optimizer state of kind ${state.meta.kind}`);
    for (const [name, p] of Object.entries(this.params)) {
      this.velocity.get(name)!.set(f32Buffer(state.tensors, `velocity.${name}`, p.data.length, 'SGD state'));
    }
    this.step = state.meta.step;
  }
}
