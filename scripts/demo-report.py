#!/usr/bin/env python3
"""Results table, report.md and plots of one scripts/demo run.

Why a separate script: scripts/demo stays a readable list of xlm commands,
and everything the report says is read from the structured files those
commands write (metrics.jsonl and trainer.json of `xlm train`, results.json
of `xlm finetune`, the --json of `xlm wordemb`), never from their free-text
logs. Standard library plus matplotlib (Debian's python3-matplotlib) for the
PNGs, drawn with the Agg backend so that no display is needed.

    scripts/demo-report.py --work WORK --dump DUMP [--profile ...] [--device ...] ...

Writes DUMP/report.md, DUMP/pretrain_loss.png, DUMP/mt_loss.png and
DUMP/topics_accuracy.png, and prints the table.
"""
import argparse
import glob
import json
import math
import os
import sys

ENCODERS = [("random", "random init"), ("mlm", "MLM"), ("tlm", "MLM+TLM"), ("clm", "CLM")]
MISSING = "–"  # a cell outside the paper's comparison (not run)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def last_trainer_state(run_dir):
    """trainer.json of the newest checkpoint of an `xlm train` run folder."""
    states = sorted(glob.glob(os.path.join(run_dir, "checkpoints", "checkpoint-*", "trainer.json")))
    if not states:
        sys.exit(f"demo-report: {run_dir} has no checkpoint (did the run finish?)")
    return read_json(states[-1])


def updates_per_iteration(run_dir):
    state = last_trainer_state(run_dir)
    return state["optimizer"]["n_updates"] / max(1, state["n_total_iter"]), state["optimizer"]["n_updates"]


def last_eval(run_dir, split):
    """The last `split` line (valid or test) of a run's metrics.jsonl."""
    rows = [r for r in read_jsonl(os.path.join(run_dir, "metrics.jsonl")) if r["split"] == split]
    if not rows:
        sys.exit(f"demo-report: {run_dir}/metrics.jsonl has no {split} line")
    return rows[-1]


def fmt(value, digits=1):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    return f"{value:.{digits}f}"


def collect(dump, args):
    """Every number of the table, as {row label: {encoder id: value}}."""
    table = {}
    updates = {}
    for enc, _ in ENCODERS:
        updates[enc] = updates_per_iteration(os.path.join(dump, "pretrain", enc))[1]
    table["pretraining updates"] = {e: (0 if e == "random" else updates[e]) for e, _ in ENCODERS}

    topics = {e: read_json(os.path.join(dump, "topics", e, "results.json")) for e, _ in ENCODERS}
    table["topics acc. en (%, fine-tuned)"] = {e: topics[e]["best"]["test_acc"]["en"] for e, _ in ENCODERS}
    for lg in ("fr", "de"):
        table[f"topics acc. {lg} (%, zero-shot)"] = {e: topics[e]["best"]["test_acc"][lg] for e, _ in ENCODERS}
    for lg in ("fr", "de"):
        table[f"word translation P@1 en-{lg} (%)"] = {
            e: read_json(os.path.join(dump, "wordemb", f"{e}.en-{lg}.json"))["p_at_1"] for e, _ in ENCODERS}

    mt = {name: last_eval(os.path.join(dump, "mt", name), "test") for name in ("sup-random", "sup-mlm", "unsup-tlm")}
    table[f"en->fr BLEU, supervised ({args.mt_updates} updates)"] = {
        "random": mt["sup-random"]["test_en-fr_mt_bleu"], "mlm": mt["sup-mlm"]["test_en-fr_mt_bleu"]}
    table[f"en->fr BLEU, unsupervised ({args.unsup_updates} updates)"] = {"tlm": mt["unsup-tlm"]["test_en-fr_mt_bleu"]}
    return table, topics, mt


