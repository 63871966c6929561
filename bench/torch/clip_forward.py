"""PyTorch CPU peer of wemoe's CLIP vision forward, for bench/clip.bench.ts.

Written from the architecture (Hugging Face CLIPVisionModel: patch conv, class token, position
embeddings, pre_layrnorm, pre-LN blocks with quick_gelu MLPs, post_layernorm on the class token);
no transformers dependency. Reads the same HF folder (config.json + model.safetensors) and the same
pixel_values as the TypeScript side, times the forward and prints one JSON line:
  {"images_per_s", "ms_per_batch", "cpu_ms_per_batch", "peak_rss_mib", "threads", "torch"}
and writes pooler_output as raw little-endian float32 to --pooler-out for the correctness check.

Usage: clip_forward.py --model DIR --input X.safetensors --threads T [--repeats R] [--pooler-out F]
"""

import argparse
import json
import os
import resource
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


def read_safetensors(path):
    """name -> torch tensor, each read by byte range (no copy of the whole file in memory)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = np.dtype(DTYPES[entry["dtype"]])
        count = (end - begin) // dtype.itemsize
        array = np.fromfile(path, dtype=dtype, count=count, offset=8 + header_len + begin)
        tensors[name] = torch.from_numpy(array.astype(np.float32, copy=False).reshape(entry["shape"]))
    return tensors


def canonical(weights):
    """Accept keys with or without the `vision_model.` prefix."""
    return {k if k.startswith("vision_model.") else "vision_model." + k: v for k, v in weights.items()}


class ClipVision:
    def __init__(self, config, weights):
        self.c = config
        self.w = weights
        self.eps = config.get("layer_norm_eps", 1e-5)
        self.heads = config["num_attention_heads"]
        self.act = config.get("hidden_act", "quick_gelu")

    def p(self, name):
        return self.w["vision_model." + name]

    def norm(self, x, name):
        return F.layer_norm(x, x.shape[-1:], self.p(name + ".weight"), self.p(name + ".bias"), self.eps)

    def linear(self, x, name):
        return F.linear(x, self.p(name + ".weight"), self.p(name + ".bias"))

    def embed(self, pixels):
        patch = self.c["patch_size"]
        x = F.conv2d(pixels, self.p("embeddings.patch_embedding.weight"), stride=patch)  # [B, D, g, g]
        x = x.flatten(2).transpose(1, 2)  # [B, N, D]
        cls = self.p("embeddings.class_embedding").expand(x.shape[0], 1, -1)  # [B, 1, D]
        x = torch.cat([cls, x], dim=1)  # [B, N+1, D]
        return x + self.p("embeddings.position_embedding.weight")

    def attention(self, x, layer):
        b, n, d = x.shape
        hd = d // self.heads
        split = lambda t: t.reshape(b, n, self.heads, hd).transpose(1, 2)  # noqa: E731  [B, H, N, hd]
        q = split(self.linear(x, layer + "self_attn.q_proj") * hd**-0.5)
        k = split(self.linear(x, layer + "self_attn.k_proj"))
        v = split(self.linear(x, layer + "self_attn.v_proj"))
        probs = torch.softmax(q @ k.transpose(-1, -2), dim=-1)  # [B, H, N, N]
        out = (probs @ v).transpose(1, 2).reshape(b, n, d)
        return self.linear(out, layer + "self_attn.out_proj")

    def mlp(self, x, layer):
        h = self.linear(x, layer + "mlp.fc1")
        h = h * torch.sigmoid(1.702 * h) if self.act == "quick_gelu" else F.gelu(h)
        return self.linear(h, layer + "mlp.fc2")

    def forward(self, pixels):
        x = self.norm(self.embed(pixels), "pre_layrnorm")
        for i in range(self.c["num_hidden_layers"]):
            layer = f"encoder.layers.{i}."
            x = x + self.attention(self.norm(x, layer + "layer_norm1"), layer)
            x = x + self.mlp(self.norm(x, layer + "layer_norm2"), layer)
        return x, self.norm(x[:, 0], "post_layernorm")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--pooler-out")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    config = config.get("vision_config", config)
    model = ClipVision(config, canonical(read_safetensors(os.path.join(args.model, "model.safetensors"))))
    pixels = read_safetensors(args.input)["pixel_values"]

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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "images_per_s": pixels.shape[0] / ms * 1000,
        "ms_per_batch": ms,
        "cpu_ms_per_batch": sorted(cpu)[len(cpu) // 2] * 1000,
        "peak_rss_mib": peak,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
