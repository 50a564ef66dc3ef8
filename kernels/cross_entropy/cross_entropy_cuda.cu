// CUDA cross-entropy. Forward: one block per row computes an fp32
// log-sum-exp in a single read of the row (online: each thread keeps a
// running max and a sum rescaled when the max grows, Milakov & Gimelshein
// 2018, and the block merges the (max, sum) pairs), writes the row's loss
// (0 when ignored) into an fp32 (N,) buffer and keeps lse for the backward;
// then one block adds the rows in a fixed order and divides by the count
// (deterministic, no atomics). Backward: one block per row writes
// (exp(x - lse) - onehot) * g / count in one read and one write of the row,
// so the probabilities are formed once, in the pass that stores the gradient,
// and never stored. Threads own groups of 4 columns, read as one vector load
// when V is a multiple of 4 and the pointers are aligned (vocabularies of
// 64k-95k columns are 250-370 elements per thread of a 256-thread block).
// g is read on the device, so nothing here synchronises with the host.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/vec_access.cuh"

#include <cstdint>
#include <type_traits>

namespace xlm {

namespace {

constexpr int kReduceThreads = 1024;

// A running log-sum-exp: sum = sum of exp(x - max) over the elements seen.
struct MaxSum {
  float max;
  float sum;
};

__device__ __forceinline__ MaxSum merge(MaxSum a, MaxSum b) {
  const float m = fmaxf(a.max, b.max);
  if (m == -INFINITY) return MaxSum{m, 0.0f};  // neither has seen an element
  return MaxSum{m, a.sum * expf(a.max - m) + b.sum * expf(b.max - m)};
}

// Every thread receives the merge over the block; `scratch` is __shared__ MaxSum[32].
__device__ __forceinline__ MaxSum block_merge(MaxSum v, MaxSum* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int offset = 16; offset > 0; offset >>= 1)
    v = merge(v, MaxSum{__shfl_xor_sync(0xffffffffu, v.max, offset), __shfl_xor_sync(0xffffffffu, v.sum, offset)});
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : MaxSum{-INFINITY, 0.0f};
  for (int offset = 16; offset > 0; offset >>= 1)
    v = merge(v, MaxSum{__shfl_xor_sync(0xffffffffu, v.max, offset), __shfl_xor_sync(0xffffffffu, v.sum, offset)});
  return v;
}

template <typename T, typename I, bool kVec>
__global__ void cross_entropy_rows_kernel(const T* logits, const I* targets, long long ignore_index,
                                          float* row_loss, float* lse, long long N, long long V) {
  __shared__ MaxSum scratch[32];
  for (long long n = blockIdx.x; n < N; n += gridDim.x) {
    const T* row = logits + n * V;  // (V,)
    MaxSum acc{-INFINITY, 0.0f};
    for (long long v = 4LL * threadIdx.x; v < V; v += 4LL * blockDim.x) {
      float x[4];
      load4<T, kVec>(row, v, V, x);
      float m = acc.max;
#pragma unroll
      for (int j = 0; j < 4; ++j)  // fmaxf drops NaN: a NaN logit makes the max +inf, so the row's lse is NaN as on the CPU
        if (v + j < V) m = isnan(x[j]) ? INFINITY : fmaxf(m, x[j]);
      if (m == -INFINITY) continue;  // nothing but -inf so far: the sum stays 0 (exp(-inf - -inf) is NaN)
      float s = acc.max == -INFINITY ? 0.0f : acc.sum * expf(acc.max - m);  // rescale once per group
#pragma unroll
      for (int j = 0; j < 4; ++j)
        if (v + j < V) s += expf(x[j] - m);
      acc = MaxSum{m, s};
    }
    acc = block_merge(acc, scratch);
    if (threadIdx.x == 0) {
      const float row_lse = acc.max + logf(acc.sum);
      const long long target = static_cast<long long>(targets[n]);
      lse[n] = row_lse;
      row_loss[n] = target == ignore_index ? 0.0f : row_lse - load_float(row[target]);
    }
  }
}

// A single block: loss = sum(row_loss) / count, or 0 when count == 0.
__global__ void cross_entropy_mean_kernel(const float* row_loss, long long N, long long count, float* loss) {
  __shared__ float scratch[32];
  float s = 0.0f;
  for (long long n = threadIdx.x; n < N; n += blockDim.x) s += row_loss[n];
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) *loss = count > 0 ? s / static_cast<float>(count) : 0.0f;
}

