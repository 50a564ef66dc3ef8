// Exact-value checks for concat on hand-computed examples: the middle and
// last dims, i64 token tensors, an empty piece (the key/value cache before
// the first step), each input's slice of the gradient, and the shape errors.
#include "core/error.h"
#include "kernels/concat/concat.h"
#include "support.h"

using namespace xlm;
using Values = std::vector<double>;

namespace {
Tensor leaf(const Values& v, const Shape& shape) { return Tensor::from_vector(v, shape).set_requires_grad(true); }
}  // namespace

TEST_CASE("concat along dim 1 interleaves rows and splits the gradient back", "[concat]") {
  Tensor a = leaf({1, 2, 3, 4}, {2, 1, 2});          // (2, 1, 2)
  Tensor b = leaf({5, 6, 7, 8, 9, 10, 11, 12}, {2, 2, 2});  // (2, 2, 2)
  Tensor y = concat({a, b}, 1);
  REQUIRE(y.shape() == Shape{2, 3, 2});
  CHECK(y.to_vector<double>() == Values{1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12});
  y.backward(Tensor::from_vector<double>({10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}, {2, 3, 2}));
  CHECK(a.grad().to_vector<double>() == Values{10, 20, 70, 80});
  CHECK(b.grad().to_vector<double>() == Values{30, 40, 50, 60, 90, 100, 110, 120});
}

TEST_CASE("concat along the last dim with a negative index", "[concat]") {
  Tensor a = leaf({1, 2, 3, 4}, {2, 2});
  Tensor b = leaf({5, 6}, {2, 1});
  Tensor y = concat({a, b}, -1);
  REQUIRE(y.shape() == Shape{2, 3});
  CHECK(y.to_vector<double>() == Values{1, 2, 5, 3, 4, 6});
  y.backward(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(a.grad().to_vector<double>() == Values{1, 2, 4, 5});
  CHECK(b.grad().to_vector<double>() == Values{3, 6});
}

TEST_CASE("concat joins i64 token tensors along dim 0", "[concat]") {
  Tensor a = Tensor::from_vector<int64_t>({0, 7, 1}, {1, 3});
  Tensor b = Tensor::from_vector<int64_t>({0, 9, 1, 0, 4000000000LL, 1}, {2, 3});
  Tensor y = concat({a, b}, 0);
  REQUIRE(y.shape() == Shape{3, 3});
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{0, 7, 1, 0, 9, 1, 0, 4000000000LL, 1});
}

TEST_CASE("concat with an empty key/value cache copies the new step", "[concat]") {
  Tensor cache = Tensor::zeros({1, 0, 2}, DType::f32);  // (B, T=0, D)
  Tensor step = Tensor::from_vector<float>({1.5f, -2.0f}, {1, 1, 2});
  Tensor y = concat({cache, step}, 1);
  REQUIRE(y.shape() == Shape{1, 1, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{1.5f, -2.0f});
  CHECK_FALSE(y.same_data(step));
}

TEST_CASE("concat_backward splits by sizes", "[concat]") {
  Tensor g = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {6});
  const auto parts = concat_backward(g, {1, 0, 5}, 0);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].to_vector<double>() == Values{1});
  CHECK(parts[1].shape() == Shape{0});
  CHECK(parts[2].to_vector<double>() == Values{2, 3, 4, 5, 6});
  XLM_CHECK_THROWS(concat_backward(g, {1, 2}, 0), ShapeError, "add up to 3");
}

TEST_CASE("concat rejects mismatched shapes, dtypes, dims and empty lists", "[concat]") {
  Tensor a = Tensor::zeros({2, 3}, DType::f32);
  Tensor b = Tensor::zeros({4, 3}, DType::f32);
  XLM_CHECK_THROWS(concat({a, b}, 1), ShapeError, "[4, 3]", "[2, 3]");
  XLM_CHECK_THROWS(concat({a, Tensor::zeros({2, 3, 1}, DType::f32)}, 0), ShapeError, "[2, 3, 1]", "[2, 3]");
  XLM_CHECK_THROWS(concat({a, Tensor::zeros({2, 3}, DType::f64)}, 0), DTypeError, "concat");
  XLM_CHECK_THROWS(concat({a, b}, 2), ShapeError, "dim 2 out of range");
  XLM_CHECK_THROWS(concat({}, 0), ShapeError, "at least one tensor");
  XLM_CHECK_THROWS(concat({Tensor::zeros({}, DType::f32)}, 0), ShapeError, "concat");
}
