#!/usr/bin/env python3
"""First-step (and eighth-step) MLM loss of `xlm bench train` against the PyTorch peer.

Why this exists: the first loss of a freshly initialised XLM model is not
ln(n_words) + s^2/2. The output layer is tied to the word table, so a
position's own input word gets a logit near |LN(e_w + p_t)| |e_w| ~ 11 on
the tiny shape, far above the others (std ~1): kept words cost ~0.3 nats,
and the 80% of predicted positions that read <mask> lose ~11 nats to the
<mask> row's own logit. That logit grows with the squared norm of one random
row, so the first loss moves by ~0.6 nats (one standard deviation) from
seed to seed (docs/model.md, "Initialisation"): two engines' single-seed
first losses say nothing about their initialisation. This script therefore
checks
  1. the rule: every parameter `xlm bench train` starts from
     (--dump_start) and every parameter of the peer's own model follows
     XLM's initialisation (normal tables: std within 3%; uniforms: inside the
     bound, variance within 3% of b^2/3, on tensors of >= 10k values; pad
     row zero; LayerNorm 1 / 0; tied output weight);
  2. the batches: the predicted fraction and the <mask> / kept / random
     shares of each of the four distinct batches are XLM's 0.15 and
     80/10/10 within 4 standard errors;
  3. the loss: the peer started from our parameters on our batches
     (torch_train_step.py --load_start) gives our first-step loss, and our
     loss after 8 steps (same batches, Adam, clipping; dropout off), within
     0.05 nats.
With --seeds N it also surveys N seeds (no pass/fail): our first loss and
the peer's own initialisation's on our batch, each with the norm of its
<mask> embedding row; means, standard errors, standard deviations and the
correlation of loss and norm.

Usage (python3 with torch):
  python3 scripts/reference/first_step_check.py --xlm build/xlm [--seed 0] [--seeds N]
The test suite runs it (ctest `first_step_parity`; exit 77 = skipped
without torch, through scripts/reference/first-step-test).
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "..", "..", "benchmarks", "peers", "torch_train_step.py")
sys.path.insert(0, os.path.dirname(PEER))
import torch_train_step as peer  # noqa: E402

STATS_MIN = 10000  # statistics only on tensors at least this large
BENCH = ["bench", "train", "--shape", "tiny", "--device", "cpu", "--warmup", "0", "--dropout", "0",
         "--attention_dropout", "0"]
PEER_ARGS = ["--shape", "tiny", "--device", "cpu", "--threads", "1", "--warmup", "0", "--dropout", "0",
             "--attention_dropout", "0"]
TOLERANCE = 0.05  # nats
LOSS = re.compile(r"last loss (\S+)")


def xlm_rule(name, dim):
    """(kind, scale) of XLM's initialisation for a parameter name (src/model/transformer.py)."""
    if name in ("embeddings.weight", "position_embeddings.weight", "lang_embeddings.weight"):
        return "normal", dim ** -0.5
    if name == "pred_layer.proj.weight":
        return "tied", 0
    if name == "pred_layer.proj.bias":
        return "uniform", dim ** -0.5
    if name.startswith("layer_norm"):
        return ("ones" if name.endswith(".weight") else "zeros"), 0
    if "_lin." in name or ".lin1." in name:
        return "uniform", dim ** -0.5
    if ".lin2." in name:
        return "uniform", (4 * dim) ** -0.5
    raise SystemExit(f"first_step_check: no XLM initialisation rule for {name}")


def rule_errors(named, dim, who):
    """Messages for every parameter of `named` ({name: tensor}) that breaks XLM's rule."""
    errors = []
    emb = named["embeddings.weight"].double()
    for name, t in named.items():
        kind, scale = xlm_rule(name, dim)
        v = t.detach().double()
        if kind == "ones" and not bool((v == 1).all()):
            errors.append(f"{who} {name}: not all ones")
        elif kind == "zeros" and not bool((v == 0).all()):
            errors.append(f"{who} {name}: not all zeros")
        elif kind == "tied" and not torch.equal(v, emb):
            errors.append(f"{who} {name}: differs from embeddings.weight")
        elif kind == "normal":
            if name == "embeddings.weight":
                if not bool((v[peer.PAD] == 0).all()):
                    errors.append(f"{who} {name}: pad row {peer.PAD} is not zero")
                v = torch.cat([v[:peer.PAD], v[peer.PAD + 1:]])
            if v.numel() >= STATS_MIN and abs(v.std().item() / scale - 1) > 0.03:
                errors.append(f"{who} {name}: std {v.std().item():.5f}, XLM's rule {scale:.5f} (3%)")
        elif kind == "uniform":
            if v.abs().max().item() > scale:
                errors.append(f"{who} {name}: |value| up to {v.abs().max().item():.5f}, bound {scale:.5f}")
            if v.numel() >= STATS_MIN and abs(v.var().item() / (scale * scale / 3) - 1) > 0.03:
                errors.append(f"{who} {name}: variance {v.var().item():.3e}, XLM's b^2/3 {scale * scale / 3:.3e} (3%)")
    return errors


