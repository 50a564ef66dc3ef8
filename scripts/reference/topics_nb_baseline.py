#!/usr/bin/env python3
"""Bag-of-words multinomial naive Bayes on a topic-set folder (docs/data.md).

Why: the committed topic fixture has 4 English training examples per class
(13 classes); this gives the accuracy a simple classifier reaches on it, the
yardstick docs/tasks.md quotes for what `xlm finetune` can be expected to do
on that fixture. Standard library only.

    scripts/reference/topics_nb_baseline.py tests/fixtures/corpus/topics
"""
import collections
import math
import re
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    with open(path + ".label", encoding="utf-8") as f:
        labels = [line.strip() for line in f]
    return texts, labels


def words(text):
    return re.findall(r"\w+", text.lower())


def main(folder):
    train, train_y = load(f"{folder}/train.en")
    counts = collections.defaultdict(collections.Counter)
    for text, y in zip(train, train_y):
        counts[y].update(words(text))
    classes = sorted(counts)
    vocab = set(w for c in classes for w in counts[c])
    totals = {c: sum(counts[c].values()) for c in classes}
    alpha = 0.1

    def predict(text):
        def score(c):
            return sum(math.log((counts[c][w] + alpha) / (totals[c] + alpha * len(vocab)))
                       for w in words(text) if w in vocab)
        return max(classes, key=score)

    for split in ["valid.en", "test.en"]:
        texts, ys = load(f"{folder}/{split}")
        acc = 100.0 * sum(predict(t) == y for t, y in zip(texts, ys)) / len(ys)
        print(f"{split}: {acc:.1f}% ({len(ys)} examples, chance {100.0 / len(classes):.1f}%)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/corpus/topics")
