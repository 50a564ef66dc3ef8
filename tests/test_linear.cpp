// The linear op against the composition it replaced in nn::Linear: on the
// CPU it must give the same bits as add(matmul(x, W^T), b), forward and every
// gradient (the parity tests and trainer goldens rely on it), whichever
// subset of gradients is asked for; plus its shape errors, and on a GPU the
// fused epilogue path against the unfused ops (f32), and both against the CPU
// in bf16 and f16, where cuBLASLt is most likely to offer the BIAS / BGRADB
// epilogues.
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/add/add.h"
#include "kernels/linear/linear.h"
#include "kernels/matmul/matmul.h"
#include "kernels/op_spec.h"
#include "support.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace xlm;
using xlm::test::MessageHas;

namespace {

Tensor f32(const Tensor& t, Device device = Device::cpu()) {
  return Tensor::from_doubles(t.to_doubles(), t.shape(), DType::f32, device);
}

struct Grads {
  std::vector<float> y, gx, gw, gb;
};

// Runs fn(x, w, b).backward(upstream) with the chosen inputs requiring grad.
template <typename Fn>
Grads run(Fn fn, const Shape& x_shape, int64_t out, bool need_x, bool need_w, bool need_b,
          Device device = Device::cpu()) {
  const int64_t in = x_shape.back();
  Tensor x = f32(random_uniform(x_shape, 11), device), w = f32(random_uniform({out, in}, 12), device),
         b = f32(random_uniform({out}, 13), device);
  x.set_requires_grad(need_x);
  w.set_requires_grad(need_w);
  b.set_requires_grad(need_b);
  Tensor y = fn(x, w, b);
  Tensor up = f32(random_uniform(y.shape(), 14), device);
  y.backward(up);
  Grads g;
  g.y = y.to(Device::cpu()).to_vector<float>();
  if (need_x) g.gx = x.grad().to(Device::cpu()).to_vector<float>();
  if (need_w) g.gw = w.grad().to(Device::cpu()).to_vector<float>();
  if (need_b) g.gb = b.grad().to(Device::cpu()).to_vector<float>();
  return g;
}

Tensor fused(const Tensor& x, const Tensor& w, const Tensor& b) { return linear(x, w, b); }
Tensor unfused(const Tensor& x, const Tensor& w, const Tensor& b) { return add(matmul(x, w, false, true), b); }

struct Values {
  std::vector<double> y, gx, gw, gb;
};

// fn(x, w, b).backward(upstream) with every input requiring grad, in `dtype` on `device`.
// Inputs and upstream are rounded through `round_through` first, so an f64 reference
// sees exactly the values a bf16 run sees.
template <typename Fn>
Values run_rounded(Fn fn, const Shape& x_shape, int64_t out, DType dtype, Device device, DType round_through) {
  auto input = [&](const Shape& s, uint64_t seed) {
    const auto r = Tensor::from_doubles(random_uniform(s, seed).to_doubles(), s, round_through).to_doubles();
    return Tensor::from_doubles(r, s, dtype, device).set_requires_grad(true);
  };
  Tensor x = input(x_shape, 11), w = input({out, x_shape.back()}, 12), b = input({out}, 13);
  Tensor y = fn(x, w, b);
  const auto up =
      Tensor::from_doubles(random_uniform(y.shape(), 14).to_doubles(), y.shape(), round_through).to_doubles();
  y.backward(Tensor::from_doubles(up, y.shape(), dtype, device));
  return {y.to_doubles(), x.grad().to_doubles(), w.grad().to_doubles(), b.grad().to_doubles()};
}

// fn on `device` in a 16-bit `dtype` against linear in f64 on the CPU, with matmul's rule
// (docs/numerics.md, kernels/linear/linear_spec.cpp): atol 0.5 u sqrt(L), rtol 2u, where L is
// each result's own reduction length (in for y, out for grad_x, rows for grad_w and
// grad_b), gradients x4.
template <typename Fn>
void check_low_precision(Fn fn, const Shape& x_shape, int64_t out, DType dtype, double unit_roundoff, Device device) {
  const Values want = run_rounded(fused, x_shape, out, DType::f64, Device::cpu(), dtype);
  const Values got = run_rounded(fn, x_shape, out, dtype, device, dtype);
  const int64_t in = x_shape.back(), rows = shape_numel(x_shape) / in;
  auto atol = [&](int64_t length, double scale) {
    return scale * 0.5 * unit_roundoff * std::sqrt(static_cast<double>(length));
  };
  const double rtol = 2 * unit_roundoff;
  XLM_CHECK_CLOSE(got.y, want.y, atol(in, 1), rtol);
  XLM_CHECK_CLOSE(got.gx, want.gx, atol(out, 4), 4 * rtol);
  XLM_CHECK_CLOSE(got.gw, want.gw, atol(rows, 4), 4 * rtol);
  XLM_CHECK_CLOSE(got.gb, want.gb, atol(rows, 4), 4 * rtol);
}

}  // namespace

TEST_CASE("linear: CPU forward and gradients are bit-identical to matmul + add", "[ops][linear]") {
  for (const Shape& x_shape : {Shape{2, 3, 17}, Shape{5, 65}, Shape{1, 1}, Shape{4, 7, 129}}) {
    for (int mask = 1; mask < 8; ++mask) {
      const bool nx = mask & 1, nw = mask & 2, nb = mask & 4;
      INFO("x " << shape_str(x_shape) << " grads x/w/b " << nx << nw << nb);
      const Grads want = run(unfused, x_shape, 33, nx, nw, nb);
      const Grads got = run(fused, x_shape, 33, nx, nw, nb);
      CHECK(got.y == want.y);
      CHECK(got.gx == want.gx);
      CHECK(got.gw == want.gw);
      CHECK(got.gb == want.gb);
    }
  }
}

