// Sharded evaluation (tasks/pretrain/lm_evaluator.h EvalRanks) in one
// process: the ranks are simulated one after the other, each with a `sum`
// that records its partial sums, and the partials added here must give the
// one-rank scores, which checks the deterministic split (every batch on
// exactly one rank) and that skipped batches still draw their MLM masks.
// The BLEU reordering of gathered hypotheses is checked on its own. The real
// collectives run under mpirun in tests/mpi/dp_check.cpp.
#include "core/error.h"
#include "nn/transformer.h"
#include "pretrain_fixture.h"
#include "support.h"
#include "tasks/pretrain/lm_evaluator.h"
#include "tasks/pretrain/mt_evaluator.h"
#include "tasks/pretrain/pretrain_data.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

using namespace xlm;

TEST_CASE("sharded LM evaluation: the ranks' partial sums add up to the one-rank scores", "[tasks][dp][eval]") {
  tasks::PretrainDataOptions options;
  options.data_path = test::pretrain_data_dir();
  options.mono_langs = {"en"};
  options.para_pairs = {{"en", "fr"}};
  options.batch_size = 4;
  options.bptt = 16;
  tasks::PretrainData data(options);
  const std::vector<std::string> langs{"en", "fr"};
  nn::TransformerConfig config;
  config.n_words = data.dictionary().size();
  config.emb_dim = 16;
  config.n_layers = 1;
  config.n_heads = 2;
  config.n_langs = 2;
  config.id2lang = langs;
  nn::TransformerModel model(config, 3);
  objectives::MaskingOptions masking;
  masking.n_words = data.dictionary().size();
  tasks::LmBatchBuilder builder(langs, masking);
  std::vector<tasks::LmStep> steps = tasks::parse_lm_steps("clm", "en", langs, "--clm_steps");
  for (const auto& s : tasks::parse_lm_steps("mlm", "en,en-fr", langs, "--mlm_steps")) steps.push_back(s);
  const tasks::Scores one = tasks::evaluate_lm(model, data, steps, builder);

  const int world = 3;
  std::vector<std::vector<double>> totals;  // per (split, step), in call order: loss, words, correct
  for (int r = 0; r < world; ++r) {
    tasks::EvalRanks ranks;
    ranks.rank = r;
    ranks.world_size = world;
    size_t call = 0;
    ranks.sum = [&](std::vector<double>& values) {
      REQUIRE(values.size() == 3);
      if (totals.size() <= call) totals.emplace_back(3, 0.0);
      for (size_t k = 0; k < 3; ++k) totals[call][k] += values[k];
      ++call;
    };
    tasks::evaluate_lm(model, data, steps, builder, {"valid", "test"}, ranks);
    CHECK(call == 2 * steps.size());
  }
  size_t call = 0;
  for (const std::string split : {"valid", "test"}) {
    for (const auto& step : steps) {
      const std::vector<double>& t = totals.at(call++);
      const double ppl = std::exp(t[0] / t[1]), acc = 100.0 * t[2] / t[1];
      const std::string key = fmt::format("{}_{}", split, step.metric_key());
      CHECK(t[1] > 0);
      CHECK(ppl == Approx(one.at(key + "_ppl")).epsilon(1e-9));
      CHECK(acc == Approx(one.at(key + "_acc")).epsilon(1e-9));
    }
  }
}

TEST_CASE("sharded BLEU puts the ranks' lines back in batch order", "[tasks][dp][eval]") {
  // 7 batches of 1-2 lines over 3 ranks: rank r holds batches r, r + 3, ...
  const int world = 3;
  const size_t n = 7;
  nlohmann::json gathered = nlohmann::json::array({nlohmann::json::array(), nlohmann::json::array(),
                                                   nlohmann::json::array()});
  std::vector<std::string> want_hyp, want_ref;
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> hyp{fmt::format("h{}a", i)}, ref{fmt::format("r{}a", i)};
    if (i % 2 == 0) {
      hyp.push_back(fmt::format("h{}b", i));
      ref.push_back(fmt::format("r{}b", i));
    }
    want_hyp.insert(want_hyp.end(), hyp.begin(), hyp.end());
    want_ref.insert(want_ref.end(), ref.begin(), ref.end());
    gathered[i % world].push_back(nlohmann::json::array({hyp, ref}));
  }
  CHECK(tasks::lines_in_batch_order(gathered, n, world, 0) == want_hyp);
  CHECK(tasks::lines_in_batch_order(gathered, n, world, 1) == want_ref);
  XLM_CHECK_THROWS(tasks::lines_in_batch_order(gathered, n, 2, 0), Error, "3 ranks' lines for a world of 2");
}
