#!/usr/bin/env python3
"""PyTorch peer of `xlm bench train`: the same model and the same step.

The model is XLM's TransformerModel (facebookresearch/XLM, src/model/
transformer.py) written out again from docs/model.md: learned positions,
language embeddings, LayerNorm after the embeddings, post-LN blocks
(h = LN1(h + drop(attn(h))); h = LN2(h + drop(ffn(h)))), GELU, padding zeroed
after each block, and an output layer tied to the word embeddings that sees
only the predicted rows. Attention goes through
torch.nn.functional.scaled_dot_product_attention. The step is the one of
`xlm bench train`: MLM (and TLM for xnli15) batches of random real words,
15% of positions predicted with XLM's 80/10/10, cross-entropy, backward,
gradient clipping at 5, Adam (lr 1e-4, betas 0.9/0.999, eps 1e-8). Batches
are made before the clock starts (four distinct ones per objective, cycled),
and each step copies its batch to the device, as ours does.

    python3 benchmarks/peers/torch_train_step.py --shape tiny --device cpu --threads 2
    python3 benchmarks/peers/torch_train_step.py --shape enfr --device cuda --precision bf16 --compile

Initialisation is XLM's (docs/model.md, "Initialisation"): word, position and
language tables N(0, emb_dim^-1/2) with the <pad> row zero, every Linear and
the output bias PyTorch's nn.Linear default U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
LayerNorm 1 / 0. --load_start DIR (what `xlm bench train --dump_start DIR`
wrote) starts instead from our initial parameters and cycles through our
batches, so that the two engines' losses can be compared step by step
(scripts/reference/first_step_check.py).

It prints the lines of `xlm bench train` (tokens/s, ms/step, mfu, peak memory).
The MFU denominator is --peak_flops when given (benchmarks/train_step/run
passes ours, so both sides divide by the same number), else 0 (mfu: 0.00%).
"""
import argparse
import importlib
import json
import math
import os
import resource
import struct
import time

import torch
import torch.nn.functional as F
from torch import nn

FIRST_WORD = 14  # <s> </s> <pad> <unk> + 10 specials
EOS, PAD, MASK = 1, 2, 5

SHAPES = {
    # n_words, emb_dim, n_layers, n_heads, n_langs, batch_size, bptt, tlm
    "tiny": dict(n_words=8000, emb_dim=256, n_layers=2, n_heads=4, n_langs=1, batch_size=16, bptt=128, tlm=False),
    "enfr": dict(n_words=64000, emb_dim=1024, n_layers=6, n_heads=8, n_langs=2, batch_size=64, bptt=256, tlm=False),
    "xnli15": dict(n_words=95000, emb_dim=1024, n_layers=12, n_heads=8, n_langs=15, batch_size=64, bptt=256,
                   tlm=True),
}


def attention(q, k, v, dropout_p):  # (B, H, T, Dh) each
    if SDPA:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
    return F.dropout(weights, dropout_p, dropout_p > 0) @ v


# torch < 2.0 (Debian bookworm's python3-torch is 1.13) has neither SDPA nor torch.compile: the same
# attention written out, and --compile refused.
SDPA = hasattr(F, "scaled_dot_product_attention")


class Block(nn.Module):
    def __init__(self, dim, n_heads, dropout, attention_dropout, gelu):
        super().__init__()
        self.n_heads, self.dropout, self.attention_dropout, self.gelu = n_heads, dropout, attention_dropout, gelu
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(dim, dim) for _ in range(4))
        self.layer_norm1 = nn.LayerNorm(dim, eps=1e-12)
        self.lin1, self.lin2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        self.layer_norm2 = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, keep):  # x (B, T, D), keep (B, T, 1) or None
        B, T, D = x.shape
        H = self.n_heads

        def heads(t):  # (B, T, D) -> (B, H, T, D/H)
            return t.view(B, T, H, D // H).transpose(1, 2)

        a = attention(heads(self.q_lin(x)), heads(self.k_lin(x)), heads(self.v_lin(x)),
                      self.attention_dropout if self.training else 0.0)
        a = self.out_lin(a.transpose(1, 2).reshape(B, T, D))
        x = self.layer_norm1(x + F.dropout(a, self.dropout, self.training))
        h = self.lin1(x)
        h = F.gelu(h) if self.gelu else F.relu(h)
        h = F.dropout(self.lin2(h), self.dropout, self.training)
        x = self.layer_norm2(x + h)
        return x * keep if keep is not None else x


def xlm_embedding(rows, dim, padding_idx=None):
    """XLM's Embedding helper: N(0, dim^-1/2) entries, the padding row (if any) zero. Blocks' nn.Linear layers
    keep PyTorch's default init, as XLM's Linear helper does."""
    table = nn.Embedding(rows, dim, padding_idx=padding_idx)
    nn.init.normal_(table.weight, mean=0, std=dim ** -0.5)
    if padding_idx is not None:
        with torch.no_grad():
            table.weight[padding_idx].zero_()
    return table


def read_safetensors(path):
    """{name: tensor} of a safetensors file (F32, F64, I64)."""
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in dtypes:
            raise SystemExit(f"torch_train_step.py: {path}: tensor {name} has dtype {info['dtype']}, "
                             f"expected one of {sorted(dtypes)}")
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        flat = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]) if raw else torch.empty(0, dtype=dtypes[info["dtype"]])
        out[name] = flat.reshape(info["shape"])
    return out


