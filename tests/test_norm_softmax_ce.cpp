// Exact small examples for layer_norm, masked_softmax and cross_entropy (the
// harness compares backends and checks gradients numerically; these pin the
// values themselves, by hand), plus the error each bad input must raise.
#include "core/error.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/layer_norm/layer_norm.h"
#include "kernels/masked_softmax/masked_softmax.h"
#include "support.h"

#include <cmath>

using namespace xlm;
using Catch::Matchers::Contains;

namespace {

Tensor f64(const std::vector<double>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }

}  // namespace

// ---------------------------------------------------------------- layer_norm

TEST_CASE("layer_norm normalises each row and applies gamma and beta", "[layer_norm]") {
  // Row {1, 2, 3}: mean 2, biased variance 2/3. Row {5, 5, 5}: variance 0, so y = beta.
  for (DType dtype : {DType::f64, DType::f32}) {
    Tensor x = Tensor::from_doubles({1, 2, 3, 5, 5, 5}, {2, 3}, dtype);
    Tensor gamma = Tensor::from_doubles({2, 2, 2}, {3}, dtype);
    Tensor beta = Tensor::from_doubles({1, 0, -1}, {3}, dtype);
    Tensor y = layer_norm(x, gamma, beta, 1e-12);
    REQUIRE(y.dtype() == dtype);
    REQUIRE(y.shape() == Shape{2, 3});
    const double k = 1.0 / std::sqrt(2.0 / 3.0);
    XLM_CHECK_CLOSE(y.to_doubles(), (std::vector<double>{-2 * k + 1, 0, 2 * k - 1, 1, 0, -1}), 1e-6, 1e-6);
  }
}

TEST_CASE("layer_norm eps enters under the square root", "[layer_norm]") {
  // Row {-1, 1}: variance 1; eps = 3 gives rstd = 1/2.
  Tensor y = layer_norm(f64({-1, 1}, {1, 2}), f64({1, 1}, {2}), f64({0, 0}, {2}), 3.0);
  XLM_CHECK_CLOSE(y.to_doubles(), (std::vector<double>{-0.5, 0.5}), 1e-15, 0);
}

TEST_CASE("layer_norm gradients: beta and gamma are column sums, x sees a centred projection", "[layer_norm]") {
  Tensor x = f64({1, 2, 3, -1, 0, 1}, {2, 3});
  Tensor gamma = f64({1, 1, 1}, {3});
  Tensor beta = f64({0, 0, 0}, {3});
  x.set_requires_grad(true);
  gamma.set_requires_grad(true);
  beta.set_requires_grad(true);
  Tensor y = layer_norm(x, gamma, beta, 1e-12);
  // Upstream gradient constant along each row: it is orthogonal to what
  // normalisation can change, so grad_x is zero; grad_gamma = sum g * xhat.
  y.backward(f64({1, 1, 1, 2, 2, 2}, {2, 3}));
  const double k = std::sqrt(1.5);  // xhat of both rows is {-k, 0, k}
  XLM_CHECK_CLOSE(beta.grad().to_doubles(), (std::vector<double>{3, 3, 3}), 1e-12, 0);
  XLM_CHECK_CLOSE(gamma.grad().to_doubles(), (std::vector<double>{-3 * k, 0, 3 * k}), 1e-9, 1e-9);
  XLM_CHECK_CLOSE(x.grad().to_doubles(), (std::vector<double>(6, 0.0)), 1e-9, 0);
}

TEST_CASE("layer_norm rejects bad arguments with a clear error", "[layer_norm]") {
  Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor c3 = f64({1, 1, 1}, {3});
  REQUIRE_THROWS_AS(layer_norm(x, f64({1, 1}, {2}), c3, 1e-5), ShapeError);
  REQUIRE_THROWS_WITH(layer_norm(x, c3, f64({1, 1}, {2}), 1e-5), Contains("'beta' must have shape [3]"));
  REQUIRE_THROWS_AS(layer_norm(x, Tensor::from_doubles({1, 1, 1}, {3}, DType::f32), c3, 1e-5), DTypeError);
  REQUIRE_THROWS_AS(layer_norm(Tensor::from_vector<int64_t>({1, 2, 3}, {3}), c3, c3, 1e-5), DTypeError);
  REQUIRE_THROWS_WITH(layer_norm(x, c3, c3, 0.0), Contains("eps must be a positive"));
  REQUIRE_THROWS_AS(layer_norm(f64({}, {2, 0}), f64({}, {0}), f64({}, {0}), 1e-5), ShapeError);
}

// ------------------------------------------------------------ masked_softmax

