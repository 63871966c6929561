"""Shared set-up of the fast PyTorch peers (clip_forward_fast.py, wemoe_tta_fast.py, gemm_peak.py).

`import_torch(threads)` must run before anything imports torch: Debian's python3-torch does its GEMMs in
the pthread build of OpenBLAS, whose thread count torch.set_num_threads does not change, and OpenMP reads
its settings once at load. So the thread counts go into the environment first, then torch is imported,
then both pools are set explicitly (OpenBLAS through its C entry point).
"""

import ctypes
import json
import os
import struct

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def import_torch(threads):
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    # Idle OpenMP threads sleep instead of spinning: the cores are shared with the other side's process.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    for library in _openblas_libraries():
        if hasattr(library, "openblas_set_num_threads"):
            library.openblas_set_num_threads(threads)
    return torch


def openblas_threads():
    """OpenBLAS's thread count as the library reports it (None without OpenBLAS)."""
    for library in _openblas_libraries():
        if hasattr(library, "openblas_get_num_threads"):
            return library.openblas_get_num_threads()
    return None


def _openblas_libraries():
    """The OpenBLAS shared objects loaded into this process (torch's BLAS)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "openblas" in line and ".so" in line}
    return [ctypes.CDLL(path) for path in sorted(paths)]


def read_safetensors(path):
    """name -> numpy array (floats as float32, I64 as int64), each read by byte range."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    header.pop("__metadata__", None)
    arrays = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = np.dtype(DTYPES[entry["dtype"]])
        count = (end - begin) // dtype.itemsize
        array = np.fromfile(path, dtype=dtype, count=count, offset=8 + header_len + begin)
        if entry["dtype"] != "I64":
            array = array.astype(np.float32, copy=False)
        arrays[name] = array.reshape(entry["shape"])
    return arrays


def read_folder(path):
    """All tensors of a folder's model.safetensors or its shards (model-00001-of-0000N.safetensors)."""
    files = sorted(f for f in os.listdir(path) if f.startswith("model") and f.endswith(".safetensors"))
    arrays = {}
    for f in files:
        arrays.update(read_safetensors(os.path.join(path, f)))
    return arrays
