/** The tests' tiny T5 models: a gated (Flan-T5-style) config and experts perturbed around a pre-trained model. */
import { createRandom } from '../../../src/data/random.js';
import { parseT5Config, type T5Config } from '../../../src/models/t5/config.js';
import type { T5Params } from '../../../src/models/t5/params.js';

/** d_model 8, d_kv 4, d_ff 12, one layer, 2 heads, 8 buckets up to distance 12, gated gelu, untied; `fields` override. */
export function tinyGatedT5(fields: Record<string, unknown>): T5Config {
  return parseT5Config({
    model_type: 't5',
    d_model: 8,
    d_kv: 4,
    d_ff: 12,
    num_layers: 1,
    num_heads: 2,
    relative_attention_num_buckets: 8,
    relative_attention_max_distance: 12,
    feed_forward_proj: 'gated-gelu',
    tie_word_embeddings: false,
    ...fields,
  });
}

/** Per task k: every parameter plus `scale`·N(0, 1) drawn from seed `seed + k` (fine-tuning-sized task vectors). */
export function perturbedExperts(
  pretrained: T5Params,
  tasks: readonly string[],
  options: { readonly seed: number; readonly scale: number },
): Map<string, T5Params> {
  return new Map(
    tasks.map((task, k) => {
      const random = createRandom(options.seed + k);
      const params: T5Params = new Map();
      for (const [name, t] of pretrained)
        params.set(name, {
          ...t,
          data: Float32Array.from(t.data as Float32Array, (v) => v + options.scale * random.normal()),
        });
      return [task, params];
    }),
  );
}
