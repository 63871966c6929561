/**
 * A plain-TypeScript float64 CLIP vision forward, written straight from the architecture, to check the
 * graph model against on tiny configs. Slow (naive loops); tiny sizes only.
 */
import type { ClipVisionConfig } from '../../../src/models/clip-vision/config.js';
import type { ClipParams } from '../../../src/models/clip-vision/params.js';

/** Row-major matrix of float64 values. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

function param(params: ClipParams, name: string): Float64Array {
  const t = params.get(`vision_model.${name}`);
  if (!t) throw new Error(`reference: missing ${name}`);
  return Float64Array.from(t.data as Float32Array);
}

/** y = x·Wᵀ + b, W [out, in]. */
function linear(x: Mat, w: Float64Array, b: Float64Array): Mat {
  const out = b.length;
  const y = new Float64Array(x.rows * out);
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let i = 0; i < x.cols; i++) s += x.data[r * x.cols + i] * w[o * x.cols + i];
      y[r * out + o] = s;
    }
  }
  return { rows: x.rows, cols: out, data: y };
}

export function layerNorm(x: Mat, w: Float64Array, b: Float64Array, eps: number): Mat {
  const y = new Float64Array(x.data.length);
  for (let r = 0; r < x.rows; r++) {
    const row = x.data.subarray(r * x.cols, (r + 1) * x.cols);
    const mean = row.reduce((s, v) => s + v, 0) / x.cols;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / x.cols;
    for (let c = 0; c < x.cols; c++)
      y[r * x.cols + c] = ((row[c] - mean) / Math.sqrt(variance + eps)) * w[c] + b[c];
  }
  return { rows: x.rows, cols: x.cols, data: y };
}

function add(a: Mat, b: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v + b.data[i]) };
}

/** Tokens [N+1, D] of one image [C, H, W]: class token, then patches in row-major order. */
export function embed(config: ClipVisionConfig, params: ClipParams, image: Float64Array): Mat {
  const { hiddenSize: d, numChannels: c, patchSize: p, imageSize: s } = config;
  const grid = s / p;
  const w = param(params, 'embeddings.patch_embedding.weight');
  const pos = param(params, 'embeddings.position_embedding.weight');
  const tokens = new Float64Array((grid * grid + 1) * d);
  tokens.set(param(params, 'embeddings.class_embedding'));
  for (let py = 0; py < grid; py++) {
    for (let px = 0; px < grid; px++) {
      const t = 1 + py * grid + px;
      for (let o = 0; o < d; o++) {
        let sum = 0;
        for (let ch = 0; ch < c; ch++) {
          for (let ky = 0; ky < p; ky++) {
            for (let kx = 0; kx < p; kx++) {
              sum += image[(ch * s + py * p + ky) * s + px * p + kx] * w[((o * c + ch) * p + ky) * p + kx];
            }
          }
        }
        tokens[t * d + o] = sum;
      }
    }
  }
  return { rows: grid * grid + 1, cols: d, data: tokens.map((v, i) => v + pos[i]) };
}

function attention(config: ClipVisionConfig, params: ClipParams, prefix: string, x: Mat): Mat {
  const get = (n: string) => param(params, `${prefix}self_attn.${n}`);
  const heads = config.numAttentionHeads;
  const hd = x.cols / heads;
  const q = linear(x, get('q_proj.weight'), get('q_proj.bias'));
  const k = linear(x, get('k_proj.weight'), get('k_proj.bias'));
  const v = linear(x, get('v_proj.weight'), get('v_proj.bias'));
  const n = x.rows;
  const out = new Float64Array(n * x.cols);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      const scores = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let e = 0; e < hd; e++)
          s += q.data[i * x.cols + h * hd + e] * hd ** -0.5 * k.data[j * x.cols + h * hd + e];
        scores[j] = s;
      }
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const total = exps.reduce((a, b) => a + b, 0);
      for (let e = 0; e < hd; e++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += (exps[j] / total) * v.data[j * x.cols + h * hd + e];
        out[i * x.cols + h * hd + e] = s;
      }
    }
  }
  return linear({ rows: n, cols: x.cols, data: out }, get('out_proj.weight'), get('out_proj.bias'));
}

function mlp(config: ClipVisionConfig, params: ClipParams, prefix: string, x: Mat): Mat {
  const get = (n: string) => param(params, `${prefix}mlp.${n}`);
  const h = linear(x, get('fc1.weight'), get('fc1.bias'));
  const act = (v: number) =>
    config.hiddenAct === 'quick_gelu' ? v / (1 + Math.exp(-1.702 * v)) : 0.5 * v * (1 + erf(v / Math.SQRT2));
  return linear({ ...h, data: h.data.map(act) }, get('fc2.weight'), get('fc2.bias'));
}

/** erf by its Taylor series: float64-accurate to ~1e-9 for |x| < 4; beyond, erf is ±1 within 2e-8. */
function erf(x: number): number {
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** last_hidden_state [N+1, D] and pooler_output [D] of one image [C, H, W]. */
export function referenceForward(
  config: ClipVisionConfig,
  params: ClipParams,
  image: Float64Array,
): { lastHiddenState: Mat; poolerOutput: Float64Array } {
  const eps = config.layerNormEps;
  let x = layerNorm(
    embed(config, params, image),
    param(params, 'pre_layrnorm.weight'),
    param(params, 'pre_layrnorm.bias'),
    eps,
  );
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const p = `encoder.layers.${layer}.`;
    const ln1 = layerNorm(
      x,
      param(params, `${p}layer_norm1.weight`),
      param(params, `${p}layer_norm1.bias`),
      eps,
    );
    x = add(x, attention(config, params, p, ln1));
    const ln2 = layerNorm(
      x,
      param(params, `${p}layer_norm2.weight`),
      param(params, `${p}layer_norm2.bias`),
      eps,
    );
    x = add(x, mlp(config, params, p, ln2));
  }
  const cls: Mat = { rows: 1, cols: x.cols, data: x.data.slice(0, x.cols) };
  const pooled = layerNorm(
    cls,
    param(params, 'post_layernorm.weight'),
    param(params, 'post_layernorm.bias'),
    eps,
  );
  return { lastHiddenState: x, poolerOutput: pooled.data };
}
