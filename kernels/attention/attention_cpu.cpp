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
// Threads: the (b, h) heads are split over the engine's threads
// (core/cpu_parallel.h), each head wholly on one thread with its own scratch,
// its GEMMs single-threaded OpenBLAS calls (kernels/matmul/blas_threads.h), so
// the result does not depend on the thread count.
// The row passes are few and vectorisable: the max and the exp-and-sum use
// fixed lanes of partial results (f32 exp from core/vec_math.h; f64, the
// harness reference, keeps std::exp), the normalisation and the dropout
// factors are one more pass, and the dropout's factors of a whole row block
// come from one batched Philox run (core/philox_batch.h). Their f32 versions
// are XLM_VEC_CLONES functions (AVX-512 or AVX2 where the CPU has it, the same
// bits as the baseline build).
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "core/host_reads.h"
#include "core/philox.h"
#include "core/philox_batch.h"
#include "core/vec_math.h"
#include "kernels/attention/attention.h"
#include "kernels/dropout/dropout.h"
#include "kernels/matmul/blas_threads.h"
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
  return kernel_int64_values(key_lengths);  // the twin's own memory: no transfer (core/host_reads.h)
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

// Lanes of the row reductions: partial results kept apart in a fixed order, so
// the compiler vectorises them and the result is the same on every run.
constexpr int kLanes = 8;

float exp_of(float x) { return vec::exp(x); }
double exp_of(double x) { return std::exp(x); }

// max_j x[j] over n >= 1 values.
template <typename T>
[[gnu::always_inline]] inline T row_max(const T* x, int64_t n) {
  T lane[kLanes];
  std::fill(lane, lane + kLanes, static_cast<T>(-INFINITY));
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
  T m = static_cast<T>(-INFINITY);
  for (int l = 0; l < kLanes; ++l) m = lane[l] > m ? lane[l] : m;
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// x[j] = exp(x[j] - shift) in place; returns their sum, accumulated in double.
template <typename T>
[[gnu::always_inline]] inline double exp_in_place_sum(T* x, int64_t n, T shift) {
  double lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const T e = exp_of(x[j + l] - shift);
      x[j + l] = e;
      lane[l] += static_cast<double>(e);
    }
  }
  double sum = 0;
  for (; j < n; ++j) {
    const T e = exp_of(x[j] - shift);
    x[j] = e;
    sum += static_cast<double>(e);
  }
  for (int l = 0; l < kLanes; ++l) sum += lane[l];
  return sum;
}

// Forward, one row of n visible keys: the scores become the softmax weights
// (times the dropout factors f when f is not null); returns the row's
// logsumexp, in double.
template <typename T>
[[gnu::always_inline]] inline double softmax_row(T* s, int64_t n, const T* f) {
  const T mx = row_max(s, n);
  const double sum = exp_in_place_sum(s, n, mx);
  const T inv = static_cast<T>(1.0 / sum);
  if (f) {
    for (int64_t j = 0; j < n; ++j) s[j] = s[j] * inv * f[j];
  } else {
    for (int64_t j = 0; j < n; ++j) s[j] *= inv;
  }
  return static_cast<double>(mx) + std::log(sum);
}

// Backward, one row of n visible keys: p holds the scores S and d holds dP
// = dO V^T; P = exp(S - lse) is recomputed, d becomes dS = P (f dP - delta)
// and p becomes P f (f: the dropout factors, or all ones when null).
template <typename T>
[[gnu::always_inline]] inline void backward_row(T* p, T* d, int64_t n, const T* f, T lse, T delta) {
  if (f) {
    for (int64_t j = 0; j < n; ++j) {
      const T pij = exp_of(p[j] - lse);
      const T fj = f[j];
      d[j] = pij * (fj * d[j] - delta);  // dS
      p[j] = pij * fj;                   // P after dropout
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      const T pij = exp_of(p[j] - lse);
      d[j] = pij * (d[j] - delta);
      p[j] = pij;
    }
  }
}

// out[i] = w[i] >= from ? keep : 0: dropout factors from Philox words.
template <typename T>
[[gnu::always_inline]] inline void keep_factors(const uint32_t* w, int64_t n, uint32_t from, T keep, T* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = w[i] >= from ? keep : T(0);
}

