// xlm_kernel_bench: times our kernels on one GPU against two ceilings
// measured in the same run (a large device-to-device copy and a large cuBLAS
// bf16 GEMM) and against the baselines that matter for each kernel (the
// unfused attention composition, a plain copy of the same bytes, the
// optimizer's passes before they were folded into its update).
// Rows go through the ops' public fronts, the way the model calls them, so
// what is timed includes the front's checks and its stream-ordered
// allocation. Each row family is one small add_*_rows function listed in
// kRowFamilies; a case allocates its inputs only when it runs, so the whole
// table fits in memory one case at a time. docs/kernels.md says how to run it.
#include "benchmarks/kernels/bench_cuda.h"
#include "benchmarks/kernels/bench_math.h"
#if XLM_WITH_CUDNN_FRONTEND
#include "benchmarks/kernels/bench_cudnn.h"
#endif

#include "core/autograd.h"
#include "core/error.h"
#include "core/tensor.h"
#include "kernels/attention/attention.h"
#include "kernels/cast/cast.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gelu/gelu.h"
#include "kernels/add/add.h"
#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/dropout/dropout.h"
#include "kernels/layer_norm/layer_norm.h"
#include "kernels/linear/linear.h"
#include "kernels/masked_softmax/masked_softmax.h"
#include "kernels/matmul/matmul.h"
#include "kernels/residual_layer_norm/residual_layer_norm.h"
#include "kernels/scale_rows/scale_rows.h"
#include "nn/adam_update.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace xlm::bench {
namespace {

const Device kGpu = Device::cuda(0);

// One row to time: `make(sets)` allocates `sets` input sets and returns the
// closure that runs set i.
struct Case {
  std::string kernel;
  std::string impl;
  std::string shape;
  DType dtype = DType::bf16;
  double bytes = 0;
  double flops = 0;
  std::function<std::function<void(int)>(int)> make;
};
using Cases = std::vector<Case>;

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::empty(shape, dtype, kGpu);
  fill_uniform(t, seed, lo, hi);
  return t;
}

std::vector<Tensor> random_sets(int sets, const Shape& shape, DType dtype, uint64_t seed) {
  std::vector<Tensor> out;
  for (int s = 0; s < sets; ++s) out.push_back(random_tensor(shape, dtype, seed * 1000 + static_cast<uint64_t>(s)));
  return out;
}

// The plain copy of the same bytes a bandwidth-bound row moves: bytes / 2
// read and bytes / 2 written.
Case copy_case(const std::string& kernel, const std::string& shape, DType dtype, double bytes) {
  Case c{kernel, "copy", shape, dtype, bytes, 0, nullptr};
  const auto half = static_cast<int64_t>(bytes / 2);
  c.make = [half](int sets) -> std::function<void(int)> {
    std::vector<Tensor> src;
    for (int s = 0; s < sets; ++s) src.push_back(Tensor::zeros({half}, DType::u8, kGpu));
    Tensor dst = Tensor::empty({half}, DType::u8, kGpu);
    return [src, dst, half](int s) { device_copy(dst.data_ptr(), src[s].data_ptr(), static_cast<size_t>(half)); };
  };
  return c;
}

