"""PyTorch CPU peer of wemoe's T5 for bench/t5.bench.ts, written for speed: a from-scratch T5 with Hugging
Face's T5ForConditionalGeneration semantics (RMS norms, attention without 1/sqrt(d) scaling, bucketed
relative position bias, gated or plain feed-forward, tied D^-0.5-scaled or untied lm_head).

Two modes on the model folder wemoe's worker saved:
- `forward`: encoder over input_ids [B, S] and one decoder step (the decoder start token) -> logits [B, 1, V],
  under inference_mode; writes the logits (raw little-endian float32) to --logits-out.
- `wemoe-step`: WEMoE test-time adaptation steps on a WEMoE T5 checkpoint (every block's feed-forward
  module a mixture: base weights, task vectors, depth-2 router), one batch input_ids.{t} per task, the loss
  FusionBench's first-step entropy (decoder fed id 1, entropy of the batch-mean logits), one Adam step over
  the routers per step. Compares its step-0 losses and its routers after the steps with wemoe's
  (--reference-routers) and prints the max abs differences.

Written as a PyTorch engineer would on CPU with torch 1.13: thread pools set before torch loads
(fast_common.import_torch), one fused QKV projection per self-attention and one fused KV projection per
cross-attention, the gated feed-forward's two input projections as one F.linear, F.gelu(tanh) (= gelu_new),
in-place residual adds under inference_mode. The mixture: per part the task vectors as one [T, |part|]
matrix, so that merging every sample's weights is one addmm per part, applied with bmm; a custom autograd
function recomputes the merged weights in the backward instead of keeping B copies per block alive (as
wemoe does), and only the routers require grad.

Usage: t5_fast.py --mode forward|wemoe-step --model DIR --inputs F.safetensors --threads T
       [--repeats R] [--steps S] [--logits-out F] [--reference-routers F.safetensors]
"""

import argparse
import json
import math
import os
import resource
import time

from fast_common import import_torch, openblas_threads, read_folder, read_safetensors

ENTROPY_EPS = 1e-8  # FusionBench's entropy_loss adds it inside the logarithm
FUSIONBENCH_TTA_TOKEN = 1  # its test-time objective feeds the decoder `</s>`


