// Exact-value checks for relu on a hand-computed example (the harness checks
// it against finite differences and across backends; this pins the numbers,
// the zero subgradient at 0, and the errors on bad inputs).
#include "core/error.h"
#include "kernels/relu/relu.h"
#include "support.h"

using namespace xlm;
using Values = std::vector<double>;

TEST_CASE("relu clamps negatives to 0 and passes the gradient where x > 0", "[relu]") {
  Tensor x = Tensor::from_vector<double>({-2, -0.5, 0, 0.25, 3, -7}, {2, 3}).set_requires_grad(true);
  Tensor y = relu(x);
  REQUIRE(y.shape() == Shape{2, 3});
  CHECK(y.to_vector<double>() == Values{0, 0, 0, 0.25, 3, 0});
  y.backward(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(x.grad().to_vector<double>() == Values{0, 0, 0, 4, 5, 0});
}

TEST_CASE("relu in f32 gives the same exact values", "[relu]") {
  Tensor x = Tensor::from_vector<float>({-1.5f, 2.5f, 0.0f}, {3});
  CHECK(relu(x).to_vector<float>() == std::vector<float>{0.0f, 2.5f, 0.0f});
}

TEST_CASE("relu rejects integer tensors and mismatched gradients", "[relu]") {
  XLM_CHECK_THROWS(relu(Tensor::from_vector<int64_t>({1, -1}, {2})), DTypeError, "relu", "floating");
  Tensor x = Tensor::from_vector<double>({1, -1}, {2});
  XLM_CHECK_THROWS(relu_backward(x, Tensor::zeros({3}, DType::f64)), ShapeError, "relu_backward", "grad_y");
}
