"""PyTorch CPU peer of one WEMoE test-time adaptation step, for bench/tta.bench.ts.

Written from the method (Tang et al., ICML 2024): a CLIP vision encoder whose
MLPs are weight-ensembling mixtures. Per sample b, the router (depth 2, on the MLP input tokens, mean
over tokens, no softmax) gives w_b ∈ R^T and the MLP runs with θ_b = θ_base + Σ_t w_b,t τ_t, built as
one GEMM [B, T] × [T, |θ|] and applied with batched matmuls. One step = for each task: forward on a
batch, mean entropy of its linear head, backward (router gradients accumulate); then one Adam step.
Random weights (timing only). Prints one JSON line {"s_per_step", "cpu_s_per_step", "peak_rss_mib", "threads", "torch"}.

Usage: wemoe_tta.py --hidden 768 --heads 12 --layers 4 --experts 8 --batch 4 --threads 2 [--steps 3]
"""

import argparse
import json
import resource
import time

import torch
import torch.nn.functional as F


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class WemoeClip:
    def __init__(self, d, heads, layers, experts, image=224, patch=32, classes=10):
        g = torch.Generator().manual_seed(0)
        rnd = lambda *shape, std=0.02: torch.randn(*shape, generator=g) * std  # noqa: E731
        self.d, self.heads, self.patch, self.t = d, heads, patch, experts
        i = 4 * d
        n = (image // patch) ** 2 + 1
        self.patch_w = rnd(d, 3, patch, patch)
        self.cls = rnd(d)
        self.pos = rnd(n, d)
        self.ln = lambda: (1 + rnd(d), rnd(d))  # noqa: E731
        self.pre, self.post = self.ln(), self.ln()
        self.blocks = []
        for _ in range(layers):
            b = {"ln1": self.ln(), "ln2": self.ln()}
            for name in ("q", "k", "v", "o"):
                b[name] = (rnd(d, d), rnd(d))
            b["base"] = [rnd(i, d), rnd(i), rnd(d, i), rnd(d)]
            b["tv"] = [rnd(experts, i * d, std=0.002), rnd(experts, i, std=0.002),
                       rnd(experts, d * i, std=0.002), rnd(experts, d, std=0.002)]
            b["gate"] = [rnd(d, d, std=0.01).requires_grad_(), torch.zeros(d, requires_grad=True),
                         rnd(experts, d, std=0.01).requires_grad_(), torch.full((experts,), 0.3, requires_grad=True)]
            self.blocks.append(b)
        self.heads_w = [rnd(classes, d, std=0.1) for _ in range(experts)]

    def routers(self):
        return [p for b in self.blocks for p in b["gate"]]

    def moe_mlp(self, x, b):
        bsz, _, d = x.shape
        w1g, b1g, w2g, b2g = b["gate"]
        w = F.linear(F.relu(F.linear(x, w1g, b1g)), w2g, b2g).mean(1)  # [B, T]
        merged = [base.reshape(1, -1) + w @ tv for base, tv in zip(b["base"], b["tv"])]  # per part [B, |θ|]
        w1, b1, w2, b2 = merged
        i = b["base"][1].shape[0]
        h = quick_gelu(torch.baddbmm(b1.reshape(bsz, 1, i), x, w1.reshape(bsz, i, d).transpose(1, 2)))
        return torch.baddbmm(b2.reshape(bsz, 1, d), h, w2.reshape(bsz, d, i).transpose(1, 2))

    def attention(self, x, b):
        bsz, n, d = x.shape
        hd = d // self.heads
        split = lambda t: t.reshape(bsz, n, self.heads, hd).transpose(1, 2)  # noqa: E731
        q = split(F.linear(x, *b["q"]) * hd**-0.5)
        k, v = split(F.linear(x, *b["k"])), split(F.linear(x, *b["v"]))
        out = (torch.softmax(q @ k.transpose(-1, -2), -1) @ v).transpose(1, 2).reshape(bsz, n, d)
        return F.linear(out, *b["o"])

    def forward(self, pixels):
        x = F.conv2d(pixels, self.patch_w, stride=self.patch).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.pos
        x = F.layer_norm(x, (self.d,), *self.pre)
        for b in self.blocks:
            x = x + self.attention(F.layer_norm(x, (self.d,), *b["ln1"]), b)
            x = x + self.moe_mlp(F.layer_norm(x, (self.d,), *b["ln2"]), b)
        return F.layer_norm(x[:, 0], (self.d,), *self.post)


def main():
    p = argparse.ArgumentParser()
    for name, default in (("hidden", 768), ("heads", 12), ("layers", 4), ("experts", 8), ("batch", 4), ("threads", 2), ("steps", 3)):
        p.add_argument(f"--{name}", type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = WemoeClip(a.hidden, a.heads, a.layers, a.experts)
    opt = torch.optim.Adam(model.routers(), lr=1e-4)
    g = torch.Generator().manual_seed(1)
    times, cpu_times = [], []
    for step in range(a.steps + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        opt.zero_grad()
        for t in range(a.experts):
            pixels = torch.randn(a.batch, 3, 224, 224, generator=g)
            logits = F.linear(model.forward(pixels), model.heads_w[t])
            logp = torch.log_softmax(logits, -1)
            (-(logp.exp() * logp).sum(-1).mean()).backward()  # one task's graph freed before the next
        opt.step()
        if step > 0:  # the first step is warm-up
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    print(json.dumps({
        "s_per_step": sorted(times)[len(times) // 2],
        "cpu_s_per_step": sum(cpu_times) / len(cpu_times),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