TEST_CASE("linear: values of a small case worked by hand", "[ops][linear]") {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});  // (rows 2, in 3)
  Tensor w = Tensor::from_vector(std::vector<float>{1, 0, -1, 2, 1, 0}, {2, 3});  // (out 2, in 3)
  Tensor b = Tensor::from_vector(std::vector<float>{0.5f, -1}, {2});
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  Tensor y = linear(x, w, b);
  CHECK(y.to_vector<float>() == std::vector<float>{-1.5f, 3, -1.5f, 12});
  y.backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  // dW = gy^T x = [[1*1+3*4, 1*2+3*5, 1*3+3*6], [2*1+4*4, 2*2+4*5, 2*3+4*6]]; db = column sums of gy.
  CHECK(w.grad().to_vector<float>() == std::vector<float>{13, 17, 21, 18, 24, 30});
  CHECK(b.grad().to_vector<float>() == std::vector<float>{4, 6});
}

TEST_CASE("linear: a 1-D x is one row", "[ops][linear]") {
  Tensor w = f32(random_uniform({5, 7}, 3)), b = f32(random_uniform({5}, 4));
  Tensor x = f32(random_uniform({7}, 5));
  x.set_requires_grad(true);
  Tensor y = linear(x, w, b);
  REQUIRE(y.shape() == Shape{5});
  CHECK(y.to_vector<float>() == linear(x.detach().reshape({1, 7}), w, b).to_vector<float>());
  y.backward(Tensor::full({5}, 1.0, DType::f32));
  REQUIRE(x.grad().shape() == Shape{7});
  CHECK(x.grad().to_vector<float>() == matmul(Tensor::full({1, 5}, 1.0, DType::f32), w).to_vector<float>());
}

TEST_CASE("linear: shape and dtype errors name the operands", "[ops][linear]") {
  Tensor x = Tensor::zeros({2, 3, 4}, DType::f32);
  CHECK_THROWS_MATCHES(linear(x, Tensor::zeros({5, 3}, DType::f32), Tensor::zeros({5}, DType::f32)), ShapeError,
                       MessageHas<ShapeError>({"linear", "weight [5, 3]", "in = 4", "x [2, 3, 4]"}));
  CHECK_THROWS_AS(linear(x, Tensor::zeros({5, 4}, DType::f32), Tensor::zeros({4}, DType::f32)), ShapeError);
  CHECK_THROWS_AS(linear(x, Tensor::zeros({5, 4}, DType::f32), Tensor()), Error);
  CHECK_THROWS_AS(linear(x, Tensor::zeros({5, 4}, DType::f64), Tensor::zeros({5}, DType::f32)), DTypeError);
  CHECK_THROWS_AS(linear(x, Tensor::zeros({4}, DType::f32), Tensor::zeros({4}, DType::f32)), ShapeError);
}

TEST_CASE("linear: CUDA epilogues match the unfused ops", "[ops][linear][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  const Device gpu = xlm::test::gpu();
  for (const Shape& x_shape : {Shape{2, 3, 17}, Shape{64, 1024}, Shape{3, 129}}) {
    INFO("x " << shape_str(x_shape));
    const Grads want = run(unfused, x_shape, 96, true, true, true, gpu);
    const Grads got = run(fused, x_shape, 96, true, true, true, gpu);
    auto d = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
    // The same fp32 GEMM; the epilogue may pick another kernel (another
    // summation order) and adds the bias / sums the rows in its own order.
    CHECK(test::first_mismatch(d(got.y), d(want.y), 1e-4, 1e-4) == -1);
    CHECK(test::first_mismatch(d(got.gx), d(want.gx), 1e-4, 1e-4) == -1);
    CHECK(test::first_mismatch(d(got.gw), d(want.gw), 1e-4, 1e-4) == -1);
    CHECK(test::first_mismatch(d(got.gb), d(want.gb), 1e-4, 1e-4) == -1);
  }
}

TEST_CASE("linear: CUDA epilogues in bf16 and f16 match the CPU, fused and unfused", "[ops][linear][cuda]") {
  XLM_REQUIRE_GPU();  // bf16/f16: no CPU twin to stand in
  // cuBLASLt offers its bias epilogues mainly for 16-bit types, so this is where the
  // BIAS / BGRADB path (rather than the unfused fallback) is most likely to run. The
  // unfused ops round x W^T before adding b: two roundings, inside the same rule.
  struct Low {
    DType dtype;
    double unit_roundoff;
  };
  for (const Low& t : {Low{DType::bf16, 1.0 / 256}, Low{DType::f16, 1.0 / 2048}}) {
    for (const Shape& x_shape : {Shape{2, 3, 17}, Shape{64, 1024}, Shape{3, 129}, Shape{256, 64}}) {
      INFO(dtype_name(t.dtype) << " x " << shape_str(x_shape));
      check_low_precision(fused, x_shape, 96, t.dtype, t.unit_roundoff, xlm::test::gpu());
      check_low_precision(unfused, x_shape, 96, t.dtype, t.unit_roundoff, xlm::test::gpu());
    }
  }
}
