// decode_topk, the device-side candidate choice of greedy and beam decoding:
// the CPU twin against an exhaustive fp64 log-softmax and sort written here,
// its order (ties to the lower id, NaN last, a -1e9 beam score), the claim
// beam search relies on (a sentence's best 2K extensions are the best of its
// beams' best 2K), argument errors, and the CUDA twin against the CPU.
#include "core/error.h"
#include "core/host_reads.h"
#include "kernels/cast/cast.h"
#include "kernels/decode_topk/decode_topk.h"
#include "support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

using namespace xlm;

namespace {

struct Ranked {
  std::vector<double> values;    // (N, k)
  std::vector<int64_t> indices;  // (N, k)
};

// Every word's key bias[r] + log_softmax(x)[v] in fp64, fully sorted by the
// op's order, first k kept.
Ranked exhaustive(const std::vector<double>& x, int64_t N, int64_t V, const std::vector<double>& bias, int64_t k) {
  Ranked out;
  for (int64_t r = 0; r < N; ++r) {
    const double* row = x.data() + r * V;
    const double top = *std::max_element(row, row + V);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(row[v] - top);
    const double lse = top + std::log(sum);
    std::vector<int64_t> ids(static_cast<size_t>(V));
    std::iota(ids.begin(), ids.end(), int64_t{0});
    auto key = [&](int64_t v) { return (bias.empty() ? 0.0 : bias[static_cast<size_t>(r)]) + (row[v] - lse); };
    std::stable_sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) {
      const double ka = key(a), kb = key(b);
      if (std::isnan(ka) || std::isnan(kb)) return !std::isnan(ka) && std::isnan(kb);
      return ka > kb;
    });
    for (int64_t j = 0; j < k; ++j) {
      out.indices.push_back(ids[static_cast<size_t>(j)]);
      out.values.push_back(key(ids[static_cast<size_t>(j)]));
    }
  }
  return out;
}

// Logits on a grid of quarter steps, so that equal values (ties) are common.
std::vector<double> grid_logits(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pick(-12, 12);
  std::vector<double> x(static_cast<size_t>(n));
  for (double& v : x) v = 0.25 * pick(rng);
  return x;
}

}  // namespace

TEST_CASE("decode_topk: the k best log-probabilities, ties to the lower id, equal to an exhaustive sort",
          "[decode_topk]") {
  const int64_t N = 6, V = 37;
  const std::vector<double> x = grid_logits(N * V, 7);
  const std::vector<double> bias = {0.0, -1.5, -1e9, 2.0, 0.0, -0.25};
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor logits = cast(Tensor::from_vector(x, {N, V}), dt);
    for (int64_t k : {int64_t{1}, int64_t{5}, V}) {
      for (bool with_bias : {false, true}) {
        const DecodeTopK got = decode_topk(logits, with_bias ? Tensor::from_vector(bias, {N}) : Tensor(), k);
        const Ranked want = exhaustive(x, N, V, with_bias ? bias : std::vector<double>{}, k);
        CAPTURE(dtype_name(dt), k, with_bias);
        REQUIRE(got.values.shape() == Shape{N, k});
        REQUIRE(got.indices.dtype() == DType::i64);
        CHECK(got.indices.to_vector<int64_t>() == want.indices);
        CHECK(got.values.to_vector<double>() == want.values);  // the same fp64 arithmetic: bit for bit
      }
    }
  }
  // A row of equal logits: uniform log-probabilities, ids in order.
  const DecodeTopK flat = decode_topk(Tensor::full({1, 4}, 3.0, DType::f32), Tensor(), 3);
  CHECK(flat.indices.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2});
  CHECK(flat.values.to_vector<double>()[0] == Approx(-std::log(4.0)).epsilon(1e-15));
}