// The f32 instances are compiled per ISA (XLM_VEC_CLONES: AVX-512, AVX2 or
// the baseline, the same bits on each), the f64 ones (the harness reference)
// for the baseline only.
XLM_VEC_CLONES double softmax_row_f32(float* s, int64_t n, const float* f) { return softmax_row(s, n, f); }
XLM_VEC_CLONES void backward_row_f32(float* p, float* d, int64_t n, const float* f, float lse, float delta) {
  backward_row(p, d, n, f, lse, delta);
}
XLM_VEC_CLONES void keep_factors_f32(const uint32_t* w, int64_t n, uint32_t from, float keep, float* out) {
  keep_factors(w, n, from, keep, out);
}
double softmax_row_any(float* s, int64_t n, const float* f) { return softmax_row_f32(s, n, f); }
double softmax_row_any(double* s, int64_t n, const double* f) { return softmax_row(s, n, f); }
void backward_row_any(float* p, float* d, int64_t n, const float* f, float lse, float delta) {
  backward_row_f32(p, d, n, f, lse, delta);
}
void backward_row_any(double* p, double* d, int64_t n, const double* f, double lse, double delta) {
  backward_row(p, d, n, f, lse, delta);
}
void keep_factors_any(const uint32_t* w, int64_t n, uint32_t from, float keep, float* out) {
  keep_factors_f32(w, n, from, keep, out);
}
void keep_factors_any(const uint32_t* w, int64_t n, uint32_t from, double keep, double* out) {
  keep_factors(w, n, from, keep, out);
}

// The dropout factors of a run of weights, flat indices start .. start + n - 1 of the
// (B, H, Tq, Tk) weight tensor: keep_scale where philox_uniform(seed, offset + flat) >
// threshold, else 0, bit for bit, drawn kPhiloxBatch Philox blocks at a time
// (core/philox_batch.h: the rounds and the integer keep test vectorise).
struct DropoutRule {
  bool active;
  uint64_t keep_from;  // bits >= keep_from are kept (philox_keep_from); 2^32: nothing is
  double keep_scale;
  uint64_t seed, offset;
  explicit DropoutRule(const AttentionOptions& o)
      : active(o.dropout > 0),
        keep_from(o.dropout > 0 ? philox_keep_from(dropout_threshold(o.dropout)) : 0),
        keep_scale(o.dropout < 1 ? 1.0 / (1.0 - o.dropout) : 0.0),
        seed(o.seed),
        offset(o.offset) {}
  template <typename T>
  void factors(uint64_t start, int64_t n, T* out) const {
    if (keep_from > UINT32_MAX) {
      std::fill(out, out + n, T(0));
      return;
    }
    const auto from = static_cast<uint32_t>(keep_from);
    const T keep = static_cast<T>(keep_scale);
    uint32_t bits[4 * kPhiloxBatch];
    uint64_t pos = offset + start;
    for (int64_t j = 0; j < n;) {
      philox_batch_bits(seed, pos >> 2, bits);
      const auto skip = static_cast<int64_t>(pos & 3);  // draws of the first block before pos
      const int64_t take = std::min<int64_t>(4 * kPhiloxBatch - skip, n - j);
      keep_factors_any(bits + skip, take, from, keep, out + j);
      j += take;
      pos += static_cast<uint64_t>(take);
    }
  }
};

