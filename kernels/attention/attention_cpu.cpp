// CPU twin of fused attention, built around GEMMs so that it runs at BLAS
// speed: for each (b, h) head and each block of kRowBlock query rows, the
// scores S = Q K^T / sqrt(D) are one GEMM, the masked softmax and the Philox
// dropout run in place over the (rows, keys) block, and O = P V is a second
// GEMM; the backward recomputes P from S and the saved logsumexp and forms
// dV, dP, dQ and dK as four more GEMMs. The GEMMs read and write the
// [B, T, H, D] tensors in place (row stride H*D), so no head is ever copied.
// A block only spans the keys its last row can see, so causal attention skips
// the blocks above the diagonal and padded keys cost nothing.
// Precision: f32 inputs run f32 GEMMs (as the composed path did) with the
// softmax statistics and rowsum(dO * O) in double; f64 inputs stay f64 all
// the way. The GEMM is OpenBLAS's CBLAS when the build found it (the entry
// kernels/matmul uses), else a plain strided loop accumulating in double.
// Single-threaded outside BLAS.
#include "core/dispatch.h"
#include "core/philox.h"
#include "kernels/attention/attention.h"
#include "kernels/dropout/dropout.h"
#include "xlm/config.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#if XLM_WITH_BLAS
#include <cblas.h>
#endif

namespace xlm {

namespace {

// Query rows per block: large enough for efficient GEMMs, small enough that a
// causal head skips most of the masked upper triangle and a block's scores
// (kRowBlock x Tk) stay in cache.
constexpr int64_t kRowBlock = 64;

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

// Keys j < visible(...) are seen by query i: both masks keep a prefix of the keys,
// and the prefix never shrinks as i grows.
int64_t visible(int64_t length, bool causal, int64_t i, const Dims& m) {
  return causal ? std::min(length, std::max<int64_t>(0, i + m.tk - m.tq + 1)) : length;
}

// c (m, n) = alpha op(a) op(b) + beta c, row-major with leading dimensions (CBLAS's contract).
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, double beta, float* c, int64_t ldc);
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

#if XLM_WITH_BLAS
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, double beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), static_cast<float>(alpha), a, static_cast<int>(lda), b,
              static_cast<int>(ldb), static_cast<float>(beta), c, static_cast<int>(ldc));
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
              beta, c, static_cast<int>(ldc));
}
#else
template <typename T>
void gemm_loop(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const T* a, int64_t lda, const T* b,
               int64_t ldb, double beta, T* c, int64_t ldc) {
  std::vector<double> row(static_cast<size_t>(n));  // (n,) one output row, accumulated in double
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t p = 0; p < k; ++p) {
      const double av = static_cast<double>(ta ? a[p * lda + i] : a[i * lda + p]);
      if (av == 0) continue;
      for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] += av * static_cast<double>(tb ? b[j * ldb + p] : b[p * ldb + j]);
    }
    T* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      const double prior = beta == 0 ? 0.0 : beta * static_cast<double>(ci[j]);  // beta 0 ignores c, as BLAS does
      ci[j] = static_cast<T>(alpha * row[static_cast<size_t>(j)] + prior);
    }
  }
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, double beta, float* c, int64_t ldc) {
  gemm_loop(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  gemm_loop(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#endif

// The dropout factors of one row of weights, flat indices start .. start + n - 1 of the
// (B, H, Tq, Tk) weight tensor. Bit-identical to philox_uniform(seed, offset + flat) >
// threshold, but each Philox block (4 draws) is computed once instead of once per draw.
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
  // philox_uniform_from_bits without the fmaf call (a library call unless the build
  // targets FMA): float(x) * 2^-32 is exact, so the sum rounds once either way.
  static float uniform(uint32_t x) { return static_cast<float>(x) * 0x1p-32f + 0x1p-33f; }
  template <typename T>
  void row(uint64_t start, int64_t n, T* factors) const {
    if (!active) {
      std::fill(factors, factors + n, T(1));
      return;
    }
    const auto k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
    const T keep = static_cast<T>(keep_scale);
    uint64_t pos = offset + start;
    for (int64_t j = 0; j < n;) {
      const uint64_t block = pos >> 2;
      const Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u, k0, k1);
      for (uint32_t word = static_cast<uint32_t>(pos & 3); word < 4 && j < n; ++word, ++j, ++pos)
        factors[j] = uniform(r.v[word]) > threshold ? keep : T(0);
    }
  }
};

double dot(const double* a, const double* b, int64_t n) {
  double s = 0;
  for (int64_t d = 0; d < n; ++d) s += a[d] * b[d];
  return s;
}
double dot(const float* a, const float* b, int64_t n) {
  double s = 0;
  for (int64_t d = 0; d < n; ++d) s += static_cast<double>(a[d]) * static_cast<double>(b[d]);
  return s;
}

// What a (b, h, row block) works on: rows i0 .. i0 + rows - 1, the keys 0 .. keys - 1
// the last of them sees, and each row's own limit.
struct Block {
  int64_t i0, rows, keys;
  std::vector<int64_t> limits;  // (rows,)
};

// Fills `blk` for rows starting at i0 of batch entry b; false when no row sees a key.
bool make_block(const Dims& m, int64_t length, bool causal, int64_t i0, Block& blk) {
  blk.i0 = i0;
  blk.rows = std::min(kRowBlock, m.tq - i0);
  blk.limits.resize(static_cast<size_t>(blk.rows));
  for (int64_t r = 0; r < blk.rows; ++r) blk.limits[static_cast<size_t>(r)] = visible(length, causal, i0 + r, m);
  blk.keys = blk.limits.back();
  return blk.keys > 0;
}

}  // namespace

