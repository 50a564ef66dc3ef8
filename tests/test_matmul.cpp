// matmul beyond the harness: the CBLAS path against the blocked fallback (and
// both against a naive double loop) on odd sizes, hand-computed values for the
// shared and batched forms, the wording of shape errors, and on a GPU larger
// shapes than the harness uses, so that cuBLASLt picks its tiled kernels.
#include "core/error.h"
#include "kernels/matmul/matmul.h"
#include "kernels/op_spec.h"
#include "support.h"

#include <cmath>
#include <string>

using namespace xlm;

namespace {

// out (batch, m, n) from row-major a and b as MatmulDims describes them, in double.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b, const MatmulDims& d) {
  const auto va = a.to_doubles();
  const auto vb = b.to_doubles();
  std::vector<double> out(static_cast<size_t>(d.batch * d.m * d.n), 0.0);
  for (int64_t t = 0; t < d.batch; ++t) {
    const double* pa = va.data() + t * d.m * d.k;
    const double* pb = vb.data() + (d.b_shared ? 0 : t * d.k * d.n);
    for (int64_t i = 0; i < d.m; ++i)
      for (int64_t j = 0; j < d.n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < d.k; ++p) {
          const double x = d.transpose_a ? pa[p * d.m + i] : pa[i * d.k + p];
          const double y = d.transpose_b ? pb[j * d.k + p] : pb[p * d.n + j];
          s += x * y;
        }
        out[static_cast<size_t>((t * d.m + i) * d.n + j)] = s;
      }
  }
  return out;
}

Tensor make(const Shape& shape, uint64_t seed, DType dtype) {
  return Tensor::from_doubles(random_uniform(shape, seed).to_doubles(), shape, dtype);
}

std::string error_of(const Tensor& a, const Tensor& b, bool ta = false, bool tb = false) {
  try {
    matmul(a, b, ta, tb);
  } catch (const ShapeError& e) {
    return e.what();
  }
  return "no ShapeError";
}

}  // namespace

TEST_CASE("matmul: CBLAS path and blocked fallback agree on odd sizes", "[matmul][cpu]") {
  const int64_t sizes[] = {1, 3, 17, 33, 65, 130};
  uint64_t seed = 1;
  for (DType dtype : {DType::f32, DType::f64}) {
    const double tol = dtype == DType::f32 ? 2e-5 : 1e-12;
    for (int64_t m : sizes)
      for (int64_t k : {int64_t{1}, int64_t{17}, int64_t{65}, int64_t{130}})
        for (int64_t n : {int64_t{1}, int64_t{33}, int64_t{67}})
          for (int combo = 0; combo < 4; ++combo) {
            if ((m * k * n) % 3 != combo % 3 && m * k * n > 100000) continue;  // thin the largest ones
            const bool ta = (combo & 1) != 0, tb = (combo & 2) != 0;
            const bool shared = (m + n + combo) % 2 == 0;
            const Shape batch = shared ? Shape{2} : Shape{3};
            Shape as = batch, bs = shared ? Shape{} : batch;
            as.push_back(ta ? k : m);
            as.push_back(ta ? m : k);
            bs.push_back(tb ? n : k);
            bs.push_back(tb ? k : n);
            const Tensor a = make(as, seed++, dtype), b = make(bs, seed++, dtype);
            const MatmulDims d = matmul_dims(a, b, ta, tb);
            Tensor fast = Tensor::empty({batch[0], m, n}, dtype);
            Tensor slow = Tensor::empty({batch[0], m, n}, dtype);
            matmul_forward_cpu(a, b, d, fast);
            matmul_forward_cpu_fallback(a, b, d, slow);
            INFO(dtype_name(dtype) << " a " << shape_str(as) << (ta ? "^T" : "") << " b " << shape_str(bs)
                                   << (tb ? "^T" : ""));
            const auto want = naive_matmul(a, b, d);
            XLM_CHECK_CLOSE(fast.to_doubles(), slow.to_doubles(), tol, tol);
            XLM_CHECK_CLOSE(slow.to_doubles(), want, tol, tol);
          }
  }
}

