// CPU reference for fused attention, written as the math reads. Each (b, h)
// head is first copied into contiguous (T, D) double buffers, so every inner
// loop (dot products, axpys) runs over D with unit stride; each query row
// then computes its scores, masked softmax and dropout in double, and the
// backward recomputes the weights from the saved logsumexp. Single-threaded.
#include "core/dispatch.h"
#include "core/philox.h"
#include "kernels/attention/attention.h"
#include "kernels/dropout/dropout.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace xlm {

namespace {

struct Dims {
  int64_t batch, tq, tk, heads, d;
};

Dims dims_of(const Tensor& q, const Tensor& k) { return {q.size(0), q.size(1), k.size(1), q.size(2), q.size(3)}; }

// Visible keys per batch entry from the padding mask alone (Tk when there is none).
std::vector<int64_t> key_limits(const Tensor& key_lengths, const Dims& m) {
  if (!key_lengths.defined()) return std::vector<int64_t>(static_cast<size_t>(m.batch), m.tk);
  std::vector<int64_t> out;
  for (double v : key_lengths.to_doubles()) out.push_back(static_cast<int64_t>(v));
  return out;
}

// Keys j < visible(...) are seen by query i: both masks keep a prefix of the keys.
int64_t visible(int64_t length, bool causal, int64_t i, const Dims& m) {
  return causal ? std::min(length, std::max<int64_t>(0, i + m.tk - m.tq + 1)) : length;
}

// The dropout factor of weight (b, h, i, j) at flat index ((b*H + h)*Tq + i)*Tk + j.
struct DropoutRule {
  bool active;
  float threshold;
  double keep_scale;
  uint64_t seed, offset;
  explicit DropoutRule(const AttentionOptions& o)
      : active(o.dropout > 0),
        threshold(dropout_threshold(o.dropout)),
        keep_scale(o.dropout < 1 ? 1.0 / (1.0 - o.dropout) : 0.0),
        seed(o.seed),
        offset(o.offset) {}
  double factor(uint64_t flat) const {
    if (!active) return 1.0;
    return philox_uniform(seed, offset + flat) > threshold ? keep_scale : 0.0;
  }
};

// Four independent partial sums (a fixed order, so results are reproducible):
// one chain of dependent adds would leave the CPU waiting on each one.
double dot(const double* a, const double* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t d = 0;
  for (; d + 4 <= n; d += 4) {
    s0 += a[d] * b[d];
    s1 += a[d + 1] * b[d + 1];
    s2 += a[d + 2] * b[d + 2];
    s3 += a[d + 3] * b[d + 3];
  }
  for (; d < n; ++d) s0 += a[d] * b[d];
  return (s0 + s1) + (s2 + s3);
}

void axpy(double alpha, const double* x, double* y, int64_t n) {
  for (int64_t d = 0; d < n; ++d) y[d] += alpha * x[d];
}

// Head h of batch b of x [B, T, H, D] -> dst (T, D).
template <typename T>
void gather_head(const Tensor& x, int64_t b, int64_t h, std::vector<double>& dst) {
  const int64_t t_len = x.size(1), heads = x.size(2), d = x.size(3);
  const T* px = static_cast<const T*>(x.data_ptr());
  dst.assign(static_cast<size_t>(t_len * d), 0.0);
  for (int64_t t = 0; t < t_len; ++t) {
    const T* row = px + ((b * t_len + t) * heads + h) * d;
    for (int64_t c = 0; c < d; ++c) dst[static_cast<size_t>(t * d + c)] = static_cast<double>(row[c]);
  }
}

// src (T, D) -> head h of batch b of x [B, T, H, D], scaled by `scale`.
template <typename T>
void scatter_head(const std::vector<double>& src, double scale, int64_t b, int64_t h, Tensor& x) {
  const int64_t t_len = x.size(1), heads = x.size(2), d = x.size(3);
  T* px = static_cast<T*>(x.data_ptr());
  for (int64_t t = 0; t < t_len; ++t) {
    T* row = px + ((b * t_len + t) * heads + h) * d;
    for (int64_t c = 0; c < d; ++c) row[c] = static_cast<T>(scale * src[static_cast<size_t>(t * d + c)]);
  }
}

}  // namespace

