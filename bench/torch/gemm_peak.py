"""PyTorch's fp32 GEMM rate on this machine, for the benchmarks' fraction of peak.

Times F.linear(x [M, K], w [N, K]) (OpenBLAS, threads set as in the fast peers) and prints one JSON line
{"gflop_per_s", "ms", "threads"}: the best of --repeats runs after one warm-up.

Usage: gemm_peak.py --threads T [--m 1600 --k 768 --n 3072 --repeats 10]
"""

import argparse
import json
import time

from fast_common import import_torch


def main():
    p = argparse.ArgumentParser()
    for name, default in (("threads", 2), ("m", 1600), ("k", 768), ("n", 3072), ("repeats", 10)):
        p.add_argument(f"--{name}", type=int, default=default)
    a = p.parse_args()
    torch = import_torch(a.threads)
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(a.m, a.k, generator=g), torch.randn(a.n, a.k, generator=g)
    out = torch.empty(a.m, a.n)
    best = float("inf")
    with torch.inference_mode():
        for i in range(a.repeats + 1):
            start = time.perf_counter()
            torch.matmul(x, w.t(), out=out)
            if i > 0:
                best = min(best, time.perf_counter() - start)
    print(json.dumps({"gflop_per_s": 2 * a.m * a.k * a.n / best / 1e9, "ms": best * 1000, "threads": a.threads}))


if __name__ == "__main__":
    main()