TEST_CASE("matmul: hand-computed values in the 2-D, shared and batched forms", "[matmul][cpu]") {
  // a = [[1, 2], [3, 4]], b = [[5, 6], [7, 8]]: a b = [[19, 22], [43, 50]]
  const Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2});
  const Tensor b = Tensor::from_vector(std::vector<double>{5, 6, 7, 8}, {2, 2});
  CHECK(matmul(a, b).to_doubles() == std::vector<double>{19, 22, 43, 50});
  CHECK(matmul(a, b, true, false).to_doubles() == std::vector<double>{26, 30, 38, 44});  // a^T b
  CHECK(matmul(a, b, false, true).to_doubles() == std::vector<double>{17, 23, 39, 53});  // a b^T
  CHECK(matmul(a, b, true, true).to_doubles() == std::vector<double>{23, 31, 34, 46});   // a^T b^T
  // shared b: x (2, 1, 2) rows [1, 2] and [3, 4]
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 1, 2});
  const Tensor y = matmul(x, b);
  CHECK(y.shape() == Shape{2, 1, 2});
  CHECK(y.to_doubles() == std::vector<double>{19, 22, 43, 50});
  // batched: batch 0 multiplies by b, batch 1 by the identity
  const Tensor bb = Tensor::from_vector(std::vector<double>{5, 6, 7, 8, 1, 0, 0, 1}, {2, 2, 2});
  const Tensor ab = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 9, 8, 7, 6}, {2, 2, 2});
  CHECK(matmul(ab, bb).to_doubles() == std::vector<double>{19, 22, 43, 50, 9, 8, 7, 6});
  CHECK(matmul(ab, bb, true, false).shape() == Shape{2, 2, 2});
  CHECK(matmul(ab, bb, true, false).to_doubles() == std::vector<double>{26, 30, 38, 44, 9, 7, 8, 6});
  // a shared b's gradient sums over the batch: d(sum y)/db = sum over rows of x
  Tensor xs = x.clone().set_requires_grad(true);
  Tensor bs = b.clone().set_requires_grad(true);
  matmul(xs, bs).backward(Tensor::full({2, 1, 2}, 1.0, DType::f64));
  CHECK(bs.grad().to_doubles() == std::vector<double>{4, 4, 6, 6});
  CHECK(xs.grad().to_doubles() == std::vector<double>{11, 15, 11, 15});
}

TEST_CASE("matmul: shape errors name both operands", "[matmul][cpu]") {
  const auto a23 = Tensor::zeros({2, 3}, DType::f32);
  const auto b45 = Tensor::zeros({4, 5}, DType::f32);
  std::string msg = error_of(a23, b45);
  CHECK(msg.find("[2, 3]") != std::string::npos);
  CHECK(msg.find("[4, 5]") != std::string::npos);
  CHECK(msg.find("K=3") != std::string::npos);

  msg = error_of(a23, Tensor::zeros({3, 5}, DType::f32), true, false);  // a^T is (3, 2): K = 2
  CHECK(msg.find("[2, 3] (transposed)") != std::string::npos);
  CHECK(msg.find("[3, 5]") != std::string::npos);

  const auto a234 = Tensor::zeros({2, 3, 4}, DType::f32);
  msg = error_of(a234, Tensor::zeros({3, 4, 5}, DType::f32));  // batch dims differ
  CHECK(msg.find("[2, 3, 4]") != std::string::npos);
  CHECK(msg.find("[3, 4, 5]") != std::string::npos);
  msg = error_of(a234, Tensor::zeros({1, 2, 4, 5}, DType::f32));  // ranks differ
  CHECK(msg.find("[2, 3, 4]") != std::string::npos);
  CHECK(msg.find("[1, 2, 4, 5]") != std::string::npos);

  CHECK_THROWS_AS(matmul(Tensor::zeros({3}, DType::f32), b45), ShapeError);
  CHECK_THROWS_AS(matmul(a23, Tensor::zeros({3, 5}, DType::f64)), DTypeError);
  CHECK_NOTHROW(matmul(a23, Tensor::zeros({5, 3}, DType::f32), false, true));
}

TEST_CASE("matmul: CUDA matches the CPU on shapes larger than the harness's", "[matmul][cuda]") {
  XLM_REQUIRE_GPU();  // bf16/f16: no CPU twin to stand in
  struct Case {
    Shape a, b;
    bool ta, tb;
  };
  const std::vector<Case> cases = {
      {{4, 129, 257}, {257, 301}, false, false},       // Linear: x (B, T, C) times W (C, N)
      {{4, 129, 257}, {301, 257}, false, true},        // times W^T, as nn.Linear stores it
      {{3, 257, 129}, {257, 301}, true, false},        // weight gradient shape
      {{2, 5, 67, 64}, {2, 5, 67, 64}, false, true},   // attention scores q k^T
      {{2, 5, 67, 67}, {2, 5, 67, 64}, false, false},  // attention output p v
      {{2, 5, 67, 64}, {2, 5, 67, 67}, true, true},
  };
  uint64_t seed = 40;
  for (const Case& c : cases) {
    for (DType dtype : {DType::f32, DType::bf16, DType::f16}) {
      const Tensor a = make(c.a, seed++, dtype), b = make(c.b, seed++, dtype);
      const Tensor a64 = Tensor::from_doubles(a.to_doubles(), c.a, DType::f64);
      const Tensor b64 = Tensor::from_doubles(b.to_doubles(), c.b, DType::f64);
      const auto want = matmul(a64, b64, c.ta, c.tb).to_doubles();
      const auto got = matmul(a.to(xlm::test::gpu()), b.to(xlm::test::gpu()), c.ta, c.tb).to_doubles();
      const int64_t k = c.ta ? c.a[c.a.size() - 2] : c.a.back();
      // f32: the GPU accumulates k terms in fp32 against an f64 reference: allow ~8 ulps (2^-23) per sqrt(k)
      const double u = dtype == DType::f32 ? 1.0 / (1 << 20) : dtype == DType::bf16 ? 1.0 / 256 : 1.0 / 2048;
      INFO(dtype_name(dtype) << " a " << shape_str(c.a) << " b " << shape_str(c.b) << " k " << k);
      XLM_CHECK_CLOSE(got, want, u * std::sqrt(static_cast<double>(k)), 2 * u);
    }
  }
}
