// The grad-ready hook (autograd::GradReadyScope) that data-parallel training
// uses to start reducing gradients during backward: it must fire once per
// leaf, after the leaf's last accumulation, and also for a leaf some of
// whose consumers received no gradient. Tiny f64 ops defined here keep the
// test independent of kernels/.
#include "core/autograd.h"
#include "core/grad_ready.h"
#include "support.h"

#include <string>
#include <vector>

using namespace xlm;

namespace {

// y = sum over inputs (same shape, f64); the gradient of input i is g unless `stop[i]`.
Tensor test_sum(const std::vector<Tensor>& xs, std::vector<bool> stop = {}) {
  Tensor y = Tensor::zeros(xs[0].shape(), DType::f64);
  for (const Tensor& x : xs)
    for (int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] += x.data<double>()[i];
  stop.resize(xs.size(), false);
  autograd::record(y, "test_sum", xs, [stop](const Tensor& g) {
    std::vector<Tensor> out;
    for (bool s : stop) out.push_back(s ? Tensor() : g.clone());
    return out;
  });
  return y;
}

Tensor leaf(double value) {
  Tensor t = Tensor::from_vector(std::vector<double>{value}, {1});
  t.set_requires_grad(true);
  return t;
}

}  // namespace

TEST_CASE("grad-ready hook fires once per leaf, after its last accumulation", "[autograd]") {
  Tensor a = leaf(1), b = leaf(2), unused = leaf(3);
  Tensor z = test_sum({a, b});   // runs second
  Tensor w = test_sum({z, a});   // runs first: a has one of its two gradients
  std::vector<std::string> fired;
  std::vector<double> grad_at_fire;
  {
    autograd::GradReadyScope scope([&](const Tensor& t) {
      fired.push_back(t.impl() == a.impl() ? "a" : t.impl() == b.impl() ? "b" : "other");
      grad_at_fire.push_back(t.grad().to_vector<double>()[0]);
    });
    w.backward();
  }
  // z's node runs after w's and hands out the last gradients, in input order.
  CHECK(fired == std::vector<std::string>{"a", "b"});
  CHECK(grad_at_fire == std::vector<double>{2.0, 1.0});  // a: both paths already summed when it fires
  CHECK_FALSE(unused.grad().defined());

  // Outside the scope nothing is called; a second pass accumulates as before.
  fired.clear();
  test_sum({a, b}).backward();
  CHECK(fired.empty());
  CHECK(a.grad().to_vector<double>()[0] == 3.0);
}

TEST_CASE("grad-ready hook reports a leaf whose other consumer got no gradient at the end", "[autograd]") {
  Tensor d = leaf(1), e = leaf(2);
  Tensor m = test_sum({d, e});                 // reachable, but receives no gradient below
  Tensor k = test_sum({m, d}, {true, false});  // stops the gradient towards m
  std::vector<const TensorImpl*> fired;
  autograd::GradReadyScope scope([&](const Tensor& t) { fired.push_back(t.impl()); });
  k.backward();
  REQUIRE(fired.size() == 1);  // d (one of its two consumers ran); e received nothing
  CHECK(fired[0] == d.impl());
  CHECK(d.grad().to_vector<double>()[0] == 1.0);
  CHECK_FALSE(e.grad().defined());
}

TEST_CASE("grad-ready hook on a leaf root and nested scopes", "[autograd]") {
  Tensor a = leaf(5);
  int outer = 0, inner = 0;
  autograd::GradReadyScope scope_outer([&](const Tensor&) { ++outer; });
  {
    autograd::GradReadyScope scope_inner([&](const Tensor&) { ++inner; });
    a.backward();
  }
  a.backward();
  CHECK(inner == 1);
  CHECK(outer == 1);
}
