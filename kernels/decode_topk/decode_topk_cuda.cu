// CUDA decode_topk: one block per row. Pass 1 reduces the row's maximum and
// pass 2 the sum of exp(x - max), both in fp64 (the CPU twin's arithmetic, in
// a fixed parallel order). Then k selection rounds: each thread finds, among
// its strided words, the best one strictly after the previous winner in the
// op's total order (key descending, NaN last, ties by lower id), and a block
// reduction picks the round's winner. A round re-reads the row (V x 2-4
// bytes, mostly from L2): for beam search's k = 2K and V = 64k that is a few
// MB per row, against copying the row to the host and sorting it there.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/decode_topk/decode_topk.h"

#include <math.h>

namespace xlm {

namespace {

constexpr int kTopkThreads = 256;

// A candidate: its key and word id; id -1 is "none" (after every real candidate).
struct Cand {
  double key;
  long long id;
};

// Whether a comes before b: decode_topk_before's rule (key descending, NaN after every
// number, then the lower id), with "none" after every real candidate.
__device__ __forceinline__ bool before(const Cand& a, const Cand& b) {
  if (a.id < 0 || b.id < 0) return b.id < 0 && a.id >= 0;
  const bool an = isnan(a.key), bn = isnan(b.key);
  if (an || bn) return an == bn ? a.id < b.id : bn;
  return a.key > b.key || (a.key == b.key && a.id < b.id);
}

__device__ __forceinline__ Cand warp_best(Cand c) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    Cand o{__shfl_xor_sync(0xffffffffu, c.key, offset), __shfl_xor_sync(0xffffffffu, c.id, offset)};
    if (before(o, c)) c = o;
  }
  return c;
}

// Every thread receives the block's best; `scratch` holds 32 candidates.
__device__ Cand block_best(Cand c, Cand* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  c = warp_best(c);
  __syncthreads();
  if (lane == 0) scratch[warp] = c;
  __syncthreads();
  return warp_best(lane < warps ? scratch[lane] : Cand{0.0, -1});
}

__device__ __forceinline__ double warp_reduce(double v, bool take_max) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    const double o = __shfl_xor_sync(0xffffffffu, v, offset);
    v = take_max ? fmax(v, o) : v + o;
  }
  return v;
}

// Every thread receives the block's maximum (NaN ignored, -inf when empty) or sum.
__device__ double block_reduce(double v, bool take_max, double* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_reduce(v, take_max);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  return warp_reduce(lane < warps ? scratch[lane] : (take_max ? -INFINITY : 0.0), take_max);
}

template <typename T>
__global__ void __launch_bounds__(kTopkThreads)
    decode_topk_kernel(const T* __restrict__ logits, const double* __restrict__ bias, double* __restrict__ values,
                       long long* __restrict__ indices, long long N, long long V, long long k) {
  __shared__ double sums[32];
  __shared__ Cand cands[32];
  for (long long r = blockIdx.x; r < N; r += gridDim.x) {
    const T* row = logits + r * V;  // (V)
    double top = -INFINITY;
    bool nan_seen = false;
    for (long long v = threadIdx.x; v < V; v += blockDim.x) {
      const double x = static_cast<double>(load_float(row[v]));
      nan_seen = nan_seen || isnan(x);
      top = fmax(top, x);
    }
    top = block_reduce(top, true, sums);
    // The CPU's max_element may return NaN where fmax skips it; either way a
    // NaN logit makes the sum, and so every key, NaN.
    double sum = nan_seen ? NAN : 0.0;
    for (long long v = threadIdx.x; v < V; v += blockDim.x) sum += exp(static_cast<double>(load_float(row[v])) - top);
    const double lse = top + log(block_reduce(sum, false, sums));
    const double b = bias[r];
    Cand prev{0.0, -1};  // no winner yet: every candidate qualifies
    for (long long j = 0; j < k; ++j) {
      Cand best{0.0, -1};
      for (long long v = threadIdx.x; v < V; v += blockDim.x) {
        const Cand c{b + (static_cast<double>(load_float(row[v])) - lse), v};
        if ((prev.id < 0 || before(prev, c)) && before(c, best)) best = c;
      }
      best = block_best(best, cands);
      if (threadIdx.x == 0) {
        values[r * k + j] = best.key;
        indices[r * k + j] = best.id;
      }
      prev = best;
    }
  }
}

}  // namespace

void decode_topk_forward_cuda(const Tensor& logits, const Tensor& bias, Tensor& values, Tensor& indices) {
  const long long N = logits.size(0), V = logits.size(1), k = values.size(1);
  CudaContext& ctx = CudaContext::get(logits.device().index);
  XLM_DISPATCH_CUDA_FLOAT(logits.dtype(), "decode_topk", [&](auto tag) {
    using T = decltype(tag);
    decode_topk_kernel<T><<<row_blocks(N), kTopkThreads, 0, ctx.stream>>>(
        static_cast<const T*>(logits.data_ptr()), bias.data<double>(), values.data<double>(),
        reinterpret_cast<long long*>(indices.data<int64_t>()), N, V, k);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