TEST_CASE("decode_topk: a NaN logit makes its row NaN, ranked by id, other rows are untouched", "[decode_topk]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor logits = Tensor::from_vector<double>({1, 2, nan, 0, /* row 1 */ 0, 3, 1, 2}, {2, 4});
  const DecodeTopK got = decode_topk(logits, Tensor(), 2);
  CHECK(got.indices.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 1, 3});
  const std::vector<double> v = got.values.to_vector<double>();
  CHECK(std::isnan(v[0]));
  CHECK(std::isnan(v[1]));
  CHECK(std::isfinite(v[2]));
  CHECK(v[2] > v[3]);
}

TEST_CASE("decode_topk: a sentence's best 2K extensions are the best of its K beams' best 2K", "[decode_topk]") {
  // Beam search's merge (tasks/mt/generate_beam.cpp): rows of one sentence,
  // each shifted by its beam score; the exhaustive ranking over all K * V
  // (beam, word) pairs, ties by the lower flat index, must equal the merge.
  for (uint64_t seed : {1, 2, 3, 4}) {
    for (int64_t K : {int64_t{1}, int64_t{2}, int64_t{4}}) {
      for (int64_t V : {int64_t{3}, int64_t{9}, int64_t{40}}) {
        const std::vector<double> x = grid_logits(K * V, seed);
        std::vector<double> bias(static_cast<size_t>(K));
        for (int64_t j = 0; j < K; ++j) bias[static_cast<size_t>(j)] = j == 0 ? 0.0 : (seed % 2 ? -1e9 : -0.5 * j);
        const int64_t k_row = std::min<int64_t>(2 * K, V), n_cand = std::min<int64_t>(2 * K, K * V);
        const DecodeTopK top = decode_topk(Tensor::from_vector(x, {K, V}), Tensor::from_vector(bias, {K}), k_row);
        const std::vector<double> tv = top.values.to_vector<double>();
        const std::vector<int64_t> ti = top.indices.to_vector<int64_t>();
        std::vector<std::pair<double, int64_t>> merged;  // (value, flat = beam * V + word)
        for (int64_t j = 0; j < K; ++j)
          for (int64_t i = 0; i < k_row; ++i)
            merged.emplace_back(tv[static_cast<size_t>(j * k_row + i)], j * V + ti[static_cast<size_t>(j * k_row + i)]);
        std::sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) {
          return a.first > b.first || (a.first == b.first && a.second < b.second);
        });
        const Ranked all = exhaustive(x, K, V, bias, V);  // every word of every beam, per row
        std::vector<std::pair<double, int64_t>> every;
        for (int64_t j = 0; j < K; ++j)
          for (int64_t i = 0; i < V; ++i)
            every.emplace_back(all.values[static_cast<size_t>(j * V + i)], j * V + all.indices[static_cast<size_t>(j * V + i)]);
        std::sort(every.begin(), every.end(), [](const auto& a, const auto& b) {
          return a.first > b.first || (a.first == b.first && a.second < b.second);
        });
        CAPTURE(seed, K, V);
        for (int64_t i = 0; i < n_cand; ++i) CHECK(merged[static_cast<size_t>(i)] == every[static_cast<size_t>(i)]);
      }
    }
  }
}

TEST_CASE("decode_topk: both outputs come to the host in one transfer", "[decode_topk]") {
  const Device standin = Device::parse("cpu:1");  // counts device-to-host copies as a GPU would
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal(0.0, 2.0);
  std::vector<double> x(5 * 37);
  for (double& v : x) v = normal(rng);
  const Tensor logits = Tensor::from_doubles(x, {5, 37}, DType::f32, standin);
  const DecodeTopK top = decode_topk(logits, Tensor(), 4);
  const int64_t before = host_transfer_count();
  const DecodeTopKHost host = decode_topk_to_host(top);
  CHECK(host_transfer_count() - before == 1);
  CHECK(host.values == top.values.to_vector<double>());
  CHECK(host.indices == top.indices.to_vector<int64_t>());
  CHECK(host.values.size() == 20);
  // Outputs of two calls, or tensors made elsewhere, are not one result.
  const DecodeTopK other = decode_topk(logits, Tensor(), 4);
  XLM_CHECK_THROWS(decode_topk_to_host(DecodeTopK{top.values, other.indices}), ShapeError, "one decode_topk result");
  XLM_CHECK_THROWS(decode_topk_to_host(DecodeTopK{Tensor::zeros({5, 4}, DType::f64), Tensor::zeros({5, 4}, DType::i64)}),
                   ShapeError, "one decode_topk result");
  const DecodeTopK empty = decode_topk(Tensor::zeros({0, 37}, DType::f32, standin), Tensor(), 4);
  CHECK(decode_topk_to_host(empty).values.empty());
}

