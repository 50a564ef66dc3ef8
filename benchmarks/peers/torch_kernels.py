#!/usr/bin/env python3
"""PyTorch peer of xlm_kernel_bench: the same operations, shapes, dtypes and
timing method, so benchmarks/kernels/compare.py can set the two reports side
by side row for row.

Method (as in benchmarks/kernels/bench_cuda.cu): warm-up runs, then timed
runs each preceded by a write of twice the L2 size, CUDA events around the
run only, inputs rotated over several sets, median reported. Attention goes
through torch.nn.functional.scaled_dot_product_attention pinned to one
backend at a time with torch.nn.attention.sdpa_kernel (flash and cuDNN);
a backend that refuses a dtype (flash has no fp32) is recorded as skipped.
Shape labels, kernel names and dtype names are those of bench_math.cpp and
kernel_bench.cpp. The JSON report is rewritten after every row (complete:
false until the end), so a run stopped at a time limit still leaves the rows
it measured; a case that raises is recorded as skipped with its reason.

    python3 benchmarks/peers/torch_kernels.py --json OUT.json [--quick] [--dtypes bf16,f16,f32]
        [--commit SHA] [--command TEXT]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

import torch
import torch.nn.functional as F

TOKENS = 64 * 256   # XLM's tokens per batch (bench_math.h kTokens)
HIDDEN = 1024
VOCAB = 64000
DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}


def attention_shapes():
    """(batch, seq, heads, head_dim, causal), in bench_math.cpp's order."""
    out = []
    for seq in (256, 512, 1024, 2048):
        for heads in (8, 16):
            for causal in (False, True):
                out.append((TOKENS // seq, seq, heads, HIDDEN // heads, causal))
    return out


def attention_label(b, t, h, d, causal):
    return "B=%d T=%d H=%d D=%d%s" % (b, t, h, d, " causal" if causal else "")


class Timer:
    def __init__(self):
        props = torch.cuda.get_device_properties(0)
        l2 = getattr(props, "L2_cache_size", 0) or (64 << 20)
        self.l2_bytes = l2
        self.flush = torch.empty(2 * l2, dtype=torch.uint8, device="cuda")

    def time(self, run, warmup, runs, sets):
        for w in range(warmup):
            run(w % sets)
        torch.cuda.synchronize()
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        times = []
        for r in range(runs):
            self.flush.fill_(r & 0xFF)
            start.record()
            run(r % sets)
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop))
        return times


def rand(shape, dtype, requires_grad=False):
    return (torch.rand(shape, device="cuda", dtype=torch.float32) * 2 - 1).to(dtype).requires_grad_(requires_grad)


def attention_cases(dt, quick):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    backends = [("torch_flash", SDPBackend.FLASH_ATTENTION)]
    if hasattr(SDPBackend, "CUDNN_ATTENTION"):
        backends.append(("torch_cudnn", SDPBackend.CUDNN_ATTENTION))
    cases = []
    for (b, t, h, d, causal) in attention_shapes():
        if quick and t != 256:
            continue
        label = attention_label(b, t, h, d, causal)
        for impl, backend in backends:
            def make_fwd(sets, b=b, t=t, h=h, d=d, causal=causal, backend=backend):
                qkv = [[rand((b, t, h, d), dt) for _ in range(3)] for _ in range(sets)]

                def run(s):
                    q, k, v = qkv[s]
                    with torch.no_grad(), sdpa_kernel([backend]):
                        F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                                       is_causal=causal)
                return run

            def make_train(sets, b=b, t=t, h=h, d=d, causal=causal, backend=backend):
                qkv = [[rand((b, t, h, d), dt, True) for _ in range(3)] for _ in range(sets)]
                grad = rand((b, h, t, d), dt)

                def run(s):
                    q, k, v = qkv[s]
                    with sdpa_kernel([backend]):
                        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                                             v.transpose(1, 2), is_causal=causal)
                    out.backward(grad)
                    for x in qkv[s]:
                        x.grad = None
                return run

            cases.append(("attention_fwd", impl, label, make_fwd))
            cases.append(("attention_fwdbwd", impl, label, make_train))
    return cases


