/**
 * A plain-TypeScript float64 CLIP text forward written from Hugging Face's CLIPTextTransformer: token +
 * position embeddings, pre-LN blocks where token i attends to tokens j ≤ i whose attention_mask is 1,
 * final_layer_norm, the hidden state at the pooled token, text_projection. Naive loops; tiny sizes only.
 */
import type { ClipTextConfig } from '../../../src/models/clip-text/config.js';
import type { ClipParams } from '../../../src/models/clip-vision/params.js';

type Rows = Float64Array[];

function get(params: ClipParams, name: string): Float64Array {
  const t = params.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return Float64Array.from(t.data as Float32Array);
}

function linear(x: Rows, w: Float64Array, b?: Float64Array): Rows {
  const n = x[0].length;
  const out = w.length / n;
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < n; i++) s += row[i] * w[o * n + i];
      y[o] = s;
    }
    return y;
  });
}

function layerNorm(x: Rows, w: Float64Array, b: Float64Array, eps: number): Rows {
  return x.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v, c) => ((v - mean) / Math.sqrt(variance + eps)) * w[c] + b[c]);
  });
}

const add = (a: Rows, b: Rows): Rows => a.map((row, i) => row.map((v, c) => v + b[i][c]));

function attention(config: ClipTextConfig, params: ClipParams, p: string, x: Rows, mask: number[]): Rows {
  const w = (n: string) => get(params, `${p}self_attn.${n}`);
  const q = linear(x, w('q_proj.weight'), w('q_proj.bias'));
  const k = linear(x, w('k_proj.weight'), w('k_proj.bias'));
  const v = linear(x, w('v_proj.weight'), w('v_proj.bias'));
  const heads = config.numAttentionHeads;
  const hd = config.hiddenSize / heads;
  const out = x.map(() => new Float64Array(config.hiddenSize));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < x.length; i++) {
      const seen = [...Array(i + 1).keys()].filter((j) => mask[j] === 1);
      const scores = seen.map((j) => {
        let s = 0;
        for (let e = 0; e < hd; e++) s += q[i][h * hd + e] * k[j][h * hd + e];
        return s / Math.sqrt(hd);
      });
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const total = exps.reduce((a, b) => a + b, 0);
      seen.forEach((j, n) => {
        for (let e = 0; e < hd; e++) out[i][h * hd + e] += (exps[n] / total) * v[j][h * hd + e];
      });
    }
  }
  return linear(out, w('out_proj.weight'), w('out_proj.bias'));
}

function mlp(config: ClipTextConfig, params: ClipParams, p: string, x: Rows): Rows {
  const hidden = linear(x, get(params, `${p}mlp.fc1.weight`), get(params, `${p}mlp.fc1.bias`));
  const act = (v: number) => (config.hiddenAct === 'quick_gelu' ? v / (1 + Math.exp(-1.702 * v)) : NaN);
  return linear(
    hidden.map((row) => row.map(act)),
    get(params, `${p}mlp.fc2.weight`),
    get(params, `${p}mlp.fc2.bias`),
  );
}

/** HF's pooled position: argmax of the ids when eos_token_id is 2, else the first eos_token_id (or 0). */
export function referencePooledPosition(config: ClipTextConfig, ids: number[]): number {
  if (config.eosTokenId === 2) return ids.indexOf(Math.max(...ids));
  return Math.max(ids.indexOf(config.eosTokenId), 0);
}

/** last_hidden_state [S][D], pooler_output [D], text_embeds [E] of one row of ids. */
export function referenceTextForward(
  config: ClipTextConfig,
  params: ClipParams,
  ids: number[],
  mask: number[] = ids.map(() => 1),
): { lastHiddenState: Rows; poolerOutput: Float64Array; textEmbeds: Float64Array } {
  const d = config.hiddenSize;
  const tokens = get(params, 'text_model.embeddings.token_embedding.weight');
  const positions = get(params, 'text_model.embeddings.position_embedding.weight');
  let x: Rows = ids.map((id, i) =>
    tokens.slice(id * d, (id + 1) * d).map((v, c) => v + positions[i * d + c]),
  );
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const p = `text_model.encoder.layers.${layer}.`;
    const eps = config.layerNormEps;
    const ln1 = layerNorm(x, get(params, `${p}layer_norm1.weight`), get(params, `${p}layer_norm1.bias`), eps);
    x = add(x, attention(config, params, p, ln1, mask));
    const ln2 = layerNorm(x, get(params, `${p}layer_norm2.weight`), get(params, `${p}layer_norm2.bias`), eps);
    x = add(x, mlp(config, params, p, ln2));
  }
  const last = layerNorm(
    x,
    get(params, 'text_model.final_layer_norm.weight'),
    get(params, 'text_model.final_layer_norm.bias'),
    config.layerNormEps,
  );
  const pooled = last[referencePooledPosition(config, ids)];
  const [textEmbeds] = linear([pooled], get(params, 'text_projection.weight'));
  return { lastHiddenState: last, poolerOutput: pooled, textEmbeds };
}
