#!/usr/bin/env python3
"""Checks the report a `scripts/demo` run wrote into its dump folder.

Why these checks: the demo's value is the table, so the test requires every
row of it, a number in every cell the pipeline measures (and the `–` marker
exactly where a run is not part of the comparison), equal pretraining
budgets for the three objectives, and the three PNG plots as real PNG files
linked from report.md. Standard library only.

    tests/demo/check_demo_report.py DUMP_DIR
"""
import math
import os
import re
import sys

COLUMNS = ["random init", "MLM", "MLM+TLM", "CLM"]
ALL = set(COLUMNS)
# row label (a prefix: the BLEU rows carry their update counts) -> columns that must hold a number
ROWS = {
    "pretraining updates": ALL,
    "topics acc. en (%, fine-tuned)": ALL,
    "topics acc. fr (%, zero-shot)": ALL,
    "topics acc. de (%, zero-shot)": ALL,
    "word translation P@1 en-fr (%)": ALL,
    "word translation P@1 en-de (%)": ALL,
    "en->fr BLEU, supervised": {"random init", "MLM"},
    "en->fr BLEU, unsupervised": {"MLM+TLM"},
}
PLOTS = ["pretrain_loss.png", "topics_accuracy.png", "mt_loss.png"]


def fail(message):
    sys.exit(f"check_demo_report: {message}")


def main():
    if len(sys.argv) != 2:
        fail("usage: check_demo_report.py DUMP_DIR")
    dump = sys.argv[1]
    path = os.path.join(dump, "report.md")
    if not os.path.isfile(path):
        fail(f"{path} is missing")
    with open(path, encoding="utf-8") as f:
        report = f.read()

    lines = report.splitlines()
    header = "| measure | " + " | ".join(COLUMNS) + " |"
    if header not in lines:
        fail(f"{path}: no results table with the header {header!r}")
    rows = {}
    for line in lines[lines.index(header) + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(COLUMNS) + 1:
            fail(f"{path}: table row {line!r} has {len(cells)} cells, expected {len(COLUMNS) + 1}")
        rows[cells[0]] = dict(zip(COLUMNS, cells[1:]))

    for prefix, numeric in ROWS.items():
        match = [label for label in rows if label.startswith(prefix)]
        if len(match) != 1:
            fail(f"{path}: expected one table row starting {prefix!r}, found {match}")
        cells = rows[match[0]]
        for column in COLUMNS:
            cell = cells[column]
            if column in numeric:
                try:
                    value = float(cell)
                except ValueError:
                    fail(f"{path}: row {match[0]!r}, column {column!r}: {cell!r} is not a number")
                if not math.isfinite(value) or value < 0:
                    fail(f"{path}: row {match[0]!r}, column {column!r}: {cell!r} is not a finite non-negative number")
                if "%" in match[0] and value > 100:
                    fail(f"{path}: row {match[0]!r}, column {column!r}: {cell!r} is not a percentage")
            elif cell != "–":
                fail(f"{path}: row {match[0]!r}, column {column!r}: expected '–' (not run), found {cell!r}")
    if len(rows) != len(ROWS):
        fail(f"{path}: the table has {len(rows)} rows, expected {len(ROWS)}: {sorted(rows)}")

    updates = rows["pretraining updates"]
    if float(updates["random init"]) != 0:
        fail(f"{path}: the random encoder should have 0 pretraining updates, found {updates['random init']}")
    budgets = {updates[c] for c in ("MLM", "MLM+TLM", "CLM")}
    if len(budgets) != 1 or float(budgets.pop()) <= 0:
        fail(f"{path}: the three pretrained encoders should have the same positive number of updates: {updates}")

    for name in PLOTS:
        png = os.path.join(dump, name)
        if not os.path.isfile(png):
            fail(f"{png} is missing")
        with open(png, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                fail(f"{png} is not a PNG file")
        if not re.search(r"!\[[^\]]*\]\(" + re.escape(name) + r"\)", report):
            fail(f"{path} does not show {name}")
    if "## Commands" not in report or not re.search(r"xlm train .*--mlm_steps", report):
        fail(f"{path}: no commands section listing the xlm commands")
    print(f"check_demo_report: {path}: {len(rows)} rows, {len(PLOTS)} plots: ok")


if __name__ == "__main__":
    main()