#if XLM_WITH_CUDNN_FRONTEND
// max |a - b| / max |b| over all elements, on the host in f32: a peer's row is
// timed only once it computes what ours does.
double relative_difference(const Tensor& a, const Tensor& b) {
  const Device cpu = Device::cpu();
  const Tensor ha = cast(a, DType::f32).to(cpu), hb = cast(b, DType::f32).to(cpu);
  const float* pa = ha.data<float>();
  const float* pb = hb.data<float>();
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < ha.numel(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(pa[i]) - pb[i]));
    scale = std::max(scale, std::abs(static_cast<double>(pb[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

// cuDNN's result against ours on the first input set. The bound is loose (a
// few bf16/f16 steps of the largest value): it catches a wrong layout, scale
// or mask, not rounding.
void check_agreement(const Tensor& theirs, const Tensor& ours, DType dt, const char* what, const AttentionShape& sh) {
  const double bound = dt == DType::bf16 ? 4e-2 : 1e-2;
  const double d = relative_difference(theirs, ours);
  XLM_CHECK(std::isfinite(d) && d <= bound, BackendError,
            "cuDNN attention {} differs from ours at {}: max |diff| / max |ours| = {:.3g} > {:.3g}", what,
            sh.label(), d, bound);
}

// cuDNN's fused attention (bench_cudnn.h) on the same (B, T, H, D) inputs as
// our rows, forward alone and forward + backward, each checked against ours
// before it is timed.
void add_cudnn_attention_rows(Cases& out, DType dt, const AttentionShape& sh, double fwd, double bwd) {
  if (dt != DType::bf16 && dt != DType::f16) return;  // cuDNN's fused attention takes no f32
  const Shape btdh{sh.batch, sh.seq, sh.heads, sh.head_dim};       // (B, T, H, D)
  const Shape stats_shape{sh.batch, sh.heads, sh.seq};             // (B, H, T) f32
  AttentionOptions opts;
  opts.causal = sh.causal;

  Case f{"attention_fwd", "cudnn", sh.label(), dt, 0, fwd, nullptr};
  f.make = [sh, btdh, stats_shape, dt, opts](int sets) -> std::function<void(int)> {
    auto q = random_sets(sets, btdh, dt, 1), k = random_sets(sets, btdh, dt, 2), v = random_sets(sets, btdh, dt, 3);
    auto graph = std::make_shared<CudnnAttention>(sh.batch, sh.seq, sh.heads, sh.head_dim, sh.causal, dt, false);
    Tensor o = Tensor::empty(btdh, dt, kGpu), stats = Tensor::empty(stats_shape, DType::f32, kGpu);
    graph->forward(q[0], k[0], v[0], o, stats);
    {
      autograd::NoGradGuard no_grad;
      check_agreement(o, attention(q[0], k[0], v[0], Tensor(), opts), dt, "forward", sh);
    }
    return [graph, q, k, v, o, stats](int s) { graph->forward(q[s], k[s], v[s], o, stats); };
  };

  Case fb{"attention_fwdbwd", "cudnn", sh.label(), dt, 0, fwd + bwd, nullptr};
  fb.make = [sh, btdh, stats_shape, dt, opts](int sets) -> std::function<void(int)> {
    auto q = random_sets(sets, btdh, dt, 1), k = random_sets(sets, btdh, dt, 2), v = random_sets(sets, btdh, dt, 3);
    Tensor grad = random_tensor(btdh, dt, 4);
    auto graph = std::make_shared<CudnnAttention>(sh.batch, sh.seq, sh.heads, sh.head_dim, sh.causal, dt, true);
    Tensor o = Tensor::empty(btdh, dt, kGpu), stats = Tensor::empty(stats_shape, DType::f32, kGpu);
    Tensor dq = Tensor::empty(btdh, dt, kGpu), dk = Tensor::empty(btdh, dt, kGpu), dv = Tensor::empty(btdh, dt, kGpu);
    auto run = [graph, q, k, v, grad, o, stats, dq, dk, dv](int s) {
      graph->forward(q[s], k[s], v[s], o, stats);
      graph->backward(q[s], k[s], v[s], o, stats, grad, dq, dk, dv);
    };
    run(0);
    {
      autograd::NoGradGuard no_grad;
      AttentionResult r = attention_with_logsumexp(q[0], k[0], v[0], Tensor(), opts);
      AttentionGrads g = attention_backward(q[0], k[0], v[0], r.out, r.logsumexp, grad, Tensor(), opts);
      check_agreement(o, r.out, dt, "forward", sh);
      check_agreement(dq, g.q, dt, "dQ", sh);
      check_agreement(dk, g.k, dt, "dK", sh);
      check_agreement(dv, g.v, dt, "dV", sh);
    }
    return run;
  };
  out.push_back(f);
  out.push_back(fb);
}
#endif

// ---- attention: ours (the fused attention op), the unfused composition, cuDNN
void add_attention_rows(Cases& out, DType dt, const BenchOptions& o) {
  for (const AttentionShape& sh : attention_shapes()) {
    if (o.quick && sh.seq != 256) continue;
    const Shape btdh{sh.batch, sh.seq, sh.heads, sh.head_dim};   // (B, T, H, D)
    const Shape bhtd{sh.batch, sh.heads, sh.seq, sh.head_dim};   // (B, H, T, D)
    const double fwd = attention_forward_flops(sh.batch, sh.heads, sh.seq, sh.seq, sh.head_dim, sh.causal);
    const double bwd = attention_backward_flops(sh.batch, sh.heads, sh.seq, sh.seq, sh.head_dim, sh.causal);
    const double scale = 1.0 / std::sqrt(static_cast<double>(sh.head_dim));
    const bool causal = sh.causal;

    // The unfused composition on (B, H, T, D): matmul, masked_softmax, matmul.
    auto unfused = [causal, scale](const Tensor& q, const Tensor& k, const Tensor& v) {
      Tensor scores = matmul(q, k, false, true);                        // (B, H, T, T)
      Tensor weights = masked_softmax(scores, Tensor(), causal, scale);  // (B, H, T, T)
      return matmul(weights, v);                                        // (B, H, T, D)
    };
    auto forward_case = [&](const std::string& impl, const Shape& shape, auto fn) {
      Case c{"attention_fwd", impl, sh.label(), dt, 0, fwd, nullptr};
      c.make = [shape, dt, fn](int sets) -> std::function<void(int)> {
        auto q = random_sets(sets, shape, dt, 1), k = random_sets(sets, shape, dt, 2), v = random_sets(sets, shape, dt, 3);
        return [q, k, v, fn](int s) {
          autograd::NoGradGuard no_grad;
          fn(q[s], k[s], v[s]);
        };
      };
      return c;
    };
    auto training_case = [&](const std::string& impl, const Shape& shape, auto fn) {
      Case c{"attention_fwdbwd", impl, sh.label(), dt, 0, fwd + bwd, nullptr};
      c.make = [shape, dt, fn](int sets) -> std::function<void(int)> {
        auto q = random_sets(sets, shape, dt, 1), k = random_sets(sets, shape, dt, 2), v = random_sets(sets, shape, dt, 3);
        for (int s = 0; s < sets; ++s) {
          q[s].set_requires_grad(true);
          k[s].set_requires_grad(true);
          v[s].set_requires_grad(true);
        }
        Tensor grad = random_tensor(shape, dt, 4);
        return [q, k, v, grad, fn](int s) mutable {
          fn(q[s], k[s], v[s]).backward(grad);
          q[s].zero_grad();
          k[s].zero_grad();
          v[s].zero_grad();
        };
      };
      return c;
    };
    AttentionOptions opts;
    opts.causal = causal;
    auto ours = [opts](const Tensor& q, const Tensor& k, const Tensor& v) {
      return attention(q, k, v, Tensor(), opts);
    };
    // The fused op's forward and backward fronts called directly, as its
    // autograd node does, so no leaf-gradient accumulation is timed with it.
    Case ours_training{"attention_fwdbwd", "xlm", sh.label(), dt, 0, fwd + bwd, nullptr};
    ours_training.make = [btdh, dt, opts](int sets) -> std::function<void(int)> {
      auto q = random_sets(sets, btdh, dt, 1), k = random_sets(sets, btdh, dt, 2), v = random_sets(sets, btdh, dt, 3);
      Tensor grad = random_tensor(btdh, dt, 4);
      return [q, k, v, grad, opts](int s) {
        autograd::NoGradGuard no_grad;
        AttentionResult r = attention_with_logsumexp(q[s], k[s], v[s], Tensor(), opts);
        attention_backward(q[s], k[s], v[s], r.out, r.logsumexp, grad, Tensor(), opts);
      };
    };
    out.push_back(forward_case("xlm", btdh, ours));
    out.push_back(forward_case("xlm_unfused", bhtd, unfused));
    out.push_back(ours_training);
    out.push_back(training_case("xlm_unfused", bhtd, unfused));
#if XLM_WITH_CUDNN_FRONTEND
    if (cudnn_attention_unavailable().empty()) add_cudnn_attention_rows(out, dt, sh, fwd, bwd);
#endif
  }
}

// ---- layer norm at XLM's hidden size
void add_layer_norm_rows(Cases& out, DType dt, const BenchOptions&) {
  const RowShape sh{kTokens, kHidden};
  const int64_t e = static_cast<int64_t>(dtype_size(dt));
  const double fwd_bytes = layer_norm_forward_bytes(sh.rows, sh.cols, e);
  const double bwd_bytes = layer_norm_backward_bytes(sh.rows, sh.cols, e);
  Case f{"layer_norm_fwd", "xlm", sh.label(), dt, fwd_bytes, 0, nullptr};
  f.make = [sh, dt](int sets) -> std::function<void(int)> {
    auto x = random_sets(sets, {sh.rows, sh.cols}, dt, 10);
    Tensor gamma = random_tensor({sh.cols}, dt, 11, 0.5f, 1.5f), beta = random_tensor({sh.cols}, dt, 12);
    return [x, gamma, beta](int s) {
      autograd::NoGradGuard no_grad;
      layer_norm(x[s], gamma, beta, 1e-12);
    };
  };
  Case b{"layer_norm_bwd", "xlm", sh.label(), dt, bwd_bytes, 0, nullptr};
  b.make = [sh, dt](int sets) -> std::function<void(int)> {
    auto x = random_sets(sets, {sh.rows, sh.cols}, dt, 10), gy = random_sets(sets, {sh.rows, sh.cols}, dt, 13);
    Tensor gamma = random_tensor({sh.cols}, dt, 11, 0.5f, 1.5f), beta = random_tensor({sh.cols}, dt, 12);
    std::vector<Tensor> mean, rstd;
    for (int s = 0; s < sets; ++s) {
      Tensor y = Tensor::empty({sh.rows, sh.cols}, dt, kGpu);
      mean.push_back(Tensor::empty({sh.rows}, layer_norm_stats_dtype(dt), kGpu));
      rstd.push_back(Tensor::empty({sh.rows}, layer_norm_stats_dtype(dt), kGpu));
      layer_norm_forward_cuda(x[s], gamma, beta, 1e-12, y, mean[s], rstd[s]);
    }
    return [x, gy, gamma, mean, rstd](int s) { layer_norm_backward(x[s], gamma, mean[s], rstd[s], gy[s]); };
  };
  out.push_back(f);
  out.push_back(copy_case("layer_norm_fwd", sh.label(), dt, fwd_bytes));
  out.push_back(b);
  out.push_back(copy_case("layer_norm_bwd", sh.label(), dt, bwd_bytes));
}

// ---- the post-LN residual block at XLM's hidden size, as the model runs the
// FFN's: LN(x + dropout(f)) times the padding mask (p = 0.1, the mask 0 on
// every eighth row). Ours fused ("xlm") against the ops it replaced
// ("xlm_unfused": dropout, add, layer_norm, scale_rows; backward scale_rows,
// layer_norm's backward over the kept sum, dropout's backward) and a copy of
// the fused op's bytes.
void add_residual_layer_norm_rows(Cases& out, DType dt, const BenchOptions&) {
  const RowShape sh{kTokens, kHidden};
  const int64_t e = static_cast<int64_t>(dtype_size(dt));
  const double fwd_bytes = residual_layer_norm_forward_bytes(sh.rows, sh.cols, e, true);
  const double bwd_bytes = residual_layer_norm_backward_bytes(sh.rows, sh.cols, e, true);
  const ResidualDropout drop{0.1, 0x5eed, 0};
  struct Inputs {
    std::vector<Tensor> x, f, gy;  // (rows, cols) each
    Tensor gamma, beta;            // (cols,)
    Tensor mask;                   // (rows,)
  };
  auto inputs = [sh, dt](int sets) {
    Inputs in{random_sets(sets, {sh.rows, sh.cols}, dt, 60), random_sets(sets, {sh.rows, sh.cols}, dt, 61),
              random_sets(sets, {sh.rows, sh.cols}, dt, 62), random_tensor({sh.cols}, dt, 63, 0.5f, 1.5f),
              random_tensor({sh.cols}, dt, 64), Tensor()};
    std::vector<double> m(static_cast<size_t>(sh.rows), 1.0);
    for (size_t r = 7; r < m.size(); r += 8) m[r] = 0.0;
    in.mask = Tensor::from_doubles(m, {sh.rows}, dt, kGpu);
    return in;
  };
  auto unfused_sum = [drop](const Tensor& x, const Tensor& f) {
    return add(x, dropout(f, drop.p, drop.seed, drop.offset));  // z = x + dropout(f), (rows, cols)
  };

  Case f{"residual_layer_norm_fwd", "xlm", sh.label(), dt, fwd_bytes, 0, nullptr};
  f.make = [inputs, drop](int sets) -> std::function<void(int)> {
    const Inputs in = inputs(sets);
    return [in, drop](int s) {
      autograd::NoGradGuard no_grad;
      residual_layer_norm(in.x[s], in.f[s], in.gamma, in.beta, 1e-12, drop, in.mask);
    };
  };
  Case fu{"residual_layer_norm_fwd", "xlm_unfused", sh.label(), dt, fwd_bytes, 0, nullptr};
  fu.make = [inputs, unfused_sum](int sets) -> std::function<void(int)> {
    const Inputs in = inputs(sets);
    return [in, unfused_sum](int s) {
      autograd::NoGradGuard no_grad;
      scale_rows(layer_norm(unfused_sum(in.x[s], in.f[s]), in.gamma, in.beta, 1e-12), in.mask);
    };
  };
  // What the forward leaves for the backward: the sum z (kept alive by the
  // unfused forward only) and the layer norm's statistics, (rows,) each.
  struct Saved {
    std::vector<Tensor> z, mean, rstd;
  };
  auto saved_forward = [sh, dt, unfused_sum](const Inputs& in, int sets) {
    Saved saved;
    autograd::NoGradGuard no_grad;
    for (int s = 0; s < sets; ++s) {
      saved.z.push_back(unfused_sum(in.x[s], in.f[s]));
      saved.mean.push_back(Tensor::empty({sh.rows}, layer_norm_stats_dtype(dt), kGpu));
      saved.rstd.push_back(Tensor::empty({sh.rows}, layer_norm_stats_dtype(dt), kGpu));
      Tensor y = Tensor::empty({sh.rows, sh.cols}, dt, kGpu);
      layer_norm_forward_cuda(saved.z[s], in.gamma, in.beta, 1e-12, y, saved.mean[s], saved.rstd[s]);
    }
    return saved;
  };
  Case b{"residual_layer_norm_bwd", "xlm", sh.label(), dt, bwd_bytes, 0, nullptr};
  b.make = [inputs, drop, saved_forward](int sets) -> std::function<void(int)> {
    const Inputs in = inputs(sets);
    const Saved saved = saved_forward(in, sets);
    return [in, drop, saved](int s) {
      residual_layer_norm_backward(in.x[s], in.f[s], in.gamma, saved.mean[s], saved.rstd[s], in.gy[s], drop, in.mask);
    };
  };
  Case bu{"residual_layer_norm_bwd", "xlm_unfused", sh.label(), dt, bwd_bytes, 0, nullptr};
  bu.make = [inputs, drop, saved_forward](int sets) -> std::function<void(int)> {
    const Inputs in = inputs(sets);
    const Saved saved = saved_forward(in, sets);
    return [in, drop, saved](int s) {
      autograd::NoGradGuard no_grad;
      const LayerNormGrads g = layer_norm_backward(saved.z[s], in.gamma, saved.mean[s], saved.rstd[s],
                                                   scale_rows(in.gy[s], in.mask));
      dropout_backward(g.grad_x, drop.p, drop.seed, drop.offset);  // grad_f; grad_x is g.grad_x itself
    };
  };
  out.push_back(f);
  out.push_back(fu);
  out.push_back(copy_case(f.kernel, sh.label(), dt, fwd_bytes));
  out.push_back(b);
  out.push_back(bu);
  out.push_back(copy_case(b.kernel, sh.label(), dt, bwd_bytes));
}

// ---- the FFN's bias + GELU on its hidden activations (4 x hidden): ours
// fused ("xlm") against add then gelu ("xlm_unfused") and a copy of the
// fused op's bytes.
void add_bias_gelu_rows(Cases& out, DType dt, const BenchOptions&) {
  const RowShape sh{kTokens, 4 * kHidden};
  const int64_t e = static_cast<int64_t>(dtype_size(dt));
  const double fwd_bytes = bias_gelu_forward_bytes(sh.rows, sh.cols, e);
  const double bwd_bytes = bias_gelu_backward_bytes(sh.rows, sh.cols, e);
  auto forward_case = [&](const std::string& impl, bool fused) {
    Case c{"bias_gelu_fwd", impl, sh.label(), dt, fwd_bytes, 0, nullptr};
    c.make = [sh, dt, fused](int sets) -> std::function<void(int)> {
      auto x = random_sets(sets, {sh.rows, sh.cols}, dt, 70);
      Tensor b = random_tensor({sh.cols}, dt, 71);
      return [x, b, fused](int s) {
        autograd::NoGradGuard no_grad;
        if (fused)
          bias_gelu(x[s], b);
        else
          gelu(add(x[s], b));
      };
    };
    return c;
  };
  auto backward_case = [&](const std::string& impl, bool fused) {
    Case c{"bias_gelu_bwd", impl, sh.label(), dt, bwd_bytes, 0, nullptr};
    c.make = [sh, dt, fused](int sets) -> std::function<void(int)> {
      auto x = random_sets(sets, {sh.rows, sh.cols}, dt, 70), gy = random_sets(sets, {sh.rows, sh.cols}, dt, 72);
      Tensor b = random_tensor({sh.cols}, dt, 71);
      std::vector<Tensor> z;  // x + b, kept alive by the unfused forward
      if (!fused) {
        autograd::NoGradGuard no_grad;
        for (int s = 0; s < sets; ++s) z.push_back(add(x[s], b));
      }
      return [x, gy, b, z, fused](int s) {
        autograd::NoGradGuard no_grad;
        if (fused) {
          bias_gelu_backward(x[s], b, gy[s]);
        } else {
          const Tensor gz = gelu_backward(z[s], gy[s]);
          sum_to_suffix(gz, {b.size(0)});  // grad_b; grad_x is gz itself
        }
      };
    };
    return c;
  };
  out.push_back(forward_case("xlm", true));
  out.push_back(forward_case("xlm_unfused", false));
  out.push_back(copy_case("bias_gelu_fwd", sh.label(), dt, fwd_bytes));
  out.push_back(backward_case("xlm", true));
  out.push_back(backward_case("xlm_unfused", false));
  out.push_back(copy_case("bias_gelu_bwd", sh.label(), dt, bwd_bytes));
}

// ---- GELU on the FFN's hidden activations (4 x hidden)
void add_gelu_rows(Cases& out, DType dt, const BenchOptions&) {
  const RowShape sh{kTokens, 4 * kHidden};
  const int64_t e = static_cast<int64_t>(dtype_size(dt));
  const int64_t n = sh.rows * sh.cols;
  Case f{"gelu_fwd", "xlm", sh.label(), dt, gelu_forward_bytes(n, e), 0, nullptr};
  f.make = [sh, dt](int sets) -> std::function<void(int)> {
    auto x = random_sets(sets, {sh.rows, sh.cols}, dt, 20);
    return [x](int s) {
      autograd::NoGradGuard no_grad;
      gelu(x[s]);
    };
  };
  Case b{"gelu_bwd", "xlm", sh.label(), dt, gelu_backward_bytes(n, e), 0, nullptr};
  b.make = [sh, dt](int sets) -> std::function<void(int)> {
    auto x = random_sets(sets, {sh.rows, sh.cols}, dt, 20), gy = random_sets(sets, {sh.rows, sh.cols}, dt, 21);
    return [x, gy](int s) { gelu_backward(x[s], gy[s]); };
  };
  out.push_back(f);
  out.push_back(copy_case("gelu_fwd", sh.label(), dt, f.bytes));
  out.push_back(b);
  out.push_back(copy_case("gelu_bwd", sh.label(), dt, b.bytes));
}

// ---- masked softmax on attention scores (B, H, T, T), 16 heads
void add_masked_softmax_rows(Cases& out, DType dt, const BenchOptions& o) {
  const int64_t e = static_cast<int64_t>(dtype_size(dt));
  for (int64_t seq : {256, 1024}) {
    if (o.quick && seq != 256) continue;
    const int64_t batch = kTokens / seq, heads = 16;
    const Shape shape{batch, heads, seq, seq};  // (B, H, T, T)
    const std::string label = fmt::format("B={} H={} T={}", batch, heads, seq);
    const int64_t rows = batch * heads * seq;
    const double scale = 0.125;
    Case f{"masked_softmax_fwd", "xlm", label, dt, masked_softmax_forward_bytes(rows, seq, e), 0, nullptr};
    f.make = [shape, dt, scale](int sets) -> std::function<void(int)> {
      auto x = random_sets(sets, shape, dt, 30);
      return [x, scale](int s) {
        autograd::NoGradGuard no_grad;
        masked_softmax(x[s], Tensor(), false, scale);
      };
    };
    Case b{"masked_softmax_bwd", "xlm", label, dt, masked_softmax_backward_bytes(rows, seq, e), 0, nullptr};
    b.make = [shape, dt, scale](int sets) -> std::function<void(int)> {
      std::vector<Tensor> y, gy = random_sets(sets, shape, dt, 31);
      for (int s = 0; s < sets; ++s) {
        autograd::NoGradGuard no_grad;
        y.push_back(masked_softmax(random_tensor(shape, dt, 32 + static_cast<uint64_t>(s)), Tensor(), false, scale));
      }
      return [y, gy, scale](int s) { masked_softmax_backward(y[s], gy[s], scale); };
    };
    out.push_back(f);
    out.push_back(copy_case(f.kernel, label, dt, f.bytes));
    out.push_back(b);
    out.push_back(copy_case(b.kernel, label, dt, b.bytes));
  }
}

// ---- cross-entropy over a 64k vocabulary for every token of a batch
void add_cross_entropy_rows(Cases& out, DType dt, const BenchOptions&) {
  const RowShape sh{kTokens, kVocab};
  const int64_t e = static_cast<int64_t>(dtype_size(dt));
  Case f{"cross_entropy_fwd", "xlm", sh.label(), dt, cross_entropy_forward_bytes(sh.rows, sh.cols, e), 0, nullptr};
  f.make = [sh, dt](int sets) -> std::function<void(int)> {
    auto logits = random_sets(sets, {sh.rows, sh.cols}, dt, 40);
    Tensor targets = Tensor::empty({sh.rows}, DType::i64, kGpu);
    fill_indices(targets, 41, sh.cols);
    return [logits, targets](int s) {
      autograd::NoGradGuard no_grad;
      cross_entropy(logits[s], targets);
    };
  };
  Case b{"cross_entropy_bwd", "xlm", sh.label(), dt, cross_entropy_backward_bytes(sh.rows, sh.cols, e), 0, nullptr};
  b.make = [sh, dt](int sets) -> std::function<void(int)> {
    auto logits = random_sets(sets, {sh.rows, sh.cols}, dt, 40);
    Tensor targets = Tensor::empty({sh.rows}, DType::i64, kGpu);
    fill_indices(targets, 41, sh.cols);
    const DType loss_dtype = cross_entropy_loss_dtype(dt);
    std::vector<Tensor> lse;
    for (int s = 0; s < sets; ++s) {
      Tensor loss = Tensor::empty({}, loss_dtype, kGpu);
      lse.push_back(Tensor::empty({sh.rows}, loss_dtype, kGpu));
      cross_entropy_forward_cuda(logits[s], targets, -100, sh.rows, loss, lse[s]);
    }
    Tensor grad_loss = Tensor::full({}, 1.0, loss_dtype, kGpu);
    const int64_t rows = sh.rows;
    return [logits, targets, lse, grad_loss, rows](int s) {
      cross_entropy_backward(logits[s], targets, lse[s], grad_loss, -100, rows);
    };
  };
  out.push_back(f);
  out.push_back(copy_case(f.kernel, sh.label(), dt, f.bytes));
  out.push_back(b);
  out.push_back(copy_case(b.kernel, sh.label(), dt, b.bytes));
}

// ---- linear at XLM's shapes: the fused op (bias in the GEMM's BIAS epilogue;
// weight and bias gradients in one BGRADB call) against matmul + add and, in
// the backward, matmul + matmul + sum_to_suffix. grad_x is a plain GEMM in both.
void add_linear_rows(Cases& out, DType dt, const BenchOptions& o) {
  const int64_t shapes[][2] = {{kHidden, kHidden}, {kHidden, 4 * kHidden}, {4 * kHidden, kHidden}};  // (in, out)
  for (const auto& io : shapes) {
    const int64_t in = io[0], width = io[1];
    if (o.quick && in != width) continue;
    const std::string label = fmt::format("N={} in={} out={}", kTokens, in, width);
    const double fwd = gemm_flops(kTokens, width, in), bwd = 2 * gemm_flops(kTokens, width, in);
    auto forward_case = [&](const std::string& impl, bool fused) {
      Case c{"linear_fwd", impl, label, dt, 0, fwd, nullptr};
      c.make = [dt, in, width, fused](int sets) -> std::function<void(int)> {
        auto x = random_sets(sets, {kTokens, in}, dt, 50);
        Tensor w = random_tensor({width, in}, dt, 51), b = random_tensor({width}, dt, 52);
        return [x, w, b, fused](int s) {
          autograd::NoGradGuard no_grad;
          if (fused)
            linear(x[s], w, b);
          else
            add(matmul(x[s], w, false, true), b);
        };
      };
      return c;
    };
    auto backward_case = [&](const std::string& impl, bool fused) {
      Case c{"linear_bwd", impl, label, dt, 0, bwd, nullptr};
      c.make = [dt, in, width, fused](int sets) -> std::function<void(int)> {
        auto x = random_sets(sets, {kTokens, in}, dt, 50), gy = random_sets(sets, {kTokens, width}, dt, 53);
        Tensor w = random_tensor({width, in}, dt, 51);
        return [x, gy, w, fused](int s) {
          autograd::NoGradGuard no_grad;
          if (fused) {
            linear_backward(x[s], w, gy[s], true, true, true);
          } else {
            matmul(gy[s], w, false, false);      // grad_x
            matmul(gy[s], x[s], true, false);    // grad_weight
            sum_to_suffix(gy[s], {w.size(0)});   // grad_bias
          }
        };
      };
      return c;
    };
    out.push_back(forward_case("xlm", true));
    out.push_back(forward_case("xlm_unfused", false));
    out.push_back(backward_case("xlm", true));
    out.push_back(backward_case("xlm_unfused", false));
  }
}

// ---- the multi-tensor Adam over the enfr model's parameter list (141M
// fp32 masters), as a training step runs it: in bf16/f16 the masters read the
// model's gradients directly, multiplied by the clip factor with 1/scale
// folded in (an f64 in device memory), and write the rounded model weights
// ("xlm"); against the passes this replaced, a cast of every gradient into an
// fp32 master gradient, then the update from those ("xlm_unfused"). In f32
// the parameters are the masters: no copy-out, and no unfused row. The
// working set is gigabytes, far above L2, so one input set is updated over
// and over (the values stay finite: lr 1e-4).
void add_adam_rows(Cases& out, DType dt, const BenchOptions&) {
  const std::vector<int64_t> sizes = xlm_encoder_parameter_sizes(6, kHidden, kVocab, 512, 2);
  int64_t n = 0;
  for (int64_t size : sizes) n += size;
  const std::string label = fmt::format("enfr: {} tensors, {} parameters", sizes.size(), n);
  const bool mixed = dt != DType::f32;
  const int64_t e = static_cast<int64_t>(dtype_size(dt));
  const double bytes = adam_update_bytes(n, e, mixed ? e : 0);
  auto adam_case = [&](const std::string& impl, bool fused) {
    Case c{"adam_multi", impl, label, dt, bytes, 0, nullptr};
    c.make = [sizes, dt, mixed, fused](int) -> std::function<void(int)> {
      std::vector<Tensor> p, g, m, v, model, master_grad;
      uint64_t seed = 70;
      for (int64_t size : sizes) {
        p.push_back(random_tensor({size}, DType::f32, seed++));
        m.push_back(Tensor::zeros({size}, DType::f32, kGpu));
        v.push_back(Tensor::zeros({size}, DType::f32, kGpu));
        g.push_back(random_tensor({size}, dt, seed++));
        if (mixed) model.push_back(cast(p.back(), dt));
        if (!fused) master_grad.push_back(Tensor::empty({size}, DType::f32, kGpu));
      }
      const Tensor factor = Tensor::full({1}, 0.5 / 65536, DType::f64, kGpu);  // (1,) clip x 1/scale
      nn::AdamUpdateArgs args;
      args.lr = 1e-4;
      args.weight_decay = 0.01;
      args.step_size = args.lr;
      return [p, g, m, v, model, master_grad, factor, args, fused](int) {
        if (fused) {
          nn::adam_update_multi(p, g, m, v, args, model, factor);
          return;
        }
        for (size_t i = 0; i < g.size(); ++i) {
          Tensor dst = master_grad[i];
          cast_forward_cuda(g[i], dst);
        }
        nn::adam_update_multi(p, master_grad, m, v, args, model, factor);
      };
    };
    return c;
  };
  out.push_back(adam_case("xlm", true));
  if (mixed) out.push_back(adam_case("xlm_unfused", false));
  out.push_back(copy_case("adam_multi", label, dt, bytes));
}

using RowFamily = void (*)(Cases&, DType, const BenchOptions&);
// Adding a kernel to the benchmark: one add_*_rows function and one line here.
const RowFamily kRowFamilies[] = {
    add_attention_rows,      add_layer_norm_rows,    add_residual_layer_norm_rows,
    add_gelu_rows,           add_bias_gelu_rows,     add_masked_softmax_rows,
    add_cross_entropy_rows,  add_linear_rows,        add_adam_rows,
};

// ---- ceilings
constexpr int64_t kCopyBytes = int64_t{1} << 30;  // 1 GiB copied (2 GiB moved)
constexpr int64_t kGemmSize = 8192;               // (8192 x 8192) x (8192 x 8192)

Ceilings measure_ceilings(Timer& timer, const BenchOptions& o, std::vector<BenchRow>& rows) {
  Ceilings c;
  {
    Tensor src = Tensor::zeros({kCopyBytes}, DType::u8, kGpu), dst = Tensor::empty({kCopyBytes}, DType::u8, kGpu);
    BenchRow r{"copy_ceiling", "cuda_memcpy", fmt::format("{} MiB", kCopyBytes >> 20), "u8",
               copy_bytes(kCopyBytes), 0, {}};
    r.stats = summarize(timer.time(
        [&](int) { device_copy(dst.data_ptr(), src.data_ptr(), static_cast<size_t>(kCopyBytes)); }, o.warmup,
        o.runs, 1));
    c.copy_gbps = achieved_gbps(r);
    rows.push_back(r);
  }
  {
    const int64_t n = kGemmSize;
    Tensor a = random_tensor({n * n}, DType::bf16, 90), b = random_tensor({n * n}, DType::bf16, 91);
    Tensor out = Tensor::empty({n * n}, DType::bf16, kGpu);
    BenchRow r{"gemm_ceiling", "cublas", fmt::format("M=N=K={}", n), "bf16", 0, gemm_flops(n, n, n), {}};
    r.stats = summarize(timer.time([&](int) { gemm_bf16(a, b, out, n, n, n); }, o.warmup, o.runs, 1));
    c.gemm_tflops = achieved_tflops(r);
    rows.push_back(r);
  }
  return c;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int run_bench(const BenchOptions& o) {
  Cases cases;
  for (DType dt : o.dtypes)
    for (RowFamily family : kRowFamilies) family(cases, dt, o);
  Cases kept;
  for (Case& c : cases)
    if (matches_filter(c.kernel, o.filter)) kept.push_back(std::move(c));
  if (o.list) {
    for (const Case& c : kept) fmt::print("{} {} {} {}\n", c.kernel, c.impl, c.shape, dtype_name(c.dtype));
    return 0;
  }
  XLM_CHECK(cuda_available(), DeviceError, "xlm_kernel_bench: no CUDA device is visible");

  const DeviceInfo info = device_info();
  Timer timer;
  fmt::print("device: {} (sm {}), L2 {} MiB, flush {} MiB, warm-up {}, runs {}, input sets {}\n", info.name,
             info.compute_capability, info.l2_bytes >> 20, timer.flush_bytes() >> 20, o.warmup, o.runs, o.sets);
  std::vector<BenchRow> rows;
  std::vector<SkippedRow> skipped;
  const Ceilings ceilings = measure_ceilings(timer, o, rows);
  fmt::print("ceilings: copy {:.0f} GB/s, cuBLAS bf16 GEMM {:.1f} TFLOP/s\n\n{}\n", ceilings.copy_gbps,
             ceilings.gemm_tflops, table_header());
  for (const BenchRow& r : rows) fmt::print("{}\n", row_text(r, ceilings));

  const std::string cudnn_reason = cudnn_attention_unavailable();
  if (!cudnn_reason.empty() && matches_filter("attention_fwd", o.filter)) {
    skipped.push_back({"attention_fwd/attention_fwdbwd", "cudnn", "all", "all", cudnn_reason});
    fmt::print("skipped: cudnn attention rows: {}\n", cudnn_reason);
  }

  for (const Case& c : kept) {
    BenchRow row{c.kernel, c.impl, c.shape, dtype_name(c.dtype), c.bytes, c.flops, {}};
    try {
      std::function<void(int)> run = c.make(o.sets);
      row.stats = summarize(timer.time(run, o.warmup, o.runs, o.sets));
      rows.push_back(row);
      fmt::print("{}\n", row_text(row, ceilings));
    } catch (const std::exception& e) {
      // One case failing (an unsupported dtype, memory) must not lose the rest of the table.
      skipped.push_back({c.kernel, c.impl, c.shape, row.dtype, e.what()});
      fmt::print("skipped: {} {} {} {}: {}\n", c.kernel, c.impl, c.shape, row.dtype, e.what());
    }
    std::fflush(stdout);
  }

  if (!o.json_path.empty()) {
    ReportMeta meta{info.name, info.compute_capability, info.l2_bytes, timer.flush_bytes(),
                    o.commit,  o.command,               utc_now(),     o};
    std::ofstream f(o.json_path);
    XLM_CHECK(f.good(), FormatError, "--json: cannot write {}", o.json_path);
    f << report_json(meta, ceilings, rows, skipped).dump(2) << "\n";
    XLM_CHECK(f.good(), FormatError, "--json: writing {} failed", o.json_path);
    fmt::print("\nwrote {}\n", o.json_path);
  }
  return 0;
}

}  // namespace
}  // namespace xlm::bench

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (const std::string& a : args) {
      if (a == "--help" || a == "-h") {
        std::cout << xlm::bench::bench_usage();
        return 0;
      }
    }
    return xlm::bench::run_bench(xlm::bench::parse_bench_args(args));
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
