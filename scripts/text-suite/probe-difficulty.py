"""Difficulty probe for the text suite's data (not part of the build; run by hand with Debian's python3).

For each task, trains on assets/text-suite/<task>/train.jsonl and scores test.jsonl with linear models on
bag-of-words features (scikit-learn, seed 0):
  - single-sentence tasks: the sentence's words (`bow`) or its words and word pairs (`bigram`);
  - pair tasks: the same features of each side apart, of the words both sides share and of the words only
    one side has, so a linear model can see what was kept and what was changed;
  - classifiers: logistic regression, accuracy; stsb: ridge regression, Spearman's rho.
`chance` is the majority class (classification) or 0 (Spearman). `rule` (qnli, rte): the accuracy of a few
lines that apply the task's skill to the text (skill_rules.py).
With --transformer (needs python3-torch) it also trains, per task, a small transformer encoder from scratch
(2 layers, d 96, words hashed into 4,096 buckets so an unseen word still matches itself across the two
sides; 8 epochs of Adam, seed 0) and scores it the same way (`transformer`), then applies each yes/no
model (mrpc, qqp, qnli, rte) to the other yes/no tasks, reading its answer as yes or no: a task's own
skill should not answer the others (`cross`).
With --router it only checks that the tasks' inputs tell the tasks apart without their prompts: a
logistic regression on the words and word pairs of a row's fields joined by " || " (no template), predicting the
task, trained on 500 train rows per task and scored on every test row.
Usage: /usr/bin/python3 scripts/text-suite/probe-difficulty.py [--transformer | --router] [task ...]
"""
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression, Ridge

from skill_rules import RULES

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {
    "cola": ["sentence"], "sst2": ["sentence"], "mrpc": ["sentence1", "sentence2"],
    "qqp": ["question1", "question2"], "qnli": ["question", "sentence"], "mnli": ["premise", "hypothesis"],
    "rte": ["sentence1", "sentence2"], "stsb": ["sentence1", "sentence2"],
}
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def read(task, split):
    lines = (ROOT / "assets" / "text-suite" / task / f"{split}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line]


def views(rows, fields):
    """Texts per feature group: each field, then (pairs) shared and one-sided words."""
    sides = [[r[f].lower() for r in rows] for f in fields]
    if len(fields) == 1:
        return sides
    shared, only = [], []
    for a, b in zip(*sides):
        wa, wb = set(WORD.findall(a)), set(WORD.findall(b))
        shared.append(" ".join(sorted(wa & wb)))
        only.append(" ".join(sorted(wa ^ wb)))
    return sides + [shared, only]


def features(train_views, test_views, ngrams):
    blocks_train, blocks_test = [], []
    for i, (tr, te) in enumerate(zip(train_views, test_views)):
        # Shared and one-sided words are sets, not sequences: unigrams only there.
        n = ngrams if i < len(train_views) - 2 or len(train_views) == 1 else 1
        vec = CountVectorizer(token_pattern=WORD.pattern, ngram_range=(1, n), binary=True, min_df=1)
        blocks_train.append(vec.fit_transform(tr))
        blocks_test.append(vec.transform(te))
    return hstack(blocks_train).tocsr(), hstack(blocks_test).tocsr()


def rule_accuracy(task, rows):
    return sum(RULES[task](r) == r["label"] for r in rows) / len(rows)


def probe(task):
    train, test = read(task, "train"), read(task, "test")
    y_train = np.array([r["label"] for r in train])
    y_test = np.array([r["label"] for r in test])
    out = {"task": task, "train": len(train), "test": len(test)}
    if task == "stsb":
        out["chance"] = 0.0
    else:
        out["chance"] = float(np.bincount(y_test.astype(int)).max() / len(y_test))
    for name, ngrams in (("bow", 1), ("bigram", 2)):
        x_train, x_test = features(views(train, FIELDS[task]), views(test, FIELDS[task]), ngrams)
        if task == "stsb":
            model = Ridge(alpha=1.0).fit(x_train, y_train)
            out[name] = float(spearmanr(model.predict(x_test), y_test).correlation)
        else:
            model = LogisticRegression(max_iter=2000, C=1.0, random_state=0).fit(x_train, y_train)
            out[name] = float((model.predict(x_test) == y_test).mean())
    return out


def router():
    texts, tasks = {"train": [], "test": []}, {"train": [], "test": []}
    for task, fields in FIELDS.items():
        for split in ("train", "test"):
            rows = read(task, split)[: 500 if split == "train" else None]
            texts[split] += [" || ".join(r[f] for f in fields) for r in rows]
            tasks[split] += [task] * len(rows)
    vec = CountVectorizer(token_pattern=r"[A-Za-z0-9]+|[^\sA-Za-z0-9]", lowercase=False, ngram_range=(1, 2))
    model = LogisticRegression(max_iter=2000, random_state=0).fit(vec.fit_transform(texts["train"]), tasks["train"])
    predicted = model.predict(vec.transform(texts["test"]))
    print("| task | routed to its own task |")
    print("| --- | --- |")
    for task in FIELDS:
        mine = [p for p, t in zip(predicted, tasks["test"]) if t == task]
        print(f"| {task} | {sum(p == task for p in mine) / len(mine):.3f} |")


def main():
    args = sys.argv[1:]
    if "--router" in args:
        router()
        return
    transformer = "--transformer" in args
    tasks = [a for a in args if a != "--transformer"] or list(FIELDS)
    head = "| task | train | test | chance | bow | bigram | rule |" + (" transformer |" if transformer else "")
    print(head)
    print("| --- " * (head.count("|") - 1) + "|")
    models = {}
    for task in tasks:
        began = time.time()
        r = probe(task)
        line = f"| {task} | {r['train']} | {r['test']} | {r['chance']:.3f} | {r['bow']:.3f} | {r['bigram']:.3f} |"
        line += f" {rule_accuracy(task, read(task, 'test')):.3f} |" if task in RULES else " — |"
        if transformer:
            from transformer_probe import train_and_score
            models[task], score = train_and_score(task, read(task, "train"), read(task, "test"), FIELDS[task])
            line += f" {score:.3f} |"
        print(f"{line}  <!-- {time.time() - began:.1f} s -->", flush=True)
    if transformer:
        from transformer_probe import cross_task
        cross_task(models, read, FIELDS)


if __name__ == "__main__":
    main()
