// The CPU fast paths of issue 9 give the numbers of the plain loops they
// replace: dropout's block-wise Philox walk draws philox_uniform(seed,
// offset + i) for every i whatever the offset's phase, permute's row copies
// match element-by-element indexing, and GEMMs split over the OpenMP threads
// (by rows of C, or by GEMM in a batch) match the blocked fallback for 1 and 2
// threads, with OpenBLAS left on one thread (kernels/matmul/blas_threads.h).
#include "core/philox.h"
#include "kernels/dropout/dropout.h"
#include "kernels/matmul/matmul.h"
#include "kernels/permute/permute.h"
#include "support.h"
#include "xlm/config.h"

#if XLM_WITH_BLAS
#include <cblas.h>
#endif

#include <array>
#include <cmath>
#include <numeric>

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace xlm;

TEST_CASE("dropout mask: every offset phase and length draws philox_uniform(seed, offset + i)", "[dropout][cpu]") {
  const double p = 0.37;
  const float threshold = dropout_threshold(p);
  for (uint64_t offset = 0; offset < 9; ++offset) {
    for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 13, 31, 32, 33, 36, 70, 131}) {  // partial and whole Philox blocks
      const auto mask = dropout_mask({n}, p, 1234567890123ull, offset, Device::cpu()).to_vector<uint8_t>();
      std::vector<uint8_t> want(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        want[static_cast<size_t>(i)] = philox_uniform(1234567890123ull, offset + static_cast<uint64_t>(i)) > threshold;
      INFO("offset " << offset << " n " << n);
      CHECK(mask == want);
      // The forward applies the same decisions.
      const auto y = dropout(Tensor::full({n}, 1.0, DType::f32), p, 1234567890123ull, offset).to_doubles();
      for (int64_t i = 0; i < n; ++i) CHECK((y[static_cast<size_t>(i)] != 0.0) == (want[static_cast<size_t>(i)] == 1));
    }
  }
}

TEST_CASE("philox_uniform on the host is the fused x * 2^-32 + 2^-33", "[philox][cpu]") {
  for (uint32_t x : {0u, 1u, 255u, 16777216u, 16777217u, 2147483647u, 4294967040u, 4294967295u}) {
    const float fused = std::fma(static_cast<float>(x), 2.3283064e-10f, 2.3283064e-10f / 2.0f);
    CHECK(philox_uniform_from_bits(x) == fused);
  }
}

TEST_CASE("permute keeping the last dim copies rows exactly like element indexing", "[permute][cpu]") {
  // (B, T, H, D) -> (B, H, T, D), attention's move, in f32 and u8; and (2, 3, 1) -> (3, 2, 1)
  // whose last dim of one takes the element path.
  const int64_t B = 2, T = 5, H = 3, D = 7;
  std::vector<float> v(static_cast<size_t>(B * T * H * D));
  std::iota(v.begin(), v.end(), 0.0f);
  const auto y = permute(Tensor::from_vector(v, {B, T, H, D}), {0, 2, 1, 3}).to_vector<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t d = 0; d < D; ++d)
          CHECK(y[static_cast<size_t>(((b * H + h) * T + t) * D + d)] == v[static_cast<size_t>(((b * T + t) * H + h) * D + d)]);
  std::vector<uint8_t> bytes(24);
  std::iota(bytes.begin(), bytes.end(), uint8_t{0});
  const auto yb = permute(Tensor::from_vector(bytes, {2, 3, 4}), {1, 0, 2}).to_vector<uint8_t>();
  CHECK(yb == std::vector<uint8_t>{0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23});
  const auto y1 = permute(Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5}, {2, 3, 1}), {1, 0, 2});
  CHECK(y1.to_vector<int64_t>() == std::vector<int64_t>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("matmul: GEMMs split over the threads match the fallback, OpenBLAS stays on one thread", "[matmul][cpu]") {
#if XLM_WITH_BLAS && defined(OPENBLAS_VERSION)
  openblas_set_num_threads(2);  // as a program that set it would leave it
#endif
#if defined(_OPENMP)
  const int saved = omp_get_max_threads();
#endif
  struct Case {
    int64_t batch, m, k, n;
    bool ta, tb;
  };
  // Small (one chunk), one GEMM split by rows (2^20 / (n k) rows a chunk), transposed
  // operands, and a batch split by GEMM.
  for (const Case& c : {Case{1, 3, 5, 7, false, false}, Case{1, 300, 130, 120, false, false},
                        Case{1, 1000, 64, 300, false, false}, Case{1, 999, 70, 257, true, false},
                        Case{1, 777, 66, 260, true, true}, Case{8, 64, 64, 128, false, true}}) {
    std::vector<double> av(static_cast<size_t>(c.batch * c.m * c.k)), bv(static_cast<size_t>(c.batch * c.k * c.n));
    for (size_t i = 0; i < av.size(); ++i) av[i] = std::sin(0.37 * static_cast<double>(i));
    for (size_t i = 0; i < bv.size(); ++i) bv[i] = std::cos(0.11 * static_cast<double>(i));
    const std::vector<int64_t> ashape = c.ta ? std::vector<int64_t>{c.batch, c.k, c.m} : std::vector<int64_t>{c.batch, c.m, c.k};
    const std::vector<int64_t> bshape = c.tb ? std::vector<int64_t>{c.batch, c.n, c.k} : std::vector<int64_t>{c.batch, c.k, c.n};
    const Tensor a = Tensor::from_doubles(av, ashape, DType::f32), b = Tensor::from_doubles(bv, bshape, DType::f32);
    Tensor want = Tensor::empty({c.batch, c.m, c.n}, DType::f32);
    matmul_forward_cpu_fallback(a, b, matmul_dims(a, b, c.ta, c.tb), want);
    for (int threads : {1, 2}) {
#if defined(_OPENMP)
      omp_set_num_threads(threads);
#endif
      const Tensor got = matmul(a, b, c.ta, c.tb);
      INFO(c.batch << " x " << c.m << " x " << c.k << " x " << c.n << " ta " << c.ta << " tb " << c.tb << ", "
                   << threads << " threads");
      XLM_CHECK_CLOSE(got.to_doubles(), want.to_doubles(), 1e-4, 1e-4);
#if XLM_WITH_BLAS && defined(OPENBLAS_VERSION)
      CHECK(openblas_get_num_threads() == 1);
#endif
    }
  }
#if defined(_OPENMP)
  omp_set_num_threads(saved);
#endif
}