void attention_forward_cpu(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                           const AttentionOptions& options, Tensor& out, Tensor& logsumexp) {
  XLM_DISPATCH_CPU_FLOAT(q.dtype(), "attention", [&](auto tag) {
    using T = decltype(tag);  // f32 inputs keep an f32 logsumexp, f64 an f64 one
    const Dims m = dims_of(q, k);
    XLM_CHECK(m.tk <= INT_MAX && m.tq <= INT_MAX && m.heads * m.d <= INT_MAX, ShapeError,
              "attention: Tq {}, Tk {}, H*D {} exceed CBLAS's int sizes", m.tq, m.tk, m.heads * m.d);
    const std::vector<int64_t> lengths = key_limits(key_lengths, m);  // (B,)
    const double scale = 1.0 / std::sqrt(static_cast<double>(m.d));
    const DropoutRule drop(options);
    const int64_t ld = m.heads * m.d;  // row stride of [B, T, H, D]
    const T* pq = static_cast<const T*>(q.data_ptr());
    const T* pk = static_cast<const T*>(k.data_ptr());
    const T* pv = static_cast<const T*>(v.data_ptr());
    T* po = static_cast<T*>(out.data_ptr());
    T* plse = static_cast<T*>(logsumexp.data_ptr());  // (B, H, Tq)
    std::vector<T> s(static_cast<size_t>(kRowBlock * m.tk));  // (rows, keys) scores, then weights
    std::vector<T> factors(static_cast<size_t>(m.tk));        // (keys,) one row's dropout factors
    Block blk;
    for (int64_t b = 0; b < m.batch; ++b) {
      for (int64_t h = 0; h < m.heads; ++h) {
        const T* qh = pq + b * m.tq * ld + h * m.d;  // (Tq, D) with row stride ld
        const T* kh = pk + b * m.tk * ld + h * m.d;  // (Tk, D)
        const T* vh = pv + b * m.tk * ld + h * m.d;  // (Tk, D)
        T* oh = po + b * m.tq * ld + h * m.d;        // (Tq, D)
        for (int64_t i0 = 0; i0 < m.tq; i0 += kRowBlock) {
          const int64_t row0 = (b * m.heads + h) * m.tq + i0;  // flat (b, h, i0) row index
          if (!make_block(m, lengths[static_cast<size_t>(b)], options.causal, i0, blk)) {
            for (int64_t r = 0; r < blk.rows; ++r) {
              plse[row0 + r] = static_cast<T>(-INFINITY);
              std::fill(oh + (i0 + r) * ld, oh + (i0 + r) * ld + m.d, T(0));
            }
            continue;
          }
          const int64_t n = blk.keys;
          gemm(false, true, blk.rows, n, m.d, scale, qh + i0 * ld, ld, kh, ld, 0.0, s.data(), n);  // S (rows, n)
          for (int64_t r = 0; r < blk.rows; ++r) {
            T* sr = s.data() + r * n;
            const int64_t limit = blk.limits[static_cast<size_t>(r)];
            if (limit == 0) {
              plse[row0 + r] = static_cast<T>(-INFINITY);
              std::fill(sr, sr + n, T(0));
              continue;
            }
            double mx = -INFINITY;
            for (int64_t j = 0; j < limit; ++j) mx = std::max(mx, static_cast<double>(sr[j]));
            double sum = 0;
            for (int64_t j = 0; j < limit; ++j) {
              const T e = std::exp(sr[j] - static_cast<T>(mx));
              sr[j] = e;
              sum += static_cast<double>(e);
            }
            plse[row0 + r] = static_cast<T>(mx + std::log(sum));
            drop.row(static_cast<uint64_t>((row0 + r) * m.tk), limit, factors.data());
            const T inv = static_cast<T>(1.0 / sum);
            for (int64_t j = 0; j < limit; ++j) sr[j] = sr[j] * inv * factors[static_cast<size_t>(j)];
            std::fill(sr + limit, sr + n, T(0));
          }
          gemm(false, false, blk.rows, m.d, n, 1.0, s.data(), n, vh, ld, 0.0, oh + i0 * ld, ld);  // O = P V
        }
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
    XLM_CHECK(m.tk <= INT_MAX && m.tq <= INT_MAX && m.heads * m.d <= INT_MAX, ShapeError,
              "attention_backward: Tq {}, Tk {}, H*D {} exceed CBLAS's int sizes", m.tq, m.tk, m.heads * m.d);
    const std::vector<int64_t> lengths = key_limits(key_lengths, m);  // (B,)
    const double scale = 1.0 / std::sqrt(static_cast<double>(m.d));
    const DropoutRule drop(options);
    const int64_t ld = m.heads * m.d;
    const T* pq = static_cast<const T*>(q.data_ptr());
    const T* pk = static_cast<const T*>(k.data_ptr());
    const T* pv = static_cast<const T*>(v.data_ptr());
    const T* po = static_cast<const T*>(out.data_ptr());
    const T* pdo = static_cast<const T*>(grad_out.data_ptr());
    const T* plse = static_cast<const T*>(logsumexp.data_ptr());  // (B, H, Tq)
    T* pdq = static_cast<T*>(grad_q.data_ptr());  // the front passes zeros: dK, dV accumulate over row blocks
    T* pdk = static_cast<T*>(grad_k.data_ptr());
    T* pdv = static_cast<T*>(grad_v.data_ptr());
    std::vector<T> p(static_cast<size_t>(kRowBlock * m.tk));   // (rows, keys) S, then P, then P * dropout
    std::vector<T> dp(static_cast<size_t>(kRowBlock * m.tk));  // (rows, keys) dP, then dS
    std::vector<T> factors(static_cast<size_t>(m.tk));         // (keys,)
    Block blk;
    for (int64_t b = 0; b < m.batch; ++b) {
      for (int64_t h = 0; h < m.heads; ++h) {
        const int64_t qo = b * m.tq * ld + h * m.d, ko = b * m.tk * ld + h * m.d;  // head offsets
        const T *qh = pq + qo, *oh = po + qo, *doh = pdo + qo;  // (Tq, D) with row stride ld
        const T *kh = pk + ko, *vh = pv + ko;                    // (Tk, D)
        T *dqh = pdq + qo, *dkh = pdk + ko, *dvh = pdv + ko;
        for (int64_t i0 = 0; i0 < m.tq; i0 += kRowBlock) {
          if (!make_block(m, lengths[static_cast<size_t>(b)], options.causal, i0, blk)) continue;  // zero grads
          const int64_t n = blk.keys, row0 = (b * m.heads + h) * m.tq + i0;
          gemm(false, true, blk.rows, n, m.d, scale, qh + i0 * ld, ld, kh, ld, 0.0, p.data(), n);    // S
          gemm(false, true, blk.rows, n, m.d, 1.0, doh + i0 * ld, ld, vh, ld, 0.0, dp.data(), n);    // dO V^T
          for (int64_t r = 0; r < blk.rows; ++r) {
            T* pr = p.data() + r * n;
            T* dr = dp.data() + r * n;
            const int64_t limit = blk.limits[static_cast<size_t>(r)];
            const int64_t i = i0 + r;
            const double lse = limit > 0 ? static_cast<double>(plse[row0 + r]) : 0.0;
            const double delta = limit > 0 ? dot(doh + i * ld, oh + i * ld, m.d) : 0.0;  // rowsum(dO * O)
            drop.row(static_cast<uint64_t>((row0 + r) * m.tk), limit, factors.data());
            const T lse_t = static_cast<T>(lse), delta_t = static_cast<T>(delta);
            for (int64_t j = 0; j < limit; ++j) {
              const T pij = std::exp(pr[j] - lse_t);
              const T f = factors[static_cast<size_t>(j)];
              dr[j] = pij * (f * dr[j] - delta_t);  // dS
              pr[j] = pij * f;                      // P after dropout
            }
            std::fill(pr + limit, pr + n, T(0));
            std::fill(dr + limit, dr + n, T(0));
          }
          gemm(true, false, n, m.d, blk.rows, 1.0, p.data(), n, doh + i0 * ld, ld, 1.0, dvh, ld);     // dV += Pd^T dO
          gemm(false, false, blk.rows, m.d, n, scale, dp.data(), n, kh, ld, 0.0, dqh + i0 * ld, ld);  // dQ = dS K
          gemm(true, false, n, m.d, blk.rows, scale, dp.data(), n, qh + i0 * ld, ld, 1.0, dkh, ld);   // dK += dS^T Q
        }
      }
    }
  });
}

}  // namespace xlm
