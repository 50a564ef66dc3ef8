// CUDA twin of fused attention: chooses kernels and launches them. bf16/f16
// with D = 64 or 128 and 16-byte aligned tensors run the tensor-core
// flash-attention-2 kernels (attention_mma.cuh forward,
// attention_mma_backward.cuh backward); f32 and other head sizes run the
// fp32-FMA kernels of attention_generic.cuh (which say why dQ is a separate
// pass rather than atomics). Head sizes above 256 are a ShapeError. Key lengths stay in their
// own dtype on the device; the front checks their range with a device kernel
// (reported at the next device read) and key_length() clamps them meanwhile.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/attention/attention.h"
#include "kernels/attention/attention_generic.cuh"
#include "kernels/attention/attention_mma.cuh"
#include "kernels/attention/attention_mma_backward.cuh"
#include "kernels/dynamic_shared.cuh"
#include "kernels/dropout/dropout.h"

#include <cstdint>
#include <type_traits>

namespace xlm {

namespace {

using attention_detail::AttentionArgs;

AttentionArgs make_args(const Tensor& q, const Tensor& k, const Tensor& key_lengths, const AttentionOptions& o) {
  AttentionArgs a{};
  a.lengths = key_lengths.defined() ? key_lengths.data_ptr() : nullptr;
  a.lengths_i64 = key_lengths.defined() && key_lengths.dtype() == DType::i64 ? 1 : 0;
  a.causal = o.causal ? 1 : 0;
  a.heads = q.size(2);
  a.tq = q.size(1);
  a.tk = k.size(1);
  a.d = static_cast<int>(q.size(3));
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(q.size(3))));
  a.dropout = o.dropout > 0 ? 1 : 0;
  a.threshold = dropout_threshold(o.dropout);
  a.keep_scale = o.dropout < 1 ? static_cast<float>(1.0 / (1.0 - o.dropout)) : 0.0f;
  a.seed = o.seed;
  a.offset = o.offset;
  return a;
}

// (B*H, ceil(T / per_block)) over the rows of t (q, or k for the dK/dV
// pass), with the limits of a CUDA grid checked.
dim3 head_grid(const Tensor& t, int per_block, const char* op, const char* name) {
  const int64_t bh = t.size(0) * t.size(2);
  const int64_t tiles = (t.size(1) + per_block - 1) / per_block;
  XLM_CHECK(bh <= INT32_MAX && tiles <= 65535, ShapeError,
            "{}: B*H = {} and {} row tiles of {} exceed a CUDA grid ({} {})", op, bh, tiles, per_block, name,
            t.describe());
  return dim3(static_cast<unsigned>(bh), static_cast<unsigned>(tiles < 1 ? 1 : tiles));
}

bool aligned16(const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0; }

void check_head_size(const Tensor& q, const char* op) {
  XLM_CHECK(q.size(3) >= 1 && q.size(3) <= attention_detail::kGenericMaxD, ShapeError,
            "{}: head size D = {} is not supported on CUDA (at most {}), q {}", op, q.size(3),
            attention_detail::kGenericMaxD, q.describe());
}

template <typename T, int D>
void launch_mma_forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionArgs& a, Tensor& out,
                        Tensor& logsumexp, cudaStream_t stream) {
  auto kernel = attention_detail::attention_forward_mma_kernel<T, D>;
  const size_t bytes = attention_detail::mma_shared_bytes<D>();
  reserve_dynamic_shared(kernel, bytes, "attention forward", "head size D", D);
  kernel<<<head_grid(q, attention_detail::kMmaBlockQ, "attention", "q"), attention_detail::kMmaThreads, bytes,
           stream>>>(static_cast<const uint16_t*>(q.data_ptr()), static_cast<const uint16_t*>(k.data_ptr()),
                     static_cast<const uint16_t*>(v.data_ptr()), static_cast<uint16_t*>(out.data_ptr()),
                     logsumexp.data<float>(), a);
  XLM_CUDA_CHECK_LAUNCH();
}

template <typename T, int D>
void launch_mma_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& grad_out,
                         const Tensor& logsumexp, const Tensor& delta, const AttentionArgs& a, Tensor& grad_q,
                         Tensor& grad_k, Tensor& grad_v, cudaStream_t stream) {
  auto bits = [](const Tensor& t) { return static_cast<const uint16_t*>(t.data_ptr()); };
  auto dq_kernel = attention_detail::attention_backward_dq_mma_kernel<T, D>;
  const size_t dq_bytes = attention_detail::mma_dq_shared_bytes<D>();
  reserve_dynamic_shared(dq_kernel, dq_bytes, "attention backward (dQ)", "head size D", D);
  dq_kernel<<<head_grid(q, 64, "attention_backward", "q"), attention_detail::kMmaThreads, dq_bytes, stream>>>(
      bits(q), bits(k), bits(v), bits(grad_out), logsumexp.data<float>(), delta.data<float>(),
      static_cast<uint16_t*>(grad_q.data_ptr()), a);
  XLM_CUDA_CHECK_LAUNCH();
  auto dkdv_kernel = attention_detail::attention_backward_dkdv_mma_kernel<T, D>;
  const size_t dkdv_bytes = attention_detail::mma_dkdv_shared_bytes<D>();
  reserve_dynamic_shared(dkdv_kernel, dkdv_bytes, "attention backward (dK, dV)", "head size D", D);
  dkdv_kernel<<<head_grid(k, 64, "attention_backward", "k"), attention_detail::kMmaThreads, dkdv_bytes,
                stream>>>(bits(q), bits(k), bits(v), bits(grad_out), logsumexp.data<float>(), delta.data<float>(),
                          static_cast<uint16_t*>(grad_k.data_ptr()), static_cast<uint16_t*>(grad_v.data_ptr()), a);
  XLM_CUDA_CHECK_LAUNCH();
}

}  // namespace