def load_start(model, directory):
    """Copies DIR/model.safetensors into the model; returns DIR's batches (read_batches)."""
    weights = read_safetensors(os.path.join(directory, "model.safetensors"))
    with torch.no_grad():
        for name, param in model.xlm_named_tensors():
            if name not in weights or tuple(weights[name].shape) != tuple(param.shape):
                raise SystemExit(f"torch_train_step.py: {directory}/model.safetensors: {name} missing or not of "
                                 f"shape {tuple(param.shape)}")
            param.copy_(weights[name])
    return read_batches(directory)


def read_batches(directory):
    """DIR/batch0.safetensors, batch1, ... in order, each as read_batch returns it."""
    batches = []
    while os.path.exists(os.path.join(directory, f"batch{len(batches)}.safetensors")):
        batches.append(read_batch(os.path.join(directory, f"batch{len(batches)}.safetensors")))
    if not batches:
        raise SystemExit(f"torch_train_step.py: {directory}: no batch0.safetensors")
    return batches


def read_batch(path):
    """One dumped batch as (words, positions, langs, pred_index, targets)."""
    b = read_safetensors(path)
    words = b["words"]
    B, T = words.shape
    if not bool((b["lengths"] == T).all()):
        raise SystemExit(f"torch_train_step.py: {path}: padded rows are not supported")
    positions = b["positions"] if "positions" in b else torch.arange(T).expand(B, T).contiguous()
    langs = b["langs"] if "langs" in b else torch.zeros(B, T, dtype=torch.int64)
    return words, positions, langs, b["pred_index"], b["targets"]


class XlmModel(nn.Module):
    def __init__(self, n_words, emb_dim, n_layers, n_heads, n_langs, dropout, attention_dropout, gelu, use_lang_emb,
                 max_positions):
        super().__init__()
        self.dropout = dropout
        self.position_embeddings = xlm_embedding(max_positions, emb_dim)
        self.lang_embeddings = xlm_embedding(n_langs, emb_dim) if use_lang_emb and n_langs > 1 else None
        self.embeddings = xlm_embedding(n_words, emb_dim, padding_idx=PAD)
        self.layer_norm_emb = nn.LayerNorm(emb_dim, eps=1e-12)  # weight 1, bias 0
        self.layers = nn.ModuleList(Block(emb_dim, n_heads, dropout, attention_dropout, gelu) for _ in range(n_layers))
        # XLM's PredLayer is an nn.Linear(emb_dim, n_words) whose weight is then replaced by the word table:
        # its bias keeps nn.Linear's default, U(-1/sqrt(emb_dim), 1/sqrt(emb_dim)).
        self.pred_bias = nn.Parameter(torch.empty(n_words).uniform_(-emb_dim ** -0.5, emb_dim ** -0.5))

    def xlm_named_tensors(self):
        """(XLM state_dict name, tensor) of every parameter; the tied output weight is embeddings.weight."""
        out = [("position_embeddings.weight", self.position_embeddings.weight)]
        if self.lang_embeddings is not None:
            out.append(("lang_embeddings.weight", self.lang_embeddings.weight))
        out += [("embeddings.weight", self.embeddings.weight), ("layer_norm_emb.weight", self.layer_norm_emb.weight),
                ("layer_norm_emb.bias", self.layer_norm_emb.bias)]
        for i, layer in enumerate(self.layers):
            for name in ("q_lin", "k_lin", "v_lin", "out_lin"):
                lin = getattr(layer, name)
                out += [(f"attentions.{i}.{name}.weight", lin.weight), (f"attentions.{i}.{name}.bias", lin.bias)]
            for name in ("lin1", "lin2"):
                lin = getattr(layer, name)
                out += [(f"ffns.{i}.{name}.weight", lin.weight), (f"ffns.{i}.{name}.bias", lin.bias)]
            for name in ("layer_norm1", "layer_norm2"):
                ln = getattr(layer, name)
                out += [(f"{name}.{i}.weight", ln.weight), (f"{name}.{i}.bias", ln.bias)]
        out.append(("pred_layer.proj.bias", self.pred_bias))
        return out

    def forward(self, words, positions, langs, keep, pred_index, targets):
        x = self.embeddings(words) + self.position_embeddings(positions)
        if self.lang_embeddings is not None:
            x = x + self.lang_embeddings(langs)
        x = F.dropout(self.layer_norm_emb(x), self.dropout, self.training)
        if keep is not None:
            x = x * keep
        for layer in self.layers:
            x = layer(x, keep)
        rows = x.reshape(-1, x.shape[-1]).index_select(0, pred_index)  # (N, D): predicted positions only
        logits = F.linear(rows, self.embeddings.weight, self.pred_bias)  # tied output layer
        return F.cross_entropy(logits.float(), targets)


