#!/usr/bin/env python3
"""Ratio table between two kernel benchmark reports: ours
(xlm_kernel_bench --json) and a peer's (benchmarks/peers/torch_kernels.py).

Rows are matched on (kernel, shape, dtype); both programs use the same
kernel names, shape labels and dtype names for that reason. For every row
of ours (impl "xlm") and every peer implementation of the same row the
table gives both medians and the speed ratio peer_ms / ours_ms, so 1.0 or
more means ours is at least as fast: the way docs/kernels.md states its
targets ("attention fwd+bwd >= 1.0x cuDNN").

    benchmarks/kernels/compare.py OURS.json PEER.json
"""
import json
import sys

OURS_IMPL = "xlm"


def key(row):
    return (row["kernel"], row["shape"], row["dtype"])


def compare(ours, peer):
    """List of dicts (kernel, shape, dtype, impl, ours_ms, peer_ms, speed), one
    per (our row, peer implementation of the same row), in our rows' order."""
    peers = {}
    for row in peer.get("rows", []):
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
    return [key(r) for r in ours.get("rows", []) if r.get("impl") == OURS_IMPL and key(r) not in have]


def format_table(rows):
    lines = ["%-22s %-28s %-5s %-12s %10s %10s %8s" % ("kernel", "shape", "dtype", "peer", "ours ms", "peer ms",
                                                       "speed")]
    for r in rows:
        lines.append("%-22s %-28s %-5s %-12s %10.4f %10.4f %7.2fx" % (
            r["kernel"], r["shape"], r["dtype"], r["impl"], r["ours_ms"], r["peer_ms"], r["speed"]))
    return "\n".join(lines)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: compare.py OURS.json PEER.json\n")
        return 2
    with open(argv[1]) as f:
        ours = json.load(f)
    with open(argv[2]) as f:
        peer = json.load(f)
    rows = compare(ours, peer)
    print("ours: %s on %s (%s); peer: %s on %s" % (ours.get("program"), ours.get("device"), ours.get("commit"),
                                                 peer.get("program"), peer.get("device")))
    print("speed = peer ms / ours ms (>= 1.00x: ours is at least as fast)")
    print(format_table(rows))
    missing = unmatched(ours, peer)
    if missing:
        print("%d of our rows have no peer row (e.g. %s)" % (len(missing), " ".join(missing[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
