// CUDA cross-entropy. Forward: one block per row computes an fp32
// max-subtracted log-sum-exp and the row's loss (0 when ignored) into an
// fp32 (N,) buffer, keeping lse for the backward; then one block adds the
// rows in a fixed order and divides by the count (deterministic, no atomics).
// Backward: one block per row writes (exp(x - lse) - onehot) * g / count, so
// the probabilities are formed once, in the pass that stores the gradient.
// g is read on the device, so nothing here synchronises with the host.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/cross_entropy/cross_entropy.h"

#include <cstdint>
#include <type_traits>

namespace xlm {

namespace {

constexpr int kReduceThreads = 1024;

template <typename T, typename I>
__global__ void cross_entropy_rows_kernel(const T* logits, const I* targets, long long ignore_index,
                                          float* row_loss, float* lse, long long N, long long V) {
  __shared__ float scratch[32];
  for (long long n = blockIdx.x; n < N; n += gridDim.x) {
    const T* row = logits + n * V;  // (V,)
    float m = -INFINITY;
    for (long long v = threadIdx.x; v < V; v += blockDim.x) m = fmaxf(m, load_float(row[v]));
    m = block_max(m, scratch);
    float sum = 0.0f;
    for (long long v = threadIdx.x; v < V; v += blockDim.x) sum += expf(load_float(row[v]) - m);
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0) {
      const float row_lse = m + logf(sum);
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

template <typename T, typename I>
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
    for (long long v = threadIdx.x; v < V; v += blockDim.x) {
      const float p = expf(load_float(row[v]) - row_lse);
      out[v] = store_float<T>(ignored ? 0.0f : (p - (v == target ? 1.0f : 0.0f)) * g);
    }
  }
}

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
        cross_entropy_rows_kernel<T, I><<<row_blocks(N), row_block_threads(V), 0, ctx.stream>>>(
            static_cast<const T*>(logits.data_ptr()), pt, ignore_index, static_cast<float*>(row_loss.data_ptr()),
            static_cast<float*>(lse.data_ptr()), N, V);
        XLM_CUDA_CHECK_LAUNCH();
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
      cross_entropy_backward_kernel<T, I><<<row_blocks(N), row_block_threads(V), 0, ctx.stream>>>(
          static_cast<const T*>(logits.data_ptr()), pt, static_cast<const float*>(lse.data_ptr()),
          static_cast<const float*>(grad_loss.data_ptr()), ignore_index, inv_count,
          static_cast<T*>(grad_logits.data_ptr()), N, V);
      XLM_CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace xlm