def mask_words(words, n_words, word_pred, gen):
    """XLM's mask_out with sample_alpha 0: each real word predicted with probability word_pred; 80% <mask>,
    10% kept, 10% a random real word; at least one predicted position."""
    real = words >= FIRST_WORD
    chosen = (torch.rand(words.shape, generator=gen) < word_pred) & real
    if not chosen.any():
        chosen.view(-1)[real.view(-1).nonzero()[0]] = True
    flat = chosen.view(-1).nonzero().squeeze(1)
    targets = words.view(-1)[flat].clone()
    u = torch.rand(flat.shape, generator=gen)
    corrupted = targets.clone()
    corrupted[u < 0.8] = MASK
    rand = u >= 0.9
    corrupted[rand] = torch.randint(FIRST_WORD, n_words, (int(rand.sum()),), generator=gen)
    out = words.clone()
    out.view(-1)[flat] = corrupted
    return out, flat, targets


def random_batch(shape, kind, lang1, lang2, word_pred, gen):
    B, T, V = shape["batch_size"], shape["bptt"], shape["n_words"]
    if kind == "mlm":
        words = torch.randint(FIRST_WORD, V, (B, T), generator=gen)
        positions = torch.arange(T).expand(B, T).contiguous()
        langs = torch.full((B, T), lang1)
    else:  # TLM: </s> x </s> + </s> y </s>, positions restart, one language per half
        half = T // 2
        words = torch.randint(FIRST_WORD, V, (B, T), generator=gen)
        for t in (0, half - 1, half, T - 1):
            words[:, t] = EOS
        positions = torch.cat([torch.arange(half), torch.arange(T - half)]).expand(B, T).contiguous()
        langs = torch.cat([torch.full((half,), lang1), torch.full((T - half,), lang2)]).expand(B, T).contiguous()
    words, pred_index, targets = mask_words(words, V, word_pred, gen)
    return words, positions, langs, pred_index, targets


