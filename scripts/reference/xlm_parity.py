#!/usr/bin/env python3
"""Parity check: our C++ XLM forward against a minimal PyTorch one.

Why this exists: `xlm convert` moves weights between layouts, but only a
second, independent implementation shows that the numbers *mean* the same
thing. The PyTorch model below was written from docs/model.md (post-LN
Transformer, XLM's parameter names), not from XLM or transformers. It reads
our model directory with a small safetensors reader (no `safetensors`
package needed) and compares with the binary:
  * `xlm embed`: the last layer's hidden state at position 0 of
    `</s> words </s>` (--output sentence), at every position (--output
    tokens), and the MLM logits of every position (--output logits), on
    sentences with words replaced by the mask word <special1>;
  * `xlm eval --mlm_steps` with deterministic masking: --word_pred 1 and
    --word_mask_keep_rand 1,0,0 (every word masked and predicted) or 0,1,0
    (every word predicted from itself): the MLM loss and accuracy of the
    training code path (only the predicted positions go through the output
    layer), on bptt-token stream windows, against the same computed here;
  * `xlm eval --clm_steps` (XLM's evaluate_clm on one stream: full-vocabulary
    logits at every position, causal forward), loss and accuracy.
It then converts the directory to
Hugging Face's layout and back with `xlm convert`, and checks that
  * the HF directory's tensors, read by this script under HF's names
    (`transformer.` prefix), give the same hidden states, MLM logits
    (h @ embeddings^T + pred_layer.proj.bias) and masked-LM loss as our
    directory's, bit for bit;
  * `xlm embed` on the round-tripped directory matches again;
  * when `transformers` is importable, XLMWithLMHeadModel.from_pretrained
    on the HF directory gives the same hidden states and logits.
Errors are reported as max |ours - torch| / max |torch| over each output
(fp32 on the CPU); the check passes when every one is <= 1e-5.

Usage (needs python3 with torch and numpy, e.g. Debian's python3-torch):
  python3 scripts/reference/xlm_parity.py --xlm build/xlm [--model DIR]
Without --model a random model directory (D 32, 2 layers, 4 heads, 2
languages) is written to a temporary folder first. The test suite runs it
(ctest test `interop_parity`; exit code 77 = skipped, when torch is missing).
"""
import argparse
import io
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64}
SPECIALS = ["<s>", "</s>", "<pad>", "<unk>"] + [f"<special{i}>" for i in range(10)]


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        if info["dtype"] == "BF16":
            raw = np.frombuffer(data[base + begin:base + end], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[base + begin:base + end], dtype=DTYPES[info["dtype"]])
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        raw = t.contiguous().numpy().astype(np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def random_model_dir(path, d=32, layers=2, heads=4, words=40, seed=0):
    """Our model directory with random weights (scaled so every layer matters)."""
    g = torch.Generator().manual_seed(seed)
    n_words = len(SPECIALS) + words

    def rnd(*shape, scale=1.0):
        return torch.randn(*shape, generator=g) * scale

    t = [("position_embeddings.weight", rnd(64, d, scale=0.5)), ("lang_embeddings.weight", rnd(2, d, scale=0.5)),
         ("embeddings.weight", rnd(n_words, d, scale=0.5)),
         ("layer_norm_emb.weight", 1 + rnd(d, scale=0.1)), ("layer_norm_emb.bias", rnd(d, scale=0.1))]
    for i in range(layers):
        for p in ("q", "k", "v", "out"):
            t += [(f"attentions.{i}.{p}_lin.weight", rnd(d, d, scale=d ** -0.5)),
                  (f"attentions.{i}.{p}_lin.bias", rnd(d, scale=0.1))]
    for i in range(layers):
        t += [(f"layer_norm1.{i}.weight", 1 + rnd(d, scale=0.1)), (f"layer_norm1.{i}.bias", rnd(d, scale=0.1))]
    for i in range(layers):
        t += [(f"ffns.{i}.lin1.weight", rnd(4 * d, d, scale=d ** -0.5)), (f"ffns.{i}.lin1.bias", rnd(4 * d, scale=0.1)),
              (f"ffns.{i}.lin2.weight", rnd(d, 4 * d, scale=(4 * d) ** -0.5)), (f"ffns.{i}.lin2.bias", rnd(d, scale=0.1))]
    for i in range(layers):
        t += [(f"layer_norm2.{i}.weight", 1 + rnd(d, scale=0.1)), (f"layer_norm2.{i}.bias", rnd(d, scale=0.1))]
    t += [("pred_layer.proj.weight", dict(t)["embeddings.weight"]), ("pred_layer.proj.bias", rnd(n_words, scale=0.1))]
    os.makedirs(path, exist_ok=True)
    write_safetensors(os.path.join(path, "model.safetensors"), t)
    params = {"n_words": n_words, "emb_dim": d, "n_layers": layers, "n_heads": heads, "n_langs": 2,
              "id2lang": {"0": "en", "1": "fr"}, "lang2id": {"en": 0, "fr": 1}, "dropout": 0.1,
              "attention_dropout": 0.1, "max_positions": 64}
    with open(os.path.join(path, "params.json"), "w") as f:
        json.dump(params, f, indent=2)
    with open(os.path.join(path, "vocab"), "w") as f:
        for i in range(words):
            f.write(f"w{i}{'@@' if i % 3 == 0 else ''} {1000 - i}\n")


def load_dir(path):
    params = json.load(open(os.path.join(path, "params.json")))
    vocab = SPECIALS + [line.split(" ")[0] for line in open(os.path.join(path, "vocab"), encoding="utf-8")]
    return params, read_safetensors(os.path.join(path, "model.safetensors")), vocab[:params["n_words"]]


def layer_norm(x, P, name, eps):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], P[name + ".weight"], P[name + ".bias"], eps)


