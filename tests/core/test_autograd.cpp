// The tape itself, tested with two tiny ops defined here (so these tests do
// not depend on kernels/): shared subgraphs, accumulation across backward
// calls, no_grad, freeing of saved tensors, and error wording.
#include "core/autograd.h"
#include "core/error.h"
#include "support.h"

using namespace xlm;

namespace {

// y = a + b (same shape, f64, CPU)
Tensor test_add(const Tensor& a, const Tensor& b) {
  Tensor y = Tensor::empty(a.shape(), DType::f64);
  for (int64_t i = 0; i < a.numel(); ++i) y.data<double>()[i] = a.data<double>()[i] + b.data<double>()[i];
  autograd::record(y, "test_add", {a, b}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
  return y;
}

// y = x * x elementwise; saves x (and `extra`, to observe when saved tensors are freed)
Tensor test_square(const Tensor& x, Tensor extra = Tensor()) {
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  for (int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] = x.data<double>()[i] * x.data<double>()[i];
  autograd::record(y, "test_square", {x}, [x = x.detach(), extra](const Tensor& g) {
    Tensor gx = Tensor::empty(x.shape(), DType::f64);
    for (int64_t i = 0; i < x.numel(); ++i) gx.data<double>()[i] = 2 * x.data<double>()[i] * g.data<double>()[i];
    return std::vector<Tensor>{gx};
  });
  return y;
}

Tensor leaf(std::vector<double> v) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  t.set_requires_grad(true);
  return t;
}

}  // namespace

TEST_CASE("autograd: chain rule through a shared subgraph", "[core][autograd]") {
  Tensor x = leaf({1, -2, 3});
  Tensor h = test_square(x);    // x^2
  Tensor y = test_add(h, h);    // 2 x^2, h used twice
  Tensor z = test_square(y);    // 4 x^4
  z.backward(Tensor::full({3}, 1.0, DType::f64));
  // dz/dx = 16 x^3
  CHECK(x.grad().to_vector<double>() == std::vector<double>{16, -128, 432});
  CHECK(h.requires_grad());
  CHECK(x.is_leaf());
  CHECK_FALSE(z.is_leaf());
}

TEST_CASE("autograd: gradients accumulate across backward calls until zeroed", "[core][autograd]") {
  Tensor x = leaf({2, 3});
  for (int step = 0; step < 3; ++step) test_square(x).backward(Tensor::full({2}, 1.0, DType::f64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{12, 18});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  test_add(x, x).backward(Tensor::full({2}, 1.0, DType::f64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 2});
}

TEST_CASE("autograd: a leaf's gradient is its own copy", "[core][autograd]") {
  Tensor a = leaf({1}), b = leaf({1});
  test_add(a, b).backward(Tensor::full({1}, 1.0, DType::f64));
  a.grad().data<double>()[0] = 100;  // in-place change of one leaf's grad (e.g. clipping)
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1});
}

TEST_CASE("autograd: no_grad records nothing", "[core][autograd]") {
  Tensor x = leaf({1, 2});
  {
    autograd::NoGradGuard guard;
    CHECK_FALSE(autograd::grad_enabled());
    Tensor y = test_square(x);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
  CHECK(autograd::grad_enabled());
  CHECK(test_square(x).requires_grad());
  Tensor constant = Tensor::from_vector<double>({1, 2}, {2});
  CHECK_FALSE(test_square(constant).requires_grad());
}

TEST_CASE("autograd: saved tensors are freed after backward unless retained", "[core][autograd]") {
  bool freed = false;
  auto make_saved = [&] {
    static double buffer[1] = {0};
    return Tensor::from_storage(Storage::wrap(buffer, sizeof buffer, Device::cpu(), [&freed] { freed = true; }), 0,
                                {1}, DType::f64);
  };
  Tensor x = leaf({3});
  {
    Tensor y = test_square(x, make_saved());
    CHECK_FALSE(freed);
    y.backward(Tensor::full({1}, 1.0, DType::f64), /*retain_graph=*/true);
    CHECK_FALSE(freed);
    y.backward(Tensor::full({1}, 1.0, DType::f64));
    CHECK(freed);  // y is still alive, but its closure (and what it saved) is gone
    CHECK(x.grad().to_vector<double>() == std::vector<double>{12});
    XLM_CHECK_THROWS(y.backward(Tensor::full({1}, 1.0, DType::f64)), Error,
                         "backward through 'test_square' a second time");
  }
}

TEST_CASE("autograd: errors name what was wrong", "[core][autograd][errors]") {
  Tensor x = leaf({1, 2});
  XLM_CHECK_THROWS(test_square(x).backward(), ShapeError, "one-element tensor, got f64[2]");
  XLM_CHECK_THROWS(test_square(x).backward(Tensor::full({3}, 1.0, DType::f64)), ShapeError,
                       "'grad' must have shape [2]");
  Tensor bad = Tensor::empty({2}, DType::f64);
  autograd::record(bad, "bad_op", {x}, [](const Tensor&) { return std::vector<Tensor>{Tensor::zeros({5}, DType::f64)}; });
  XLM_CHECK_THROWS(bad.backward(Tensor::full({2}, 1.0, DType::f64)), ShapeError,
                       "backward of 'bad_op' returned a gradient f64[5] on cpu for input 0");
  XLM_CHECK_THROWS(Tensor::zeros({1}, DType::f64).backward(), Error, "does not require a gradient");
}

TEST_CASE("autograd: views propagate gradients", "[core][autograd]") {
  Tensor x = leaf({1, 2, 3, 4, 5, 6});
  Tensor rows = x.reshape({3, 2}).slice(1, 3);  // [[3, 4], [5, 6]]
  test_square(rows).backward(Tensor::full({2, 2}, 1.0, DType::f64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, 6, 8, 10, 12});
}
