/**
 * A plain-TypeScript float64 T5ForConditionalGeneration, one sequence at a time, written from Hugging
 * Face's definitions (modeling_t5.py) to check the graph model against on tiny configs. Naive loops.
 */
import type { T5Config } from '../../../src/models/t5/config.js';
import type { T5Params } from '../../../src/models/t5/params.js';

type Rows = Float64Array[];

function get(params: T5Params, name: string): Float64Array {
  const t = params.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return Float64Array.from(t.data as Float32Array);
}

/** x·Wᵀ with W [out, in] row-major. */
function linear(x: Rows, w: Float64Array): Rows {
  const n = x[0].length;
  const out = w.length / n;
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += row[i] * w[o * n + i];
      y[o] = s;
    }
    return y;
  });
}

function rmsNorm(x: Rows, w: Float64Array, eps: number): Rows {
  return x.map((row) => {
    const ms = row.reduce((s, v) => s + v * v, 0) / row.length;
    return row.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]);
  });
}

const add = (a: Rows, b: Rows): Rows => a.map((row, r) => row.map((v, i) => v + b[r][i]));

/** HF _relative_position_bucket in float64. */
export function referenceBucket(
  relative: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
) {
  let n = numBuckets;
  let bucket = 0;
  let rp = relative;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (rp > 0) bucket += n;
    rp = Math.abs(rp);
  } else {
    rp = -Math.min(rp, 0);
  }
  const maxExact = Math.floor(n / 2);
  if (rp < maxExact) return bucket + rp;
  const large =
    maxExact + Math.floor((Math.log(rp / maxExact) / Math.log(maxDistance / maxExact)) * (n - maxExact));
  return bucket + Math.min(large, n - 1);
}

/**
 * One attention: queries from x, keys/values from kvSource; `allowed(q, k)` masks; `bias(h, q, k)` the
 * relative position bias (0 for cross-attention). No 1/√d scaling.
 */
function attention(
  config: T5Config,
  params: T5Params,
  prefix: string,
  x: Rows,
  kvSource: Rows,
  allowed: (q: number, k: number) => boolean,
  bias: (h: number, q: number, k: number) => number,
): Rows {
  const q = linear(x, get(params, `${prefix}q.weight`));
  const k = linear(kvSource, get(params, `${prefix}k.weight`));
  const v = linear(kvSource, get(params, `${prefix}v.weight`));
  const { numHeads: heads, dKv: dk } = config;
  const mixed = x.map(() => new Float64Array(heads * dk));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < x.length; i++) {
      const keys = kvSource.map((_, j) => j).filter((j) => allowed(i, j));
      const scores = keys.map((j) => {
        let s = bias(h, i, j);
        for (let c = 0; c < dk; c++) s += q[i][h * dk + c] * k[j][h * dk + c];
        return s;
      });
      const top = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - top));
      const z = e.reduce((a, b) => a + b, 0);
      keys.forEach((j, n) => {
        for (let c = 0; c < dk; c++) mixed[i][h * dk + c] += (e[n] / z) * v[j][h * dk + c];
      });
    }
  }
  return linear(mixed, get(params, `${prefix}o.weight`));
}

const geluNew = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function feedForward(config: T5Config, params: T5Params, prefix: string, x: Rows): Rows {
  if (config.isGatedAct) {
    const p = `${prefix}DenseReluDense.`;
    const gate = linear(x, get(params, `${p}wi_0.weight`)).map((r) => r.map(geluNew));
    const up = linear(x, get(params, `${p}wi_1.weight`));
    return linear(
      gate.map((r, i) => r.map((v, c) => v * up[i][c])),
      get(params, `${p}wo.weight`),
    );
  }
  const p = `${prefix}DenseReluDense.`;
  const hidden = linear(x, get(params, `${p}wi.weight`)).map((r) => r.map((v) => Math.max(v, 0)));
  return linear(hidden, get(params, `${p}wo.weight`));
}

