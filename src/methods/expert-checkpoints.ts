/** A merge config's experts, read from their checkpoints only when a method asks for them. */
import type { Tensor } from '../tensor/tensor.js';

type Params = ReadonlyMap<string, Tensor>;

/**
 * The experts by task, each read from its checkpoint when asked for and not kept: a method that builds
 * its task vectors expert by expert holds one expert at a time, and none once its model is built (eight
 * ViT-B/32 experts in float32 are 2.8 GB, eight flan-t5-base 7.9 GB). Every `get` reads the checkpoint
 * again: take each expert once.
 */
export class ExpertCheckpoints<P extends Params> implements ReadonlyMap<string, P> {
  constructor(
    private readonly dirs: Readonly<Record<string, string>>,
    private readonly load: (dir: string) => P,
  ) {}

  get size(): number {
    return Object.keys(this.dirs).length;
  }

  get(task: string): P | undefined {
    const dir = this.dirs[task];
    return dir === undefined ? undefined : this.load(dir);
  }

  has(task: string): boolean {
    return task in this.dirs;
  }

  forEach(fn: (params: P, task: string, map: ReadonlyMap<string, P>) => void): void {
    for (const [task, params] of this.entries()) fn(params, task, this);
  }

  *entries(): MapIterator<[string, P]> {
    for (const task of this.keys()) yield [task, this.get(task)!];
  }

  *keys(): MapIterator<string> {
    yield* Object.keys(this.dirs);
  }

  *values(): MapIterator<P> {
    for (const [, params] of this.entries()) yield params;
  }

  [Symbol.iterator](): MapIterator<[string, P]> {
    return this.entries();
  }
}
