"""PyTorch CPU peer of one WEMoE test-time adaptation step written for speed, for bench/tta.bench.ts.

Runs the model wemoe's worker saved (a WEMoE checkpoint folder: CLIP vision config + `wemoe` block,
shared weights, per block the MLP's base weights, task vectors and depth-2 router) on the same pixels
and linear heads (inputs.safetensors: pixel_values, head.{task}.weight). The method (Tang et al., ICML
2024): per sample b the router on the MLP input gives w_b ∈ R^T (mean over tokens, no softmax) and the
MLP runs with θ_b = θ_base + Σ_t w_b,t τ_t. Written as a PyTorch engineer would on CPU with torch 1.13:
thread pools set before torch loads (fast_common.import_torch), each MLP part's task vectors as one
[T, |part|] matrix so that merging is one addmm per part, the per-sample MLP as baddbmm on views of the
merged rows, one fused QKV projection with the attention scale folded in, F.linear with bias everywhere; frozen weights do not require grad, so autograd records nothing below the first router.
One step = for each task: forward, mean entropy of its head, backward (router gradients accumulate);
then one Adam step. Prints one JSON line {"s_per_step", "cpu_s_per_step", "peak_rss_mib",
"step0_per_task", "threads", "openblas_threads", "torch"}: step0_per_task are the losses of the first
step (before any update), which the bench compares with wemoe's.

Usage: wemoe_tta_fast.py --model DIR --inputs F.safetensors --threads T [--steps S]
"""

import argparse
import json
import os
import resource
import time

from fast_common import import_torch, openblas_threads, read_folder, read_safetensors

MLP_PARTS = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


class FastWemoeClip:
    def __init__(self, torch, config, arrays):
        self.torch, self.F = torch, torch.nn.functional
        t = lambda name: torch.from_numpy(arrays["vision_model." + name])  # noqa: E731
        d, self.heads, self.patch = config["hidden_size"], config["num_attention_heads"], config["patch_size"]
        self.d, self.eps = d, config.get("layer_norm_eps", 1e-5)
        experts = len(config["wemoe"]["experts"])
        self.patch_w = t("embeddings.patch_embedding.weight").reshape(d, -1)
        self.cls, self.pos = t("embeddings.class_embedding"), t("embeddings.position_embedding.weight")
        self.pre = (t("pre_layrnorm.weight"), t("pre_layrnorm.bias"))
        self.post = (t("post_layernorm.weight"), t("post_layernorm.bias"))
        scale = (d // self.heads) ** -0.5
        self.blocks = []
        for i in range(config["num_hidden_layers"]):
            p = lambda n: t(f"encoder.layers.{i}.{n}")  # noqa: E731
            a, m = "self_attn.", "mlp."
            base = [p(m + "base_model." + part) for part in MLP_PARTS]
            tv = []  # per part [T, |part|]
            for part, b in zip(MLP_PARTS, base):
                stacked = torch.empty(experts, b.numel())
                for k in range(experts):
                    # Popped once copied: the stacked copy is the only one held (peak RSS).
                    name = f"vision_model.encoder.layers.{i}.{m}task_vectors.{k}.{part}"
                    stacked[k] = torch.from_numpy(arrays.pop(name).reshape(-1))
                tv.append(stacked)
            self.blocks.append({
                "ln1": (p("layer_norm1.weight"), p("layer_norm1.bias")),
                "ln2": (p("layer_norm2.weight"), p("layer_norm2.bias")),
                "qkv": (
                    torch.cat([p(a + "q_proj.weight") * scale, p(a + "k_proj.weight"), p(a + "v_proj.weight")]),
                    torch.cat([p(a + "q_proj.bias") * scale, p(a + "k_proj.bias"), p(a + "v_proj.bias")]),
                ),
                "o": (p(a + "out_proj.weight"), p(a + "out_proj.bias")),
                "base": [b.reshape(1, -1) for b in base],  # per part [1, |part|]
                "tv": tv,
                "shapes": [tuple(b.shape) for b in base],
                "gate": [p(m + "gate." + n).clone().requires_grad_() for n in MLP_PARTS],
            })

    def routers(self):
        return [g for blk in self.blocks for g in blk["gate"]]

    def moe_mlp(self, x, blk):
        bsz = x.shape[0]
        w1g, b1g, w2g, b2g = blk["gate"]
        w = self.F.linear(self.F.relu(self.F.linear(x, w1g, b1g)), w2g, b2g).mean(1)  # [B, T]
        # θ_b of every sample, one addmm per part; contiguous rows, so the views below are batched GEMM operands.
        views = [
            self.torch.addmm(base, w, tv).reshape(bsz, *(shape if len(shape) == 2 else (1, shape[0])))
            for base, tv, shape in zip(blk["base"], blk["tv"], blk["shapes"])
        ]
        w1, b1, w2, b2 = views
        h = self.torch.baddbmm(b1, x, w1.transpose(1, 2))  # [B, N, I]
        h = h * self.torch.sigmoid(1.702 * h)
        return self.torch.baddbmm(b2, h, w2.transpose(1, 2))  # [B, N, D]

    def attention(self, x, blk):
        b, n, d = x.shape
        h = self.heads
        qkv = self.F.linear(x, *blk["qkv"]).reshape(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4)
        probs = self.torch.softmax(self.torch.matmul(qkv[0], qkv[1].transpose(-1, -2)), -1)
        out = self.torch.matmul(probs, qkv[2]).transpose(1, 2).reshape(b, n, d)
        return self.F.linear(out, *blk["o"])

    def forward(self, pixels):
        b, c, s, _ = pixels.shape
        g, pp, d = s // self.patch, self.patch, self.d
        patches = pixels.reshape(b, c, g, pp, g, pp).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g, c * pp * pp)
        x = self.torch.cat([self.cls.expand(b, 1, d), self.torch.matmul(patches, self.patch_w.t())], 1) + self.pos
        x = self.F.layer_norm(x, (d,), *self.pre, self.eps)
        for blk in self.blocks:
            x = x + self.attention(self.F.layer_norm(x, (d,), *blk["ln1"], self.eps), blk)
            x = x + self.moe_mlp(self.F.layer_norm(x, (d,), *blk["ln2"], self.eps), blk)
        return self.F.layer_norm(x[:, 0], (d,), *self.post, self.eps)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-4)
    a = p.parse_args()
    torch = import_torch(a.threads)
    with open(os.path.join(a.model, "config.json")) as f:
        config = json.load(f)
    model = FastWemoeClip(torch, config, read_folder(a.model))
    inputs = {k: torch.from_numpy(v) for k, v in read_safetensors(a.inputs).items()}
    tasks = config["wemoe"]["experts"]
    pixels = inputs["pixel_values"]
    opt = torch.optim.Adam(model.routers(), lr=a.lr)
    times, cpu_times, step0 = [], [], []
    for step in range(a.steps + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        for task in tasks:
            logits = torch.nn.functional.linear(model.forward(pixels), inputs[f"head.{task}.weight"])
            logp = torch.log_softmax(logits, -1)
            loss = -(logp.exp() * logp).sum(-1).mean()
            loss.backward()  # one task's graph freed before the next
            if step == 0:
                step0.append(loss.item())
        opt.step()
        if step > 0:  # the first step is warm-up
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    print(json.dumps({
        "s_per_step": sorted(times)[len(times) // 2],
        "cpu_s_per_step": sum(cpu_times) / len(cpu_times),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "step0_per_task": step0,
        "threads": torch.get_num_threads(),
        "openblas_threads": openblas_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
