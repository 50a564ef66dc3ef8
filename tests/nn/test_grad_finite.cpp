// all_finite / unscale_grads_and_check: exact unscaling, inf and NaN found in
// any tensor and position, parameters without gradients skipped, bad dtypes
// refused; the [cuda] case compares bf16/f16/f32 against the CPU answer.
#include "core/error.h"
#include "nn/grad_finite.h"
#include "support.h"

#include <cmath>
#include <limits>

using namespace xlm;
using namespace xlm::nn;

namespace {
Tensor with_grad(const std::vector<double>& g, DType dtype, Device device = Device::cpu()) {
  Tensor p = Tensor::zeros({static_cast<int64_t>(g.size())}, dtype, device);
  p.set_requires_grad(true);
  p.set_grad(Tensor::from_doubles(g, p.shape(), dtype, device));
  return p;
}
const double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("unscale_grads_and_check: finite gradients are multiplied exactly", "[nn][mixed_precision]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    Tensor a = with_grad({65536.0, -32768.0, 3.0}, dtype), b = with_grad({1024.0}, dtype);
    Tensor none = Tensor::zeros({2}, dtype);
    none.set_requires_grad(true);
    const NamedTensors params = {{"a", a}, {"none", none}, {"b", b}};
    CHECK(all_finite(params));
    CHECK(a.grad().to_doubles() == std::vector<double>{65536.0, -32768.0, 3.0});  // all_finite writes nothing
    CHECK(unscale_grads_and_check(params, 1.0 / 1024));
    CHECK(a.grad().to_doubles() == std::vector<double>{64.0, -32.0, 3.0 / 1024});
    CHECK(b.grad().to_doubles() == std::vector<double>{1.0});
    CHECK_FALSE(none.grad().defined());
  }
}

TEST_CASE("unscale_grads_and_check: inf or NaN anywhere makes the answer false", "[nn][mixed_precision]") {
  for (double bad : {kInf, -kInf, std::nan("")}) {
    for (size_t where = 0; where < 4; ++where) {
      std::vector<double> first = {1.0, 2.0}, second = {3.0, 4.0};
      (where < 2 ? first : second)[where % 2] = bad;
      Tensor a = with_grad(first, DType::f32), b = with_grad(second, DType::f32);
      const NamedTensors params = {{"a", a}, {"b", b}};
      CHECK_FALSE(all_finite(params));
      CHECK_FALSE(unscale_grads_and_check(params, 0.5));
      // Every finite value was still unscaled (one full pass, no early exit).
      const std::vector<double> got_b = b.grad().to_doubles();
      if (where < 2) CHECK(got_b == std::vector<double>{1.5, 2.0});
    }
  }
}

TEST_CASE("unscale_grads_and_check: an unscale that overflows the dtype is caught", "[nn][mixed_precision]") {
  Tensor a = with_grad({3e38, 1.0}, DType::f32);
  CHECK(all_finite({{"a", a}}));
  CHECK_FALSE(unscale_grads_and_check({{"a", a}}, 4.0));  // 1.2e39 > FLT_MAX
}

TEST_CASE("unscale_grads_and_check: refuses a bad factor and CPU half types", "[nn][mixed_precision]") {
  Tensor a = with_grad({1.0}, DType::f32);
  XLM_CHECK_THROWS(unscale_grads_and_check({{"a", a}}, 0.0), Error, "inv_scale must be finite and > 0");
  XLM_CHECK_THROWS(unscale_grads_and_check({{"a", a}}, kInf), Error, "inv_scale");
  Tensor h = with_grad({1.0}, DType::bf16);
  XLM_CHECK_THROWS(all_finite({{"h", h}}), DTypeError, "f32 and f64", "bf16");
  CHECK(all_finite({}));
}

TEST_CASE("unscale_grads_and_check: CUDA matches the CPU for f32, bf16 and f16", "[nn][mixed_precision][cuda]") {
  XLM_REQUIRE_GPU();  // bf16/f16: no CPU twin to stand in
  for (DType dtype : {DType::f32, DType::bf16, DType::f16}) {
    for (int64_t n : {1, 255, 257, 100003}) {
      std::vector<double> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = std::ldexp(std::sin(0.37 * i + n), 10);  // |v| < 1024
      Tensor a = with_grad(v, dtype, xlm::test::gpu());
      CHECK(all_finite({{"a", a}}));
      CHECK(unscale_grads_and_check({{"a", a}}, 1.0 / 1024));
      // A power-of-two unscale is exact in every dtype (no underflow at these magnitudes
      // except f16 subnormals, which are still exact multiples of 2^-24).
      const std::vector<double> stored = Tensor::from_doubles(v, {n}, dtype).to_doubles();
      std::vector<double> want(n);
      for (int64_t i = 0; i < n; ++i) want[i] = stored[i] / 1024;
      const double atol = dtype == DType::f16 ? std::ldexp(1.0, -24) : 0;
      XLM_CHECK_CLOSE(a.grad().to_doubles(), want, atol, 0);
      for (double bad : {kInf, std::nan("")}) {
        std::vector<double> w = v;
        w[n - 1] = bad;
        Tensor b = with_grad(w, dtype, xlm::test::gpu()), c = with_grad(v, dtype, xlm::test::gpu());
        CHECK_FALSE(all_finite({{"c", c}, {"b", b}}));
        CHECK_FALSE(unscale_grads_and_check({{"c", c}, {"b", b}}, 0.5));
      }
    }
    // f16 overflow on unscale (factor > 1) is caught.
    Tensor big = with_grad({60000.0}, dtype, xlm::test::gpu());
    const bool finite = unscale_grads_and_check({{"big", big}}, 2.0);
    CHECK(finite == (dtype != DType::f16));
  }
}
