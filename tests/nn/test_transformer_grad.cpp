// Gradients of the whole model (embeddings incl. the tied output use, every
// layer, cross-attention in the decoder) against central finite differences
// in f64, for a cross-entropy loss on some rows of predict(forward(...)).
// Dropout is off (eval) so the loss is a deterministic function of the weights.
#include "tiny_model.h"

#include "core/autograd.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gather_rows/gather_rows.h"
#include "support.h"

#include <cmath>

using namespace xlm;
using namespace xlm::nn;

namespace {

struct Problem {
  explicit Problem(TransformerModel m) : model(std::move(m)) {}
  TransformerModel model;
  nntest::TinyBatch batch;
  Tensor src_enc;  // decoder only
  Tensor src_len;
  bool causal = false;
  Tensor rows = nntest::ids({0, 2, 4, 5, 6, 7}, {6});  // flat (B*T) rows to predict, all inside the lengths
  Tensor targets = nntest::ids({10, 3, 19, 0, 4, 11}, {6});

  Tensor loss() {
    ForwardArgs a;
    a.words = batch.words;
    a.lengths = batch.lengths;
    a.langs = batch.langs;
    a.causal = causal;
    a.src_enc = src_enc;
    a.src_len = src_len;
    Tensor h = model.forward(a);  // (B, T, D)
    Tensor picked = gather_rows(h.reshape({-1, model.config().emb_dim}), rows);
    return cross_entropy(model.predict(picked), targets);
  }
};

void check_all_parameters(Problem& p) {
  p.model.set_training(false);
  for (auto& [name, param] : p.model.parameters()) param.zero_grad();
  p.loss().backward();
  const double eps = 1e-6;
  for (auto& [name, param] : p.model.parameters()) {
    INFO("parameter " << name << " " << param.describe());
    const Tensor grad = param.grad();
    REQUIRE(grad.defined());
    const std::vector<double> analytic = grad.to_doubles();
    const int64_t n = param.numel();
    std::vector<int64_t> picks = {0, n / 3 + 1, (n - 1) / 2, n - 1};
    if (name == "embeddings.weight") picks.push_back(2 * 8 + 5);  // the pad row (gradient from the output layer)
    double* values = param.data<double>();
    for (int64_t i : picks) {
      if (i < 0 || i >= n) continue;
      const double saved = values[i];
      double plus = 0, minus = 0;
      {
        autograd::NoGradGuard no_grad;
        values[i] = saved + eps;
        plus = p.loss().item();
        values[i] = saved - eps;
        minus = p.loss().item();
        values[i] = saved;
      }
      const double numeric = (plus - minus) / (2 * eps);
      INFO("entry " << i << ": analytic " << analytic[static_cast<size_t>(i)] << " numeric " << numeric);
      CHECK(std::fabs(numeric - analytic[static_cast<size_t>(i)]) <= 1e-7 + 1e-5 * std::fabs(numeric));
    }
  }
}

}  // namespace

TEST_CASE("nn: encoder gradients match central finite differences in f64", "[nn][grad]") {
  TransformerConfig c = nntest::tiny_config();
  c.max_positions = 5;  // every position row is used by T = 5
  Problem p(TransformerModel(c, 11, Device::cpu(), DType::f64));
  SECTION("bidirectional") { check_all_parameters(p); }
  SECTION("causal") {
    p.causal = true;
    check_all_parameters(p);
  }
}

TEST_CASE("nn: ReLU and sinusoidal variants give finite-difference gradients too", "[nn][grad]") {
  TransformerConfig c = nntest::tiny_config();
  c.gelu_activation = false;
  c.sinusoidal_embeddings = true;
  c.n_layers = 1;
  Problem p(TransformerModel(c, 12, Device::cpu(), DType::f64));
  check_all_parameters(p);
}

TEST_CASE("nn: decoder gradients (self + cross attention) match finite differences", "[nn][grad]") {
  TransformerConfig c = nntest::tiny_config(true);
  c.max_positions = 5;
  Problem p(TransformerModel(c, 13, Device::cpu(), DType::f64));
  p.causal = true;
  p.src_enc = nntest::random_tensor({2, 4, 8}, 5, DType::f64);  // (B, S, D)
  p.src_len = nntest::ids({4, 2}, {2});
  check_all_parameters(p);
}