def layer_norm_cases(dt, quick):
    n, c = TOKENS, HIDDEN
    label = "N=%d C=%d" % (n, c)

    def make_fwd(sets):
        xs = [rand((n, c), dt) for _ in range(sets)]
        gamma, beta = rand((c,), dt), rand((c,), dt)
        return lambda s: F.layer_norm(xs[s], (c,), gamma, beta, 1e-12)

    def make_bwd(sets):
        xs = [rand((n, c), dt) for _ in range(sets)]
        gys = [rand((n, c), dt) for _ in range(sets)]
        gamma, beta = rand((c,), dt), rand((c,), dt)
        stats = [torch.ops.aten.native_layer_norm(x, [c], gamma, beta, 1e-12)[1:] for x in xs]
        return lambda s: torch.ops.aten.native_layer_norm_backward(gys[s], xs[s], [c], stats[s][0], stats[s][1],
                                                                   gamma, beta, [True, True, True])
    return [("layer_norm_fwd", "torch", label, make_fwd), ("layer_norm_bwd", "torch", label, make_bwd)]


def gelu_cases(dt, quick):
    n, c = TOKENS, 4 * HIDDEN
    label = "N=%d C=%d" % (n, c)

    def make_fwd(sets):
        xs = [rand((n, c), dt) for _ in range(sets)]
        return lambda s: F.gelu(xs[s])

    def make_bwd(sets):
        xs = [rand((n, c), dt) for _ in range(sets)]
        gys = [rand((n, c), dt) for _ in range(sets)]
        return lambda s: torch.ops.aten.gelu_backward(gys[s], xs[s])
    return [("gelu_fwd", "torch", label, make_fwd), ("gelu_bwd", "torch", label, make_bwd)]


def residual_layer_norm_cases(dt, quick):
    """kernel_bench.cpp's residual_layer_norm rows: F.layer_norm(x + F.dropout(f, 0.1)) times the padding
    mask (0 on every eighth row), as eager PyTorch runs XLM's FFN block; the backward is autograd's through
    that graph (built once per input set, so the dropout mask is fixed as ours is redrawn)."""
    n, c = TOKENS, HIDDEN
    label = "N=%d C=%d" % (n, c)

    def mask():
        m = torch.ones(n, device="cuda", dtype=dt)
        m[7::8] = 0
        return m[:, None]

    def block(x, f, gamma, beta, m):
        return F.layer_norm(x + F.dropout(f, 0.1, training=True), (c,), gamma, beta, 1e-12) * m

    def make_fwd(sets):
        xs, fs = [rand((n, c), dt) for _ in range(sets)], [rand((n, c), dt) for _ in range(sets)]
        gamma, beta, m = rand((c,), dt), rand((c,), dt), mask()

        def run(s):
            with torch.no_grad():
                block(xs[s], fs[s], gamma, beta, m)
        return run

    def make_bwd(sets):
        m = mask()
        graphs = []
        for _ in range(sets):
            x, f = rand((n, c), dt, True), rand((n, c), dt, True)
            gamma, beta = rand((c,), dt, True), rand((c,), dt, True)
            graphs.append((block(x, f, gamma, beta, m), (x, f, gamma, beta), rand((n, c), dt)))
        return lambda s: torch.autograd.grad(graphs[s][0], graphs[s][1], graphs[s][2], retain_graph=True)
    return [("residual_layer_norm_fwd", "torch", label, make_fwd),
            ("residual_layer_norm_bwd", "torch", label, make_bwd)]


def bias_gelu_cases(dt, quick):
    """kernel_bench.cpp's bias_gelu rows: F.gelu(x + b) (exact erf) on the FFN's hidden activations; the
    backward is autograd's (grad_x and grad_b)."""
    n, c = TOKENS, 4 * HIDDEN
    label = "N=%d C=%d" % (n, c)

    def make_fwd(sets):
        xs, b = [rand((n, c), dt) for _ in range(sets)], rand((c,), dt)

        def run(s):
            with torch.no_grad():
                F.gelu(xs[s] + b)
        return run

    def make_bwd(sets):
        graphs = []
        for _ in range(sets):
            x, b = rand((n, c), dt, True), rand((c,), dt, True)
            graphs.append((F.gelu(x + b), (x, b), rand((n, c), dt)))
        return lambda s: torch.autograd.grad(graphs[s][0], graphs[s][1], graphs[s][2], retain_graph=True)
    return [("bias_gelu_fwd", "torch", label, make_fwd), ("bias_gelu_bwd", "torch", label, make_bwd)]


