// [cuda] The CUDA matmul's plan cache (kernels/matmul/gemm_plan_cache.h,
// matmul_cuda.cu): a repeated GEMM reuses its descriptors and algorithm (a
// hit, the same bits as the first call), an operand with a smaller alignment
// gets a plan of its own and the right product, linear's bias epilogue
// follows a new bias pointer on a hit, and the FFN's linears run their
// epilogues without falling back. CUDA builds only (tests/*.cu, for
// lt_plan_cache_stats and lt_epilogue_fallbacks); never run yet
// (docs/gpu-ledger.md).
#include "kernels/linear/linear.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_lt_cuda.h"
#include "support.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

using namespace xlm;

namespace {

std::vector<double> random_values(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = u(rng);
  return v;
}

// The f64 product of the values as `t` holds them (after its rounding).
std::vector<double> reference(const Tensor& a, const Tensor& b, bool tb) {
  const Tensor a64 = Tensor::from_doubles(a.to_doubles(), a.shape(), DType::f64);
  const Tensor b64 = Tensor::from_doubles(b.to_doubles(), b.shape(), DType::f64);
  return matmul(a64, b64, false, tb).to_doubles();
}

}  // namespace

TEST_CASE("gemm plan cache: a repeated CUDA GEMM hits and gives the same bits, a misaligned operand gets its own plan",
          "[cuda][matmul][gemm_plan]") {
  XLM_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  const int64_t m = 37, k = 53, n = 71;  // a shape no other test uses: the first call is a miss
  for (DType dtype : {DType::bf16, DType::f32}) {
    INFO(dtype_name(dtype));
    const Tensor a = Tensor::from_doubles(random_values(m * k, 1), {m, k}, dtype).to(gpu);
    const Tensor b = Tensor::from_doubles(random_values(k * n, 2), {k, n}, dtype).to(gpu);
    const auto want = reference(a, b, false);
    const double tol = dtype == DType::bf16 ? 1.0 / 64 : 1e-5;

    const GemmPlanCacheStats before = lt_plan_cache_stats();
    const auto first = matmul(a, b).to_doubles();
    const GemmPlanCacheStats after_first = lt_plan_cache_stats();
    CHECK(after_first.misses == before.misses + 1);
    XLM_CHECK_CLOSE(first, want, tol, tol);
    for (int i = 0; i < 3; ++i) CHECK(matmul(a, b).to_doubles() == first);  // the same algorithm
    const GemmPlanCacheStats after_repeats = lt_plan_cache_stats();
    CHECK(after_repeats.misses == after_first.misses);
    CHECK(after_repeats.hits == after_first.hits + 3);

    // The same values one element into a buffer: 2- or 4-byte aligned, a key of its own.
    std::vector<double> flat = a.to_doubles();
    flat.insert(flat.begin(), 0.0);
    const Tensor shifted = Tensor::from_doubles(flat, {m * k + 1}, dtype, gpu).slice(1, m * k + 1).reshape({m, k});
    const auto got = matmul(shifted, b).to_doubles();
    CHECK(lt_plan_cache_stats().misses == after_repeats.misses + 1);
    XLM_CHECK_CLOSE(got, want, tol, tol);
  }
}

TEST_CASE("gemm plan cache: linear's bias epilogue uses each call's bias on a hit", "[cuda][linear][gemm_plan]") {
  XLM_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  const int64_t rows = 29, in = 48, out = 40;
  const Tensor x = Tensor::from_doubles(random_values(rows * in, 3), {rows, in}, DType::bf16).to(gpu);
  const Tensor w = Tensor::from_doubles(random_values(out * in, 4), {out, in}, DType::bf16).to(gpu);
  const auto xw = reference(x, w, true);  // (rows, out)
  // Every bias kept alive, so the pool cannot hand the same block back: three
  // distinct pointers. Each one with the first's alignment shares its key, and
  // its call must be a hit that reads the new pointer (a plan that kept the
  // first call's bias pointer fails the values).
  std::vector<Tensor> biases;
  const auto alignment = [](const Tensor& t) {
    return gemm_alignment(reinterpret_cast<uintptr_t>(t.data_ptr()), 0, 1);
  };
  for (uint64_t seed : {5, 6, 7}) {
    INFO("bias seed " << seed);
    biases.push_back(Tensor::from_doubles(random_values(out, seed), {out}, DType::bf16).to(gpu));
    const Tensor& bias = biases.back();
    for (size_t i = 0; i + 1 < biases.size(); ++i) REQUIRE(biases[i].data_ptr() != bias.data_ptr());
    const auto bv = bias.to_doubles();
    std::vector<double> want = xw;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < out; ++j) want[static_cast<size_t>(r * out + j)] += bv[static_cast<size_t>(j)];
    const GemmPlanCacheStats before = lt_plan_cache_stats();
    const int64_t fallbacks_before = lt_epilogue_fallbacks();
    XLM_CHECK_CLOSE(linear(x, w, bias).to_doubles(), want, 1.0 / 32, 1.0 / 64);
    // A refused epilogue adds the plain GEMM's lookup (the next test case reports refusals).
    const int64_t fell_back = lt_epilogue_fallbacks() - fallbacks_before;
    INFO("BIAS epilogue fell back " << fell_back << " time(s)");
    if (seed != 5 && alignment(bias) == alignment(biases.front()))
      CHECK(lt_plan_cache_stats().hits == before.hits + 1 + fell_back);
  }
}

TEST_CASE("linear at the FFN's shapes in bf16 and f16 runs cuBLASLt's BIAS and BGRADB epilogues, no fallback",
          "[cuda][linear][gemm_plan]") {
  XLM_REQUIRE_GPU();
  // The fallback computes the same values (tests/test_linear.cpp), so only the
  // counter shows whether the fused epilogues the step counts on
  // (docs/kernels.md, "linear") run on this GPU: the model's lin1 (1024 ->
  // 4096) and lin2 (4096 -> 1024) on 256 rows, forward and backward.
  const Device gpu = Device::cuda(0);
  for (DType dtype : {DType::bf16, DType::f16}) {
    for (const auto& io : {std::pair<int64_t, int64_t>{1024, 4096}, std::pair<int64_t, int64_t>{4096, 1024}}) {
      const int64_t rows = 256, in = io.first, out = io.second;
      INFO(dtype_name(dtype) << " in " << in << " out " << out);
      const Tensor x = Tensor::from_doubles(random_values(rows * in, 8), {rows, in}, dtype).to(gpu);
      const Tensor w = Tensor::from_doubles(random_values(out * in, 9), {out, in}, dtype).to(gpu);
      const Tensor b = Tensor::from_doubles(random_values(out, 10), {out}, dtype).to(gpu);
      const Tensor gy = Tensor::from_doubles(random_values(rows * out, 11), {rows, out}, dtype).to(gpu);
      const int64_t before = lt_epilogue_fallbacks();
      const Tensor y = linear(x, w, b);
      const LinearGrads g = linear_backward(x, w, gy, true, true, true);
      synchronize(gpu);
      CHECK(lt_epilogue_fallbacks() == before);
      CHECK(y.shape() == Shape{rows, out});
      CHECK(g.grad_bias.shape() == Shape{out});
    }
  }
}