function relativeBias(config: T5Config, params: T5Params, stack: string, bidirectional: boolean) {
  const table = get(params, `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`);
  const { relativeAttentionNumBuckets: n, relativeAttentionMaxDistance: m, numHeads: heads } = config;
  return (h: number, q: number, k: number) => table[referenceBucket(k - q, bidirectional, n, m) * heads + h];
}

const embed = (params: T5Params, ids: readonly number[], d: number): Rows => {
  const table = get(params, 'shared.weight');
  return ids.map((id) => table.slice(id * d, (id + 1) * d));
};

/** encoder_last_hidden_state [S][D] of one sequence; mask[j] = 0 hides key j. */
export function referenceEncoder(config: T5Config, params: T5Params, ids: number[], mask: number[]): Rows {
  const eps = config.layerNormEpsilon;
  const bias = relativeBias(config, params, 'encoder', true);
  let x = embed(params, ids, config.dModel);
  for (let b = 0; b < config.numLayers; b++) {
    const p = `encoder.block.${b}.layer.`;
    const n = rmsNorm(x, get(params, `${p}0.layer_norm.weight`), eps);
    x = add(
      x,
      attention(config, params, `${p}0.SelfAttention.`, n, n, (_, k) => mask[k] === 1, bias),
    );
    x = add(
      x,
      feedForward(config, params, `${p}1.`, rmsNorm(x, get(params, `${p}1.layer_norm.weight`), eps)),
    );
  }
  return rmsNorm(x, get(params, 'encoder.final_layer_norm.weight'), eps);
}

/** Decoder logits [S'][V] of teacher-forced `decoderIds` over encoder states `enc` (mask over them). */
export function referenceDecoder(
  config: T5Config,
  params: T5Params,
  decoderIds: number[],
  enc: Rows,
  mask: number[],
): Rows {
  const eps = config.layerNormEpsilon;
  const bias = relativeBias(config, params, 'decoder', false);
  let x = embed(params, decoderIds, config.dModel);
  for (let b = 0; b < config.numDecoderLayers; b++) {
    const p = `decoder.block.${b}.layer.`;
    const n = rmsNorm(x, get(params, `${p}0.layer_norm.weight`), eps);
    x = add(
      x,
      attention(config, params, `${p}0.SelfAttention.`, n, n, (q, k) => k <= q, bias),
    );
    const c = rmsNorm(x, get(params, `${p}1.layer_norm.weight`), eps);
    x = add(
      x,
      attention(
        config,
        params,
        `${p}1.EncDecAttention.`,
        c,
        enc,
        (_, k) => mask[k] === 1,
        () => 0,
      ),
    );
    x = add(
      x,
      feedForward(config, params, `${p}2.`, rmsNorm(x, get(params, `${p}2.layer_norm.weight`), eps)),
    );
  }
  let h = rmsNorm(x, get(params, 'decoder.final_layer_norm.weight'), eps);
  if (config.tieWordEmbeddings) h = h.map((r) => r.map((v) => v * config.dModel ** -0.5));
  return linear(h, get(params, config.tieWordEmbeddings ? 'shared.weight' : 'lm_head.weight'));
}

/** Greedy decoding without a cache: rerun the decoder on the whole prefix each step. */
export function referenceGreedy(
  config: T5Config,
  params: T5Params,
  ids: number[],
  mask: number[],
  maxNewTokens: number,
): number[] {
  const enc = referenceEncoder(config, params, ids, mask);
  const prefix = [config.decoderStartTokenId];
  const out: number[] = [];
  while (out.length < maxNewTokens) {
    const logits = referenceDecoder(config, params, prefix, enc, mask);
    const last = logits[logits.length - 1];
    let best = 0;
    for (let i = 1; i < last.length; i++) if (last[i] > last[best]) best = i;
    out.push(best);
    prefix.push(best);
    if (best === config.eosTokenId) break;
  }
  return out;
}