void attention_forward_cpu(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                           const AttentionOptions& options, Tensor& out, Tensor& logsumexp) {
  XLM_DISPATCH_CPU_FLOAT(q.dtype(), "attention", [&](auto tag) {
    using T = decltype(tag);  // f32 inputs keep an f32 logsumexp, f64 an f64 one
    const Dims m = dims_of(q, k);
    const std::vector<int64_t> lengths = key_limits(key_lengths, m);  // (B,)
    const double scale = 1.0 / std::sqrt(static_cast<double>(m.d));
    const DropoutRule drop(options);
    T* plse = static_cast<T*>(logsumexp.data_ptr());  // (B, H, Tq)
    std::vector<double> qh, kh, vh, oh;               // (Tq, D), (Tk, D), (Tk, D), (Tq, D)
    std::vector<double> s(static_cast<size_t>(m.tk));  // (Tk,) one row of scores
    for (int64_t b = 0; b < m.batch; ++b) {
      for (int64_t h = 0; h < m.heads; ++h) {
        gather_head<T>(q, b, h, qh);
        gather_head<T>(k, b, h, kh);
        gather_head<T>(v, b, h, vh);
        oh.assign(static_cast<size_t>(m.tq * m.d), 0.0);
        for (int64_t i = 0; i < m.tq; ++i) {
          const int64_t limit = visible(lengths[static_cast<size_t>(b)], options.causal, i, m);
          const int64_t row = (b * m.heads + h) * m.tq + i;
          if (limit == 0) {
            plse[row] = static_cast<T>(-INFINITY);
            continue;
          }
          const double* qi = qh.data() + i * m.d;
          double mx = -INFINITY;
          for (int64_t j = 0; j < limit; ++j) {
            s[static_cast<size_t>(j)] = scale * dot(qi, kh.data() + j * m.d, m.d);
            mx = std::max(mx, s[static_cast<size_t>(j)]);
          }
          double sum = 0;
          for (int64_t j = 0; j < limit; ++j) {
            s[static_cast<size_t>(j)] = std::exp(s[static_cast<size_t>(j)] - mx);  // now exp(s - max)
            sum += s[static_cast<size_t>(j)];
          }
          plse[row] = static_cast<T>(mx + std::log(sum));
          double* oi = oh.data() + i * m.d;
          for (int64_t j = 0; j < limit; ++j) {
            const double p = s[static_cast<size_t>(j)] / sum * drop.factor(static_cast<uint64_t>(row * m.tk + j));
            if (p != 0) axpy(p, vh.data() + j * m.d, oi, m.d);
          }
        }
        scatter_head<T>(oh, 1.0, b, h, out);
      }
    }
  });
}

void attention_backward_cpu(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                            const Tensor& logsumexp, const Tensor& grad_out, const Tensor& key_lengths,
                            const AttentionOptions& options, Tensor& grad_q, Tensor& grad_k, Tensor& grad_v) {
  XLM_DISPATCH_CPU_FLOAT(q.dtype(), "attention_backward", [&](auto tag) {
    using T = decltype(tag);
    const Dims m = dims_of(q, k);
    const std::vector<int64_t> lengths = key_limits(key_lengths, m);  // (B,)
    const double scale = 1.0 / std::sqrt(static_cast<double>(m.d));
    const DropoutRule drop(options);
    const T* plse = static_cast<const T*>(logsumexp.data_ptr());  // (B, H, Tq)
    std::vector<double> qh, kh, vh, oh, doh;  // (Tq, D), (Tk, D), (Tk, D), (Tq, D), (Tq, D)
    std::vector<double> dq, dk, dv;           // (Tq, D), (Tk, D), (Tk, D)
    for (int64_t b = 0; b < m.batch; ++b) {
      for (int64_t h = 0; h < m.heads; ++h) {
        gather_head<T>(q, b, h, qh);
        gather_head<T>(k, b, h, kh);
        gather_head<T>(v, b, h, vh);
        gather_head<T>(out, b, h, oh);
        gather_head<T>(grad_out, b, h, doh);
        dq.assign(qh.size(), 0.0);
        dk.assign(kh.size(), 0.0);
        dv.assign(vh.size(), 0.0);
        for (int64_t i = 0; i < m.tq; ++i) {
          const int64_t limit = visible(lengths[static_cast<size_t>(b)], options.causal, i, m);
          if (limit == 0) continue;
          const int64_t row = (b * m.heads + h) * m.tq + i;
          const double lse = static_cast<double>(plse[row]);
          const double* qi = qh.data() + i * m.d;
          const double* doi = doh.data() + i * m.d;
          const double delta = dot(doi, oh.data() + i * m.d, m.d);  // D_i = rowsum(dO * O)
          double* dqi = dq.data() + i * m.d;
          for (int64_t j = 0; j < limit; ++j) {
            const double* kj = kh.data() + j * m.d;
            const double p = std::exp(scale * dot(qi, kj, m.d) - lse);
            const double f = drop.factor(static_cast<uint64_t>(row * m.tk + j));
            const double dp = f * dot(doi, vh.data() + j * m.d, m.d);  // dL/dP_ij through the dropout
            const double ds = p * (dp - delta);
            if (p * f != 0) axpy(p * f, doi, dv.data() + j * m.d, m.d);
            axpy(ds, kj, dqi, m.d);
            axpy(ds, qi, dk.data() + j * m.d, m.d);
          }
        }
        scatter_head<T>(dq, scale, b, h, grad_q);
        scatter_head<T>(dk, scale, b, h, grad_k);
        scatter_head<T>(dv, 1.0, b, h, grad_v);
      }
    }
  });
}

}  // namespace xlm
