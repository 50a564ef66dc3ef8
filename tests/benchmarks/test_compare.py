#!/usr/bin/env python3
"""benchmarks/kernels/compare.py on a tiny pair of reports written here: the
row matching, the speed ratio (peer ms / ours ms) and the printed table.
Needs neither torch nor a GPU; ctest runs it as kernel_bench_compare."""
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "kernels"))
import compare  # noqa: E402

OURS = {"program": "xlm_kernel_bench", "device": "GPU", "commit": "abc", "rows": [
    {"kernel": "attention_fwd", "impl": "xlm", "shape": "B=64 T=256 H=16 D=64", "dtype": "bf16", "median_ms": 2.0},
    {"kernel": "attention_fwd", "impl": "xlm_unfused", "shape": "B=64 T=256 H=16 D=64", "dtype": "bf16",
     "median_ms": 5.0},
    {"kernel": "attention_fwd", "impl": "cudnn", "shape": "B=64 T=256 H=16 D=64", "dtype": "bf16",
     "median_ms": 2.5},
    {"kernel": "attention_fwdbwd", "impl": "xlm", "shape": "B=64 T=256 H=16 D=64", "dtype": "bf16",
     "median_ms": 4.0},
    {"kernel": "attention_fwdbwd", "impl": "cudnn", "shape": "B=64 T=256 H=16 D=64", "dtype": "bf16",
     "median_ms": 3.0},
    {"kernel": "gelu_fwd", "impl": "xlm", "shape": "N=16384 C=4096", "dtype": "f32", "median_ms": 0.5},
    {"kernel": "gelu_fwd", "impl": "copy", "shape": "N=16384 C=4096", "dtype": "f32", "median_ms": 0.4},
    {"kernel": "layer_norm_fwd", "impl": "xlm", "shape": "N=16384 C=1024", "dtype": "f16", "median_ms": 0.1},
]}
PEER = {"program": "torch_kernels.py", "device": "GPU", "rows": [
    {"kernel": "attention_fwd", "impl": "torch_flash", "shape": "B=64 T=256 H=16 D=64", "dtype": "bf16",
     "median_ms": 1.0},
    {"kernel": "attention_fwd", "impl": "torch_cudnn", "shape": "B=64 T=256 H=16 D=64", "dtype": "bf16",
     "median_ms": 3.0},
    {"kernel": "gelu_fwd", "impl": "torch", "shape": "N=16384 C=4096", "dtype": "f32", "median_ms": 0.6},
    {"kernel": "gelu_fwd", "impl": "torch", "shape": "N=16384 C=4096", "dtype": "bf16", "median_ms": 9.0},
]}


class CompareTest(unittest.TestCase):
    def test_rows_and_speed(self):
        rows = compare.compare(OURS, PEER)
        got = [(r["kernel"], r["impl"], r["dtype"], round(r["speed"], 6)) for r in rows]
        # Only impl "xlm" rows of ours; every peer implementation of the same (kernel, shape, dtype):
        # the in-run cudnn rows of our own report first, then the peer report's.
        self.assertEqual(got, [("attention_fwd", "cudnn", "bf16", 1.25),
                               ("attention_fwd", "torch_flash", "bf16", 0.5),
                               ("attention_fwd", "torch_cudnn", "bf16", 1.5),
                               ("attention_fwdbwd", "cudnn", "bf16", 0.75),
                               ("gelu_fwd", "torch", "f32", 1.2)])
        self.assertEqual(rows[1]["ours_ms"], 2.0)
        self.assertEqual(rows[1]["peer_ms"], 1.0)

    def test_unmatched(self):
        self.assertEqual(compare.unmatched(OURS, PEER), [("layer_norm_fwd", "N=16384 C=1024", "f16")])

    def test_main_prints_the_table(self):
        with tempfile.TemporaryDirectory() as d:
            ours_path, peer_path = os.path.join(d, "ours.json"), os.path.join(d, "peer.json")
            with open(ours_path, "w") as f:
                json.dump(OURS, f)
            with open(peer_path, "w") as f:
                json.dump(PEER, f)
            buf = io.StringIO()
            with redirect_stdout(buf):
                self.assertEqual(compare.main(["compare.py", ours_path, peer_path]), 0)
            text = buf.getvalue()
        self.assertIn("torch_cudnn", text)
        self.assertIn("1.50x", text)
        self.assertIn("0.50x", text)
        self.assertIn("1.20x", text)
        self.assertIn("0.75x", text)
        self.assertIn("1 of our rows have no peer row", text)
        self.assertEqual(compare.main(["compare.py"]), 2)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
