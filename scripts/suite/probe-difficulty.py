"""Difficulty probe for the suite's data (not part of the build; run by hand with Debian's python3).

For each task, trains on .cache/suite/<task>/train.safetensors and reports test accuracy of
  - `linear`: multinomial logistic regression on the top 128 principal components of the pixels
    (scikit-learn), a stand-in for "generic features + a linear head", and
  - `cnn`: a small 3-block CNN trained from scratch with Adam (PyTorch, CPU), a rough stand-in for
    the "small network trained on the task" that the suite's experts are.
Usage: /usr/bin/python3 scripts/suite/probe-difficulty.py [task ...]   (needs python3-torch, python3-sklearn)
"""
import json
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[2]
TASKS = ["mnist", "fashion", "uci-digits", "letters", "house-digits", "greek", "kana", "shapes"]


def read_split(path):
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    data = raw[8 + header_len :]

    def tensor(name):
        entry = header[name]
        begin, end = entry["data_offsets"]
        return np.frombuffer(data[begin:end], dtype=np.uint8).reshape(entry["shape"])

    classes = json.loads(header["__metadata__"]["classes"])
    return tensor("images").astype(np.float32) / 255.0, tensor("labels").astype(np.int64), classes


def linear_accuracy(x_train, y_train, x_test, y_test):
    model = make_pipeline(PCA(128, random_state=0), StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(x_train.reshape(len(x_train), -1), y_train)
    return model.score(x_test.reshape(len(x_test), -1), y_test)


def cnn_accuracy(x_train, y_train, x_test, y_test, classes, epochs=6):
    torch.manual_seed(0)
    c = x_train.shape[1]
    block = lambda i, o: [torch.nn.Conv2d(i, o, 3, padding=1), torch.nn.BatchNorm2d(o), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
    layers = [*block(c, 16), *block(16, 32), *block(32, 64), torch.nn.Flatten(), torch.nn.Linear(64 * 16, classes)]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    xs, ys = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xs))
        for start in range(0, len(xs), 128):
            batch = order[start : start + 128]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xs[batch]), ys[batch]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        predictions = model(torch.from_numpy(x_test)).argmax(1).numpy()
    return float((predictions == y_test).mean())


def main():
    torch.set_num_threads(2)
    for task in sys.argv[1:] or TASKS:
        started = time.time()
        x_train, y_train, classes = read_split(ROOT / ".cache" / "suite" / task / "train.safetensors")
        x_test, y_test, _ = read_split(ROOT / "assets" / "suite" / task / "test.safetensors")
        linear = linear_accuracy(x_train, y_train, x_test, y_test)
        cnn = cnn_accuracy(x_train, y_train, x_test, y_test, len(classes))
        print(f"{task:13s} linear {linear:.3f}  cnn {cnn:.3f}  ({time.time() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
