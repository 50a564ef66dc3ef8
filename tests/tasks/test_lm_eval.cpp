// `xlm eval` must print the numbers `xlm train` prints for the same model and
// data (it shares evaluate_lm; this checks that the reload, the languages
// from params.json and the data options line up), a random model's
// perplexity must be about the vocabulary size (a uniform guess), and bad
// paths must be named in the error.
#include "core/error.h"
#include "nn/model_dir.h"
#include "pretrain_fixture.h"
#include "run_helpers.h"
#include "support.h"
#include "tasks/lmeval/lm_eval.h"
#include "tasks/pretrain/trainer.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

std::string scratch(const std::string& name) { return xlm::test::scratch_dir("lmeval-" + name); }

xlm::tasks::TrainConfig tiny_config(const std::string& dump) {
  xlm::tasks::TrainConfig c;
  c.dump_path = dump;
  c.exp_name = "tiny";
  c.exp_id = "run";
  c.data_path = xlm::test::pretrain_data_dir();
  c.lgs = "en-fr";
  c.clm_steps = "fr";
  c.mlm_steps = "en,fr,en-fr";
  c.emb_dim = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.bptt = 32;
  c.batch_size = 8;
  c.device = xlm::test::task_device();
  c.log_every = 1000;
  return c;
}

xlm::tasks::LmEvalOptions eval_options(const std::string& model_dir) {
  xlm::tasks::LmEvalOptions o;
  o.model_dir = model_dir;
  o.data_path = xlm::test::pretrain_data_dir();
  o.bptt = 32;
  o.batch_size = 8;
  o.device = xlm::test::task_device();
  return o;
}

}  // namespace

TEST_CASE("xlm eval scores equal the trainer's evaluation exactly", "[tasks][lmeval]") {
  const std::string dump = scratch("equal");
  const std::string data = xlm::test::pretrain_data_dir();
  xlm::tasks::Trainer trainer(tiny_config(dump));
  const xlm::tasks::Scores expected = trainer.evaluate();
  const std::string model_dir = dump + "/model";
  xlm::nn::save_model_dir(model_dir, trainer.model(), data + "/vocab", data + "/codes");

  xlm::tasks::LmEvalOptions options = eval_options(model_dir);
  options.clm_steps = "fr";
  options.mlm_steps = "en,fr,en-fr";
  const xlm::tasks::LmEvalResult result = xlm::tasks::run_lm_eval(options);
  REQUIRE(result.steps.size() == 4);
  REQUIRE(result.scores.size() == expected.size());
  for (const auto& [name, value] : expected) {
    INFO(name);
    REQUIRE(result.scores.count(name) == 1);
    CHECK(result.scores.at(name) == value);
  }

  // A freshly initialised model predicts nearly uniformly: perplexity near |V|
  // (tied output embeddings give logits of variance about 1: about |V| * e^(1/2)).
  const double n_words = static_cast<double>(xlm::text::Dictionary::from_vocab_file(data + "/vocab").size());
  for (const char* name : {"valid_en_mlm_ppl", "test_fr_mlm_ppl", "valid_fr_clm_ppl", "test_en-fr_mlm_ppl"}) {
    INFO(name << " = " << result.scores.at(name) << ", |V| = " << n_words);
    CHECK(result.scores.at(name) > 0.7 * n_words);
    CHECK(result.scores.at(name) < 2.0 * n_words);
  }

  // The command with its defaults: MLM on every model language with data
  // (the model was trained with MLM steps), the same numbers in its JSON.
  const std::string json = dump + "/scores.json";
  const std::string cmd = fmt::format("{} eval --reload_model {} --data_path {} --bptt 32 --device cpu --json {} > {} 2>&1",
                                      XLM_BINARY, model_dir, data, json, dump + "/eval.log");
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  CHECK(j.at("steps") == nlohmann::json::array({"en_mlm", "fr_mlm"}));
  for (const char* name : {"valid_en_mlm_ppl", "valid_en_mlm_acc", "test_fr_mlm_ppl", "valid_mlm_ppl"}) {
    INFO(name);
    CHECK(j.at("scores").at(name).get<double>() == expected.at(name));
  }
  std::ifstream log(dump + "/eval.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text.find(fmt::format("valid_en_mlm_ppl {:.6f}\n", expected.at("valid_en_mlm_ppl"))) != std::string::npos);
  CHECK(text.find("fr_mlm") != std::string::npos);
  fs::remove_all(dump);
}

TEST_CASE("xlm eval names the missing model folder and the missing data file", "[tasks][lmeval]") {
  const std::string dir = scratch("errors");
  const std::string data = xlm::test::pretrain_data_dir();
  REQUIRE_THROWS_WITH(xlm::tasks::run_lm_eval(eval_options(dir + "/nowhere")),
                      Catch::Contains(dir + "/nowhere") && Catch::Contains("--reload_model"));

  // A model that knows German, but the data folder has no German files.
  const auto dictionary = xlm::text::Dictionary::from_vocab_file(data + "/vocab");
  xlm::nn::TransformerConfig config;
  config.n_words = dictionary.size();
  config.emb_dim = 16;
  config.n_layers = 1;
  config.n_heads = 2;
  config.n_langs = 3;
  config.id2lang = {"de", "en", "fr"};
  xlm::nn::TransformerModel model(config, 3);
  xlm::nn::save_model_dir(dir + "/model", model, data + "/vocab", data + "/codes");
  xlm::tasks::LmEvalOptions options = eval_options(dir + "/model");
  options.mlm_steps = "de";
  REQUIRE_THROWS_AS(xlm::tasks::run_lm_eval(options), xlm::ConfigError);
  REQUIRE_THROWS_WITH(xlm::tasks::run_lm_eval(options), Catch::Contains(data) && Catch::Contains("train.de.xbin"));
  options.mlm_steps = "it";
  REQUIRE_THROWS_WITH(xlm::tasks::run_lm_eval(options), Catch::Contains("it"));
  // By default German is skipped: only the languages with data are scored.
  options.mlm_steps = "";
  options.splits = {"valid"};
  const auto result = xlm::tasks::run_lm_eval(options);
  REQUIRE(result.steps.size() == 2);
  CHECK(result.steps[0].metric_key() == "en_mlm");
  CHECK(result.steps[1].metric_key() == "fr_mlm");
  CHECK(result.scores.count("valid_fr_mlm_ppl") == 1);
  CHECK(result.scores.count("test_fr_mlm_ppl") == 0);
  CHECK(xlm::tasks::default_lm_steps({"de", "en"}, data) == "en");
  REQUIRE_THROWS_WITH(xlm::tasks::default_lm_steps({"de"}, data), Catch::Contains(data));
  fs::remove_all(dir);
}
