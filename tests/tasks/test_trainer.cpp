// End-to-end checks of `xlm train` on the committed real corpus sample:
// the CLM, MLM and TLM losses fall well below their starting values; a run
// interrupted after an epoch and resumed in a new process reproduces the
// uninterrupted run bit for bit; bad reload paths and flags are refused.
#include "core/error.h"
#include "pretrain_fixture.h"
#include "run_helpers.h"
#include "support.h"
#include "tasks/pretrain/trainer.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using xlm::test::run_xlm;
using xlm::test::slurp;
using xlm::test::train_records;

std::string scratch_dump(const std::string& name) { return xlm::test::scratch_dir("trainer-" + name); }

xlm::tasks::TrainConfig tiny_config(const std::string& dump) {
  xlm::tasks::TrainConfig c;
  c.dump_path = dump;
  c.exp_name = "tiny";
  c.exp_id = "run";
  c.data_path = xlm::test::pretrain_data_dir();
  c.lgs = "en-fr";
  c.emb_dim = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.bptt = 32;
  c.batch_size = 8;
  c.optimizer = "adam,lr=0.003";
  c.device = xlm::test::task_device();
  c.log_every = 1000;
  return c;
}

double mean(const std::vector<float>& v, size_t begin, size_t end) {
  return std::accumulate(v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(end), 0.0) /
         static_cast<double>(end - begin);
}

}  // namespace

TEST_CASE("training on real text lowers the CLM, MLM and TLM losses", "[tasks][train]") {
  const std::string dump = scratch_dump("loss");
  auto config = tiny_config(dump);
  config.emb_dim = 64;
  config.batch_size = 16;
  config.optimizer = "adam_inverse_sqrt,lr=0.005,warmup_updates=100,beta2=0.98";
  config.clm_steps = "fr";
  config.mlm_steps = "en,en-fr";
  config.epoch_size = 3 * 16 * 200;  // 200 iterations of 3 steps of 16 sentences
  config.max_epoch = 1;
  xlm::tasks::Trainer trainer(config);
  const auto scores = trainer.run();
  const auto& history = trainer.loss_history();
  for (const char* name : {"clm_fr", "mlm_en", "mlm_en-fr"}) {
    INFO(name);
    REQUIRE(history.count(name) == 1);
    const auto& losses = history.at(name);
    REQUIRE(losses.size() == 200);
    const double first = mean(losses, 0, 5);
    const double last = mean(losses, losses.size() - 20, losses.size());
    CHECK(first > 6.0);         // about ln(vocabulary size) = ln(590) at initialisation
    CHECK(last < first - 1.0);  // perplexity down by more than e (MLM learns slowest; CLM falls further)
  }
  CHECK(mean(history.at("clm_fr"), 180, 200) < 4.5);
  // Validation uses XLM's metric names, and perplexity is exp(loss): finite, above 1.
  for (const char* key : {"valid_fr_clm_ppl", "valid_en_mlm_ppl", "valid_en-fr_mlm_ppl", "valid_mlm_ppl",
                          "valid_clm_ppl", "test_en_mlm_acc", "test_fr_clm_acc"}) {
    INFO(key);
    REQUIRE(scores.count(key) == 1);
    CHECK(std::isfinite(scores.at(key)));
  }
  CHECK(scores.at("valid_en_mlm_ppl") > 1.0);
  fs::remove_all(dump);
}

TEST_CASE("a resumed run reproduces the uninterrupted one bit for bit", "[tasks][train][resume]") {
  const std::string dump = scratch_dump("resume");
  const std::string common = fmt::format(
      "train --dump_path {} --exp_name resume --data_path {} --lgs en-fr --clm_steps fr --mlm_steps en,en-fr "
      "--emb_dim 16 --n_layers 2 --n_heads 2 --bptt 16 --batch_size 4 --dropout 0.1 --attention_dropout 0.1 "
      "--optimizer adam_inverse_sqrt,lr=0.002,warmup_updates=10 --epoch_size 120 --log_every 1 --device cpu "
      "--sample_alpha 0.5 --lg_sampling_factor 0.7",
      dump, xlm::test::pretrain_data_dir());
  REQUIRE(run_xlm(common + " --exp_id straight --max_epoch 2", dump + "-straight.log") == 0);
  // The interrupted run names no --exp_id: the default id ignores --max_epoch, so raising it
  // and rerunning the command resumes the same run folder.
  REQUIRE(run_xlm(common + " --max_epoch 1", dump + "-first.log") == 0);
  REQUIRE(run_xlm(common + " --max_epoch 2", dump + "-second.log") == 0);
  CHECK(slurp(dump + "-second.log").find("resumed at epoch 1") != std::string::npos);

  const std::string straight = dump + "/resume/straight";
  std::vector<std::string> runs;
  for (const auto& e : fs::directory_iterator(dump + "/resume")) runs.push_back(e.path().filename().string());
  REQUIRE(runs.size() == 2);  // "straight" and the default id, shared by both halves
  const std::string split = dump + "/resume/" + (runs[0] == "straight" ? runs[1] : runs[0]);
  const auto a = train_records(straight);
  const auto b = train_records(split);
  REQUIRE(a.size() == 20);
  REQUIRE(a == b);  // every logged loss, lr and gradient norm, bit for bit
  const auto last = [](const std::string& run) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(run + "/checkpoints")) names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    return names.back() + "/model/model.safetensors";
  };
  const std::string wa = slurp(last(straight)), wb = slurp(last(split));
  REQUIRE(!wa.empty());
  CHECK(wa == wb);  // identical parameters
  fs::remove_all(dump);
  for (const char* log : {"-straight.log", "-first.log", "-second.log"}) fs::remove(dump + log);
}

TEST_CASE("xlm train refuses bad reload paths and inconsistent flags", "[tasks][train]") {
  const std::string dump = scratch_dump("errors");
  auto config = tiny_config(dump);
  config.mlm_steps = "en";
  config.reload_checkpoint = dump + "/does-not-exist";
  XLM_CHECK_THROWS(xlm::tasks::Trainer{config}, xlm::ConfigError, "--reload_checkpoint", "no such folder");
  config.reload_checkpoint.clear();
  config.reload_model = dump + "/no-model";
  XLM_CHECK_THROWS(xlm::tasks::Trainer{config}, xlm::ConfigError, "--reload_model", "no such folder");
  config.reload_model.clear();
  config.emb_dim = 30;
  XLM_CHECK_THROWS(config.validate(), xlm::ConfigError, "--emb_dim 30", "--n_heads 4");
  config.emb_dim = 32;
  config.mlm_steps = "en,de";
  XLM_CHECK_THROWS(xlm::tasks::Trainer{config}, xlm::ConfigError, "--mlm_steps");
  config.mlm_steps = "en";
  config.clm_steps = "en,es";
  XLM_CHECK_THROWS(xlm::tasks::Trainer{config}, xlm::ConfigError, "--clm_steps");
  config.clm_steps.clear();
  config.fp16 = true;
  XLM_CHECK_THROWS(config.validate(), xlm::ConfigError, "--fp16");
  config.fp16 = false;
  config.data_path = dump + "/nowhere";
  XLM_CHECK_THROWS(config.validate(), xlm::ConfigError, "--data_path", "no such directory");

  // Unknown flags are refused by the command line parser with one line and a non-zero status.
  const std::string log = dump + "-flags.log";
  CHECK(run_xlm("train --exp_name x --no_such_flag 3", log) != 0);
  CHECK(slurp(log).find("no_such_flag") != std::string::npos);
  fs::remove(log);
  fs::remove_all(dump);
}
