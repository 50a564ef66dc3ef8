// CPU matmul: row-major CBLAS GEMMs (OpenBLAS) when the build found one,
// split over the engine's OpenMP threads here (a batch of GEMMs by GEMM, one
// GEMM by rows of C), each part one single-threaded OpenBLAS call
// (kernels/matmul/blas_threads.h says why), else
// a blocked loop that packs 64x64 tiles of op(a) and op(b) (so the transposes
// cost nothing in the inner loop) and accumulates in double. The blocked loop
// is always compiled and exported so tests can hold the two paths against
// each other.
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "kernels/matmul/blas_threads.h"
#include "kernels/matmul/matmul.h"
#include "xlm/config.h"

#include <algorithm>
#include <climits>
#include <vector>

#if XLM_WITH_BLAS
#include <cblas.h>
#endif

namespace xlm {

namespace {

// c (m, n) = op(a) (m, k) * op(b) (k, n); a stored (m, k) or (k, m) when ta, b (k, n) or (n, k) when tb.
template <typename T>
void gemm_blocked(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c) {
  constexpr int64_t kTile = 64;
  std::vector<T> a_tile(kTile * kTile);    // (bm, bk) rows of op(a)
  std::vector<T> b_tile(kTile * kTile);    // (bk, bn) rows of op(b)
  std::vector<double> acc(kTile * kTile);  // (bm, bn)
  for (int64_t i0 = 0; i0 < m; i0 += kTile) {
    const int64_t bm = std::min(kTile, m - i0);
    for (int64_t j0 = 0; j0 < n; j0 += kTile) {
      const int64_t bn = std::min(kTile, n - j0);
      std::fill(acc.begin(), acc.begin() + bm * bn, 0.0);
      for (int64_t k0 = 0; k0 < k; k0 += kTile) {
        const int64_t bk = std::min(kTile, k - k0);
        for (int64_t i = 0; i < bm; ++i)
          for (int64_t p = 0; p < bk; ++p)
            a_tile[i * bk + p] = ta ? a[(k0 + p) * m + i0 + i] : a[(i0 + i) * k + k0 + p];
        for (int64_t p = 0; p < bk; ++p)
          for (int64_t j = 0; j < bn; ++j)
            b_tile[p * bn + j] = tb ? b[(j0 + j) * k + k0 + p] : b[(k0 + p) * n + j0 + j];
        for (int64_t i = 0; i < bm; ++i) {
          double* row = &acc[i * bn];
          for (int64_t p = 0; p < bk; ++p) {
            const double av = a_tile[i * bk + p];
            const T* brow = &b_tile[p * bn];
            for (int64_t j = 0; j < bn; ++j) row[j] += av * static_cast<double>(brow[j]);
          }
        }
      }
      for (int64_t i = 0; i < bm; ++i)
        for (int64_t j = 0; j < bn; ++j) c[(i0 + i) * n + j0 + j] = static_cast<T>(acc[i * bn + j]);
    }
  }
}

#if XLM_WITH_BLAS
// Multiply-adds a thread's share of a GEMM must reach for the split to pay:
// 2^20 is about 20 us on one core, several times an OpenMP fork-join.
constexpr int64_t kMinMnkPerThread = int64_t{1} << 20;

// c (m, n) = op(a) op(b) with leading dimensions (CBLAS's row-major contract).
void gemm_blas(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f,
              c, static_cast<int>(ldc));
}
void gemm_blas(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
               int64_t ldb, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0, a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0, c,
              static_cast<int>(ldc));
}

// c (m, n) = op(a) op(b), packed operands as gemm_blocked takes them, the rows of
// c split over the threads (rows i0 .. i1 of op(a) start at a + i0 when a is
// stored transposed, (k, m), and at a + i0 * k otherwise).
template <typename T>
void gemm_split_rows(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, const T* b, T* c) {
  const int64_t grain = std::max<int64_t>(1, kMinMnkPerThread / std::max<int64_t>(1, n * k));
  parallel_for(m, grain, [&](int64_t i0, int64_t i1) {
    gemm_blas(ta, tb, i1 - i0, n, k, ta ? a + i0 : a + i0 * k, ta ? m : k, b, tb ? k : n, c + i0 * n, n);
  });
}
#endif

// Multiply-adds of the whole GEMMs a thread gets when a batch is split.
constexpr int64_t kMinGemmsMnkPerThread = int64_t{1} << 20;

// Runs dims.batch GEMMs with `gemm` (same signature as gemm_blocked).
template <typename T, typename Gemm>
void batched(const Tensor& a, const Tensor& b, const MatmulDims& d, Tensor& out, Gemm gemm) {
  const T* pa = static_cast<const T*>(a.data_ptr());
  const T* pb = static_cast<const T*>(b.data_ptr());
  T* pc = static_cast<T*>(out.data_ptr());
  if (d.m == 0 || d.n == 0) return;
  if (d.k == 0) {  // empty sum
    std::fill(pc, pc + d.batch * d.m * d.n, T(0));
    return;
  }
  // Whole GEMMs per thread when the batch has enough of them; one GEMM's rows
  // otherwise (a nested parallel_for runs on its caller's thread).
  const int64_t grain = std::max<int64_t>(1, kMinGemmsMnkPerThread / std::max<int64_t>(1, d.m * d.n * d.k));
  parallel_for(d.batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      gemm(d.transpose_a, d.transpose_b, d.m, d.n, d.k, pa + i * d.m * d.k, d.b_shared ? pb : pb + i * d.k * d.n,
           pc + i * d.m * d.n);
    }
  });
}

}  // namespace

void matmul_forward_cpu_fallback(const Tensor& a, const Tensor& b, const MatmulDims& dims, Tensor& out) {
  XLM_DISPATCH_CPU_FLOAT(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    batched<T>(a, b, dims, out, gemm_blocked<T>);
  });
}

void matmul_forward_cpu(const Tensor& a, const Tensor& b, const MatmulDims& dims, Tensor& out) {
#if XLM_WITH_BLAS
  XLM_CHECK(dims.m <= INT_MAX && dims.n <= INT_MAX && dims.k <= INT_MAX, ShapeError,
            "matmul: GEMM of ({} x {}) by ({} x {}) exceeds CBLAS's int sizes", dims.m, dims.k, dims.k, dims.n);
  XLM_DISPATCH_CPU_FLOAT(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    use_one_blas_thread();
    batched<T>(a, b, dims, out, gemm_split_rows<T>);
  });
#else
  matmul_forward_cpu_fallback(a, b, dims, out);
#endif
}

}  // namespace xlm
