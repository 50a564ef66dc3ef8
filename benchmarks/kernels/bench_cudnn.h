// cuDNN's fused attention as a row of xlm_kernel_bench: its SDPA operation
// graph, built with NVIDIA's header-only cudnn_frontend, on the same
// (B, T, H, D) tensors our attention op takes. This header is free of cuDNN
// types so the row definitions stay plain C++. Optional at build time: it
// needs cuDNN >= 9 and the frontend header (scripts/fetch-cudnn-frontend);
// without them cudnn_attention_unavailable() says why and no row is added.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <memory>
#include <string>

namespace xlm::bench {

// Why the cuDNN attention rows cannot run in this build, or "" when they can.
std::string cudnn_attention_unavailable();

// One attention problem (self-attention, Tq = Tk = seq, scale 1/sqrt(D), no
// padding, no dropout), its graphs built once: the forward, with the softmax
// statistics when `training`, and then the backward. bf16 and f16 only
// (cuDNN's fused attention takes no f32). Runs on the engine's stream.
class CudnnAttention {
 public:
  CudnnAttention(int64_t batch, int64_t seq, int64_t heads, int64_t head_dim, bool causal, DType dtype,
                 bool training);
  ~CudnnAttention();
  CudnnAttention(const CudnnAttention&) = delete;
  CudnnAttention& operator=(const CudnnAttention&) = delete;

  // q, k, v, out: (B, T, H, D) contiguous; stats: (B, H, T) f32, written
  // only when training (cuDNN's log-sum-exp of the scaled scores).
  void forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& stats);
  // All (B, T, H, D) but stats; needs `training`.
  void backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& stats,
                const Tensor& grad_out, const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v);

 private:
  struct Graphs;
  std::unique_ptr<Graphs> graphs_;
};

}  // namespace xlm::bench