def markdown_table(table):
    head = "| measure | " + " | ".join(label for _, label in ENCODERS) + " |"
    sep = "|---|" + "---|" * len(ENCODERS)
    lines = [head, sep]
    for row, cells in table.items():
        digits = 0 if row == "pretraining updates" else (2 if "BLEU" in row else 1)
        values = [fmt(cells[e], digits) if e in cells else MISSING for e, _ in ENCODERS]
        lines.append(f"| {row} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def findings(table, args):
    """The paper's comparisons, each as (claim, difference here, reproduced?)."""
    zs = {e: (table["topics acc. fr (%, zero-shot)"][e] + table["topics acc. de (%, zero-shot)"][e]) / 2
          for e, _ in ENCODERS}
    p1 = {e: (table["word translation P@1 en-fr (%)"][e] + table["word translation P@1 en-de (%)"][e]) / 2
          for e, _ in ENCODERS}
    sup = table[f"en->fr BLEU, supervised ({args.mt_updates} updates)"]
    out = [
        ("MLM pretraining beats no pretraining at zero-shot transfer (mean of fr, de accuracy)",
         zs["mlm"] - zs["random"], "points"),
        ("MLM+TLM beats MLM at zero-shot transfer (the paper's TLM gain on XNLI)", zs["tlm"] - zs["mlm"], "points"),
        ("MLM beats CLM at zero-shot transfer", zs["mlm"] - zs["clm"], "points"),
        ("MLM initialisation beats random initialisation in supervised en->fr", sup["mlm"] - sup["random"], "BLEU"),
        ("MLM embeddings align words across languages better than random ones (mean P@1 en-fr, en-de)",
         p1["mlm"] - p1["random"], "points"),
    ]
    return out


def plot_pretrain(dump, path, plt):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for enc, label in ENCODERS[1:]:
        run = os.path.join(dump, "pretrain", enc)
        per_iter, _ = updates_per_iteration(run)
        rows = read_jsonl(os.path.join(run, "metrics.jsonl"))
        train = [r for r in rows if r["split"] == "train"]
        # a line holds the steps that ran since the previous one (one may be
        # missing, e.g. at a small file's epoch boundary): average what is there
        keys = sorted({k for r in train for k in r if k.startswith(("mlm_", "clm_"))})
        xs = [r["step"] * per_iter for r in train]
        groups = [([k for k in keys if "-" not in k], f"{'CLM' if enc == 'clm' else 'MLM'} loss, mean over en/fr/de", ".-"),
                  ([k for k in keys if "-" in k], "TLM loss, mean over pairs", ".--")]
        for group, what, style in groups:
            points = [(x, [r[k] for k in group if r.get(k) is not None]) for x, r in zip(xs, train)]
            points = [(x, sum(v) / len(v)) for x, v in points if v]
            if points:
                axes[0].plot([x for x, _ in points], [y for _, y in points], style, label=f"{label} ({what})")
        valid = [r for r in rows if r["split"] == "valid"]
        metric = "valid_clm_ppl" if enc == "clm" else "valid_mlm_ppl"
        axes[1].plot([r["step"] * per_iter for r in valid], [r[metric] for r in valid], "o-",
                     label=f"{label} ({metric})")
    axes[0].set(xlabel="optimizer updates", ylabel="training loss (nats per predicted word)",
                title="Pretraining loss")
    axes[1].set(xlabel="optimizer updates", ylabel="perplexity", yscale="log",
                title="Validation perplexity (CLM and MLM are not comparable)")
    for ax in axes:
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_mt(dump, path, plt):
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = {"sup-random": "supervised, random init", "sup-mlm": "supervised, MLM init",
              "unsup-tlm": "unsupervised, MLM+TLM init"}
    for name, label in labels.items():
        run = os.path.join(dump, "mt", name)
        per_iter, _ = updates_per_iteration(run)
        train = [r for r in read_jsonl(os.path.join(run, "metrics.jsonl")) if r["split"] == "train"]
        for key in sorted({k for r in train for k in r if k.startswith(("mt_", "ae_", "bt_"))}):
            points = [(r["step"] * per_iter, r[key]) for r in train if r.get(key) is not None]
            ax.plot([x for x, _ in points], [y for _, y in points], ".-", label=f"{label}: {key}")
    ax.set(xlabel="optimizer updates", ylabel="training loss (nats per target word)", title="Translation training loss")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_topics(topics, path, plt):
    fig, ax = plt.subplots(figsize=(7, 4))
    langs = ["en", "fr", "de"]
    width = 0.8 / len(ENCODERS)
    for i, (enc, label) in enumerate(ENCODERS):
        acc = [topics[enc]["best"]["test_acc"][lg] for lg in langs]
        ax.bar([j + i * width for j in range(len(langs))], acc, width, label=label)
    ax.set_xticks([j + width * (len(ENCODERS) - 1) / 2 for j in range(len(langs))])
    ax.set_xticklabels(["en (fine-tuned)", "fr (zero-shot)", "de (zero-shot)"])
    ax.axhline(100 / 13, color="gray", linestyle=":", label="chance (13 classes)")
    ax.set(ylabel="test accuracy (%) at the best English valid epoch", title="Topic classification")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", required=True, help="scripts/demo's work folder (commands.txt, timings.tsv)")
    p.add_argument("--dump", required=True, help="the runs' --dump_path; the report is written here")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--device", default="cpu")
    p.add_argument("--commit", default="unknown")
    p.add_argument("--updates", type=int, default=0)
    p.add_argument("--mt_updates", type=int, default=0)
    p.add_argument("--unsup_updates", type=int, default=0)
    p.add_argument("--model", default="")
    p.add_argument("--merges", default="")
    p.add_argument("--fixture", default="0", help="1 when the committed fixtures replaced the Debian text")
    p.add_argument("--wall_s", type=int, default=0, help="wall time of the run before the report")
    args = p.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table, topics, _ = collect(args.dump, args)
    text = markdown_table(table)
    print(text)
    plot_pretrain(args.dump, os.path.join(args.dump, "pretrain_loss.png"), plt)
    plot_mt(args.dump, os.path.join(args.dump, "mt_loss.png"), plt)
    plot_topics(topics, os.path.join(args.dump, "topics_accuracy.png"), plt)

    with open(os.path.join(args.work, "commands.txt"), encoding="utf-8") as f:
        commands = f.read().rstrip("\n")
    timings = []
    with open(os.path.join(args.work, "timings.tsv"), encoding="utf-8") as f:
        for line in f:
            name, seconds = line.rstrip("\n").split("\t")
            timings.append((name, int(seconds)))
    vocab_path = os.path.join(args.work, "data", "vocab")
    with open(vocab_path, encoding="utf-8") as f:
        vocab_words = sum(1 for _ in f)
    source = "the committed fixtures (tests/fixtures)" if args.fixture == "1" else "`xlm data debian` (Debian packages)"

    out = [
        "# scripts/demo report",
        "",
        f"Profile `{args.profile}` on `{args.device}`, commit `{args.commit}`, "
        f"wall time {args.wall_s // 60} min {args.wall_s % 60} s (build excluded).",
        f"Text: {source}; joint BPE of {args.merges} merges, {vocab_words} vocabulary words. "
        f"Model: `{args.model}`; {args.updates} optimizer updates per pretrained encoder.",
        "",
        "## Results",
        "",
        "Topic accuracy is the test accuracy at the epoch of best English valid accuracy "
        "(13 classes, chance 7.7%); fr and de are never seen in fine-tuning. BLEU is the test "
        "BLEU of the last evaluation (greedy, tokenized text). The random encoder is the "
        "pretrained encoders' common initialisation. `–`: not part of the comparison.",
        "",
        text,
        "",
        "## The paper's comparisons at this scale",
        "",
        "| claim (Lample & Conneau 2019) | difference here | same direction |",
        "|---|---|---|",
    ]
    for claim, diff, unit in findings(table, args):
        out.append(f"| {claim} | {diff:+.2f} {unit} | {'yes' if diff > 0 else ('tie' if diff == 0 else 'no')} |")
    out += [
        "",
        "## Plots",
        "",
        "![pretraining loss](pretrain_loss.png)",
        "",
        "![topic accuracy](topics_accuracy.png)",
        "",
        "![translation loss](mt_loss.png)",
        "",
        "## Wall time per command (seconds)",
        "",
        "| command | s |",
        "|---|---|",
    ]
    out += [f"| {name} | {seconds} |" for name, seconds in timings]
    out += ["", "## Commands", "", "```sh", commands, "```", ""]
    with open(os.path.join(args.dump, "report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    print(f"report: {os.path.join(args.dump, 'report.md')}")


if __name__ == "__main__":
    main()
