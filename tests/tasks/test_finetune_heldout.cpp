// Held-out accuracy of `xlm finetune` on real data (issue 7): a short
// fine-tune of a tiny fresh model on tests/fixtures/topics (35 English
// package descriptions per topic class, from `xlm data debian`) must classify
// the English valid and test descriptions, which it never saw, well above
// chance. The bound is derived from the labels in the test itself (twice the
// majority-class rate), so it stays meaningful if the fixture is rebuilt.
#include "nn/model_dir.h"
#include "nn/transformer.h"
#include "pretrain_fixture.h"
#include "support.h"
#include "tasks/classify/classify_data.h"
#include "tasks/classify/finetuner.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

namespace {

namespace fs = std::filesystem;

// Percent of the examples that belong to their most frequent label: the
// accuracy of always answering that label.
double majority_rate(const std::vector<xlm::tasks::ClassifyExample>& examples) {
  std::map<int64_t, size_t> counts;
  for (const auto& e : examples) ++counts[e.label];
  size_t most = 0;
  for (const auto& [label, n] : counts) most = std::max(most, n);
  return 100.0 * static_cast<double>(most) / static_cast<double>(examples.size());
}

}  // namespace

TEST_CASE("a short fine-tune of a tiny model classifies held-out topic descriptions well above chance",
          "[tasks][finetune]") {
  const std::string folder = xlm::test::source_path("tests/fixtures/topics");
  const auto task = xlm::tasks::read_topic_task(folder);
  REQUIRE(task.labels.size() == 13);
  REQUIRE(task.train.size() >= 13 * 30);
  REQUIRE(task.valid.size() >= 13 * 30);
  REQUIRE(task.test.count("en") == 1);
  const double valid_majority = majority_rate(task.valid);
  const double test_majority = majority_rate(task.test.at("en"));
  CHECK(valid_majority < 10.0);  // near-balanced classes: the bound below is far from trivial

  const std::string data = xlm::test::pretrain_data_dir();
  const auto dictionary = xlm::text::Dictionary::from_vocab_file(data + "/vocab");
  xlm::nn::TransformerConfig model_config;
  model_config.n_words = dictionary.size();
  model_config.emb_dim = 32;
  model_config.n_layers = 1;
  model_config.n_heads = 4;
  model_config.n_langs = 3;
  model_config.id2lang = {"de", "en", "fr"};
  model_config.dropout = 0;
  model_config.attention_dropout = 0;
  const uint64_t seed = 1;
  xlm::nn::TransformerModel model(model_config, seed + 10);
  const std::string model_dir =
      (fs::temp_directory_path() / ("xlm-finetune-heldout-" + std::to_string(::getpid()))).string();
  fs::remove_all(model_dir);
  xlm::nn::save_model_dir(model_dir, model, data + "/vocab", data + "/codes");

  xlm::tasks::FinetuneConfig config;
  config.model_path = model_dir;
  config.task = "topics";
  config.data_path = folder;
  config.optimizer_e = "adam,lr=0.003";
  config.optimizer_p = "adam,lr=0.01";
  config.dropout = 0.1;
  config.batch_size = 8;
  config.n_epochs = 12;
  config.max_len = 32;
  config.device = xlm::test::task_device();
  config.seed = seed;
  std::ostringstream log;
  const auto results = xlm::tasks::run_finetune(config, task, log);
  INFO(log.str());
  fs::remove_all(model_dir);

  // The best epoch is picked on valid, so its valid accuracy is a maximum over
  // 12 epochs; test.en at that epoch is untouched by the choice. Measured over
  // seeds 1-8 (docs/tasks.md): valid 22.6-29.2%, test.en 24.0-29.2%, against
  // bounds of 15.5% and 15.4% (13 classes of 32-35 descriptions each).
  const auto& best = results.at("best");
  const double valid_acc = best.at("valid_en_acc").get<double>();
  const auto& test = best.at("test_acc");
  REQUIRE(test.size() == 3);  // en, and fr, de zero-shot (not asserted: a fresh model is not cross-lingual)
  const double test_en = test.at("en").get<double>();
  INFO("valid " << valid_acc << "% test.en " << test_en << "% (majority " << valid_majority << "%, "
                << test_majority << "%), fr " << test.at("fr").get<double>() << "%, de "
                << test.at("de").get<double>() << "%");
  CHECK(valid_acc >= 2 * valid_majority);
  CHECK(test_en >= 2 * test_majority);
}