def linear(x, P, name):
    return x @ P[name + ".weight"].t() + P[name + ".bias"]


def forward(cfg, P, words, lengths, langs, causal=None):
    """docs/model.md, "Architecture": (B, T) ids -> (B, T, D) hidden states."""
    causal = cfg.get("causal", False) if causal is None else causal
    B, T = words.shape
    D, H = cfg["emb_dim"], cfg["n_heads"]
    dh = D // H
    eps = cfg.get("layer_norm_eps", 1e-12)
    h = P["embeddings.weight"][words] + P["position_embeddings.weight"][torch.arange(T)][None]
    if langs is not None and "lang_embeddings.weight" in P:
        h = h + P["lang_embeddings.weight"][langs]
    h = layer_norm(h, P, "layer_norm_emb", eps)
    mask = (torch.arange(T)[None] < lengths[:, None]).to(h.dtype)  # (B, T)
    h = h * mask[..., None]
    hidden_key = torch.arange(T)[None, None, None, :] >= lengths[:, None, None, None]  # (B, 1, 1, T)
    for i in range(cfg["n_layers"]):
        def heads(x):
            return x.view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        q = heads(linear(h, P, f"attentions.{i}.q_lin"))
        k = heads(linear(h, P, f"attentions.{i}.k_lin"))
        v = heads(linear(h, P, f"attentions.{i}.v_lin"))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)  # (B, H, T, T)
        blocked = hidden_key
        if causal:
            blocked = blocked | (torch.arange(T)[None, :] > torch.arange(T)[:, None])[None, None]
        scores = scores.masked_fill(blocked, float("-inf"))
        a = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, D)
        h = layer_norm(h + linear(a, P, f"attentions.{i}.out_lin"), P, f"layer_norm1.{i}", eps)
        f = linear(h, P, f"ffns.{i}.lin1")
        f = 0.5 * f * (1 + torch.erf(f / math.sqrt(2))) if cfg.get("gelu_activation", True) else torch.relu(f)
        h = layer_norm(h + linear(f, P, f"ffns.{i}.lin2"), P, f"layer_norm2.{i}", eps)
        h = h * mask[..., None]
    return h


def batch(vocab, sentences, lang_id, use_langs):
    ids = [[1] + [vocab.index(w) if w in vocab else 3 for w in s.split()] + [1] for s in sentences]
    T = max(map(len, ids))
    words = torch.full((len(ids), T), 2, dtype=torch.long)
    for r, row in enumerate(ids):
        words[r, :len(row)] = torch.tensor(row)
    lengths = torch.tensor([len(r) for r in ids])
    return words, lengths, (torch.full_like(words, lang_id) if use_langs else None)


def xlm_embed(xlm, model, lang, sentences, output="sentence"):
    proc = subprocess.run([xlm, "embed", "--reload_model", model, "--lang", lang, "--device", "cpu",
                           "--batch_size", "3", "--output", output],
                          input=("\n".join(sentences) + "\n").encode(), capture_output=True)
    if proc.returncode != 0:
        sys.exit(f"xlm embed failed: {proc.stderr.decode()}")
    return torch.from_numpy(np.load(io.BytesIO(proc.stdout)))