def softmax_cases(dt, quick):
    cases = []
    for t in (256, 1024):
        if quick and t != 256:
            continue
        b, h = TOKENS // t, 16
        label = "B=%d H=%d T=%d" % (b, h, t)

        def make_fwd(sets, shape=(b, h, t, t)):
            xs = [rand(shape, dt) for _ in range(sets)]
            return lambda s: torch.softmax(xs[s], dim=-1)

        def make_bwd(sets, shape=(b, h, t, t)):
            ys = [torch.softmax(rand(shape, dt), dim=-1) for _ in range(sets)]
            gys = [rand(shape, dt) for _ in range(sets)]
            return lambda s: torch.ops.aten._softmax_backward_data(gys[s], ys[s], -1, dt)
        cases += [("masked_softmax_fwd", "torch", label, make_fwd), ("masked_softmax_bwd", "torch", label, make_bwd)]
    return cases


def cross_entropy_cases(dt, quick):
    n, v = TOKENS, VOCAB
    label = "N=%d C=%d" % (n, v)

    def make_fwd(sets):
        logits = [rand((n, v), dt) for _ in range(sets)]
        targets = torch.randint(0, v, (n,), device="cuda")
        return lambda s: F.cross_entropy(logits[s], targets)

    def make_bwd(sets):
        logits = [rand((n, v), dt, True) for _ in range(sets)]
        targets = torch.randint(0, v, (n,), device="cuda")
        losses = [F.cross_entropy(x, targets) for x in logits]
        return lambda s: torch.autograd.grad(losses[s], logits[s], retain_graph=True)
    return [("cross_entropy_fwd", "torch", label, make_fwd), ("cross_entropy_bwd", "torch", label, make_bwd)]


def linear_cases(dt, quick):
    """kernel_bench.cpp's linear rows: x (N, in) @ w(out, in)^T + b; the backward's three gradients as
    PyTorch's autograd computes them for F.linear (grad_x = gy w, grad_w = gy^T x, grad_b = sum of gy)."""
    n = TOKENS
    cases = []
    for (fan_in, fan_out) in ((HIDDEN, HIDDEN), (HIDDEN, 4 * HIDDEN), (4 * HIDDEN, HIDDEN)):
        if quick and fan_in != fan_out:
            continue
        label = "N=%d in=%d out=%d" % (n, fan_in, fan_out)

        def make_fwd(sets, fan_in=fan_in, fan_out=fan_out):
            xs = [rand((n, fan_in), dt) for _ in range(sets)]
            w, b = rand((fan_out, fan_in), dt), rand((fan_out,), dt)

            def run(s):
                with torch.no_grad():
                    F.linear(xs[s], w, b)
            return run

        def make_bwd(sets, fan_in=fan_in, fan_out=fan_out):
            xs = [rand((n, fan_in), dt) for _ in range(sets)]
            gys = [rand((n, fan_out), dt) for _ in range(sets)]
            w = rand((fan_out, fan_in), dt)

            def run(s):
                gys[s] @ w
                gys[s].t() @ xs[s]
                gys[s].sum(0)
            return run
        cases += [("linear_fwd", "torch", label, make_fwd), ("linear_bwd", "torch", label, make_bwd)]
    return cases


def enfr_parameter_sizes(layers=6, dim=HIDDEN, n_words=VOCAB, positions=512, n_langs=2):
    """bench_math.cpp's xlm_encoder_parameter_sizes: the enfr model's parameter tensors, in its order."""
    sizes = [positions * dim] + ([n_langs * dim] if n_langs > 1 else []) + [n_words * dim, dim, dim]
    sizes += [dim * dim, dim] * 4 * layers                           # q, k, v, out
    sizes += [dim, dim] * layers                                     # layer_norm1
    sizes += [4 * dim * dim, 4 * dim, dim * 4 * dim, dim] * layers   # ffn lin1, lin2
    sizes += [dim, dim] * layers                                     # layer_norm2
    return sizes + [n_words]


