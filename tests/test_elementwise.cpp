// Exact-value checks for the elementwise ops and last-dim reductions on small
// hand-computed examples (the harness checks them against finite differences
// and across backends; these pin down what the numbers must be), including
// gradients through a shared subgraph, plus the errors on bad inputs.
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/add/add.h"
#include "kernels/max_last/max_last.h"
#include "kernels/mean_last/mean_last.h"
#include "kernels/mul/mul.h"
#include "kernels/scale/scale.h"
#include "kernels/sum_last/sum_last.h"
#include "support.h"

#include <cmath>
#include <limits>

using namespace xlm;
using Catch::Contains;
using Values = std::vector<double>;

namespace {
Tensor leaf(const Values& v, const Shape& shape) { return Tensor::from_vector(v, shape).set_requires_grad(true); }
}  // namespace

TEST_CASE("add broadcasts a [C] bias and sums its gradient over the rows", "[elementwise]") {
  Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = leaf({10, 20, 30}, {3});
  Tensor y = add(a, b);
  REQUIRE(y.shape() == Shape{2, 3});
  CHECK(y.to_vector<double>() == Values{11, 22, 33, 14, 25, 36});
  y.backward(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(a.grad().to_vector<double>() == Values{1, 2, 3, 4, 5, 6});
  CHECK(b.grad().to_vector<double>() == Values{5, 7, 9});
}

TEST_CASE("add broadcasts a [T, C] tensor over the leading dim", "[elementwise]") {
  Tensor a = leaf({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  Tensor b = leaf({100, 200, 300, 400}, {2, 2});
  Tensor y = add(a, b);
  CHECK(y.to_vector<double>() == Values{101, 202, 303, 404, 105, 206, 307, 408});
  y.backward(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}));
  REQUIRE(b.grad().shape() == Shape{2, 2});
  CHECK(b.grad().to_vector<double>() == Values{6, 8, 10, 12});
}

TEST_CASE("add with a 0-dim b treats it as a scalar", "[elementwise]") {
  Tensor a = leaf({1, 2, 3}, {3});
  Tensor b = leaf({0.5}, {});
  Tensor y = add(a, b);
  CHECK(y.to_vector<double>() == Values{1.5, 2.5, 3.5});
  y.backward(Tensor::from_vector<double>({1, 2, 4}, {3}));
  REQUIRE(b.grad().shape() == Shape{});
  CHECK(b.grad().item() == 7.0);
}

TEST_CASE("mul broadcasts b and gives g*b and the row sum of g*a", "[elementwise]") {
  Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = leaf({2, -1, 0.5}, {3});
  Tensor y = mul(a, b);
  CHECK(y.to_vector<double>() == Values{2, -2, 1.5, 8, -5, 3});
  y.backward(Tensor::from_vector<double>({1, 1, 1, 2, 2, 2}, {2, 3}));
  CHECK(a.grad().to_vector<double>() == Values{2, -1, 0.5, 4, -2, 1});
  CHECK(b.grad().to_vector<double>() == Values{1 + 8, 2 + 10, 3 + 12});
}

TEST_CASE("gradients through a shared subgraph y = add(x, x) add up", "[elementwise][autograd]") {
  SECTION("y = x + x") {
    Tensor x = leaf({1, -2, 3}, {3});
    Tensor y = add(x, x);
    CHECK(y.to_vector<double>() == Values{2, -4, 6});
    y.backward(Tensor::from_vector<double>({1, 10, 100}, {3}));
    CHECK(x.grad().to_vector<double>() == Values{2, 20, 200});
  }
  SECTION("s = sum(y * y + y) with y = x + x, so ds/dx = 8x + 2") {
    Tensor x = leaf({1, -2, 3}, {3});
    Tensor y = add(x, x);
    Tensor s = sum_last(add(mul(y, y), y));
    REQUIRE(s.shape() == Shape{});
    CHECK(s.item() == 4.0 * (1 + 4 + 9) + 2.0 * (1 - 2 + 3));
    s.backward();
    CHECK(x.grad().to_vector<double>() == Values{10, -14, 26});
  }
  SECTION("mul(x, x) gives 2x") {
    Tensor x = leaf({1.5, -2}, {2});
    mul(x, x).backward(Tensor::from_vector<double>({1, 1}, {2}));
    CHECK(x.grad().to_vector<double>() == Values{3, -4});
  }
}

TEST_CASE("scale multiplies values and gradients by alpha", "[elementwise]") {
  Tensor x = leaf({1, -2, 4}, {3});
  Tensor y = scale(x, -0.5);
  CHECK(y.to_vector<double>() == Values{-0.5, 1, -2});
  y.backward(Tensor::from_vector<double>({2, 4, 8}, {3}));
  CHECK(x.grad().to_vector<double>() == Values{-1, -2, -4});
}

TEST_CASE("sum_last and mean_last reduce the last dim and broadcast the gradient", "[elementwise][reduce]") {
  Tensor x = leaf({1, 2, 3, 4, 6, 8}, {2, 3});
  Tensor s = sum_last(x);
  REQUIRE(s.shape() == Shape{2});
  CHECK(s.to_vector<double>() == Values{6, 18});
  s.backward(Tensor::from_vector<double>({1, -3}, {2}));
  CHECK(x.grad().to_vector<double>() == Values{1, 1, 1, -3, -3, -3});

  Tensor x2 = leaf({1, 2, 3, 4, 6, 8}, {2, 3});
  Tensor m = mean_last(x2, /*keepdim=*/true);
  REQUIRE(m.shape() == Shape{2, 1});
  CHECK(m.to_vector<double>() == Values{2, 6});
  m.backward(Tensor::from_vector<double>({3, -6}, {2, 1}));
  CHECK(x2.grad().to_vector<double>() == Values{1, 1, 1, -2, -2, -2});

  // 1-D inputs give a 0-dim result, or [1] with keepdim.
  Tensor v = Tensor::from_vector<double>({1, 2, 4}, {3});
  CHECK(sum_last(v).shape() == Shape{});
  CHECK(sum_last(v).item() == 7.0);
  CHECK(sum_last(v, true).shape() == Shape{1});
  CHECK(mean_last(Tensor::from_vector<double>({1, 2, 4, 5}, {4})).item() == 3.0);
}

TEST_CASE("max_last routes the gradient to the first index attaining the max", "[elementwise][reduce]") {
  Tensor x = leaf({1, 3, 3, 0, -5, -2, -7, -2}, {2, 4});
  Tensor m = max_last(x);
  REQUIRE(m.shape() == Shape{2});
  CHECK(m.to_vector<double>() == Values{3, -2});
  m.backward(Tensor::from_vector<double>({10, 20}, {2}));
  CHECK(x.grad().to_vector<double>() == Values{0, 10, 0, 0, 0, 20, 0, 0});

  Tensor v = Tensor::from_vector<float>({0.5f, 2.5f, -1}, {3});
  CHECK(max_last(v).shape() == Shape{});
  CHECK(max_last(v).item() == 2.5);
  CHECK(max_last(v, true).shape() == Shape{1});
}

TEST_CASE("max_last propagates NaN and routes the gradient to the first NaN", "[elementwise][reduce]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = leaf({1, nan, 5, nan}, {4});
  Tensor m = max_last(x);
  CHECK(std::isnan(m.item()));
  m.backward(Tensor::from_vector<double>({1}, {}));
  CHECK(x.grad().to_vector<double>() == Values{0, 1, 0, 0});
}

TEST_CASE("f32 inputs compute in f32 with the same results", "[elementwise]") {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector<float>({0.5f, -1}, {2});
  CHECK(add(a, b).to_vector<float>() == std::vector<float>{1.5f, 1, 3.5f, 3});
  CHECK(mul(a, b).to_vector<float>() == std::vector<float>{0.5f, -2, 1.5f, -4});
  CHECK(sum_to_suffix(a, {2}).to_vector<float>() == std::vector<float>{4, 6});
}

TEST_CASE("sum_to_suffix sums the leading dims and broadcasts its gradient back", "[elementwise][reduce]") {
  Tensor g = leaf({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  Tensor s = sum_to_suffix(g, {2});
  CHECK(s.to_vector<double>() == Values{16, 20});
  CHECK(sum_to_suffix(g, {2, 2, 2}).to_vector<double>() == g.to_vector<double>());
  CHECK(sum_to_suffix(g, {}).item() == 36.0);
  s.backward(Tensor::from_vector<double>({1, -1}, {2}));
  CHECK(g.grad().to_vector<double>() == Values{1, -1, 1, -1, 1, -1, 1, -1});
}

TEST_CASE("no_grad scopes record nothing", "[elementwise][autograd]") {
  Tensor x = leaf({1, 2}, {2});
  autograd::NoGradGuard guard;
  Tensor y = mul(add(x, x), x);
  CHECK_FALSE(y.requires_grad());
  CHECK(y.grad_fn() == nullptr);
}

TEST_CASE("elementwise ops reject bad inputs with messages naming the shapes", "[elementwise][errors]") {
  Tensor a = Tensor::zeros({2, 3}, DType::f32);
  REQUIRE_THROWS_AS(add(a, Tensor::zeros({2}, DType::f32)), ShapeError);
  REQUIRE_THROWS_WITH(add(a, Tensor::zeros({2}, DType::f32)), Contains("[2, 3]") && Contains("b [2]"));
  REQUIRE_THROWS_AS(mul(a, Tensor::zeros({3, 3}, DType::f32)), ShapeError);
  REQUIRE_THROWS_WITH(mul(a, Tensor::zeros({3, 3}, DType::f32)), Contains("mul") && Contains("[3, 3]") &&
                                                                    Contains("[2, 3]"));
  // b larger than a is not broadcast the other way.
  REQUIRE_THROWS_AS(add(Tensor::zeros({3}, DType::f32), a), ShapeError);
  REQUIRE_THROWS_AS(add(a, Tensor::zeros({3}, DType::f64)), DTypeError);
  REQUIRE_THROWS_AS(mul(a, Tensor::zeros({3}, DType::i64)), DTypeError);
  REQUIRE_THROWS_AS(scale(Tensor::zeros({3}, DType::i32), 2.0), DTypeError);
  REQUIRE_THROWS_AS(sum_to_suffix(a, {2}), ShapeError);
  REQUIRE_THROWS_AS(sum_last(Tensor::zeros({}, DType::f32)), ShapeError);
  REQUIRE_THROWS_AS(mean_last(Tensor::zeros({}, DType::f32)), ShapeError);
  REQUIRE_THROWS_AS(max_last(Tensor::zeros({2, 0}, DType::f32)), ShapeError);
  REQUIRE_THROWS_WITH(max_last(Tensor::zeros({2, 0}, DType::f32)), Contains("[2, 0]"));
  // bf16 is a storage type on the CPU: the kernels say so instead of misreading bits.
  REQUIRE_THROWS_AS(add(Tensor::zeros({2}, DType::bf16), Tensor::zeros({2}, DType::bf16)), DTypeError);
}