def eval_stream(vocab, sentences, bptt):
    """The evaluation stream of text/stream_dataset.h: sentences each followed
    by </s>, front-padded with </s> to a multiple of bptt."""
    tokens = []
    for s in sentences:
        tokens += [vocab.index(w) for w in s.split()] + [1]
    t_size = -(-len(tokens) // bptt) * bptt
    return torch.tensor([1] * (t_size - len(tokens)) + tokens), t_size


def clm_eval_torch(cfg, P, vocab, sentences, lang_id, use_langs, bptt):
    """XLM's evaluate_clm on one stream (docs/tasks.md, text/stream_dataset.h):
    sentences each followed by </s>, front-padded with </s> to a multiple of
    bptt, windows of bptt tokens, causal forward, token t+1 predicted from t."""
    stream, t_size = eval_stream(vocab, sentences, bptt)
    total, correct, count = 0.0, 0, 0
    for a in range(0, t_size, bptt):
        words = stream[a:a + bptt][None]  # (1, bptt)
        langs = torch.full_like(words, lang_id) if use_langs else None
        h = forward(cfg, P, words, torch.tensor([bptt]), langs, causal=True)[0, :-1]  # (bptt-1, D)
        logits = h @ P["embeddings.weight"].t() + P["pred_layer.proj.bias"]  # (bptt-1, n_words)
        y = words[0, 1:]
        total += float(torch.nn.functional.cross_entropy(logits.double(), y, reduction="sum"))
        correct += int((logits.argmax(-1) == y).sum())
        count += y.numel()
    return total / count, correct / count, count


def mlm_eval_torch(cfg, P, vocab, sentences, lang_id, use_langs, bptt, mask):
    """evaluate_mlm on one stream with deterministic masking: windows of bptt
    tokens as for CLM, every real word (id >= 14) predicted; its input is the
    mask word <special1> (id 5) when `mask`, else the word itself."""
    stream, t_size = eval_stream(vocab, sentences, bptt)
    total, correct, count = 0.0, 0, 0
    for a in range(0, t_size, bptt):
        y = stream[a:a + bptt][None]  # (1, bptt)
        pred = y >= 14
        x = y.masked_fill(pred, 5) if mask else y
        langs = torch.full_like(x, lang_id) if use_langs else None
        h = forward(cfg, P, x, torch.tensor([bptt]), langs, causal=False)[pred]  # (n, D)
        logits = h @ P["embeddings.weight"].t() + P["pred_layer.proj.bias"]
        total += float(torch.nn.functional.cross_entropy(logits.double(), y[pred], reduction="sum"))
        correct += int((logits.argmax(-1) == y[pred]).sum())
        count += int(pred.sum())
    return total / count, correct / count, count


def xlm_eval(xlm, model, tmp, vocab_path, sentences, lang, bptt, steps):
    """`xlm eval` on a one-file valid split; steps: extra flags (--clm_steps LG or --mlm_steps LG ...)."""
    data = os.path.join(tmp, "data")
    os.makedirs(data, exist_ok=True)
    with open(vocab_path, "rb") as src, open(os.path.join(data, "vocab"), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(data, f"valid.{lang}"), "w") as f:
        f.write("\n".join(sentences) + "\n")
    def run(cmd):
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.decode()}")
    for split in ("train", "valid", "test"):  # xlm eval wants all three; only valid is scored
        run([xlm, "preprocess", os.path.join(data, "vocab"), os.path.join(data, f"valid.{lang}"),
             "-o", os.path.join(data, f"{split}.{lang}.xbin")])
    out = os.path.join(tmp, "eval.json")
    run([xlm, "eval", "--reload_model", model, "--data_path", data, "--split", "valid",
         "--bptt", str(bptt), "--device", "cpu", "--json", out] + steps)
    scores = json.load(open(out))["scores"]
    objective = "clm" if "--clm_steps" in steps else "mlm"
    return math.log(scores[f"valid_{lang}_{objective}_ppl"]), scores[f"valid_{lang}_{objective}_acc"] / 100.0


def rel_err(got, want):
    return float((got.double() - want.double()).abs().max() / want.double().abs().max())