def masking_errors(batch, word_pred=0.15, shares=(0.8, 0.1, 0.1)):
    """XLM's masking rates on one of our batches ({name: tensor}), each within 4 binomial standard errors."""
    words, pred_index, targets = batch["words"], batch["pred_index"], batch["targets"]
    cells, n = words.numel(), pred_index.numel()
    inputs = words.reshape(-1)[pred_index]
    observed = {"predicted": (n / cells, word_pred, cells),
                "<mask>": (float((inputs == peer.MASK).sum()) / n, shares[0], n),
                "kept": (float((inputs == targets).sum()) / n, shares[1], n),
                "random": (float(((inputs != peer.MASK) & (inputs != targets)).sum()) / n, shares[2], n)}
    errors = []
    for what, (got, want, count) in observed.items():
        se = math.sqrt(want * (1 - want) / count)
        if abs(got - want) > 4 * se:
            errors.append(f"batch: {what} fraction {got:.4f}, XLM's {want} (4 standard errors = {4 * se:.4f})")
    return errors


def run_ours(xlm, seed, directory, steps=1):
    cmd = [xlm] + BENCH + ["--steps", str(steps), "--seed", str(seed), "--dump_start", directory]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    if proc.returncode != 0:
        raise SystemExit(f"first_step_check: {' '.join(cmd)} failed:\n{proc.stderr}")
    return float(LOSS.search(proc.stdout).group(1))


def run_peer(directory, steps=1):
    cmd = [sys.executable, PEER] + PEER_ARGS + ["--steps", str(steps), "--load_start", directory]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"first_step_check: {' '.join(cmd)} failed:\n{proc.stderr}")
    return float(LOSS.search(proc.stdout).group(1))


def peer_model(seed):
    """The peer's own model for the tiny shape, initialised by its (XLM's) rule from torch seed `seed`."""
    s = peer.SHAPES["tiny"]
    torch.manual_seed(seed)
    return peer.XlmModel(s["n_words"], s["emb_dim"], s["n_layers"], s["n_heads"], s["n_langs"], 0.0, 0.0, True, True,
                         max(512, s["bptt"]))


def own_init_loss(seed, directory):
    """(first-step loss, |e_<mask>|) of the peer's own initialisation (torch seed `seed`) on our first batch."""
    model = peer_model(seed)
    model.eval()
    words, positions, langs, pred_index, targets = peer.read_batches(directory)[0]
    with torch.no_grad():
        loss = model(words, positions, langs, None, pred_index, targets).item()
        return loss, model.embeddings.weight[peer.MASK].double().norm().item()


def mean_sd(values):
    m = sum(values) / len(values)
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / max(1, len(values) - 1))


def correlation(xs, ys):
    (mx, sx), (my, sy) = mean_sd(xs), mean_sd(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / ((len(xs) - 1) * sx * sy)


def survey(xlm, seeds, tmp):
    print("seed  xlm loss |e_mask|   peer-init loss |e_mask|   (both on our first batch)")
    rows = []
    for seed in range(seeds):
        d = os.path.join(tmp, f"s{seed}")
        ours = run_ours(xlm, seed, d)
        norm = peer.read_safetensors(os.path.join(d, "model.safetensors"))["embeddings.weight"][peer.MASK]
        rows.append((ours, norm.double().norm().item()) + own_init_loss(seed, d))
        print(f"{seed:4d}  {rows[-1][0]:8.4f} {rows[-1][1]:8.4f}   {rows[-1][2]:14.4f} {rows[-1][3]:8.4f}", flush=True)
    n = len(rows)
    for who, loss, norm in (("xlm", 0, 1), ("peer's init", 2, 3)):
        m, sd = mean_sd([r[loss] for r in rows])
        line = f"{who}: mean first loss {m:.3f} +- {sd / math.sqrt(n):.3f} (standard error), sd {sd:.3f}"
        if n > 2:
            line += f", correlation with |e_mask| {correlation([r[loss] for r in rows], [r[norm] for r in rows]):.2f}"
        print(line)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--xlm", required=True, help="the xlm binary")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=0, help="also survey this many seeds (0..N-1)")
    args = p.parse_args()
    torch.set_num_threads(1)
    dim = peer.SHAPES["tiny"]["emb_dim"]

    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "start")
        errors = []
        for steps in (1, 8):  # each run dumps the same start (same seed)
            ours = run_ours(args.xlm, args.seed, directory, steps)
            theirs = run_peer(directory, steps)
            print(f"seed {args.seed}, step {steps}: xlm loss {ours:.4f}, peer from the same parameters and batches "
                  f"{theirs:.4f} (|difference| {abs(ours - theirs):.2e}, tolerance {TOLERANCE})")
            if not abs(ours - theirs) <= TOLERANCE:
                errors.append(f"loss at step {steps}: xlm {ours:.4f}, peer {theirs:.4f}")
        errors += rule_errors(peer.read_safetensors(os.path.join(directory, "model.safetensors")), dim, "xlm")
        own = peer_model(args.seed)
        named = dict(own.xlm_named_tensors())
        named["pred_layer.proj.weight"] = own.embeddings.weight
        errors += rule_errors(named, dim, "peer")
        for i in range(4):
            errors += masking_errors(peer.read_safetensors(os.path.join(directory, f"batch{i}.safetensors")))

        if args.seeds > 0:
            survey(args.xlm, args.seeds, tmp)

    for e in errors:
        print("FAIL", e)
    if errors:
        sys.exit(1)
    print("first_step_check: XLM's initialisation on both sides, XLM's masking rates, equal losses at steps 1 and 8")


if __name__ == "__main__":
    main()
