"""PyTorch CPU peer of wemoe's CLIP vision forward written for speed, for bench/clip.bench.ts.

Hugging Face's CLIPVisionModel, with what a PyTorch engineer does on a
CPU with torch 1.13 (no torch.compile): thread pools of OpenMP and OpenBLAS set before torch loads
(fast_common.import_torch), inference_mode, the patch embedding as one GEMM on unfolded patches, one
fused QKV projection per block on a concatenated weight with the 1/sqrt(head dim) scale folded into the
Q rows, F.linear with bias everywhere, in-place softmax, activation and residual adds. Prints one JSON
line {"images_per_s", "ms_per_batch", "cpu_ms_per_batch", "peak_rss_mib", "threads", "openblas_threads",
"torch"} and writes pooler_output to --pooler-out (raw little-endian float32).

Usage: clip_forward_fast.py --model DIR --input X.safetensors --threads T [--repeats R] [--pooler-out F]
"""

import argparse
import json
import os
import resource
import time

from fast_common import import_torch, openblas_threads, read_folder, read_safetensors


class FastClipVision:
    def __init__(self, torch, config, arrays):
        self.torch = torch
        self.F = torch.nn.functional
        arrays = {k if k.startswith("vision_model.") else "vision_model." + k: v for k, v in arrays.items()}
        p = lambda name: torch.from_numpy(arrays["vision_model." + name]).contiguous()  # noqa: E731
        d, self.heads, self.patch = config["hidden_size"], config["num_attention_heads"], config["patch_size"]
        self.eps = config.get("layer_norm_eps", 1e-5)
        self.quick = config.get("hidden_act", "quick_gelu") == "quick_gelu"
        self.patch_w = p("embeddings.patch_embedding.weight").reshape(d, -1)  # [D, C·P·P]
        self.cls = p("embeddings.class_embedding")
        self.pos = p("embeddings.position_embedding.weight")
        self.pre = (p("pre_layrnorm.weight"), p("pre_layrnorm.bias"))
        self.post = (p("post_layernorm.weight"), p("post_layernorm.bias"))
        scale = (d // self.heads) ** -0.5
        self.blocks = []
        for i in range(config["num_hidden_layers"]):
            q = lambda n: p(f"encoder.layers.{i}.{n}")  # noqa: E731
            a = "self_attn."
            qkv_w = torch.cat([q(a + "q_proj.weight") * scale, q(a + "k_proj.weight"), q(a + "v_proj.weight")])
            qkv_b = torch.cat([q(a + "q_proj.bias") * scale, q(a + "k_proj.bias"), q(a + "v_proj.bias")])
            self.blocks.append({
                "ln1": (q("layer_norm1.weight"), q("layer_norm1.bias")),
                "ln2": (q("layer_norm2.weight"), q("layer_norm2.bias")),
                "qkv": (qkv_w.contiguous(), qkv_b.contiguous()),
                "o": (q(a + "out_proj.weight"), q(a + "out_proj.bias")),
                "fc1": (q("mlp.fc1.weight"), q("mlp.fc1.bias")),
                "fc2": (q("mlp.fc2.weight"), q("mlp.fc2.bias")),
            })

    def embed(self, pixels):
        b, c, s, _ = pixels.shape
        g, pp = s // self.patch, self.patch
        patches = pixels.reshape(b, c, g, pp, g, pp).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g, c * pp * pp)
        x = self.torch.empty(b, g * g + 1, self.patch_w.shape[0])
        self.torch.matmul(patches, self.patch_w.t(), out=x[:, 1:])  # [B, N, D]
        x[:, 0] = self.cls
        return x.add_(self.pos)

    def attention(self, x, blk):
        b, n, d = x.shape
        h = self.heads
        qkv = self.F.linear(x, *blk["qkv"]).reshape(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4)  # [3, B, H, N, hd]
        scores = self.torch.matmul(qkv[0], qkv[1].transpose(-1, -2))  # [B, H, N, N]
        probs = self.torch.softmax(scores, -1)
        out = self.torch.matmul(probs, qkv[2]).transpose(1, 2).reshape(b, n, d)
        return self.F.linear(out, *blk["o"])

    def mlp(self, x, blk):
        hidden = self.F.linear(x, *blk["fc1"])
        if self.quick:
            hidden.mul_(self.torch.sigmoid(hidden * 1.702))
        else:
            hidden = self.F.gelu(hidden)
        return self.F.linear(hidden, *blk["fc2"])

    def forward(self, pixels):
        d = self.pos.shape[-1]
        x = self.F.layer_norm(self.embed(pixels), (d,), *self.pre, self.eps)
        for blk in self.blocks:
            x.add_(self.attention(self.F.layer_norm(x, (d,), *blk["ln1"], self.eps), blk))
            x.add_(self.mlp(self.F.layer_norm(x, (d,), *blk["ln2"], self.eps), blk))
        return x, self.F.layer_norm(x[:, 0], (d,), *self.post, self.eps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--pooler-out")
    args = parser.parse_args()
    torch = import_torch(args.threads)

    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    config = config.get("vision_config", config)
    model = FastClipVision(torch, config, read_folder(args.model))
    pixels = torch.from_numpy(read_safetensors(args.input)["pixel_values"])

    times, cpu = [], []
    with torch.inference_mode():
        for i in range(args.warmup + args.repeats):
            start, cpu_start = time.perf_counter(), time.process_time()
            _, pooled = model.forward(pixels)
            if i >= args.warmup:
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
    ms = sorted(times)[len(times) // 2] * 1000
    if args.pooler_out:
        pooled.numpy().astype("<f4").tofile(args.pooler_out)
    print(json.dumps({
        "images_per_s": pixels.shape[0] / ms * 1000,
        "ms_per_batch": ms,
        "cpu_ms_per_batch": sorted(cpu)[len(cpu) // 2] * 1000,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "openblas_threads": openblas_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
