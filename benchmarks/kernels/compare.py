#!/usr/bin/env python3
"""Ratio table between two kernel benchmark reports: ours
(xlm_kernel_bench --json) and a peer's (benchmarks/peers/torch_kernels.py).

Rows are matched on (kernel, shape, dtype); both programs use the same
kernel names, shape labels and dtype names for that reason. For every row
of ours (impl "xlm") and every peer implementation of the same row the
table gives both medians and the speed ratio peer_ms / ours_ms, so 1.0 or
more means ours is at least as fast: the way docs/kernels.md states its
targets ("attention fwd+bwd >= 1.0x cuDNN"). Peers timed inside our own
program (impl "cudnn": cuDNN's fused attention, when the build has the
cudnn_frontend header) are compared the same way, from our report. After the
table: the geometric mean of the speed per (kernel, peer implementation), the
figures to quote.

    benchmarks/kernels/compare.py OURS.json PEER.json

Exit status 0, or 1 when a report cannot be read (a peer stopped at a time
limit leaves a report whose "complete" is false: it is compared as it is).
"""
import json
import math
import sys

OURS_IMPL = "xlm"
# Peers that xlm_kernel_bench times itself, in the same process and run.
SAME_RUN_PEERS = ("cudnn",)


def key(row):
    return (row["kernel"], row["shape"], row["dtype"])


def compare(ours, peer):
    """List of dicts (kernel, shape, dtype, impl, ours_ms, peer_ms, speed), one
    per (our row, peer implementation of the same row), in our rows' order."""
    peers = {}
    same_run = [r for r in ours.get("rows", []) if r.get("impl") in SAME_RUN_PEERS]
    for row in same_run + peer.get("rows", []):
        peers.setdefault(key(row), []).append(row)
    out = []
    for row in ours.get("rows", []):
        if row.get("impl") != OURS_IMPL:
            continue
        for p in peers.get(key(row), []):
            ours_ms, peer_ms = float(row["median_ms"]), float(p["median_ms"])
            out.append({
                "kernel": row["kernel"], "shape": row["shape"], "dtype": row["dtype"],
                "impl": p["impl"], "ours_ms": ours_ms, "peer_ms": peer_ms,
                "speed": peer_ms / ours_ms if ours_ms > 0 else float("nan"),
            })
    return out


def unmatched(ours, peer):
    """Our rows (impl xlm) that no peer row matches, as (kernel, shape, dtype)."""
    have = {key(r) for r in peer.get("rows", [])}
    have |= {key(r) for r in ours.get("rows", []) if r.get("impl") in SAME_RUN_PEERS}
    return [key(r) for r in ours.get("rows", []) if r.get("impl") == OURS_IMPL and key(r) not in have]


def format_table(rows):
    lines = ["%-22s %-28s %-5s %-12s %10s %10s %8s" % ("kernel", "shape", "dtype", "peer", "ours ms", "peer ms",
                                                       "speed")]
    for r in rows:
        lines.append("%-22s %-28s %-5s %-12s %10.4f %10.4f %7.2fx" % (
            r["kernel"], r["shape"], r["dtype"], r["impl"], r["ours_ms"], r["peer_ms"], r["speed"]))
    return "\n".join(lines)


def summary(rows):
    """List of (kernel, impl, number of rows, geometric mean speed), in first-seen order."""
    groups = {}
    for r in rows:
        if r["speed"] > 0 and math.isfinite(r["speed"]):
            groups.setdefault((r["kernel"], r["impl"]), []).append(r["speed"])
    return [(k, i, len(v), math.exp(sum(math.log(x) for x in v) / len(v))) for (k, i), v in groups.items()]


def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv):
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(argv) != 3:
        sys.stderr.write("usage: compare.py OURS.json PEER.json\n")
        return 2
    try:
        ours, peer = load(argv[1]), load(argv[2])
    except (OSError, ValueError) as e:
        sys.stderr.write("compare.py: %s\n" % e)
        return 1
    rows = compare(ours, peer)
    print("ours: %s on %s (%s); peer: %s on %s (%s)%s" % (
        ours.get("program"), ours.get("device"), ours.get("commit"), peer.get("program"), peer.get("device"),
        peer.get("commit", "no commit"), "" if peer.get("complete", True) else ", incomplete"))
    print("speed = peer ms / ours ms (>= 1.00x: ours is at least as fast)")
    print(format_table(rows))
    missing = unmatched(ours, peer)
    if missing:
        print("%d of our rows have no peer row (e.g. %s)" % (len(missing), " ".join(missing[0])))
    if rows:
        print("\ngeometric mean of the speed per kernel and peer:")
        for kernel, impl, n, mean in summary(rows):
            print("  %-22s %-12s %3d rows %7.2fx" % (kernel, impl, n, mean))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
