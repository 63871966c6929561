"""The transformer half of probe-difficulty.py: a small encoder trained from scratch per task (PyTorch CPU)."""
import re
import zlib

import numpy as np
import torch
from scipy.stats import spearmanr
from torch import nn

BUCKETS = 4096
MAX_LEN = 96
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
# The class index that means "yes" in each yes/no task (GLUE's codes).
YES = {"mrpc": 1, "qqp": 1, "qnli": 0, "rte": 0}


def encode(row, fields):
    """[CLS] side one [SEP] side two, hashed word ids (1.. BUCKETS-1; 0 pads), with segment ids."""
    ids, segments = [1], [0]
    for s, field in enumerate(fields):
        for word in TOKEN.findall(row[field].lower()):
            ids.append(2 + zlib.crc32(word.encode()) % (BUCKETS - 2))
            segments.append(s)
        ids.append(1)
        segments.append(s)
    return ids[:MAX_LEN], segments[:MAX_LEN]


def batchify(rows, fields):
    encoded = [encode(r, fields) for r in rows]
    length = max(len(ids) for ids, _ in encoded)
    ids = torch.zeros(len(rows), length, dtype=torch.long)
    segs = torch.zeros(len(rows), length, dtype=torch.long)
    for i, (a, b) in enumerate(encoded):
        ids[i, : len(a)] = torch.tensor(a)
        segs[i, : len(b)] = torch.tensor(b)
    return ids, segs


class Encoder(nn.Module):
    def __init__(self, outputs, d=96):
        super().__init__()
        self.words = nn.Embedding(BUCKETS, d, padding_idx=0)
        self.segments = nn.Embedding(2, d)
        self.positions = nn.Embedding(MAX_LEN, d)
        layer = nn.TransformerEncoderLayer(d, 4, 192, dropout=0.1, batch_first=True)
        self.layers = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(d, outputs)

    def forward(self, ids, segs):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.words(ids) + self.segments(segs) + self.positions(positions)
        x = self.layers(x, src_key_padding_mask=ids == 0)
        return self.head(x[:, 0])


def predict(model, rows, fields):
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), 256):
            out.append(model(*batchify(rows[start : start + 256], fields)))
    return torch.cat(out)


def train_and_score(task, train, test, fields, epochs=8):
    torch.manual_seed(0)
    regression = task == "stsb"
    classes = 1 if regression else int(max(r["label"] for r in train)) + 1
    model = Encoder(classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
    labels = torch.tensor([r["label"] for r in train], dtype=torch.float32 if regression else torch.long)
    generator = np.random.default_rng(0)
    for _ in range(epochs):
        model.train()
        order = generator.permutation(len(train))
        for start in range(0, len(train), 32):
            pick = order[start : start + 32]
            logits = model(*batchify([train[i] for i in pick], fields))
            if regression:
                loss = nn.functional.mse_loss(logits[:, 0], labels[pick])
            else:
                loss = nn.functional.cross_entropy(logits, labels[pick])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    out = predict(model, test, fields)
    gold = np.array([r["label"] for r in test])
    if regression:
        return model, float(spearmanr(out[:, 0].numpy(), gold).correlation)
    return model, float((out.argmax(1).numpy() == gold).mean())


def cross_task(models, read, fields):
    tasks = [t for t in YES if t in models]
    if len(tasks) < 2:
        return
    print("\nyes/no agreement of each model (row) with each task's answers (column), test splits:\n")
    print("| model / task | " + " | ".join(tasks) + " |")
    print("| --- " * (len(tasks) + 1) + "|")
    for source in tasks:
        cells = []
        for target in tasks:
            test = read(target, "test")
            # The target's rows under the source's field names, side by side.
            rows = [{fields[source][i]: r[f] for i, f in enumerate(fields[target])} for r in test]
            said_yes = predict(models[source], rows, fields[source]).argmax(1).numpy() == YES[source]
            is_yes = np.array([r["label"] for r in test]) == YES[target]
            cells.append(f"{(said_yes == is_yes).mean():.3f}")
        print(f"| {source} | " + " | ".join(cells) + " |")
