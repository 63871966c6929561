import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TensorSource } from '../../src/io/tensor-source.js';
import {
  type Heads,
  headsFromSource,
  headsToTensors,
  loadHeads,
  saveHeads,
  taskHead,
  validateHeads,
} from '../../src/models/heads.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';

/** An in-memory TensorSource over the tensors and metadata headsToTensors produces. */
function memorySource(tensors: Map<string, Tensor>, metadata: Record<string, string>): TensorSource {
  const get = (name: string) =>
    tensors.get(name) ??
    (() => {
      throw new Error(name);
    })();
  return {
    path: 'mem/heads.safetensors',
    metadata,
    names: () => [...tensors.keys()],
    has: (name) => tensors.has(name),
    info: (name) => ({ name, dtype: get(name).dtype, shape: get(name).shape }),
    read: get,
    readF32: (name) => Float32Array.from(get(name).data as Float32Array),
    close: () => {},
  };
}

const linear: Heads = {
  kind: 'linear',
  tasks: new Map([
    [
      'mnist',
      {
        weight: float32([3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        bias: float32([3], [0.1, 0.2, 0.3]),
        classes: ['0', '1', '2'],
      },
    ],
    ['svhn', { weight: float32([2, 4]), classes: ['a', 'b'] }],
  ]),
};

const zeroshot: Heads = {
  kind: 'clip_zeroshot',
  tasks: new Map([['dtd', { weight: float32([2, 3]), classes: ['x', 'y'] }]]),
  visualProjection: float32([3, 4]),
  logitScale: Math.log(100),
};

describe('heads', () => {
  it('round-trips linear heads of several tasks through tensors and metadata', () => {
    const { tensors, metadata } = headsToTensors(linear);
    expect([...tensors.keys()]).toEqual(['mnist.weight', 'mnist.bias', 'svhn.weight']);
    expect(metadata).toMatchObject({ kind: 'linear', 'classes.mnist': '["0","1","2"]', format: 'pt' });
    const back = headsFromSource(memorySource(tensors, metadata), 4);
    expect(back.kind).toBe('linear');
    expect([...back.tasks.keys()]).toEqual(['mnist', 'svhn']);
    expect([...back.tasks.get('mnist')!.weight.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(back.tasks.get('svhn')!.bias).toBeUndefined();
    expect(taskHead(back, 'svhn').classes).toEqual(['a', 'b']);
    expect(() => taskHead(back, 'gtsrb', 'h.st')).toThrow(
      'h.st: no head for task "gtsrb"; tasks: mnist, svhn',
    );
  });

  it('round-trips clip_zeroshot heads with projection and logit scale', () => {
    const { tensors, metadata } = headsToTensors(zeroshot);
    expect(tensors.get('logit_scale')!.shape).toEqual([]);
    const back = headsFromSource(memorySource(tensors, metadata), 4);
    expect(back.visualProjection!.shape).toEqual([3, 4]);
    expect(back.logitScale).toBeCloseTo(Math.log(100), 5);
  });

  it('rejects malformed heads naming the file and tensor', () => {
    const { tensors, metadata } = headsToTensors(linear);
    expect(() => headsFromSource(memorySource(tensors, metadata), 5)).toThrow(
      'mem/heads.safetensors: mnist.weight is [3, 4], expected [K, 5]',
    );
    expect(() => headsFromSource(memorySource(tensors, { ...metadata, kind: 'svm' }))).toThrow(/kind "svm"/);
    const noKind = { ...metadata };
    delete (noKind as Record<string, string>).kind;
    expect(() => headsFromSource(memorySource(tensors, noKind))).toThrow(/no kind/);
    expect(() => headsFromSource(memorySource(tensors, { ...metadata, 'classes.mnist': '["0"]' }))).toThrow(
      'classes.mnist has 1 names, expected 3',
    );
    expect(() => headsFromSource(memorySource(tensors, { ...metadata, 'classes.svhn': '{' }))).toThrow(
      /not JSON/,
    );
    const badBias = new Map(tensors).set('mnist.bias', float32([2]));
    expect(() => headsFromSource(memorySource(badBias, metadata))).toThrow('mnist.bias is [2], expected [3]');
    const odd = new Map(tensors).set('stray', float32([1]));
    expect(() => headsFromSource(memorySource(odd, metadata))).toThrow(
      /tensor stray: expected \{task\}.weight/,
    );
  });

  it('checks clip_zeroshot needs', () => {
    expect(() => validateHeads({ ...zeroshot, logitScale: undefined }, 'h')).toThrow(
      /needs a finite logit_scale/,
    );
    expect(() => validateHeads({ ...zeroshot, visualProjection: undefined }, 'h')).toThrow(
      /needs visual_projection/,
    );
    expect(() => validateHeads(zeroshot, 'h', 8)).toThrow(
      'visual_projection.weight is [3, 4], expected [E, 8]',
    );
    const wide = { ...zeroshot, tasks: new Map([['dtd', { weight: float32([2, 5]), classes: ['x', 'y'] }]]) };
    expect(() => validateHeads(wide, 'h')).toThrow('dtd.weight is [2, 5], expected [K, 3]');
    expect(() => validateHeads({ ...linear, logitScale: 1 }, 'h')).toThrow(/kind linear must not hold/);
  });
});

describe('heads files', () => {
  it('saves and loads heads.safetensors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wemoe-heads-'));
    try {
      const file = join(dir, 'heads.safetensors');
      saveHeads(file, zeroshot);
      const back = loadHeads(file, 4);
      expect(back.kind).toBe('clip_zeroshot');
      expect(back.tasks.get('dtd')!.classes).toEqual(['x', 'y']);
      expect(back.logitScale).toBeCloseTo(Math.log(100), 5);
      expect(() => loadHeads(file, 7)).toThrow(
        `${file}: visual_projection.weight is [3, 4], expected [E, 7]`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