TEST_CASE("masked_softmax of a hand-computed row", "[masked_softmax]") {
  // scale 0.5 * {0, 2 ln 2, 2 ln 3} = {0, ln 2, ln 3}: exp = {1, 2, 3}, so y = {1/6, 2/6, 3/6}.
  for (DType dtype : {DType::f64, DType::f32}) {
    Tensor s = Tensor::from_doubles({0, 2 * std::log(2.0), 2 * std::log(3.0)}, {1, 1, 3}, dtype);
    Tensor y = masked_softmax(s, Tensor(), false, 0.5);
    REQUIRE(y.dtype() == dtype);
    XLM_CHECK_CLOSE(y.to_doubles(), (std::vector<double>{1.0 / 6, 2.0 / 6, 3.0 / 6}), 1e-7, 1e-6);
  }
}

TEST_CASE("masked_softmax: padding mask, and a fully masked row is zeros with zero gradient", "[masked_softmax]") {
  // Batch 0 sees 2 of 3 keys; batch 1 sees none.
  Tensor s = f64({0, 0, 5, 1, 2, 3}, {2, 1, 3});
  s.set_requires_grad(true);
  Tensor y = masked_softmax(s, Tensor::from_vector<int64_t>({2, 0}, {2}), false, 1.0);
  XLM_CHECK_CLOSE(y.to_doubles(), (std::vector<double>{0.5, 0.5, 0, 0, 0, 0}), 1e-15, 0);
  // With y = {1/2, 1/2, 0} and g = {1, 0, 7}: sum(g y) = 1/2, grad = {1/4, -1/4, 0}.
  y.backward(f64({1, 0, 7, 3, -2, 9}, {2, 1, 3}));
  XLM_CHECK_CLOSE(s.grad().to_doubles(), (std::vector<double>{0.25, -0.25, 0, 0, 0, 0}), 1e-15, 0);
}

TEST_CASE("masked_softmax causal pattern for self-attention and for a query suffix", "[masked_softmax]") {
  SECTION("Tq == Tk: query i sees keys 0..i") {
    Tensor y = masked_softmax(f64(std::vector<double>(9, 0.0), {1, 1, 3, 3}), Tensor(), true, 1.0);
    XLM_CHECK_CLOSE(y.to_doubles(),
                    (std::vector<double>{1, 0, 0, 0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3}), 1e-15, 0);
  }
  SECTION("Tq = 2 < Tk = 4: the queries are positions 2 and 3") {
    Tensor y = masked_softmax(f64(std::vector<double>(8, 0.0), {1, 1, 2, 4}), Tensor(), true, 1.0);
    XLM_CHECK_CLOSE(y.to_doubles(), (std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0.25, 0.25, 0.25, 0.25}),
                    1e-15, 0);
  }
  SECTION("causal and padding together keep the shorter prefix (i32 lengths)") {
    Tensor y = masked_softmax(f64(std::vector<double>(8, 0.0), {1, 1, 2, 4}),
                              Tensor::from_vector<int32_t>({3}, {1}), true, 1.0);
    XLM_CHECK_CLOSE(y.to_doubles(),
                    (std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0}), 1e-15, 0);
  }
  SECTION("Tq = 3 > Tk = 2: the first query sees nothing") {
    Tensor y = masked_softmax(f64(std::vector<double>(6, 0.0), {1, 3, 2}), Tensor(), true, 1.0);
    XLM_CHECK_CLOSE(y.to_doubles(), (std::vector<double>{0, 0, 1, 0, 0.5, 0.5}), 1e-15, 0);
  }
}

TEST_CASE("masked_softmax backward includes the scale", "[masked_softmax]") {
  Tensor s = f64({0, 0}, {1, 1, 2});
  s.set_requires_grad(true);
  Tensor y = masked_softmax(s, Tensor(), false, 3.0);
  y.backward(f64({1, 0}, {1, 1, 2}));  // y = {1/2, 1/2}: grad = 3 * {1/4, -1/4}
  XLM_CHECK_CLOSE(s.grad().to_doubles(), (std::vector<double>{0.75, -0.75}), 1e-15, 0);
}

TEST_CASE("masked_softmax rejects bad arguments with a clear error", "[masked_softmax]") {
  Tensor s = f64(std::vector<double>(12, 0.0), {2, 2, 3});
  REQUIRE_THROWS_WITH(masked_softmax(s, Tensor::from_vector<int64_t>({3, 4}, {2}), false, 1.0),
                      Contains("key_lengths[1] = 4 is outside [0, 3]"));
  REQUIRE_THROWS_AS(masked_softmax(s, Tensor::from_vector<int32_t>({-1, 2}, {2}), false, 1.0), IndexError);
  REQUIRE_THROWS_WITH(masked_softmax(s, Tensor::from_vector<int64_t>({-1, 2}, {2}), true, 1.0),
                      Contains("key_lengths[0] = -1"));
  REQUIRE_THROWS_AS(masked_softmax(s, Tensor::from_vector<int64_t>({1, 2, 3}, {3}), false, 1.0), ShapeError);
  REQUIRE_THROWS_AS(masked_softmax(s, f64({1, 2}, {2}), false, 1.0), DTypeError);
  REQUIRE_THROWS_WITH(masked_softmax(f64({1, 2}, {1, 2}), Tensor(), false, 1.0),
                      Contains("needs at least 3 dimension(s)"));
  REQUIRE_THROWS_AS(masked_softmax(s, Tensor(), false, INFINITY), Error);
}

