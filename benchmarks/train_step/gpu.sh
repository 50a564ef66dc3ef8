#!/usr/bin/env bash
# Issue 9's GPU figures in one command on the GPU machine: builds xlm with
# CUDA for the local GPU's architecture (only the `xlm` binary, in build-gpu/
# beside scripts/gpu-check's), then for each shape runs ours in bf16 next to
# the PyTorch peer, eager and torch.compile (benchmarks/train_step/run
# --peers). With NCU=1 it also profiles two enfr steps with Nsight Compute (a
# per-kernel summary, docs/performance.md says how to read it).
#
#   SHAPES=enfr benchmarks/train_step/gpu.sh     (from anywhere; dependencies from .deps/ as scripts/gpu-check)
#   benchmarks/train_step/gpu.sh --help
#
# One shape per call is the plan (docs/gpu-ledger.md): building, ours, eager
# and torch.compile of one shape take minutes, and the device kills a command
# at 600 s. The whole call has a budget (XLM_GPU_CHECK_SECONDS, default 540):
# the build and every shape run under `timeout` with what remains, the peers
# get a shape's time less a minute for ours and the JSON (--peer_seconds), so
# a slow torch.compile costs only its own figures, and a shape with too
# little time left reads "not run (time budget)". Results are printed as they arrive and
# written to summary.txt at once.
#
# What comes back in $OUT (or build-gpu-bench-logs/): summary.txt (with each
# shape's `xlm bench train --profile` header and region lines: where a step's
# time goes), gpu-bench-logs.tar.gz (build and run logs, the profiles' call
# lines, nvidia-smi), the JSON
# benchmarks/results/train_step-cuda-<date>.json (one entry per shape: copy a
# first call's JSON into benchmarks/results/ before the next call and that
# call adds its shape to it), and with NCU=1 ncu-enfr.csv: 4 files at most.
#
# Environment: SHAPES (default "enfr xnli15"), PRECISION (default bf16),
# STEPS (default 20), WARMUP (default 5), PYTHON (default python3, the one
# with torch), XLM_COMMIT (the commit to record: the tree on the device has
# no .git), XLM_GPU_CHECK_SECONDS (the call's budget), XLM_GPU_CHECK_BUILD=0
# (use build-gpu/xlm as it is, no build step), NCU=1.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
case ${1:-} in
  -h|--help) awk 'NR > 1 { if (!/^#/) exit; sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  "") ;;
  *) echo "gpu.sh: no arguments (the environment sets shapes and steps; --help)" >&2; exit 2 ;;
esac
if [ -d .deps/usr ]; then
  export CMAKE_PREFIX_PATH=$PWD/.deps/usr LD_LIBRARY_PATH=$PWD/.deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
  export CPATH=$PWD/.deps/usr/include:${CPATH:-}
fi
precision=${PRECISION:-bf16}
steps=${STEPS:-20}
warmup=${WARMUP:-5}
shapes=${SHAPES:-enfr xnli15}
budget=${XLM_GPU_CHECK_SECONDS:-540}
[[ $budget =~ ^[0-9]+$ ]] || { echo "gpu.sh: XLM_GPU_CHECK_SECONDS '$budget' is not a whole number" >&2; exit 2; }
export PYTHON=${PYTHON:-python3}
commit=${XLM_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
export XLM_COMMIT=$commit
reserve=15 kill_grace=10 min_step=30

ret=${OUT:-build-gpu-bench-logs}
mkdir -p "$ret" || exit 1
work=$(mktemp -d -t gpu-bench.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT   # everything in it is in the archive
results=()

record() {
  results+=("$1")
  echo "$1"
  {
    echo "gpu.sh $(date -u +%FT%TZ): commit $commit; shapes $shapes; $precision, $steps steps after $warmup;" \
      "budget ${budget} s, ${SECONDS} s used"
    cat "$work/nvidia-smi.csv" 2>/dev/null
    printf '%s\n' "${results[@]}"
  } >"$ret/summary.txt"
}
archive() {
  cp "$ret/summary.txt" "$work/" 2>/dev/null
  tar czf "$ret/gpu-bench-logs.tar.gz.tmp" -C "$work" . 2>/dev/null &&
    mv "$ret/gpu-bench-logs.tar.gz.tmp" "$ret/gpu-bench-logs.tar.gz"
  # This call's JSON only (benchmarks/results/ may hold committed ones of other days).
  find benchmarks/results -maxdepth 1 -name 'train_step-cuda-*.json' -newer "$work/nvidia-smi.csv" \
    -exec cp {} "$ret/" \; 2>/dev/null
  [ -f "$work/ncu-enfr.csv" ] && cp "$work/ncu-enfr.csv" "$ret/"
  return 0
}
trap 'record "gpu.sh: stopped by a signal after ${SECONDS} s"; archive; exit 143' TERM INT
step_limit() {
  local limit=$((budget - SECONDS - reserve - kill_grace))
  echo "$limit"
  ((limit >= min_step))
}
verdict() { case $1 in 0) echo pass ;; 124|137) echo timeout ;; *) echo fail ;; esac; }

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >"$work/nvidia-smi.csv" 2>&1
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')
arch=${arch:-90}
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
t0=$SECONDS
limit=$(step_limit) || { record "build: not run (time budget)"; archive; exit 1; }
if [ "${XLM_GPU_CHECK_BUILD:-1}" = 0 ]; then
  [ -x build-gpu/xlm ] || { record "build: skipped (XLM_GPU_CHECK_BUILD=0), but there is no build-gpu/xlm"; archive; exit 1; }
  record "build: skipped (XLM_GPU_CHECK_BUILD=0: build-gpu/xlm as it is)"