def adam_cases(dt, quick):
    """kernel_bench.cpp's adam_multi rows, f32 only: torch.optim.AdamW(fused=True) over the enfr model's
    102 fp32 parameters with fp32 gradients (ours also multiplies each gradient by a device factor).
    PyTorch has no fp32-master update reading bf16/f16 gradients to compare the bf16/f16 rows with."""
    if dt != torch.float32:
        return []
    sizes = enfr_parameter_sizes()
    label = "enfr: %d tensors, %d parameters" % (len(sizes), sum(sizes))

    def make(sets):
        params = [torch.nn.Parameter(torch.empty(n, device="cuda").uniform_(-1, 1)) for n in sizes]
        for p in params:
            p.grad = torch.empty_like(p).uniform_(-1, 1)
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01, fused=True)
        return lambda s: opt.step()
    return [("adam_multi", "torch_fused", label, make)]


FAMILIES = [attention_cases, layer_norm_cases, residual_layer_norm_cases, gelu_cases, bias_gelu_cases,
            softmax_cases, cross_entropy_cases, linear_cases, adam_cases]


def default_commit():
    """XLM_COMMIT (the GPU machine's tree has no .git), else git's HEAD, else "unknown"."""
    if os.environ.get("XLM_COMMIT"):
        return os.environ["XLM_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_json(path, report):
    """Atomically (a reader never sees half a file)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", default="")
    ap.add_argument("--filter", default="")
    ap.add_argument("--dtypes", default="bf16,f16,f32")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sets", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--commit", default=None, help="the commit to record (default: XLM_COMMIT, else git's HEAD)")
    ap.add_argument("--command", default=None, help="the command to record (default: this one)")
    args = ap.parse_args()
    commit = args.commit or default_commit()
    command = args.command or " ".join(["python3", "benchmarks/peers/torch_kernels.py"] + sys.argv[1:])
    names = [{"fp16": "f16", "fp32": "f32"}.get(x, x) for x in args.dtypes.split(",") if x]
    for name in names:
        if name not in DTYPES:
            ap.error("--dtypes: '%s' is not one of bf16, f16 (fp16), f32 (fp32)" % name)
    if not torch.cuda.is_available():
        sys.stderr.write("torch_kernels.py: torch sees no CUDA device\n")
        return 1

    timer = Timer()
    device = torch.cuda.get_device_name(0)
    print("device: %s, torch %s, L2 %d MiB, warm-up %d, runs %d, input sets %d"
          % (device, torch.__version__, timer.l2_bytes >> 20, args.warmup, args.runs, args.sets))
    rows, skipped = [], []
    report = {"program": "torch_kernels.py", "device": device, "torch": torch.__version__,
              "cudnn": torch.backends.cudnn.version(), "commit": commit, "command": command,
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "method": {"timer": "CUDA events around each run", "warmup": args.warmup, "runs": args.runs,
                         "input_sets": args.sets, "l2_bytes": timer.l2_bytes, "l2_flush_bytes": 2 * timer.l2_bytes,
                         "statistic": "median", "dtypes": names, "quick": args.quick, "filter": args.filter},
              "complete": False, "rows": rows, "skipped": skipped}
    for name in names:
        dt = DTYPES[name]
        for family in FAMILIES:
            for kernel, impl, label, make in family(dt, args.quick):
                if args.filter and args.filter not in kernel:
                    continue
                try:
                    run = make(args.sets)
                    times = timer.time(run, args.warmup, args.runs, args.sets)
                except Exception as e:  # one case failing (a backend refusing a dtype, memory) loses no other row
                    reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    reason = "%s: %s" % (type(e).__name__, reason)
                    skipped.append({"kernel": kernel, "impl": impl, "shape": label, "dtype": name, "reason": reason})
                    print("skipped: %s %s %s %s: %s" % (kernel, impl, label, name, reason))
                    torch.cuda.empty_cache()
                    if args.json:
                        write_json(args.json, report)
                    continue
                row = {"kernel": kernel, "impl": impl, "shape": label, "dtype": name,
                       "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
                       "runs": len(times)}
                rows.append(row)
                print("%-22s %-12s %-28s %-5s %10.4f ms" % (kernel, impl, label, name, row["median_ms"]))
                sys.stdout.flush()
                torch.cuda.empty_cache()
                if args.json:
                    write_json(args.json, report)
    report["complete"] = True
    if args.json:
        write_json(args.json, report)
        print("wrote %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