def relative_position_bucket(torch, relative, bidirectional, num_buckets, max_distance):
    """Hugging Face's T5Attention._relative_position_bucket (relative = key position - query position)."""
    buckets = torch.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative > 0).long() * num_buckets
        relative = relative.abs()
    else:
        relative = -torch.min(relative, torch.zeros_like(relative))
    max_exact = num_buckets // 2
    large = max_exact + (
        torch.log(relative.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).long()
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(relative < max_exact, relative, large)


def merged_ff_function(torch):
    F = torch.nn.functional

    class MergedGatedFF(torch.autograd.Function):
        """wo_b(gelu(wi_0,b x) * wi_1,b x) with θ_b = base + w_b·τ per sample; θ_b rebuilt in the backward."""

        @staticmethod
        def forward(ctx, x, w, moe):
            wi, wo = merge(torch, w, moe)
            h = torch.bmm(x, wi.transpose(1, 2))  # [B, N, 2F]
            a, g = h.split(moe["f"], -1)
            y = torch.bmm(F.gelu(a, approximate="tanh").mul_(g), wo.transpose(1, 2))  # [B, N, D]
            ctx.save_for_backward(x, w, h)
            ctx.moe = moe
            return y

        @staticmethod
        def backward(ctx, gy):
            x, w, h = ctx.saved_tensors
            moe = ctx.moe
            wi, wo = merge(torch, w, moe)
            a, g = h.split(moe["f"], -1)
            with torch.enable_grad():
                a_ = a.detach().requires_grad_()
                act = F.gelu(a_, approximate="tanh")
            g_mixed = torch.bmm(gy, wo)  # [B, N, F]
            g_wo = torch.bmm(gy.transpose(1, 2), act.detach() * g)  # [B, D, F]
            (g_a,) = torch.autograd.grad(act, a_, g_mixed * g)
            g_h = torch.cat([g_a, g_mixed.mul_(act.detach())], -1)  # [B, N, 2F]
            g_x = torch.bmm(g_h, wi)  # [B, N, D]
            g_wi = torch.bmm(g_h.transpose(1, 2), x)  # [B, 2F, D]
            bsz = x.shape[0]
            g_w = torch.addmm(g_wi.reshape(bsz, -1) @ moe["tv_wi"].t(), g_wo.reshape(bsz, -1), moe["tv_wo"].t())
            return g_x, g_w, None

    return MergedGatedFF


def merge(torch, w, moe):
    """Every sample's merged weights: wi [B, 2F, D] (wi_0 rows, then wi_1 rows), wo [B, D, F]."""
    bsz = w.shape[0]
    wi = torch.addmm(moe["base_wi"], w, moe["tv_wi"]).view(bsz, 2 * moe["f"], moe["d"])
    wo = torch.addmm(moe["base_wo"], w, moe["tv_wo"]).view(bsz, moe["d"], moe["f"])
    return wi, wo


class FastT5:
    def __init__(self, torch, config, arrays, train=False):
        self.torch, self.F, self.train = torch, torch.nn.functional, train
        t = lambda name: torch.from_numpy(arrays[name])  # noqa: E731
        self.d, self.h, self.dkv = config["d_model"], config["num_heads"], config.get("d_kv", 64)
        self.eps = config.get("layer_norm_epsilon", 1e-6)
        self.buckets = config.get("relative_attention_num_buckets", 32)
        self.max_distance = config.get("relative_attention_max_distance", 128)
        self.tied = config.get("tie_word_embeddings", True)
        proj = config.get("feed_forward_proj", "relu")
        if proj != "gated-gelu":
            raise SystemExit(f"t5_fast.py: feed_forward_proj {proj}: only gated-gelu (Flan-T5) is written here")
        self.wemoe = config.get("wemoe")
        if self.wemoe and self.wemoe["router_depth"] != 2:
            raise SystemExit("t5_fast.py: only depth-2 routers are written here")
        self.shared = t("shared.weight")
        self.lm_head = self.shared if self.tied else t("lm_head.weight")
        self.rel = {s: t(f"{s}.block.0.layer.0.SelfAttention.relative_attention_bias.weight") for s in ("encoder", "decoder")}
        self.final = {s: t(f"{s}.final_layer_norm.weight") for s in ("encoder", "decoder")}
        self.mixture = merged_ff_function(torch) if self.wemoe else None
        self.routers = []
        cat = lambda names: torch.cat([t(n) for n in names]).contiguous()  # noqa: E731
        self.blocks = {"encoder": [], "decoder": []}
        for stack in ("encoder", "decoder"):
            layers = config["num_layers"] if stack == "encoder" else config.get("num_decoder_layers") or config["num_layers"]
            for i in range(layers):
                p = f"{stack}.block.{i}.layer."
                a = p + "0.SelfAttention."
                blk = {
                    "ln0": t(p + "0.layer_norm.weight"),
                    "qkv": cat([a + "q.weight", a + "k.weight", a + "v.weight"]),
                    "o": t(a + "o.weight"),
                }
                ff = p + ("1." if stack == "encoder" else "2.")
                if stack == "decoder":
                    c = p + "1.EncDecAttention."
                    blk.update(ln1=t(p + "1.layer_norm.weight"), q=t(c + "q.weight"), o_cross=t(c + "o.weight"))
                    blk["kv"] = cat([c + "k.weight", c + "v.weight"])
                blk["ln_ff"] = t(ff + "layer_norm.weight")
                m = ff + "DenseReluDense."
                blk["ff"] = self.mixture_module(torch, arrays, m) if self.wemoe else {
                    "wi": cat([m + "wi_0.weight", m + "wi_1.weight"]),
                    "wo": t(m + "wo.weight"),
                }
                self.blocks[stack].append(blk)

    def mixture_module(self, torch, arrays, m):
        """Base weights [1, |part|], task vectors [T, |part|] per part (wi_0 and wi_1 as one), router."""
        experts = len(self.wemoe["experts"])

        def stacked(parts):
            rows = []
            for k in range(experts):
                # Popped once copied: the stacked copy is the only one held (peak RSS).
                rows.append(torch.cat([torch.from_numpy(arrays.pop(f"{m}task_vectors.{k}.{q}").reshape(-1)) for q in parts]))
            return torch.stack(rows)

        base = lambda parts: torch.cat([torch.from_numpy(arrays[f"{m}base_model.{q}"]).reshape(-1) for q in parts]).reshape(1, -1)  # noqa: E731
        gate = [torch.from_numpy(arrays[f"{m}gate.{n}"]).clone().requires_grad_() for n in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")]
        self.routers += gate
        wi = ("wi_0.weight", "wi_1.weight")
        f = arrays[f"{m}base_model.wi_0.weight"].shape[0]
        return {
            "base_wi": base(wi), "tv_wi": stacked(wi), "base_wo": base(("wo.weight",)), "tv_wo": stacked(("wo.weight",)),
            "gate": gate, "f": f, "d": self.d,
        }

    def rms(self, x, weight):
        return x * self.torch.rsqrt(x.pow(2).mean(-1, keepdim=True).add_(self.eps)) * weight

    def residual(self, x, y):
        return x + y if self.train else x.add_(y)

    def position_bias(self, stack, q_len, k_len):
        torch = self.torch
        relative = torch.arange(k_len)[None, :] - torch.arange(q_len)[:, None]
        buckets = relative_position_bucket(torch, relative, stack == "encoder", self.buckets, self.max_distance)
        return self.F.embedding(buckets, self.rel[stack]).permute(2, 0, 1).unsqueeze(0)  # [1, H, Q, K]

    def heads(self, x):  # [B, N, H·dkv] -> [B, H, N, dkv]
        return x.view(x.shape[0], x.shape[1], self.h, self.dkv).transpose(1, 2)

    def attend(self, q, k, v, bias, o):
        scores = self.torch.matmul(q, k.transpose(-1, -2))  # [B, H, Q, K], no 1/sqrt(d) in T5
        scores = scores + bias if self.train else scores.add_(bias)
        out = self.torch.matmul(self.torch.softmax(scores, -1), v)  # [B, H, Q, dkv]
        return self.F.linear(out.transpose(1, 2).reshape(q.shape[0], q.shape[2], -1), o)

    def self_attention(self, x, blk, bias):
        b, n, _ = x.shape
        qkv = self.F.linear(x, blk["qkv"]).view(b, n, 3, self.h, self.dkv).permute(2, 0, 3, 1, 4)
        return self.attend(qkv[0], qkv[1], qkv[2], bias, blk["o"])

    def feed_forward(self, x, blk, mask):
        ff = blk["ff"]
        if "gate" not in ff:
            a, g = self.F.linear(x, ff["wi"]).split(ff["wi"].shape[0] // 2, -1)
            return self.F.linear(self.F.gelu(a, approximate="tanh").mul_(g), ff["wo"])
        w1, b1, w2, b2 = ff["gate"]
        logits = self.F.linear(self.F.relu(self.F.linear(x, w1, b1)), w2, b2)  # [B, N, T]
        w = logits.mean(1) if mask is None else (logits * mask).sum(1) / mask.sum(1)  # [B, T]
        return self.mixture.apply(x, w, ff)

    def encoder(self, ids, mask):
        f32_min = self.torch.finfo(self.torch.float32).min
        bias = self.position_bias("encoder", ids.shape[1], ids.shape[1]) + (1.0 - mask[:, None, None, :]) * f32_min
        token_mask = mask[:, :, None]  # [B, S, 1]: the routers average over real tokens
        x = self.F.embedding(ids, self.shared)
        for blk in self.blocks["encoder"]:
            x = self.residual(x, self.self_attention(self.rms(x, blk["ln0"]), blk, bias))
            x = self.residual(x, self.feed_forward(self.rms(x, blk["ln_ff"]), blk, token_mask))
        return self.rms(x, self.final["encoder"])

    def decoder(self, dec_ids, hidden, mask):
        torch = self.torch
        f32_min = torch.finfo(torch.float32).min
        q_len = dec_ids.shape[1]
        causal = torch.triu(torch.full((q_len, q_len), f32_min), 1)
        self_bias = self.position_bias("decoder", q_len, q_len) + causal
        cross_bias = (1.0 - mask[:, None, None, :]) * f32_min  # [B, 1, 1, S]
        x = self.F.embedding(dec_ids, self.shared)
        for blk in self.blocks["decoder"]:
            x = self.residual(x, self.self_attention(self.rms(x, blk["ln0"]), blk, self_bias))
            b, s, _ = hidden.shape
            kv = self.F.linear(hidden, blk["kv"]).view(b, s, 2, self.h, self.dkv).permute(2, 0, 3, 1, 4)
            q = self.heads(self.F.linear(self.rms(x, blk["ln1"]), blk["q"]))
            x = self.residual(x, self.attend(q, kv[0], kv[1], cross_bias, blk["o_cross"]))
            x = self.residual(x, self.feed_forward(self.rms(x, blk["ln_ff"]), blk, None))
        x = self.rms(x, self.final["decoder"])
        return self.F.linear(x * self.d**-0.5 if self.tied else x, self.lm_head)  # [B, Q, V]

    def forward(self, ids, mask, dec_ids):
        return self.decoder(dec_ids, self.encoder(ids, mask), mask)


def entropy_of_batch_mean(torch, logits):
    """FusionBench's objective: -Σ p·log(p + eps) of the softmax of the batch-mean logits [B, V]."""
    p = torch.softmax(logits.mean(0), -1)
    return -(p * torch.log(p + ENTROPY_EPS)).sum()


def run_forward(torch, model, inputs, a):
    ids = torch.from_numpy(inputs["input_ids"])
    mask = torch.from_numpy(inputs["attention_mask"]).float()
    dec = torch.full((ids.shape[0], 1), a.decoder_start, dtype=torch.long)
    times, cpu = [], []
    with torch.inference_mode():
        for i in range(1 + a.repeats):  # the first run is warm-up
            start, cpu_start = time.perf_counter(), time.process_time()
            logits = model.forward(ids, mask, dec)
            if i > 0:
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
    if a.logits_out:
        logits.numpy().astype("<f4").tofile(a.logits_out)
    return {"s_per_forward": median(times), "cpu_s_per_forward": median(cpu)}


def run_step(torch, model, inputs, tasks, a):
    opt = torch.optim.Adam(model.routers, lr=a.lr)
    times, cpu_times, step0, task_s = [], [], [], []
    for step in range(a.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        for t in range(len(tasks)):
            task_start = time.perf_counter()
            ids = torch.from_numpy(inputs[f"input_ids.{t}"])
            mask = (ids != 0).float()  # right-padded with the pad id 0, as wemoe's objective reads it
            dec = torch.full((ids.shape[0], 1), FUSIONBENCH_TTA_TOKEN, dtype=torch.long)
            loss = entropy_of_batch_mean(torch, model.forward(ids, mask, dec)[:, 0])
            loss.backward()  # one task's graph freed before the next
            if step == 0:
                step0.append(loss.item())
                task_s.append(time.perf_counter() - task_start)
        opt.step()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    result = {"s_per_step": median(times), "cpu_s_per_step": median(cpu_times), "step0_per_task": step0, "step0_task_s": task_s}
    if a.reference_routers:
        ref = read_safetensors(a.reference_routers)
        names = [f"{m}gate.{n}" for m in router_prefixes(model) for n in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")]
        diffs = [float((torch.from_numpy(ref[n]) - r.detach()).abs().max()) for n, r in zip(names, model.routers)]
        result["routers_after_max_abs_diff"] = max(diffs)
    return result


def router_prefixes(model):
    """The mixture modules' prefixes in the order their routers were made (encoder blocks, then decoder)."""
    enc, dec = len(model.blocks["encoder"]), len(model.blocks["decoder"])
    return [f"encoder.block.{i}.layer.1.DenseReluDense." for i in range(enc)] + [
        f"decoder.block.{i}.layer.2.DenseReluDense." for i in range(dec)
    ]


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=("forward", "wemoe-step"), required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--decoder-start", type=int, default=0)
    p.add_argument("--logits-out")
    p.add_argument("--reference-routers")
    a = p.parse_args()
    torch = import_torch(a.threads)
    with open(os.path.join(a.model, "config.json")) as f:
        config = json.load(f)
    inputs = read_safetensors(a.inputs)
    model = FastT5(torch, config, read_folder(a.model), train=a.mode == "wemoe-step")
    if a.mode == "forward":
        result = run_forward(torch, model, inputs, a)
    else:
        result = run_step(torch, model, inputs, config["wemoe"]["experts"], a)
    print(json.dumps({
        **result,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "openblas_threads": openblas_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