template <typename T, typename I, bool kVec>
__global__ void cross_entropy_backward_kernel(const T* logits, const I* targets, const float* lse,
                                              const float* grad_loss, long long ignore_index, float inv_count,
                                              T* grad_logits, long long N, long long V) {
  const float g = *grad_loss * inv_count;
  for (long long n = blockIdx.x; n < N; n += gridDim.x) {
    const long long target = static_cast<long long>(targets[n]);
    const bool ignored = target == ignore_index;
    const float row_lse = lse[n];
    const T* row = logits + n * V;  // (V,)
    T* out = grad_logits + n * V;   // (V,)
    for (long long v = 4LL * threadIdx.x; v < V; v += 4LL * blockDim.x) {
      float x[4];
      if (!ignored) load4<T, kVec>(row, v, V, x);
#pragma unroll
      for (int j = 0; j < 4; ++j)
        x[j] = ignored ? 0.0f : (expf(x[j] - row_lse) - (v + j == target ? 1.0f : 0.0f)) * g;
      store4<T, kVec>(out, v, V, x);
    }
  }
}

// Vector path when rows are a multiple of 4 long and every row pointer is aligned.
template <typename T>
bool rows_vectorizable(long long V, const void* a, const void* b = nullptr) {
  return V % 4 == 0 && vec4_aligned<T>(a) && (b == nullptr || vec4_aligned<T>(b));
}

int ce_threads(long long V) { return row_block_threads((V + 3) / 4); }

template <typename F>
void with_target_type(const Tensor& targets, F&& f) {
  if (targets.dtype() == DType::i32)
    f(static_cast<const int32_t*>(targets.data_ptr()));
  else
    f(static_cast<const int64_t*>(targets.data_ptr()));
}

}  // namespace

void cross_entropy_forward_cuda(const Tensor& logits, const Tensor& targets, int64_t ignore_index, int64_t count,
                                Tensor& loss, Tensor& lse) {
  const long long N = logits.size(0), V = logits.size(1);
  CudaContext& ctx = CudaContext::get(logits.device().index);
  Tensor row_loss = Tensor::empty({N}, DType::f32, logits.device());  // (N,)
  XLM_DISPATCH_CUDA_FLOAT(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    if (N > 0) {
      with_target_type(targets, [&](auto* pt) {
        using I = std::remove_const_t<std::remove_pointer_t<decltype(pt)>>;
        auto launch = [&](auto kernel) {
          kernel<<<row_blocks(N), ce_threads(V), 0, ctx.stream>>>(
              static_cast<const T*>(logits.data_ptr()), pt, ignore_index, static_cast<float*>(row_loss.data_ptr()),
              static_cast<float*>(lse.data_ptr()), N, V);
          XLM_CUDA_CHECK_LAUNCH();
        };
        if (rows_vectorizable<T>(V, logits.data_ptr()))
          launch(cross_entropy_rows_kernel<T, I, true>);
        else
          launch(cross_entropy_rows_kernel<T, I, false>);
      });
    }
    cross_entropy_mean_kernel<<<1, kReduceThreads, 0, ctx.stream>>>(static_cast<const float*>(row_loss.data_ptr()),
                                                                     N, count, static_cast<float*>(loss.data_ptr()));
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void cross_entropy_backward_cuda(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                                 const Tensor& grad_loss, int64_t ignore_index, int64_t count,
                                 Tensor& grad_logits) {
  const long long N = logits.size(0), V = logits.size(1);
  if (N == 0) return;
  CudaContext& ctx = CudaContext::get(logits.device().index);
  const float inv_count = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
  XLM_DISPATCH_CUDA_FLOAT(logits.dtype(), "cross_entropy_backward", [&](auto tag) {
    using T = decltype(tag);
    with_target_type(targets, [&](auto* pt) {
      using I = std::remove_const_t<std::remove_pointer_t<decltype(pt)>>;
      auto launch = [&](auto kernel) {
        kernel<<<row_blocks(N), ce_threads(V), 0, ctx.stream>>>(
            static_cast<const T*>(logits.data_ptr()), pt, static_cast<const float*>(lse.data_ptr()),
            static_cast<const float*>(grad_loss.data_ptr()), ignore_index, inv_count,
            static_cast<T*>(grad_logits.data_ptr()), N, V);
        XLM_CUDA_CHECK_LAUNCH();
      };
      if (rows_vectorizable<T>(V, logits.data_ptr(), grad_logits.data_ptr()))
        launch(cross_entropy_backward_kernel<T, I, true>);
      else
        launch(cross_entropy_backward_kernel<T, I, false>);
    });
  });
}

}  // namespace xlm