TEST_CASE("decode_topk: argument errors name the argument", "[decode_topk][errors]") {
  const Tensor logits = Tensor::zeros({2, 5}, DType::f32);
  XLM_CHECK_THROWS(decode_topk(logits, Tensor(), 0), ConfigError, "k = 0");
  XLM_CHECK_THROWS(decode_topk(logits, Tensor(), 6), ConfigError, "V = 5");
  XLM_CHECK_THROWS(decode_topk(Tensor::zeros({5}, DType::f32), Tensor(), 1), ShapeError, "(N, V)");
  XLM_CHECK_THROWS(decode_topk(logits, Tensor::zeros({3}, DType::f64), 1), ShapeError, "bias");
  XLM_CHECK_THROWS(decode_topk(logits, Tensor::zeros({2}, DType::f32), 1), DTypeError, "bias");
  XLM_CHECK_THROWS(decode_topk(Tensor::zeros({2, 5}, DType::i64), Tensor(), 1), DTypeError, "floating");
  CHECK(decode_topk(Tensor::zeros({0, 5}, DType::f32), Tensor(), 2).indices.shape() == Shape{0, 2});
}

TEST_CASE("decode_topk: CUDA chooses the CPU's words, values within 1e-12 (+1e-15 relative)", "[decode_topk][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  const Device device = test::gpu();
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.0, 3.0);
  struct Case {
    int64_t N, V, k;
  };
  for (const Case& c : {Case{1, 1, 1}, Case{7, 37, 5}, Case{3, 300, 300}, Case{10, 64000, 10}, Case{4, 95001, 1}}) {
    std::vector<double> x(static_cast<size_t>(c.N * c.V));
    for (double& v : x) v = normal(rng);
    // A tie at the top: 20 is above every N(0, 3) draw (9 was not, once V reached 64,000) and exact in bf16/f16.
    for (int64_t r = 0; r < c.N; ++r) x[static_cast<size_t>(r * c.V + c.V / 2)] = 20.0;
    for (int64_t r = 0; r < c.N; ++r) x[static_cast<size_t>(r * c.V)] = 20.0;
    std::vector<double> bias(static_cast<size_t>(c.N));
    for (int64_t r = 0; r < c.N; ++r) bias[static_cast<size_t>(r)] = r % 3 == 2 ? -1e9 : -0.5 * r;
    for (DType dt : {DType::f32, DType::bf16, DType::f16}) {
      if (!test::gpu_runs(dt)) continue;
      // The CPU sees the device dtype's values exactly (bf16/f16 widen to f32 exactly).
      const Tensor host = cast(cast(Tensor::from_vector(x, {c.N, c.V}), dt), DType::f32);
      const DecodeTopK want = decode_topk(host, Tensor::from_vector(bias, {c.N}), c.k);
      const DecodeTopK got =
          decode_topk(cast(host, dt).to(device), Tensor::from_vector(bias, {c.N}).to(device), c.k);
      CAPTURE(c.N, c.V, c.k, dtype_name(dt));
      CHECK(got.values.device() == device);
      CHECK(got.indices.to(Device::cpu()).to_vector<int64_t>() == want.indices.to_vector<int64_t>());
      const std::vector<double> gv = got.values.to(Device::cpu()).to_vector<double>();
      const std::vector<double> wv = want.values.to_vector<double>();
      CHECK(test::first_mismatch(gv, wv, 1e-12, 1e-15) == -1);  // rtol: the -1e9 beam scores
    }
  }
}
