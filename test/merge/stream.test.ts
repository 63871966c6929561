import { describe, expect, it } from 'vitest';
import type { MergeTensors, TensorMerger } from '../../src/merge/method.js';
import { planMerge } from '../../src/merge/plan.js';
import { outputEntries, streamMerge } from '../../src/merge/stream.js';
import { taskArithmeticMethod } from '../../src/merge/task-arithmetic.js';
import { tiesMethod } from '../../src/merge/ties.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { f32Tensors, MemorySink, MemorySource, mergeInMemory, vectors } from './memory.js';

const ids: Tensor = { dtype: 'I64', shape: [3], data: BigInt64Array.from([0n, 1n, 2n]) };

function model(path: string, w: number[], extra: Record<string, Tensor> = {}): MemorySource {
  return new MemorySource(path, { ...f32Tensors(vectors({ w, b: [w[0]] })), ids, ...extra });
}

describe('planMerge', () => {
  it('splits float tensors (merged) from the others (copied) and counts parameters', () => {
    const plan = planMerge({ pretrained: model('p', [1, 2]), experts: { a: model('a', [3, 4]) } });
    expect(plan.tasks).toEqual(['a']);
    expect(plan.floatTensors.map((t) => t.name)).toEqual(['w', 'b']);
    expect(plan.copiedTensors.map((t) => t.name)).toEqual(['ids']);
    expect([plan.floatParams, plan.allParams]).toEqual([3, 6]);
    expect(outputEntries(plan, 'BF16').map((e) => e.dtype)).toEqual(['BF16', 'BF16', 'I64']);
  });

  it('lists missing, extra, reshaped and retyped tensors in one line', () => {
    const pretrained = model('p', [1, 2]);
    const experts = {
      a: new MemorySource('a.safetensors', { ...f32Tensors(vectors({ w: [1, 2, 3] })), ids, extra: ids }),
      b: model('b.safetensors', [1, 2], {
        ids: { dtype: 'I32', shape: [3], data: Int32Array.from([0, 1, 2]) },
      }),
    };
    expect(() => planMerge({ pretrained, experts })).toThrow(
      "merge: the models do not match (p is the pretrained model): expert 'a' (a.safetensors) 'w' has shape [3], " +
        "pretrained [2]; expert 'a' (a.safetensors) lacks 'b'; expert 'a' (a.safetensors) has extra 'extra'; " +
        "expert 'b' (b.safetensors) 'ids' has dtype I32, pretrained I64",
    );
  });

  it('says when more mismatches than it lists exist', () => {
    const experts = Object.fromEntries(
      ['a', 'b', 'c', 'd', 'e'].map((t) => [t, new MemorySource(t, { ids })]),
    );
    expect(() => planMerge({ pretrained: model('p', [1]), experts })).toThrow(/; and 6 more$/);
  });
});

