#!/usr/bin/env python3
"""Original XLM checkpoint (.pth) -> an unchecked model directory in our layout.

Why a Python helper: a .pth is a torch pickle, which only torch reads. This
script does the least that needs torch -- it unpickles the checkpoint and
writes model.safetensors (XLM's names, `module.` prefixes of multi-GPU saves
stripped), params.json (XLM's params, n_words/max_positions taken from the
tensors), vocab (dico_id2word in id order, with dico_counts when present) and
codes (copied when --codes is given). `xlm convert` then checks everything
(vocab longer than n_words, n_langs, language embeddings) and loads it into
our model before writing the final directory.

Usage: python3 pth_to_safetensors.py MODEL.pth OUTDIR [--codes CODES] [--key model|encoder|decoder]
       python3 pth_to_safetensors.py --state_dict pytorch_model.bin OUT.safetensors
The second form only rewrites a plain state dict (a Hugging Face
pytorch_model.bin) as safetensors, names unchanged, non-float buffers
(position_ids) left out.
The safetensors file is written here (header JSON + raw little-endian data),
so the `safetensors` package is not needed; torch (and numpy) are.
"""
import argparse
import json
import os
import struct
import sys

# XLM params copied to params.json when present (docs/model.md, "params.json").
PARAM_KEYS = ["emb_dim", "n_layers", "n_heads", "n_langs", "id2lang", "lang2id", "dropout",
              "attention_dropout", "gelu_activation", "sinusoidal_embeddings", "use_lang_emb",
              "share_inout_emb", "pad_index", "eos_index", "mask_index"]

DTYPES = {"torch.float32": "F32", "torch.float16": "F16", "torch.bfloat16": "BF16", "torch.float64": "F64"}


def fail(message):
    sys.stderr.write(f"pth_to_safetensors: {message}\n")
    sys.exit(2)


def write_safetensors(path, tensors):
    """tensors: list of (name, torch tensor); the layout of the safetensors spec."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        dtype = DTYPES.get(str(t.dtype))
        if dtype is None:
            fail(f"tensor '{name}' has dtype {t.dtype}; expected a floating dtype")
        data = t.detach().cpu().contiguous()
        if dtype == "BF16":  # numpy has no bfloat16: reinterpret the bits
            raw = data.view(__import__("torch").int16).numpy().tobytes()
        else:
            raw = data.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(data.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for raw in blobs:
            out.write(raw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pth")
    parser.add_argument("outdir")
    parser.add_argument("--codes", default="")
    parser.add_argument("--key", default="", help="state dict key (default: model, else encoder)")
    parser.add_argument("--state_dict", action="store_true", help="pth is a plain state dict; outdir is a .safetensors path")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        fail("torch is not installed (e.g. apt-get install python3-torch)")

    try:
        try:
            ckpt = torch.load(args.pth, map_location="cpu", weights_only=False)
        except TypeError:  # torch < 1.13 has no weights_only
            ckpt = torch.load(args.pth, map_location="cpu")
    except Exception as e:  # any unpickling failure: one line, not a traceback
        fail(f"{args.pth}: cannot read as a torch checkpoint ({type(e).__name__}: {e})")
    if not isinstance(ckpt, dict):
        fail(f"{args.pth}: expected a dict checkpoint, got {type(ckpt).__name__}")
    if args.state_dict:
        floats = [(k, v) for k, v in ckpt.items() if torch.is_tensor(v) and v.is_floating_point()]
        if not floats:
            fail(f"{args.pth}: no floating-point tensors (not a state dict)")
        write_safetensors(args.outdir, floats)
        return
    key = args.key or ("model" if "model" in ckpt else "encoder")
    for needed in (key, "dico_id2word", "params"):
        if needed not in ckpt:
            keys = sorted(map(str, ckpt))
            shown = ", ".join(keys[:5]) + (f", ... ({len(keys)} keys)" if len(keys) > 5 else "")
            fail(f"{args.pth}: no '{needed}' entry; not an XLM training checkpoint "
                 f"(expected 'model' or 'encoder', 'dico_id2word', 'params'; found {shown})")
    state = ckpt[key]
    tensors = [(k[len("module."):] if k.startswith("module.") else k, v) for k, v in state.items()]
    names = dict(tensors)
    if "embeddings.weight" not in names or "position_embeddings.weight" not in names:
        fail(f"{args.pth}: '{key}' lacks embeddings.weight / position_embeddings.weight")

    params = ckpt["params"]
    params = params if isinstance(params, dict) else vars(params)
    out = {k: params[k] for k in PARAM_KEYS if k in params}
    if "id2lang" in out:
        out["id2lang"] = {str(k): v for k, v in out["id2lang"].items()}
    out["n_words"] = int(names["embeddings.weight"].shape[0])
    out["max_positions"] = int(names["position_embeddings.weight"].shape[0])
    out["is_decoder"] = key == "decoder"

    id2word = ckpt["dico_id2word"]
    counts = ckpt.get("dico_counts", {}) or {}
    os.makedirs(args.outdir, exist_ok=True)
    write_safetensors(os.path.join(args.outdir, "model.safetensors"), tensors)
    with open(os.path.join(args.outdir, "params.json"), "w") as f:
        json.dump(out, f, indent=2)
    with open(os.path.join(args.outdir, "vocab"), "w", encoding="utf-8") as f:
        for i in range(14, len(id2word)):
            f.write(f"{id2word[i]} {int(counts.get(id2word[i], 0))}\n")
    if args.codes:
        with open(args.codes, "rb") as src, open(os.path.join(args.outdir, "codes"), "wb") as dst:
            dst.write(src.read())


if __name__ == "__main__":
    main()
