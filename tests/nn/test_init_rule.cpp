// A freshly built TransformerModel, parameter by parameter, against XLM's
// initialisation (facebookresearch/XLM src/model/transformer.py; docs/model.md
// "Initialisation"): every name the model has must map to one rule below, so
// a parameter added later without an XLM rule fails here. Tables are large
// enough (>= 10k values) that the sample statistics sit well inside the
// tolerances: std within 3% of the rule's (the relative standard error is
// 1/sqrt(2n) for a normal, 0.89/sqrt(n) for a uniform's variance, <= 0.9%).
#include "nn/transformer.h"
#include "support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace xlm;
using namespace xlm::nn;

namespace {

constexpr int64_t kStatsMin = 10000;  // statistics only on tensors at least this large

// What XLM does to a parameter at construction.
struct Rule {
  enum Kind { normal, uniform, ones, zeros, tied } kind;
  double scale = 0;  // normal: std; uniform: bound
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// XLM's rule for `name` in a model of emb_dim D; fails the test for an unknown name.
Rule xlm_rule(const std::string& name, int64_t D) {
  const double d = static_cast<double>(D);
  if (name == "embeddings.weight" || name == "position_embeddings.weight" || name == "lang_embeddings.weight")
    return {Rule::normal, 1.0 / std::sqrt(d)};  // the Embedding helper: N(0, dim^-1/2)
  if (name == "pred_layer.proj.weight") return {Rule::tied, 0};
  if (name == "pred_layer.proj.bias") return {Rule::uniform, 1.0 / std::sqrt(d)};  // nn.Linear(D, n_words)'s bias
  if (name.rfind("layer_norm", 0) == 0) return {ends_with(name, ".weight") ? Rule::ones : Rule::zeros, 0};
  if (name.find("_lin.") != std::string::npos || name.find(".lin1.") != std::string::npos)
    return {Rule::uniform, 1.0 / std::sqrt(d)};  // fan_in D
  if (name.find(".lin2.") != std::string::npos) return {Rule::uniform, 1.0 / std::sqrt(4.0 * d)};  // fan_in 4D
  FAIL("no XLM initialisation rule for parameter " << name);
  return {Rule::zeros, 0};
}

struct Moments {
  double mean = 0, var = 0, lo = 0, hi = 0;
  size_t n = 0;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  m.n = v.size();
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  m.mean = sum / static_cast<double>(v.size());
  for (double x : v) sq += (x - m.mean) * (x - m.mean);
  m.var = sq / static_cast<double>(v.size() - 1);
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  m.lo = *lo;
  m.hi = *hi;
  return m;
}

// A decoder (so encoder_attn and layer_norm15 are covered) with 100 languages
// and 10k words, so that every table and the output bias have >= 10k values.
TransformerConfig rule_config() {
  TransformerConfig c;
  c.n_words = 10000;
  c.emb_dim = 128;
  c.n_layers = 1;
  c.n_heads = 4;
  c.n_langs = 100;
  c.max_positions = 512;
  c.is_decoder = true;
  return c;
}

void check_rule(const std::string& name, const Tensor& t, const Rule& rule, const TransformerConfig& c,
                const std::vector<double>& embeddings) {
  INFO(name << " " << t.describe());
  std::vector<double> v = t.to_doubles();
  switch (rule.kind) {
    case Rule::ones:
      CHECK(std::all_of(v.begin(), v.end(), [](double x) { return x == 1.0; }));
      return;
    case Rule::zeros:
      CHECK(std::all_of(v.begin(), v.end(), [](double x) { return x == 0.0; }));
      return;
    case Rule::tied:
      CHECK(v == embeddings);
      return;
    case Rule::normal: {
      if (name == "embeddings.weight") {  // the pad row is exactly zero, and left out of the statistics
        const auto row = v.begin() + c.pad_index * c.emb_dim;
        CHECK(std::all_of(row, row + c.emb_dim, [](double x) { return x == 0.0; }));
        v.erase(row, row + c.emb_dim);
      }
      REQUIRE(static_cast<int64_t>(v.size()) >= kStatsMin);
      const Moments m = moments(v);
      CHECK(std::fabs(m.mean) < 4 * rule.scale / std::sqrt(static_cast<double>(m.n)));
      CHECK(std::sqrt(m.var) == Approx(rule.scale).epsilon(0.03));
      return;
    }
    case Rule::uniform: {
      const Moments m = moments(v);
      CHECK(m.lo >= -rule.scale);
      CHECK(m.hi <= rule.scale);
      if (static_cast<int64_t>(m.n) >= kStatsMin) {
        CHECK(m.var == Approx(rule.scale * rule.scale / 3).epsilon(0.03));
        CHECK(std::fabs(m.mean) < 4 * rule.scale / std::sqrt(3.0 * static_cast<double>(m.n)));
      }
      return;
    }
  }
}

}  // namespace

TEST_CASE("nn: every parameter of a fresh model follows XLM's initialisation rule", "[nn][init]") {
  const TransformerConfig c = rule_config();
  const TransformerModel model(c, 11);
  const NamedTensors state = model.state_dict();
  std::vector<double> embeddings;
  for (const auto& [name, t] : state)
    if (name == "embeddings.weight") embeddings = t.to_doubles();
  REQUIRE(!embeddings.empty());
  int64_t checked_stats = 0;
  for (const auto& [name, t] : state) {
    const Rule rule = xlm_rule(name, c.emb_dim);
    check_rule(name, t, rule, c, embeddings);
    if ((rule.kind == Rule::normal || rule.kind == Rule::uniform) && t.numel() >= kStatsMin) ++checked_stats;
  }
  // 3 tables, the output bias, 8 attention weights (self + cross), lin1 and lin2 weights.
  CHECK(checked_stats == 14);
  // 3 tables, layer_norm_emb 2, attentions 8, layer_norm1 2, ffns 4, layer_norm2 2, layer_norm15 2,
  // encoder_attn 8, the tied output weight and the output bias.
  CHECK(state.size() == 3 + 2 + 8 + 2 + 4 + 2 + 2 + 8 + 1 + 1);
}

TEST_CASE("nn: the initialisation rule holds for f64 models and other seeds", "[nn][init]") {
  const TransformerConfig c = rule_config();
  for (uint64_t seed : {0ull, 12345ull}) {
    const TransformerModel model(c, seed, Device::cpu(), DType::f64);
    for (const auto& [name, t] : model.state_dict()) {
      if (name != "embeddings.weight" && name != "ffns.0.lin2.weight" && name != "pred_layer.proj.bias") continue;
      INFO("seed " << seed);
      std::vector<double> embeddings;
      if (name == "embeddings.weight") embeddings = t.to_doubles();
      check_rule(name, t, xlm_rule(name, c.emb_dim), c, embeddings);
    }
  }
}

TEST_CASE("nn: a sinusoidal position table replaces the normal one and is frozen", "[nn][init]") {
  TransformerConfig c = rule_config();
  c.sinusoidal_embeddings = true;
  c.is_decoder = false;
  const TransformerModel model(c, 3);
  for (const auto& [name, t] : model.state_dict()) {
    if (name != "position_embeddings.weight") continue;
    const std::vector<double> v = t.to_doubles();  // (max_positions, D): row 0 is sin(0), cos(0) alternating
    CHECK(v[0] == 0.0);
    CHECK(v[1] == 1.0);
    CHECK_FALSE(t.requires_grad());
  }
}
