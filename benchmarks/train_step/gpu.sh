#!/usr/bin/env bash
# Everything the GPU session of issue 9 needs, in one command on the GPU
# machine: build xlm with CUDA for the local GPU's architecture (only the
# `xlm` binary), then for the enfr and xnli15 shapes run ours in bf16 next to
# the PyTorch peer, eager and torch.compile (benchmarks/train_step/run
# --peers), and copy the JSON results and logs to $OUT (or gpu-bench-logs/).
# With NCU=1 it also profiles two enfr steps with Nsight Compute (a
# per-kernel summary, docs/performance.md says how to read it).
#
#   benchmarks/train_step/gpu.sh     (from anywhere; dependencies from .deps/ as scripts/gpu-check)
#
# Environment: PRECISION (default bf16), STEPS (default 20), WARMUP (default
# 5), SHAPES (default "enfr xnli15"; one shape per call fits a shorter time
# limit), PYTHON (default python3, the one with torch). Without .git in
# the tree the JSON records commit "unknown": note the commit that was sent.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
out=${OUT:-gpu-bench-logs}
mkdir -p "$out"
if [ -d .deps/usr ]; then
  export CMAKE_PREFIX_PATH=$PWD/.deps/usr LD_LIBRARY_PATH=$PWD/.deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
  export CPATH=$PWD/.deps/usr/include:${CPATH:-}
fi
precision=${PRECISION:-bf16}
steps=${STEPS:-20}
warmup=${WARMUP:-5}
shapes=${SHAPES:-enfr xnli15}
export PYTHON=${PYTHON:-python3}

arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')
arch=${arch:-90}
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if ! { cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DXLM_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" \
         "${launcher[@]}" && cmake --build build-gpu -j "$(nproc)" --target xlm; } >"$out/build.log" 2>&1; then
  echo "gpu.sh: the CUDA build failed; see $out/build.log" >&2
  tail -30 "$out/build.log" >&2
  exit 1
fi
export XLM=$PWD/build-gpu/xlm
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >"$out/nvidia-smi.csv" 2>&1

status=0
# shellcheck disable=SC2086  # $shapes is a list of words
for shape in $shapes; do
  benchmarks/train_step/run --device cuda --shape "$shape" --precision "$precision" --steps "$steps" \
    --warmup "$warmup" --peers >"$out/train_step-$shape.log" 2>&1 || status=1
  tail -4 "$out/train_step-$shape.log"
done
cp benchmarks/results/train_step-cuda-*.json "$out/" 2>/dev/null

if [ "${NCU:-0}" = 1 ]; then
  ncu=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
  "$ncu" --csv --print-summary per-kernel --launch-skip 200 --launch-count 400 \
    "$XLM" bench train --shape enfr --device cuda --precision "$precision" --steps 2 --warmup 1 \
    >"$out/ncu-enfr.csv" 2>"$out/ncu-enfr.log" || status=1
fi
exit $status