describe('streamMerge', () => {
  it('copies non-float tensors from the pretrained model and writes merged floats in the output dtype', () => {
    const sources = {
      pretrained: model('p', [1, 2]),
      experts: { a: model('a', [2, 4]), b: model('b', [0, 2]) },
    };
    const plan = planMerge(sources);
    const sink = new MemorySink(outputEntries(plan, 'F16'));
    const merger = taskArithmeticMethod.createMerger(
      { scaling_factor: 0.5 },
      { tasks: plan.tasks, floatParams: 3, seed: 0 },
    );
    const result = streamMerge(sources, plan, merger, sink, { outputDtype: 'F16' });
    expect(sink.state).toBe('finished');
    expect(result.passes).toBe(0);
    expect(sink.written.ids).toBe(ids);
    // w = [1, 2] + 0.5·([1, 2] + [−1, 0]) = [1, 3]: F16 bits 0x3c00, 0x4200.
    expect(sink.written.w.dtype).toBe('F16');
    expect(Array.from(sink.written.w.data as Uint16Array)).toEqual([0x3c00, 0x4200]);
  });

  it('runs the ties passes (coarse counts, then fine counts and votes) over every float tensor, then merges', () => {
    const sources = { pretrained: model('p', [1, 2]), experts: { a: model('a', [2, 4]) } };
    const plan = planMerge(sources);
    const merger = tiesMethod.createMerger(tiesMethod.params.parse({}), {
      tasks: ['a'],
      floatParams: 3,
      seed: 0,
    });
    const progress: string[] = [];
    const result = streamMerge(sources, plan, merger, new MemorySink(outputEntries(plan)), {
      onProgress: (p) => progress.push(`${p.phase}${p.pass}:${p.index}/${p.total}`),
    });
    expect(result.passes).toBe(2);
    expect(sources.experts.a.reads).toBe(3 * 2);
    const observe = (pass: number) => [`observe${pass}:1/2`, `observe${pass}:2/2`];
    expect(progress).toEqual([...observe(0), ...observe(1), 'merge2:1/3', 'merge2:2/3', 'merge2:3/3']);
  });

  it('fails on non-finite weights naming the tensor and the model, and aborts the sink', () => {
    const sources = {
      pretrained: model('p', [1, 2]),
      experts: { a: model('a', [1, Number.NaN]), b: model('b', [1, 2]) },
    };
    const plan = planMerge(sources);
    const sink = new MemorySink(outputEntries(plan));
    const merger = taskArithmeticMethod.createMerger(
      { scaling_factor: 0.3 },
      { tasks: plan.tasks, floatParams: 3, seed: 0 },
    );
    expect(() => streamMerge(sources, plan, merger, sink)).toThrow(
      "merge: tensor 'w': non-finite values in expert 'a' (1 of 2); expected finite weights",
    );
    expect(sink.state).toBe('aborted');
  });

  it('catches non-finite task vectors in the ties passes and overflow in the result', () => {
    const inf = vectors({ w: [1, Number.POSITIVE_INFINITY] });
    expect(() => mergeInMemory(tiesMethod, {}, vectors({ w: [1, 2] }), { a: inf })).toThrow(
      "merge: tensor 'w': non-finite values in expert 'a' (1 of 2)",
    );
    // The third of three experts (read in the second group) names itself.
    const three = () =>
      mergeInMemory(tiesMethod, {}, vectors({ w: [1, 2] }), {
        a: vectors({ w: [1, 3] }),
        b: vectors({ w: [2, 2] }),
        c: inf,
      });
    expect(three).toThrow("merge: tensor 'w': non-finite values in expert 'c' (1 of 2)");
    const apart = () =>
      mergeInMemory(tiesMethod, {}, vectors({ w: [-3e38, 0] }), { a: vectors({ w: [3e38, 0] }) });
    expect(apart).toThrow("merge: tensor 'w': a non-finite result in the task vector of 'a' (overflow)");
    const big = vectors({ w: [3e38] });
    expect(() =>
      mergeInMemory(taskArithmeticMethod, { scaling_factor: 1 }, vectors({ w: [0] }), { a: big, b: big }),
    ).toThrow("merge: tensor 'w': a non-finite result (overflow); expected finite weights");
  });

  it('refuses merged values that overflow an f16 output', () => {
    const run = (w: number) =>
      mergeInMemory(
        taskArithmeticMethod,
        { scaling_factor: 1 },
        vectors({ w: [0] }),
        { a: vectors({ w: [w] }) },
        { outputDtype: 'F16' },
      );
    expect(run(65519)).toEqual({ w: [65504] });
    expect(() => run(-70000)).toThrow("merge: tensor 'w': merged magnitude 70000 overflows f16 (max 65504)");
  });

  it('hands methods the tensors of every model in task order', () => {
    const seen: MergeTensors[] = [];
    const sources = { pretrained: model('p', [1]), experts: { z: model('z', [2]), a: model('a', [3]) } };
    const plan = planMerge(sources);
    streamMerge(
      sources,
      plan,
      {
        passes: 0,
        merge: (t) => {
          seen.push(t);
          return t.pretrained;
        },
      },
      new MemorySink(outputEntries(plan)),
    );
    expect(seen.map((t) => [t.name, t.tasks, t.experts.map((e) => e[0])])).toEqual([
      ['w', ['z', 'a'], [2, 3]],
      ['b', ['z', 'a'], [2, 3]],
    ]);
  });

  it('hands every float tensor to observe once per pass before the first merge, and aborts on error', () => {
    const sources = { pretrained: model('p', [1, 2]), experts: { a: model('a', [3, 5]) } };
    const plan = planMerge(sources);
    const events: string[] = [];
    const observing = (failAt?: string): TensorMerger => ({
      passes: 2,
      observe: (pass, t) => events.push(`observe ${pass} ${t.name}`),
      merge: (t) => {
        if (t.name === failAt) throw new Error(`boom at ${t.name}`);
        events.push(`merge ${t.name}`);
        return Float32Array.from(t.experts[0]);
      },
    });
    const sink = new MemorySink(outputEntries(plan));
    expect(streamMerge(sources, plan, observing(), sink).passes).toBe(2);
    expect(events).toEqual([
      'observe 0 w',
      'observe 0 b',
      'observe 1 w',
      'observe 1 b',
      'merge w',
      'merge b',
    ]);
    expect(Array.from(sink.written.w.data as Float32Array)).toEqual([3, 5]);
    expect(sink.written.ids).toBe(ids);
    const failing = new MemorySink(outputEntries(plan));
    expect(() => streamMerge(sources, plan, observing('b'), failing)).toThrow('boom at b');
    expect(failing.state).toBe('aborted');
  });
});