// A block's dropout factors, (rows, Tk) with row stride Tk: one run over the whole
// block when its first row sees every key (no causal cut, no padding: the rows are
// consecutive in the flat index), else row by row over the visible keys only.
template <typename T>
void block_factors(const DropoutRule& drop, int64_t row0, int64_t tk, const std::vector<int64_t>& limits, T* out) {
  const auto rows = static_cast<int64_t>(limits.size());
  if (limits.front() == tk) {
    drop.factors(static_cast<uint64_t>(row0 * tk), rows * tk, out);
    return;
  }
  for (int64_t r = 0; r < rows; ++r)
    drop.factors(static_cast<uint64_t>((row0 + r) * tk), limits[static_cast<size_t>(r)], out + r * tk);
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
    use_one_blas_thread();
    parallel_for(m.batch * m.heads, 1, [&](int64_t head_begin, int64_t head_end) {
      std::vector<T> s(static_cast<size_t>(std::min(kRowBlock, m.tq) * m.tk));  // (rows, keys) scores, then weights
      std::vector<T> factors(drop.active ? s.size() : 0);  // (rows, Tk) the block's dropout factors
      Block blk;
      for (int64_t bh = head_begin; bh < head_end; ++bh) {
        const int64_t b = bh / m.heads, h = bh % m.heads;
        const T* qh = pq + b * m.tq * ld + h * m.d;  // (Tq, D) with row stride ld
        const T* kh = pk + b * m.tk * ld + h * m.d;  // (Tk, D)
        const T* vh = pv + b * m.tk * ld + h * m.d;  // (Tk, D)
        T* oh = po + b * m.tq * ld + h * m.d;        // (Tq, D)
        for (int64_t i0 = 0; i0 < m.tq; i0 += kRowBlock) {
          const int64_t row0 = bh * m.tq + i0;  // flat (b, h, i0) row index
          if (!make_block(m, lengths[static_cast<size_t>(b)], options.causal, i0, blk)) {
            for (int64_t r = 0; r < blk.rows; ++r) {
              plse[row0 + r] = static_cast<T>(-INFINITY);
              std::fill(oh + (i0 + r) * ld, oh + (i0 + r) * ld + m.d, T(0));
            }
            continue;
          }
          const int64_t n = blk.keys;
          gemm(false, true, blk.rows, n, m.d, scale, qh + i0 * ld, ld, kh, ld, 0.0, s.data(), n);  // S (rows, n)
          if (drop.active) block_factors(drop, row0, m.tk, blk.limits, factors.data());
          for (int64_t r = 0; r < blk.rows; ++r) {
            T* sr = s.data() + r * n;
            const int64_t limit = blk.limits[static_cast<size_t>(r)];
            if (limit == 0) {
              plse[row0 + r] = static_cast<T>(-INFINITY);
              std::fill(sr, sr + n, T(0));
              continue;
            }
            const T* fr = drop.active ? factors.data() + r * m.tk : nullptr;
            plse[row0 + r] = static_cast<T>(softmax_row_any(sr, limit, fr));
            std::fill(sr + limit, sr + n, T(0));
          }
          gemm(false, false, blk.rows, m.d, n, 1.0, s.data(), n, vh, ld, 0.0, oh + i0 * ld, ld);  // O = P V
        }
      }
    });
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
    use_one_blas_thread();
    parallel_for(m.batch * m.heads, 1, [&](int64_t head_begin, int64_t head_end) {
      const auto block_size = static_cast<size_t>(std::min(kRowBlock, m.tq) * m.tk);
      std::vector<T> p(block_size);   // (rows, keys) S, then P, then P * dropout
      std::vector<T> dp(block_size);  // (rows, keys) dP, then dS
      std::vector<T> factors(drop.active ? block_size : 0);  // (rows, Tk) the block's dropout factors
      Block blk;
      for (int64_t bh = head_begin; bh < head_end; ++bh) {
        const int64_t b = bh / m.heads, h = bh % m.heads;
        const int64_t qo = b * m.tq * ld + h * m.d, ko = b * m.tk * ld + h * m.d;  // head offsets
        const T *qh = pq + qo, *oh = po + qo, *doh = pdo + qo;  // (Tq, D) with row stride ld
        const T *kh = pk + ko, *vh = pv + ko;                    // (Tk, D)
        T *dqh = pdq + qo, *dkh = pdk + ko, *dvh = pdv + ko;
        for (int64_t i0 = 0; i0 < m.tq; i0 += kRowBlock) {
          if (!make_block(m, lengths[static_cast<size_t>(b)], options.causal, i0, blk)) continue;  // zero grads
          const int64_t n = blk.keys, row0 = bh * m.tq + i0;
          gemm(false, true, blk.rows, n, m.d, scale, qh + i0 * ld, ld, kh, ld, 0.0, p.data(), n);  // S
          gemm(false, true, blk.rows, n, m.d, 1.0, doh + i0 * ld, ld, vh, ld, 0.0, dp.data(), n);  // dO V^T
          if (drop.active) block_factors(drop, row0, m.tk, blk.limits, factors.data());
          for (int64_t r = 0; r < blk.rows; ++r) {
            T* pr = p.data() + r * n;
            T* dr = dp.data() + r * n;
            const int64_t limit = blk.limits[static_cast<size_t>(r)];
            const int64_t i = i0 + r;
            if (limit > 0) {
              const T lse = plse[row0 + r];
              const T delta = static_cast<T>(vec::dot(doh + i * ld, oh + i * ld, m.d));  // rowsum(dO * O)
              const T* fr = drop.active ? factors.data() + r * m.tk : nullptr;
              backward_row_any(pr, dr, limit, fr, lse, delta);
            }
            std::fill(pr + limit, pr + n, T(0));
            std::fill(dr + limit, dr + n, T(0));
          }
          gemm(true, false, n, m.d, blk.rows, 1.0, p.data(), n, doh + i0 * ld, ld, 1.0, dvh, ld);     // dV += Pd^T dO
          gemm(false, false, blk.rows, m.d, n, scale, dp.data(), n, kh, ld, 0.0, dqh + i0 * ld, ld);  // dQ = dS K
          gemm(true, false, n, m.d, blk.rows, scale, dp.data(), n, qh + i0 * ld, ld, 1.0, dkh, ld);   // dK += dS^T Q
        }
      }
    });
  });
}

}  // namespace xlm