def main():
    ap = argparse.ArgumentParser(description="XLM forward parity: xlm binary vs PyTorch (docs/model.md)")
    ap.add_argument("--xlm", required=True, help="the xlm binary")
    ap.add_argument("--model", default="", help="our model directory (default: a random one)")
    ap.add_argument("--lang", default="", help="language of the test sentences (default: the first)")
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix="xlm-parity-")
    model = args.model or os.path.join(tmp, "model")
    if not args.model:
        random_model_dir(model)
    cfg, P, vocab = load_dir(model)
    id2lang = cfg.get("id2lang", {})
    id2lang = [id2lang[str(i)] for i in range(len(id2lang))] if isinstance(id2lang, dict) else id2lang
    lang = args.lang or id2lang[0]
    use_langs = cfg.get("use_lang_emb", True) and cfg["n_langs"] > 1
    g = torch.Generator().manual_seed(1)
    words_only = vocab[14:]
    sentences = [" ".join(words_only[j] for j in torch.randint(len(words_only), (n,), generator=g).tolist())
                 for n in (1, 5, 12, 3, 20, 7, 9)]
    words, lengths, langs = batch(vocab, sentences, id2lang.index(lang), use_langs)

    results = []
    with torch.no_grad():
        h = forward(cfg, P, words, lengths, langs)  # (B, T, D)
        ours = xlm_embed(args.xlm, model, lang, sentences)
        results.append(("xlm embed vs torch, hidden state at position 0", rel_err(ours, h[:, 0])))
        h64 = forward(cfg, {k: v.double() for k, v in P.items()}, words, lengths, langs)
        results.append(("(info) torch fp32 vs torch fp64, all hidden states", rel_err(h, h64)))

        hf, back = os.path.join(tmp, "hf"), os.path.join(tmp, "back")
        for cmd in ([args.xlm, "convert", model, hf, "--to", "hf"], [args.xlm, "convert", hf, back]):
            proc = subprocess.run(cmd, capture_output=True)
            if proc.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.decode()}")
        hf_tensors = read_safetensors(os.path.join(hf, "model.safetensors"))
        P_hf = {(k[len("transformer."):] if k.startswith("transformer.") else k): v for k, v in hf_tensors.items()}
        h_hf = forward(cfg, P_hf, words, lengths, langs)
        rows = h[words != 2]  # (N, D) every real token
        rows_hf = h_hf[words != 2]
        logits = rows @ P["embeddings.weight"].t() + P["pred_layer.proj.bias"]  # (N, n_words)
        logits_hf = rows_hf @ P_hf["pred_layer.proj.weight"].t() + P_hf["pred_layer.proj.bias"]
        targets = words[words != 2]
        loss = torch.nn.functional.cross_entropy(logits, targets)
        loss_hf = torch.nn.functional.cross_entropy(logits_hf, targets)
        results.append(("HF layout vs ours (torch), hidden states", rel_err(h_hf, h)))
        results.append(("HF layout vs ours (torch), MLM logits", rel_err(logits_hf, logits)))
        results.append(("HF layout vs ours (torch), loss", abs(float(loss_hf - loss)) / abs(float(loss))))
        bptt = 16
        loss_t, acc_t, n_pred = clm_eval_torch(cfg, P, vocab, sentences, id2lang.index(lang), use_langs, bptt)
        loss_x, acc_x = xlm_eval(args.xlm, model, tmp, os.path.join(model, "vocab"), sentences, lang, bptt,
                                 ["--clm_steps", lang])
        results.append((f"xlm eval CLM loss (log ppl) vs torch, {n_pred} predictions", abs(loss_x - loss_t) / loss_t))
        results.append(("xlm eval CLM accuracy vs torch (absolute)", abs(acc_x - acc_t)))
        for keep_rand, mask in (("1,0,0", True), ("0,1,0", False)):
            loss_t, acc_t, n_pred = mlm_eval_torch(cfg, P, vocab, sentences, id2lang.index(lang), use_langs, bptt, mask)
            loss_x, acc_x = xlm_eval(args.xlm, model, tmp, os.path.join(model, "vocab"), sentences, lang, bptt,
                                     ["--mlm_steps", lang, "--word_pred", "1", "--word_mask_keep_rand", keep_rand])
            what = "masked" if mask else "unmasked"
            results.append((f"xlm eval MLM loss, {what} ({n_pred} predictions) vs torch", abs(loss_x - loss_t) / loss_t))
            results.append((f"xlm eval MLM accuracy, {what} vs torch (absolute)", abs(acc_x - acc_t)))

        # Every position's state and MLM logits, on sentences with every third word masked.
        masked_sentences = [" ".join("<special1>" if j % 3 == 1 else w for j, w in enumerate(s.split()))
                            for s in sentences]
        mw, ml, mlangs = batch(vocab, masked_sentences, id2lang.index(lang), use_langs)
        mh = forward(cfg, P, mw, ml, mlangs)  # (B, T, D)
        real = mw != 2
        m_logits = mh @ P["embeddings.weight"].t() + P["pred_layer.proj.bias"]  # (B, T, n_words)
        for name, m in (("ours", model), ("ours -> HF -> ours", back)):
            tok_x = xlm_embed(args.xlm, m, lang, masked_sentences, "tokens")
            log_x = xlm_embed(args.xlm, m, lang, masked_sentences, "logits")
            results.append((f"xlm embed --output tokens ({name}) vs torch", rel_err(tok_x[real], mh[real])))
            results.append((f"xlm embed --output logits ({name}) vs torch", rel_err(log_x[real], m_logits[real])))
        masked = mw == 5
        results.append(("(info) masked positions in the logits check", float(masked.sum())))
        mlm_loss_x = torch.nn.functional.cross_entropy(xlm_embed(args.xlm, model, lang, masked_sentences, "logits")[masked].double(), words[masked])
        mlm_loss_t = torch.nn.functional.cross_entropy(m_logits[masked].double(), words[masked])
        results.append(("MLM loss at <special1> from xlm embed logits vs torch", abs(float(mlm_loss_x - mlm_loss_t)) / float(mlm_loss_t)))
        try:
            from transformers import XLMWithLMHeadModel
        except ImportError:
            XLMWithLMHeadModel = None
            print("(transformers not installed: XLMWithLMHeadModel.from_pretrained not checked)")
        if XLMWithLMHeadModel is not None:
            hf_model = XLMWithLMHeadModel.from_pretrained(hf).eval()
            out = hf_model(words, lengths=lengths, langs=langs, output_hidden_states=True)
            real = words != 2
            results.append(("transformers XLMWithLMHeadModel vs torch, hidden states",
                            rel_err(out.hidden_states[-1][real], h[real])))
            results.append(("transformers XLMWithLMHeadModel vs torch, MLM logits", rel_err(out.logits[real], logits)))
        # The original training checkpoint layout (XLM's trainer.save_checkpoint
        # under DistributedDataParallel): `module.` prefixes, dico_id2word,
        # params as an argparse Namespace; converted by `xlm convert`.
        pth, from_pth = os.path.join(tmp, "model.pth"), os.path.join(tmp, "from_pth")
        torch.save({"model": {"module." + k: v for k, v in P.items() if k != "pred_layer.proj.weight"},
                    "dico_id2word": dict(enumerate(vocab)), "dico_word2id": {w: i for i, w in enumerate(vocab)},
                    "dico_counts": {w: 1000 - i for i, w in enumerate(vocab)},
                    "params": argparse.Namespace(**{**cfg, "id2lang": dict(enumerate(id2lang)),
                                                    "gelu_activation": cfg.get("gelu_activation", True)}),
                    "epoch": 3, "n_total_iter": 1234}, pth)
        proc = subprocess.run([args.xlm, "convert", pth, from_pth], capture_output=True,
                              env={**os.environ, "XLM_PYTHON": sys.executable})
        if proc.returncode != 0:
            sys.exit(f"xlm convert {pth} failed: {proc.stderr.decode()}")
        log_x = xlm_embed(args.xlm, from_pth, lang, masked_sentences, "logits")
        results.append(("xlm embed --output logits (original .pth -> ours) vs torch", rel_err(log_x[real], m_logits[real])))
        ours_back = xlm_embed(args.xlm, back, lang, sentences)
        results.append(("xlm embed after ours -> HF -> ours vs torch", rel_err(ours_back, h[:, 0])))

    ok = True
    for name, err in results:
        checked = not name.startswith("(info)")
        ok = ok and (err <= args.tol or not checked)
        print(f"{name:60s} {err:.3e}{'' if not checked else ('  ok' if err <= args.tol else '  FAIL')}")
    print(f"loss {float(loss):.6f} over {targets.numel()} tokens; tolerance {args.tol:g}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