// ------------------------------------------------------------- cross_entropy

TEST_CASE("cross_entropy of uniform logits is log V, with the softmax-minus-onehot gradient", "[cross_entropy]") {
  for (DType dtype : {DType::f64, DType::f32}) {
    Tensor logits = Tensor::from_doubles(std::vector<double>(21, 0.25), {3, 7}, dtype);
    logits.set_requires_grad(true);
    Tensor loss = cross_entropy(logits, Tensor::from_vector<int64_t>({0, 6, 3}, {3}));
    REQUIRE(loss.shape() == Shape{});
    REQUIRE(loss.dtype() == dtype);
    CHECK(loss.item() == Approx(std::log(7.0)).epsilon(1e-6));
    loss.backward();
    std::vector<double> want(21, 1.0 / 7 / 3);
    for (int n : {0, 1, 2}) want[static_cast<size_t>(n * 7 + std::vector<int>{0, 6, 3}[n])] -= 1.0 / 3;
    XLM_CHECK_CLOSE(logits.grad().to_doubles(), want, 1e-7, 1e-6);
  }
}

TEST_CASE("cross_entropy of a hand-computed row", "[cross_entropy]") {
  // logits {0, ln 3}: p = {1/4, 3/4}; target 1 gives -log(3/4).
  Tensor loss = cross_entropy(f64({0, std::log(3.0)}, {1, 2}), Tensor::from_vector<int32_t>({1}, {1}));
  CHECK(loss.item() == Approx(-std::log(0.75)).epsilon(1e-12));
}

TEST_CASE("cross_entropy ignore_index drops rows from the mean and from the gradient", "[cross_entropy]") {
  // Row 0 ignored; row 1: logits {0, 0} target 0 -> log 2; mean over 1 row.
  Tensor logits = f64({5, -5, 0, 0}, {2, 2});
  logits.set_requires_grad(true);
  Tensor loss = cross_entropy(logits, Tensor::from_vector<int64_t>({-100, 0}, {2}));
  CHECK(loss.item() == Approx(std::log(2.0)).epsilon(1e-12));
  loss.backward(f64({2}, {}));
  XLM_CHECK_CLOSE(logits.grad().to_doubles(), (std::vector<double>{0, 0, -1, 1}), 1e-12, 0);

  SECTION("an ignore_index inside [0, V), like a pad id") {
    Tensor l = cross_entropy(f64({0, 0, 0, 0, 0, 0}, {2, 3}), Tensor::from_vector<int64_t>({2, 1}, {2}), 2);
    CHECK(l.item() == Approx(std::log(3.0)).epsilon(1e-12));
  }
  SECTION("every row ignored: loss 0 and gradient 0") {
    Tensor all = f64({1, 2, 3, 4}, {2, 2});
    all.set_requires_grad(true);
    Tensor l = cross_entropy(all, Tensor::from_vector<int64_t>({-100, -100}, {2}));
    CHECK(l.item() == 0.0);
    l.backward();
    XLM_CHECK_CLOSE(all.grad().to_doubles(), (std::vector<double>(4, 0.0)), 0, 0);
  }
}

TEST_CASE("cross_entropy rejects bad arguments with a clear error", "[cross_entropy]") {
  Tensor logits = f64(std::vector<double>(14, 0.0), {2, 7});
  REQUIRE_THROWS_AS(cross_entropy(logits, Tensor::from_vector<int64_t>({0, 7}, {2})), IndexError);
  REQUIRE_THROWS_WITH(cross_entropy(logits, Tensor::from_vector<int64_t>({0, 7}, {2})),
                      Contains("targets[1] = 7 is outside [0, 7)"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, Tensor::from_vector<int32_t>({-1, 0}, {2})),
                      Contains("targets[0] = -1"));
  REQUIRE_THROWS_AS(cross_entropy(logits, Tensor::from_vector<int64_t>({0, 1, 2}, {3})), ShapeError);
  REQUIRE_THROWS_AS(cross_entropy(logits, f64({0, 1}, {2})), DTypeError);
  REQUIRE_THROWS_WITH(cross_entropy(f64({1, 2}, {2}), Tensor::from_vector<int64_t>({0}, {1})),
                      Contains("'logits' must be (N, V)"));
  REQUIRE_THROWS_AS(cross_entropy(Tensor::from_vector<int64_t>({1, 2}, {1, 2}), Tensor::from_vector<int64_t>({0}, {1})),
                    DTypeError);
}