def training_flops(shape, rows, cols, n_predicted):
    """tasks/pretrain/throughput.cpp's count (docs/performance.md): 3 x forward matmul FLOPs."""
    d, layers = shape["emb_dim"], shape["n_layers"]
    forward = rows * cols * layers * (24 * d * d + 4 * cols * d) + n_predicted * 2 * d * shape["n_words"]
    return 3.0 * forward


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"],
                   help="bf16/fp16: autocast over fp32 weights (fp16 with a GradScaler)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 = torch's default)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch_size", type=int)
    p.add_argument("--bptt", type=int)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--attention_dropout", type=float, default=0.1)
    p.add_argument("--word_pred", type=float, default=0.15)
    p.add_argument("--clip_grad_norm", type=float, default=5.0)
    p.add_argument("--peak_flops", type=float, default=0.0, help="MFU denominator in FLOP/s")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--load_start", metavar="DIR",
                   help="start from `xlm bench train --dump_start DIR`'s parameters and cycle through its batches")
    args = p.parse_args()

    if args.compile and not hasattr(torch, "compile"):
        raise SystemExit(f"torch_train_step.py: torch {torch.__version__} has no torch.compile (needs 2.0 or later)")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    shape = dict(SHAPES[args.shape])
    for key in ("batch_size", "bptt"):
        if getattr(args, key) is not None:
            shape[key] = getattr(args, key)
    device = torch.device(args.device)

    model = XlmModel(shape["n_words"], shape["emb_dim"], shape["n_layers"], shape["n_heads"], shape["n_langs"],
                     args.dropout, args.attention_dropout, True, True, max(512, shape["bptt"])).to(device)
    model.train()
    n_params = sum(t.numel() for t in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    scaler = None
    if args.precision == "fp16":
        scaler = torch.amp.GradScaler("cuda") if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler()
    run = torch.compile(model) if args.compile else model
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.precision)

    gen = torch.Generator().manual_seed(args.seed + 2)
    batches = []
    for i in range(4):
        batches.append(random_batch(shape, "mlm", i % shape["n_langs"], 0, args.word_pred, gen))
        if shape["tlm"]:
            batches.append(random_batch(shape, "tlm", 0, 1 + i % (shape["n_langs"] - 1), args.word_pred, gen))
    if args.load_start:
        batches = load_start(model, args.load_start)
    if device.type == "cuda":  # pinned, as our host staging
        batches = [tuple(t.pin_memory() for t in b) for b in batches]

    # The number of predicted rows changes from batch to batch: marked dynamic, torch.compile makes one graph
    # for every count instead of a static one for the first batch and then a dynamic one (two compilations
    # of forward and backward, minutes of Inductor per shape). maybe_mark_dynamic: no error if Dynamo
    # specialises the size anyway.
    mark_dynamic = None
    if args.compile:
        dynamo = importlib.import_module("torch._dynamo")
        mark_dynamic = getattr(dynamo, "maybe_mark_dynamic", None) or dynamo.mark_dynamic

    def step(batch):
        words, positions, langs, pred_index, targets = (t.to(device, non_blocking=True) for t in batch)
        if mark_dynamic is not None:
            mark_dynamic(pred_index, 0)
            mark_dynamic(targets, 0)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            loss = run(words, positions, langs, None, pred_index, targets)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if args.clip_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_grad_norm)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    print(f"torch {torch.__version__} train step: shape {args.shape}, {shape['n_layers']} layers, "
          f"{shape['emb_dim']} dims, {shape['n_heads']} heads, {shape['n_words']} words, {shape['n_langs']} languages, "
          f"{n_params} parameters, {shape['batch_size']} x {shape['bptt']} {'MLM+TLM' if shape['tlm'] else 'MLM'}, "
          f"{args.precision} on {device}, {'compiled' if args.compile else 'eager'}, "
          f"{torch.get_num_threads()} threads, attention {'sdpa' if SDPA else 'written out'}", flush=True)
    # Warm up over every distinct batch when compiled, so that no compilation (should Dynamo still
    # specialise on a size) lands in the timed steps.
    warmup = max(args.warmup, len(batches) + 1) if args.compile else args.warmup
    loss = None
    for i in range(warmup):
        loss = step(batches[i % len(batches)])
    if loss is not None:
        loss.item()
    tokens = flops = 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(args.steps):
        batch = batches[(warmup + i) % len(batches)]
        loss = step(batch)
        tokens += batch[0].numel()
        flops += training_flops(shape, batch[0].shape[0], batch[0].shape[1], batch[3].numel())
    last = loss.item()  # waits for the device
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if not math.isfinite(last):
        raise SystemExit(f"torch_train_step.py: loss {last} is not finite")
    if device.type == "cuda":
        peak_mib = torch.cuda.max_memory_allocated(device) / 2 ** 20
    else:
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    mfu = flops / seconds / args.peak_flops if args.peak_flops > 0 else 0.0
    print(f"{args.steps} steps in {seconds:.3f} s ({cpu_seconds:.3f} s of CPU time); {flops / args.steps:.4g} "
          f"FLOP/step, last loss {last:.4f}")
    print(f"tokens/s: {tokens / seconds:.0f}")
    print(f"ms/step: {1000 * seconds / args.steps:.2f}")
    print(f"mfu: {100 * mfu:.2f}%")
    print(f"peak memory: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
