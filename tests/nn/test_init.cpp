// Initialisation as XLM (statistics on larger tables), its determinism across
// dtypes and seeds, and PhiloxStream's disjoint offset ranges.
#include "tiny_model.h"

#include "nn/embedding_layer.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/philox_stream.h"
#include "support.h"

#include <algorithm>
#include <cmath>

using namespace xlm;
using namespace xlm::nn;

TEST_CASE("nn: embedding init is N(0, dim^-1/2) with the pad row zero", "[nn][init]") {
  const int64_t rows = 1000, dim = 64;
  const EmbeddingTable t = EmbeddingTable::create("embeddings.weight", rows, dim, 5, DType::f32, Device::cpu(), 2);
  const std::vector<double> v = t.weight.to_doubles();
  double sum = 0, sq = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (r == 2) continue;
    for (int64_t c = 0; c < dim; ++c) {
      const double x = v[static_cast<size_t>(r * dim + c)];
      sum += x;
      sq += x * x;
    }
  }
  const double n = static_cast<double>((rows - 1) * dim);
  const double mean = sum / n, std = std::sqrt(sq / n - mean * mean);
  CHECK(std::fabs(mean) < 0.005);                 // 4 standard errors of the mean (0.125 / sqrt(63936))
  CHECK(std == Approx(0.125).epsilon(0.01));      // dim^-1/2
  for (int64_t c = 0; c < dim; ++c) CHECK(v[static_cast<size_t>(2 * dim + c)] == 0.0);
  // Tails of a normal: about 0.27% beyond 3 sigma.
  const auto beyond = std::count_if(v.begin(), v.end(), [](double x) { return std::fabs(x) > 3 * 0.125; });
  CHECK(beyond > 80);
  CHECK(beyond < 260);
}

TEST_CASE("nn: Linear init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias", "[nn][init]") {
  const Linear l = Linear::create("ffns.0.lin1", 256, 512, 9, DType::f32, Device::cpu());
  CHECK(l.weight.shape() == Shape{512, 256});
  CHECK(l.bias.shape() == Shape{512});
  const double bound = 1.0 / 16.0;
  const std::vector<double> w = l.weight.to_doubles();
  const auto [lo, hi] = std::minmax_element(w.begin(), w.end());
  CHECK(*lo >= -bound);
  CHECK(*hi <= bound);
  CHECK(*lo < -0.999 * bound);  // the whole range is used
  CHECK(*hi > 0.999 * bound);
  double sq = 0;
  for (double x : w) sq += x * x;
  CHECK(std::sqrt(sq / static_cast<double>(w.size())) == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
  for (double x : l.bias.to_doubles()) CHECK(std::fabs(x) <= bound);
}

TEST_CASE("nn: init is deterministic per seed, per name, and the same in f32 and f64", "[nn][init]") {
  const TransformerConfig c = nntest::tiny_config();
  TransformerModel a(c, 42), b(c, 42), other(c, 43);
  TransformerModel wide(c, 42, Device::cpu(), DType::f64);
  const NamedTensors pa = a.state_dict(), pb = b.state_dict(), po = other.state_dict(), pw = wide.state_dict();
  for (size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].first);
    CHECK(pa[i].second.to_doubles() == pb[i].second.to_doubles());
    std::vector<double> rounded;
    for (double x : pw[i].second.to_doubles()) rounded.push_back(static_cast<float>(x));
    CHECK(pa[i].second.to_doubles() == rounded);
    if (pa[i].first.find("layer_norm") == std::string::npos)  // LayerNorms start at 1 / 0 whatever the seed
      CHECK(pa[i].second.to_doubles() != po[i].second.to_doubles());
  }
  // Two Linears of the same shape under different names draw different values.
  CHECK(Linear::create("attentions.0.q_lin", 8, 8, 1, DType::f32, Device::cpu()).weight.to_doubles() !=
        Linear::create("attentions.0.k_lin", 8, 8, 1, DType::f32, Device::cpu()).weight.to_doubles());
}

TEST_CASE("nn: InitRng uniforms satisfy 0 < u <= 1 with mean 1/2", "[nn][init]") {
  InitRng rng(7, init_stream_id("x"));
  double sum = 0;
  for (int i = 0; i < 20000; ++i) {
    const double u = rng.uniform();
    REQUIRE(u > 0.0);
    REQUIRE(u <= 1.0);
    sum += u;
  }
  CHECK(sum / 20000 == Approx(0.5).epsilon(0.01));
  CHECK(init_stream_id("a") != init_stream_id("b"));
  CHECK(init_stream_id("") == 0xcbf29ce484222325ull);  // FNV-1a 64 offset basis
}

TEST_CASE("nn: PhiloxStream hands out disjoint ranges aligned to Philox blocks", "[nn][dropout]") {
  PhiloxStream s(9, 100);
  CHECK(s.seed() == 9);
  CHECK(s.take(10) == 100);
  CHECK(s.offset() == 112);
  CHECK(s.take(4) == 112);
  CHECK(s.take(0) == 116);
  CHECK(s.offset() == 116);
  PhiloxStream copy = s;  // saving (seed, offset) resumes the same ranges
  CHECK(copy.take(7) == s.take(7));
}