else
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout -k "$kill_grace" "$limit" bash -c 'cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DXLM_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="$1" "${@:2}" && cmake --build build-gpu -j "$(nproc)" --target xlm' _ "$arch" \
    "${launcher[@]}" >"$work/build.log" 2>&1
  status=$?
  record "build: $(verdict $status) in $((SECONDS - t0)) s ($(grep -m1 -E '^-- xlm: CUDA=' "$work/build.log" | sed 's/^-- //'))"
  if [ $status -ne 0 ]; then
    tail -30 "$work/build.log" >&2
    archive
    exit 1
  fi
fi
export XLM=$PWD/build-gpu/xlm

failed=0
# shellcheck disable=SC2086  # $shapes is a list of words
set -- $shapes
n=$#
for shape in "$@"; do
  t0=$SECONDS
  # This shape's share of what remains; the peers all of it but a minute (ours takes seconds).
  if ! limit=$(step_limit); then record "$shape: not run (time budget)"; failed=1; n=$((n - 1)); continue; fi
  limit=$((limit / n))
  n=$((n - 1))
  timeout -k "$kill_grace" "$limit" benchmarks/train_step/run --device cuda --shape "$shape" --precision "$precision" \
    --steps "$steps" --warmup "$warmup" --peers --peer_seconds $((limit > 90 ? limit - 60 : limit * 2 / 3)) >"$work/train_step-$shape.log" 2>&1
  status=$?
  ratios=$(grep -E "^$shape on cuda" "$work/train_step-$shape.log" | tail -1)
  v=$(verdict $status)
  # train_step/run exits 1 when a peer failed and ours was recorded: not the same as ours failing.
  [ $status -eq 1 ] && grep -q "ours was recorded" "$work/train_step-$shape.log" && v="ours pass, a peer failed"
  record "$shape: $v in $((SECONDS - t0)) s (${ratios:-no figures: see train_step-$shape.log})"
  grep -E '^run: ' "$work/train_step-$shape.log"
  [ $status -eq 0 ] || failed=1
  # Where a step's time goes (xlm bench train --profile, core/op_profile.h): a few
  # more steps with CUDA event pairs around every backend call; the header, the
  # region lines and the host probe's lines (host and queued ms/step: the CUDA-graph
  # rule of docs/performance.md) go to summary.txt, the calls to the archive.
  if plimit=$(step_limit); then
    timeout -k "$kill_grace" "$plimit" "$XLM" bench train --shape "$shape" --device cuda --precision "$precision" \
      --steps 3 --warmup 2 --profile 5 >"$work/profile-$shape.txt" 2>&1
    pstatus=$?
    record "$shape profile: $(verdict $pstatus)"
    while IFS= read -r line; do record "  $line"; done < <(grep -E '^(profile( region)?|ms/step|host ms/step|queued ms/step): ' "$work/profile-$shape.txt")
    [ $pstatus -eq 0 ] || failed=1
  else
    record "$shape profile: not run (time budget)"
  fi
  archive
done

if [ "${NCU:-0}" = 1 ]; then
  t0=$SECONDS
  if limit=$(step_limit); then
    ncu=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
    timeout -k "$kill_grace" "$limit" "$ncu" --csv --print-summary per-kernel --launch-skip 200 --launch-count 400 \
      "$XLM" bench train --shape enfr --device cuda --precision "$precision" --steps 2 --warmup 1 \
      >"$work/ncu-enfr.csv" 2>"$work/ncu-enfr.log"
    status=$?
    v=$(verdict $status)
    [ $status -ne 0 ] && grep -q "LibraryNotLoaded" "$work/ncu-enfr.log" && v=unsupported
    record "ncu enfr: $v in $((SECONDS - t0)) s"
    [ $status -eq 0 ] || failed=1
  else
    record "ncu enfr: not run (time budget)"
    failed=1
  fi
fi
archive
exit $failed
