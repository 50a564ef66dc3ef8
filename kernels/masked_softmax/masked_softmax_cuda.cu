// CUDA masked softmax: one block per (b, ..., i) row, fp32 max / sum-exp
// through the block reductions of kernels/block_reduce.cuh. The mask is never
// materialised: each row computes its visible prefix j < limit from
// key_lengths[b] and the causal offset, and writes exact zeros beyond it.
// key_lengths stay in their own dtype (the kernel is templated on it).
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/masked_softmax/masked_softmax.h"

#include <cstdint>

namespace xlm {

namespace {

// lengths may be null (no padding mask).
template <typename T, typename L>
__global__ void masked_softmax_forward_kernel(const T* scores, const L* lengths, bool causal, float scale, T* y,
                                              long long rows, long long rows_per_batch, long long tq,
                                              long long tk) {
  __shared__ float scratch[32];
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const long long i = row % tq;
    long long limit = lengths ? static_cast<long long>(lengths[row / rows_per_batch]) : tk;
    if (causal) {
      const long long visible = i + tk - tq + 1;
      limit = min(limit, visible > 0 ? visible : 0LL);
    }
    const T* s = scores + row * tk;  // (Tk,)
    T* out = y + row * tk;           // (Tk,)
    float m = -INFINITY;
    for (long long j = threadIdx.x; j < limit; j += blockDim.x) m = fmaxf(m, scale * load_float(s[j]));
    m = block_max(m, scratch);
    float sum = 0.0f;
    for (long long j = threadIdx.x; j < limit; j += blockDim.x) sum += expf(scale * load_float(s[j]) - m);
    sum = block_sum(sum, scratch);
    // limit == 0 (fully masked): m = -inf and sum = 0 are never used, the row becomes zeros.
    const float inv = limit > 0 ? 1.0f / sum : 0.0f;
    for (long long j = threadIdx.x; j < tk; j += blockDim.x)
      out[j] = store_float<T>(j < limit ? expf(scale * load_float(s[j]) - m) * inv : 0.0f);
  }
}

template <typename T>
__global__ void masked_softmax_backward_kernel(const T* y, const T* gy, float scale, T* gs, long long rows,
                                               long long tk) {
  __shared__ float scratch[32];
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* yr = y + row * tk;   // (Tk,)
    const T* gr = gy + row * tk;  // (Tk,)
    float dot = 0.0f;
    for (long long j = threadIdx.x; j < tk; j += blockDim.x) dot += load_float(gr[j]) * load_float(yr[j]);
    dot = block_sum(dot, scratch);
    for (long long j = threadIdx.x; j < tk; j += blockDim.x) {
      const float p = load_float(yr[j]);
      gs[row * tk + j] = store_float<T>(scale * p * (load_float(gr[j]) - dot));
    }
  }
}

template <typename T, typename L>
void launch_forward(const Tensor& scores, const L* lengths, bool causal, double scale, Tensor& y) {
  const long long tq = scores.size(-2), tk = scores.size(-1);
  const long long rows = scores.numel() / tk;
  const long long rows_per_batch = rows / scores.size(0);
  CudaContext& ctx = CudaContext::get(scores.device().index);
  masked_softmax_forward_kernel<T, L><<<row_blocks(rows), row_block_threads(tk), 0, ctx.stream>>>(
      static_cast<const T*>(scores.data_ptr()), lengths, causal, static_cast<float>(scale),
      static_cast<T*>(y.data_ptr()), rows, rows_per_batch, tq, tk);
  XLM_CUDA_CHECK_LAUNCH();
}

}  // namespace

void masked_softmax_forward_cuda(const Tensor& scores, const Tensor& key_lengths, bool causal, double scale,
                                 Tensor& y) {
  if (scores.numel() == 0) return;
  XLM_DISPATCH_CUDA_FLOAT(scores.dtype(), "masked_softmax", [&](auto tag) {
    using T = decltype(tag);
    if (!key_lengths.defined())
      launch_forward<T, int64_t>(scores, nullptr, causal, scale, y);
    else if (key_lengths.dtype() == DType::i32)
      launch_forward<T, int32_t>(scores, static_cast<const int32_t*>(key_lengths.data_ptr()), causal, scale, y);
    else
      launch_forward<T, int64_t>(scores, static_cast<const int64_t*>(key_lengths.data_ptr()), causal, scale, y);
  });
}

void masked_softmax_backward_cuda(const Tensor& y, const Tensor& grad_y, double scale, Tensor& grad_scores) {
  if (y.numel() == 0) return;
  const long long tk = y.size(-1);
  const long long rows = y.numel() / tk;
  CudaContext& ctx = CudaContext::get(y.device().index);
  XLM_DISPATCH_CUDA_FLOAT(y.dtype(), "masked_softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    masked_softmax_backward_kernel<T><<<row_blocks(rows), row_block_threads(tk), 0, ctx.stream>>>(
        static_cast<const T*>(y.data_ptr()), static_cast<const T*>(grad_y.data_ptr()), static_cast<float>(scale),
        static_cast<T*>(grad_scores.data_ptr()), rows, tk);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
