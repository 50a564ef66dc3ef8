// Exact-value checks for scale_rows on hand-computed examples: a padding mask
// that zeroes rows (XLM's `tensor *= mask.unsqueeze(-1)`), both gradients,
// the 0-dim scale of a 1-D x, and the shape errors.
#include "core/error.h"
#include "kernels/scale_rows/scale_rows.h"
#include "support.h"

using namespace xlm;
using Values = std::vector<double>;

namespace {
Tensor leaf(const Values& v, const Shape& shape) { return Tensor::from_vector(v, shape).set_requires_grad(true); }
}  // namespace

TEST_CASE("scale_rows zeroes padded positions and gives both gradients", "[scale_rows]") {
  Tensor x = leaf({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 2, 3});  // (B=2, T=2, C=3)
  Tensor mask = leaf({1, 0, 2, 1}, {2, 2});                              // (B, T)
  Tensor y = scale_rows(x, mask);
  REQUIRE(y.shape() == Shape{2, 2, 3});
  CHECK(y.to_vector<double>() == Values{1, 2, 3, 0, 0, 0, 14, 16, 18, 10, 11, 12});
  y.backward(Tensor::from_vector<double>({1, 1, 1, 1, 0, -1, 2, 0, 0, 0, 0, 3}, {2, 2, 3}));
  CHECK(x.grad().to_vector<double>() == Values{1, 1, 1, 0, 0, 0, 4, 0, 0, 0, 0, 3});
  // sum_c g * x per row: 1+2+3, 4-6, 2*7, 3*12
  CHECK(mask.grad().to_vector<double>() == Values{6, -2, 14, 36});
}

TEST_CASE("scale_rows of a 1-D x takes a 0-dim scale", "[scale_rows]") {
  Tensor x = leaf({1, -2, 4}, {3});
  Tensor s = leaf({0.5}, {});
  Tensor y = scale_rows(x, s);
  CHECK(y.to_vector<double>() == Values{0.5, -1, 2});
  y.backward(Tensor::from_vector<double>({2, 2, 1}, {3}));
  CHECK(x.grad().to_vector<double>() == Values{1, 1, 0.5});
  REQUIRE(s.grad().shape() == Shape{});
  CHECK(s.grad().item() == 2.0 - 4.0 + 4.0);
}

TEST_CASE("scale_rows in f32 with a non-differentiable mask", "[scale_rows]") {
  Tensor x = Tensor::from_vector<float>({1.5f, -2.0f, 3.0f, 4.0f}, {2, 2}).set_requires_grad(true);
  Tensor mask = Tensor::from_vector<float>({0.0f, 1.0f}, {2});
  Tensor y = scale_rows(x, mask);
  CHECK(y.to_vector<float>() == std::vector<float>{0.0f, -0.0f, 3.0f, 4.0f});
  y.backward(Tensor::full({2, 2}, 1.0, DType::f32));
  CHECK(x.grad().to_vector<float>() == std::vector<float>{0.0f, 0.0f, 1.0f, 1.0f});
  CHECK_FALSE(mask.grad().defined());
}

TEST_CASE("scale_rows rejects a scale of the wrong shape or dtype", "[scale_rows]") {
  Tensor x = Tensor::zeros({2, 3}, DType::f32);
  XLM_CHECK_THROWS(scale_rows(x, Tensor::zeros({3}, DType::f32)), ShapeError, "row_scale", "[2]", "[3]");
  XLM_CHECK_THROWS(scale_rows(x, Tensor::zeros({2}, DType::f64)), DTypeError, "scale_rows");
  XLM_CHECK_THROWS(scale_rows(Tensor::zeros({2}, DType::i64), Tensor::zeros({}, DType::i64)), DTypeError, "floating");
  XLM_CHECK_THROWS(scale_rows_grad_scale(x, Tensor::zeros({2, 2}, DType::f32)), ShapeError, "grad_y");
}
