// Exact small examples for the indexing ops and dropout: values written out by
// hand, repeated ids accumulating in the gradient, the IndexError message, the
// dropout keep rate within statistical bounds, its exact scaling, its backward
// re-drawing the same mask, and the offset arithmetic of the random stream.
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/dropout/dropout.h"
#include "kernels/embedding/embedding.h"
#include "kernels/gather_rows/gather_rows.h"
#include "support.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using namespace xlm;

namespace {

// Weight [4, 3] with w[r][c] = 10 r + c.
Tensor table() {
  return Tensor::from_vector<double>({0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}, {4, 3});
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const IndexError& e) {
    return e.what();
  }
  return "no IndexError";
}

}  // namespace

TEST_CASE("embedding: rows picked by i32 and i64 ids of any shape", "[indexing]") {
  const std::vector<double> want = {20, 21, 22, 0, 1, 2, 30, 31, 32, 20, 21, 22};
  Tensor y64 = embedding(table(), Tensor::from_vector<int64_t>({2, 0, 3, 2}, {2, 2}));
  CHECK(y64.shape() == Shape{2, 2, 3});
  CHECK(y64.to_doubles() == want);
  Tensor y32 = embedding(table(), Tensor::from_vector<int32_t>({2, 0, 3, 2}, {4}));
  CHECK(y32.shape() == Shape{4, 3});
  CHECK(y32.to_doubles() == want);
  Tensor y0 = embedding(table(), Tensor::from_vector<int64_t>({1}, {}));
  CHECK(y0.shape() == Shape{3});
  CHECK(y0.to_doubles() == std::vector<double>{10, 11, 12});
}

TEST_CASE("embedding: the weight gradient accumulates repeated ids", "[indexing]") {
  Tensor w = table();
  w.set_requires_grad(true);
  Tensor ids = Tensor::from_vector<int32_t>({1, 3, 1, 1}, {4});
  Tensor y = embedding(w, ids);  // (4, 3)
  y.backward(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30}, {4, 3}));
  // Row 1 gets rows 0, 2, 3 of the upstream gradient; row 3 gets row 1; rows 0 and 2 get nothing.
  CHECK(w.grad().to_doubles() == std::vector<double>{0, 0, 0, 18, 30, 42, 0, 0, 0, 4, 5, 6});
  // f32 follows the same path.
  Tensor w32 = Tensor::from_doubles(table().to_doubles(), {4, 3}, DType::f32);
  w32.set_requires_grad(true);
  embedding(w32, ids).backward(Tensor::full({4, 3}, 0.5, DType::f32));
  CHECK(w32.grad().to_doubles() == std::vector<double>{0, 0, 0, 1.5, 1.5, 1.5, 0, 0, 0, 0.5, 0.5, 0.5});
}

TEST_CASE("gather_rows: picks rows and scatter-adds repeated indices back", "[indexing]") {
  Tensor x = table();
  x.set_requires_grad(true);
  Tensor y = gather_rows(x, Tensor::from_vector<int64_t>({3, 0, 3}, {3}));
  CHECK(y.shape() == Shape{3, 3});
  CHECK(y.to_doubles() == std::vector<double>{30, 31, 32, 0, 1, 2, 30, 31, 32});
  y.backward(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}));
  CHECK(x.grad().to_doubles() == std::vector<double>{4, 5, 6, 0, 0, 0, 0, 0, 0, 8, 10, 12});
}

TEST_CASE("embedding and gather_rows: an out-of-range id is reported with its position and the bound",
          "[indexing][errors]") {
  const std::string m = message_of([] { embedding(table(), Tensor::from_vector<int64_t>({0, 2, 5, 1}, {2, 2})); });
  INFO(m);
  CHECK(m.find("embedding") != std::string::npos);
  CHECK(m.find("id 5") != std::string::npos);
  CHECK(m.find("position [1, 0]") != std::string::npos);
  CHECK(m.find("flat 2") != std::string::npos);
  CHECK(m.find("[0, 4)") != std::string::npos);
  CHECK(m.find("V = 4") != std::string::npos);
  const std::string neg = message_of([] { embedding(table(), Tensor::from_vector<int32_t>({1, -1}, {2})); });
  INFO(neg);
  CHECK(neg.find("id -1 at position [1]") != std::string::npos);
  const std::string g = message_of([] { gather_rows(table(), Tensor::from_vector<int64_t>({4}, {1})); });
  INFO(g);
  CHECK(g.find("gather_rows: index 4 at position [0]") != std::string::npos);
  CHECK(g.find("N = 4") != std::string::npos);
  CHECK_THROWS_AS(embedding(table(), Tensor::from_vector<float>({1.0f}, {1})), DTypeError);
  CHECK_THROWS_AS(gather_rows(table(), Tensor::from_vector<int64_t>({0, 1}, {1, 2})), ShapeError);
}

