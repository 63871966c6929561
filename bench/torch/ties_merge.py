"""PyTorch CPU peer of wemoe's global Ties merge, for bench/merge.bench.ts.

In memory, as FusionBench's ties_merging_utils computes it: the float tensors of every model flattened in
sorted key order, the task vectors stacked [T, d], per task the trim threshold by torch.kthvalue over |τt|
(rank d − ⌊d·k/100⌋), the elected sign sign(Σt kept τt) with zero signs set to the majority
sign(Σ signs), the disjoint sum of the kept entries of the elected sign, θ0 + λ·merged. Reads the same
safetensors files (by byte range, float32) and writes the merged vector (raw float32) to --out, then prints
one JSON line: {"seconds", "cpu_seconds", "peak_rss_mib", "threads", "torch"}.

Usage: ties_merge.py --models DIR --tasks a,b,... --out FILE [--threshold 20] [--scaling 0.3] [--threads T]
"""

import argparse
import json
import os
import resource
import struct
import time

import numpy as np
import torch


def float_tensors(path):
    """name -> float32 numpy array of every F32 tensor of a safetensors file, read by byte range."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    header.pop("__metadata__", None)
    arrays = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            continue
        begin, end = entry["data_offsets"]
        arrays[name] = np.fromfile(path, dtype=np.float32, count=(end - begin) // 4, offset=8 + header_len + begin)
    return arrays


def flat(folder):
    arrays = float_tensors(os.path.join(folder, "model.safetensors"))
    return torch.from_numpy(np.concatenate([arrays[name] for name in sorted(arrays)]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", required=True)
    parser.add_argument("--tasks", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threshold", type=float, default=20)
    parser.add_argument("--scaling", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start, cpu_start = time.perf_counter(), time.process_time()
    pretrained = flat(os.path.join(args.models, "pretrained"))
    tasks = args.tasks.split(",")
    d = pretrained.numel()
    taus = torch.empty(len(tasks), d)
    for t, task in enumerate(tasks):
        torch.sub(flat(os.path.join(args.models, task)), pretrained, out=taus[t])
    kth = max(d - int(d * args.threshold / 100), 1)
    for t in range(len(tasks)):
        magnitudes = taus[t].abs()
        threshold = magnitudes.kthvalue(kth).values
        taus[t] *= magnitudes >= threshold
        del magnitudes
    signs = torch.sign(taus.sum(dim=0))
    signs[signs == 0] = torch.sign(signs.sum())
    merged = (taus * torch.where(signs > 0, taus > 0, taus < 0)).sum(dim=0)
    result = pretrained + args.scaling * merged
    result.numpy().tofile(args.out)
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - start,
                "cpu_seconds": time.process_time() - cpu_start,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