void attention_forward_cuda(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                            const AttentionOptions& options, Tensor& out, Tensor& logsumexp) {
  check_head_size(q, "attention");
  const AttentionArgs a = make_args(q, k, key_lengths, options);
  CudaContext& ctx = CudaContext::get(q.device().index);
  const bool tensor_cores = (a.d == 64 || a.d == 128) && aligned16(q) && aligned16(k) && aligned16(v) && aligned16(out);
  XLM_DISPATCH_CUDA_FLOAT(q.dtype(), "attention", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same<T, float>::value) {
      if (tensor_cores) {
        if (a.d == 64) launch_mma_forward<T, 64>(q, k, v, a, out, logsumexp, ctx.stream);
        else launch_mma_forward<T, 128>(q, k, v, a, out, logsumexp, ctx.stream);
        return;
      }
    }
    auto kernel = attention_detail::attention_forward_generic_kernel<T>;
    const size_t bytes = attention_detail::generic_forward_shared_bytes(a.d);
    reserve_dynamic_shared(kernel, bytes, "attention forward", "head size D", a.d);
    kernel<<<head_grid(q, attention_detail::kGenericRows, "attention", "q"), attention_detail::kGenericThreads,
             bytes, ctx.stream>>>(static_cast<const T*>(q.data_ptr()), static_cast<const T*>(k.data_ptr()),
                                  static_cast<const T*>(v.data_ptr()), static_cast<T*>(out.data_ptr()),
                                  logsumexp.data<float>(), a);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void attention_backward_cuda(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                             const Tensor& logsumexp, const Tensor& grad_out, const Tensor& key_lengths,
                             const AttentionOptions& options, Tensor& grad_q, Tensor& grad_k, Tensor& grad_v) {
  check_head_size(q, "attention_backward");
  const AttentionArgs a = make_args(q, k, key_lengths, options);
  CudaContext& ctx = CudaContext::get(q.device().index);
  const long long rows = q.size(0) * q.size(2) * q.size(1);
  Tensor delta = Tensor::empty({q.size(0), q.size(2), q.size(1)}, DType::f32, q.device());  // (B, H, Tq)
  const bool tensor_cores = (a.d == 64 || a.d == 128) && aligned16(q) && aligned16(k) && aligned16(v) &&
                            aligned16(grad_out) && aligned16(grad_q) && aligned16(grad_k) && aligned16(grad_v);
  XLM_DISPATCH_CUDA_FLOAT(q.dtype(), "attention_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pq = static_cast<const T*>(q.data_ptr());
    const T* pk = static_cast<const T*>(k.data_ptr());
    const T* pv = static_cast<const T*>(v.data_ptr());
    const T* pgo = static_cast<const T*>(grad_out.data_ptr());
    attention_detail::attention_delta_kernel<T><<<blocks_for(rows * 32), kThreads, 0, ctx.stream>>>(
        static_cast<const T*>(out.data_ptr()), pgo, delta.data<float>(), a, rows);
    XLM_CUDA_CHECK_LAUNCH();

    if constexpr (!std::is_same<T, float>::value) {
      if (tensor_cores) {
        if (a.d == 64)
          launch_mma_backward<T, 64>(q, k, v, grad_out, logsumexp, delta, a, grad_q, grad_k, grad_v, ctx.stream);
        else
          launch_mma_backward<T, 128>(q, k, v, grad_out, logsumexp, delta, a, grad_q, grad_k, grad_v, ctx.stream);
        return;
      }
    }

    const size_t bytes = attention_detail::generic_backward_shared_bytes(a.d);
    auto dq_kernel = attention_detail::attention_backward_dq_kernel<T>;
    reserve_dynamic_shared(dq_kernel, bytes, "attention backward (dQ)", "head size D", a.d);
    dq_kernel<<<head_grid(q, attention_detail::kGenericRows, "attention_backward", "q"),
                attention_detail::kGenericThreads, bytes, ctx.stream>>>(
        pq, pk, pv, pgo, logsumexp.data<float>(), delta.data<float>(), static_cast<T*>(grad_q.data_ptr()), a);
    XLM_CUDA_CHECK_LAUNCH();

    auto dkdv_kernel = attention_detail::attention_backward_dkdv_kernel<T>;
    reserve_dynamic_shared(dkdv_kernel, bytes, "attention backward (dK, dV)", "head size D", a.d);
    dkdv_kernel<<<head_grid(k, attention_detail::kGenericRows, "attention_backward", "k"),
                  attention_detail::kGenericThreads, bytes, ctx.stream>>>(
        pq, pk, pv, pgo, logsumexp.data<float>(), delta.data<float>(), static_cast<T*>(grad_k.data_ptr()),
        static_cast<T*>(grad_v.data_ptr()), a);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