TEST_CASE("dropout: keep rate within 5 sigma of 1 - p over 100k elements", "[dropout]") {
  const int64_t n = 100000;
  for (double p : {0.1, 0.5}) {
    for (uint64_t seed : {uint64_t{1}, uint64_t{20260101}}) {
      const auto mask = dropout_mask({n}, p, seed, 0, Device::cpu()).to_vector<uint8_t>();
      double kept = 0;
      for (uint8_t k : mask) kept += k;
      const double sigma = std::sqrt(p * (1 - p) / n);
      INFO("p " << p << " seed " << seed << " kept fraction " << kept / n);
      CHECK(std::fabs(kept / n - (1 - p)) < 5 * sigma);
    }
  }
}

TEST_CASE("dropout: kept values scale exactly by 1/(1-p) and backward re-draws the same mask", "[dropout]") {
  const int64_t n = 1003;
  std::vector<double> xs(n);
  for (int64_t i = 0; i < n; ++i) xs[i] = 0.25 * static_cast<double>(i + 1);
  for (double p : {0.5, 0.75}) {
    const double scale = p == 0.5 ? 2.0 : 4.0;
    Tensor x = Tensor::from_vector(xs, {n});
    x.set_requires_grad(true);
    Tensor y = dropout(x, p, 99, 13);
    const auto mask = dropout_mask({n}, p, 99, 13, Device::cpu()).to_vector<uint8_t>();
    const auto yv = y.to_doubles();
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      REQUIRE(yv[i] == (mask[i] ? xs[i] * scale : 0.0));
      kept += mask[i];
    }
    CHECK(kept > 0);
    CHECK(kept < n);
    y.backward(Tensor::full({n}, 1.0, DType::f64));
    const auto gx = x.grad().to_doubles();
    for (int64_t i = 0; i < n; ++i) REQUIRE(gx[i] == (mask[i] ? scale : 0.0));
    // f32 applies the same mask with the same scale.
    const auto y32 = dropout(Tensor::from_doubles(xs, {n}, DType::f32), p, 99, 13).to_doubles();
    CHECK(y32 == yv);
  }
}

TEST_CASE("dropout: element i draws from position offset + i of the stream", "[dropout]") {
  const auto long_mask = dropout_mask({50}, 0.5, 7, 1000, Device::cpu()).to_vector<uint8_t>();
  for (uint64_t k : {uint64_t{1}, uint64_t{3}, uint64_t{4}, uint64_t{9}}) {
    const auto shifted = dropout_mask({41}, 0.5, 7, 1000 + k, Device::cpu()).to_vector<uint8_t>();
    CHECK(std::vector<uint8_t>(long_mask.begin() + static_cast<long>(k), long_mask.begin() + static_cast<long>(k) + 41) ==
          shifted);
  }
  // Same (seed, offset): same mask; another seed: another mask.
  CHECK(dropout_mask({3, 7}, 0.5, 7, 1000, Device::cpu()).to_vector<uint8_t>() ==
        std::vector<uint8_t>(long_mask.begin(), long_mask.begin() + 21));
  CHECK(dropout_mask({50}, 0.5, 8, 1000, Device::cpu()).to_vector<uint8_t>() != long_mask);
}

TEST_CASE("dropout: p = 0 copies and p = 1 zeros while p outside 0..1 is a ConfigError", "[dropout][errors]") {
  Tensor x = Tensor::from_vector<double>({1, -2, 3}, {3});
  Tensor copy = dropout(x, 0.0, 1, 0);
  CHECK(copy.to_doubles() == x.to_doubles());
  CHECK_FALSE(copy.same_data(x));
  CHECK(dropout(x, 1.0, 1, 0).to_doubles() == std::vector<double>{0, 0, 0});
  CHECK(dropout_mask({5}, 0.0, 1, 0, Device::cpu()).to_vector<uint8_t>() == std::vector<uint8_t>(5, 1));
  CHECK(dropout_mask({5}, 1.0, 1, 0, Device::cpu()).to_vector<uint8_t>() == std::vector<uint8_t>(5, 0));
  CHECK_THROWS_AS(dropout(x, -0.1, 1, 0), ConfigError);
  CHECK_THROWS_AS(dropout(x, 1.5, 1, 0), ConfigError);
  CHECK_THROWS_AS(dropout(x, std::nan(""), 1, 0), ConfigError);
  CHECK_THROWS_AS(dropout_mask({2}, 2.0, 1, 0, Device::cpu()), ConfigError);
}

TEST_CASE("dropout: the float threshold decides exactly as u > p in double", "[dropout]") {
  CHECK(dropout_threshold(0.5) == 0.5f);
  for (double p : {0.1, 0.3, 0.7, 1e-9, 0.999999999}) {
    const float t = dropout_threshold(p);
    CHECK(static_cast<double>(t) <= p);
    CHECK(static_cast<double>(std::nextafter(t, 2.0f)) > p);
  }
}
