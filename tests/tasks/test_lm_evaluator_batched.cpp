// evaluate_lm scores XLM's batch-1 valid/test streams several windows per
// forward pass. That must be a speed change only: the test replays the
// window-by-window loop (one 1 x bptt window per pass, MLM masks drawn in
// window order from a generator seeded 0) and requires the same perplexity
// and accuracy for CLM, MLM and TLM steps, with a partial last group and
// with one group of all windows.
#include "core/autograd.h"
#include "core/error.h"
#include "nn/transformer.h"
#include "objectives/lm_loss.h"
#include "pretrain_fixture.h"
#include "support.h"
#include "tasks/pretrain/lm_evaluator.h"
#include "tasks/pretrain/pretrain_data.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>

namespace {

using xlm::tasks::LmStep;
using xlm::tasks::Scores;

// The evaluation as it was: every stream window alone (pairs as batches).
Scores window_by_window(xlm::nn::TransformerModel& model, xlm::tasks::PretrainData& data,
                        const std::vector<LmStep>& steps, const xlm::tasks::LmBatchBuilder& builder) {
  xlm::autograd::NoGradGuard no_grad;
  model.set_training(false);
  Scores scores;
  for (const std::string split : {"valid", "test"}) {
    for (const LmStep& step : steps) {
      xlm::objectives::LmScore total;
      xlm::text::SplitMix64 rng(0);
      auto add = [&](const xlm::objectives::LmBatch& b) {
        const auto s = xlm::objectives::score_lm(model, b);
        total.loss_sum += s.loss_sum;
        total.n_words += s.n_words;
        total.n_correct += s.n_correct;
      };
      if (step.spec.is_pair()) {
        auto& loader = split == "valid" ? *data.para("en", "fr").valid : *data.para("en", "fr").test;
        for (const auto& ids : loader.epoch_batches(0)) add(builder.pair_batch(step, loader.make_batch(ids), rng));
      } else {
        auto& mono = data.mono(step.spec.lang1);
        auto& loader = split == "valid" ? *mono.valid : *mono.test;
        REQUIRE(loader.options().batch_size == 1);
        for (int64_t i = 0; i < loader.n_batches(); ++i) add(builder.stream_batch(step, loader.batch(i), rng));
      }
      const double words = static_cast<double>(total.n_words);
      scores[fmt::format("{}_{}_ppl", split, step.metric_key())] = std::exp(total.loss_sum / words);
      scores[fmt::format("{}_{}_acc", split, step.metric_key())] = 100.0 * static_cast<double>(total.n_correct) / words;
    }
  }
  return scores;
}

}  // namespace

TEST_CASE("evaluate_lm gives the window-by-window scores when it stacks stream windows", "[tasks][lmeval]") {
  const std::string path = xlm::test::pretrain_data_dir();
  xlm::tasks::PretrainDataOptions options;
  options.data_path = path;
  options.mono_langs = {"en", "fr"};
  options.para_pairs = {{"en", "fr"}};
  options.batch_size = 8;
  options.bptt = 32;
  xlm::tasks::PretrainData data(options);
  const auto n_windows = data.mono("en").valid->n_batches();
  REQUIRE(n_windows % 3 != 0);  // groups of 3 leave a partial last group

  xlm::nn::TransformerConfig config;
  config.n_words = data.dictionary().size();
  config.emb_dim = 16;
  config.n_layers = 1;
  config.n_heads = 2;
  config.n_langs = 2;
  config.id2lang = {"en", "fr"};
  xlm::nn::TransformerModel model(config, 7);

  xlm::objectives::MaskingOptions masking;
  masking.n_words = config.n_words;
  const xlm::tasks::LmBatchBuilder builder({"en", "fr"}, masking);
  std::vector<LmStep> steps = xlm::tasks::parse_lm_steps("clm", "en,fr", {"en", "fr"}, "--clm_steps");
  for (auto& s : xlm::tasks::parse_lm_steps("mlm", "en,fr,en-fr", {"en", "fr"}, "--mlm_steps")) steps.push_back(s);

  const Scores expected = window_by_window(model, data, steps, builder);
  REQUIRE(expected.size() == 20);
  for (int64_t rows : {int64_t{3}, xlm::tasks::kEvalStreamRows, n_windows + 5}) {
    const Scores got = xlm::tasks::evaluate_lm(model, data, steps, builder, {"valid", "test"}, {}, rows);
    for (const auto& [name, value] : expected) {
      INFO(rows << " windows per pass: " << name << " expected " << value << " got " << got.at(name));
      REQUIRE(got.count(name) == 1);
      CHECK(std::abs(got.at(name) - value) <= 1e-6 * std::abs(value));
    }
    // The means over the monolingual steps come along.
    CHECK(got.at("valid_clm_ppl") == Approx((got.at("valid_en_clm_ppl") + got.at("valid_fr_clm_ppl")) / 2));
  }
  // Perplexities are finite and of the order of a uniform guess (a random model).
  CHECK(expected.at("valid_en_clm_ppl") > 0.5 * static_cast<double>(config.n_words));
  CHECK(expected.at("valid_en_clm_ppl") < 3.0 * static_cast<double>(config.n_words));
  REQUIRE_THROWS_AS(xlm::tasks::evaluate_lm(model, data, steps, builder, {"valid"}, {}, 0), xlm::ConfigError);
}

TEST_CASE("stack_lm_batches puts rows one under the other and shifts the predicted positions",
          "[tasks][lmeval]") {
  xlm::objectives::LmBatch a, b;
  a.words = xlm::Tensor::from_vector<int64_t>({10, 11, 12, 13, 14, 15}, {2, 3});
  a.lengths = xlm::Tensor::from_vector<int64_t>({3, 3}, {2});
  a.pred_index = xlm::Tensor::from_vector<int64_t>({1, 5}, {2});
  a.targets = xlm::Tensor::from_vector<int64_t>({11, 15}, {2});
  a.n_sentences = 2;
  b.words = xlm::Tensor::from_vector<int64_t>({20, 21, 22}, {1, 3});
  b.lengths = xlm::Tensor::from_vector<int64_t>({3}, {1});
  b.pred_index = xlm::Tensor::from_vector<int64_t>({0, 2}, {2});
  b.targets = xlm::Tensor::from_vector<int64_t>({20, 22}, {2});
  b.n_sentences = 1;
  const auto s = xlm::tasks::stack_lm_batches({a, b});
  CHECK(s.words.shape() == xlm::Shape{3, 3});
  CHECK(s.words.to_vector<int64_t>() == std::vector<int64_t>{10, 11, 12, 13, 14, 15, 20, 21, 22});
  CHECK(s.lengths.to_vector<int64_t>() == std::vector<int64_t>{3, 3, 3});
  CHECK(s.pred_index.to_vector<int64_t>() == std::vector<int64_t>{1, 5, 6, 8});
  CHECK(s.targets.to_vector<int64_t>() == std::vector<int64_t>{11, 15, 20, 22});
  CHECK_FALSE(s.langs.defined());
  CHECK(s.n_sentences == 3);
  b.langs = xlm::Tensor::from_vector<int64_t>({0, 0, 0}, {1, 3});
  REQUIRE_THROWS_AS(xlm::tasks::stack_lm_batches({a, b}), xlm::ShapeError);
  REQUIRE_THROWS_AS(xlm::tasks::stack_lm_batches({}), xlm::ShapeError);
}
