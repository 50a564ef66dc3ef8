// `xlm train` with mixed precision, on the CPU through the hidden test mode
// (--precision_test f32_f64: f32 model, f64 master weights, dynamic loss
// scaling; docs/numerics.md): an injected inf gradient shows up in
// metrics.jsonl as a halved loss scale, one overflow and one skipped step,
// with the lr and update count held back by exactly that step; the mode
// lowers the loss like fp32; a run interrupted and resumed in new processes
// reproduces the uninterrupted one bit for bit (scale, masters, moments);
// and the precision flags are refused with one line naming the flag.
#include "core/error.h"
#include "core/safetensors.h"
#include "mt_fixture.h"
#include "pretrain_fixture.h"
#include "run_helpers.h"
#include "support.h"
#include "tasks/pretrain/trainer.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>

namespace {

namespace fs = std::filesystem;
using xlm::test::run_xlm;
using xlm::test::slurp;
using xlm::test::last_checkpoint;
using xlm::test::train_records;

constexpr const char* kInject = "XLM_TEST_INJECT_INF_AT_STEP";

xlm::tasks::TrainConfig tiny_config(const std::string& dump) {
  xlm::tasks::TrainConfig c;
  c.dump_path = dump;
  c.exp_name = "precision";
  c.exp_id = "run";
  c.data_path = xlm::test::pretrain_data_dir();
  c.lgs = "en-fr";
  c.emb_dim = 32;
  c.n_layers = 1;
  c.n_heads = 4;
  c.bptt = 32;
  c.batch_size = 8;
  c.optimizer = "adam_inverse_sqrt,lr=0.005,warmup_updates=20";
  c.device = xlm::test::task_device();
  c.max_epoch = 1;
  return c;
}

double mean(const std::vector<float>& v, size_t begin, size_t end) {
  return std::accumulate(v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(end), 0.0) /
         static_cast<double>(end - begin);
}

}  // namespace

TEST_CASE("an overflow in xlm train skips one step and is logged", "[tasks][train][precision]") {
  const std::string dump = xlm::test::scratch_dir("precision-overflow");
  auto config = tiny_config(dump);
  config.mlm_steps = "en";
  config.epoch_size = 8 * 8;  // 8 iterations of one step
  config.log_every = 1;
  config.precision_test = "f32_f64";
  config.init_loss_scale = 1024;
  config.loss_scale_window = 3;
  ::setenv(kInject, "3", 1);
  xlm::tasks::Trainer trainer(config);
  ::unsetenv(kInject);
  trainer.run();
  CHECK(trainer.optimizer().n_updates() == 7);
  const auto records = train_records(trainer.run_dir());
  REQUIRE(records.size() == 8);
  const std::vector<double> scales{1024, 1024, 512, 512, 512, 1024, 1024, 1024};
  for (size_t i = 0; i < records.size(); ++i) {
    INFO("step " << i + 1);
    CHECK(records[i].at("loss_scale").get<double>() == scales[i]);
    CHECK(records[i].at("overflows").get<double>() == (i < 2 ? 0 : 1));
    CHECK(records[i].at("skipped_steps").get<double>() == (i < 2 ? 0 : 1));
  }
  // The skipped step leaves the lr (a function of the update count) and the logged norm as they were.
  CHECK(records[2].at("lr") == records[1].at("lr"));
  CHECK(records[2].at("gnorm") == records[1].at("gnorm"));
  CHECK(records[3].at("lr").get<double>() > records[2].at("lr").get<double>());  // warmup goes on
  // The checkpoint holds the scaler state and the f64 masters; the model folder holds f32.
  const std::string checkpoint = last_checkpoint(trainer.run_dir());
  const auto masters = xlm::load_safetensors(checkpoint + "/master.safetensors");
  REQUIRE(masters.tensors.count("embeddings.weight") == 1);
  CHECK(masters.tensors.at("embeddings.weight").dtype() == xlm::DType::f64);
  const auto model = xlm::load_safetensors(checkpoint + "/model/model.safetensors");
  CHECK(model.tensors.at("embeddings.weight").dtype() == xlm::DType::f32);
  const std::string state = slurp(checkpoint + "/trainer.json");
  CHECK(state.find("\"loss_scaler\"") != std::string::npos);
  CHECK(state.find("\"skipped_steps\": 1") != std::string::npos);
  // The checkpoint goes on in fp32 (e.g. on a machine without a GPU): the f32 model folder and the
  // moments load, the masters and the scale are not needed.
  auto fp32 = config;
  fp32.precision_test.clear();
  fp32.exp_id = "fp32";
  fp32.max_epoch = 2;
  fp32.reload_checkpoint = checkpoint;
  xlm::tasks::Trainer resumed(fp32);
  CHECK(resumed.epoch() == 1);
  CHECK(resumed.optimizer().n_updates() == 7);
  resumed.run();
  CHECK(resumed.optimizer().n_updates() == 15);
  fs::remove_all(dump);
}

TEST_CASE("f32 model with f64 master weights learns like fp32", "[tasks][train][precision]") {
  const std::string dump = xlm::test::scratch_dir("precision-loss");
  auto config = tiny_config(dump);
  config.clm_steps = "fr";
  config.epoch_size = 8 * 60;  // 60 iterations of one step
  config.log_every = 1000;
  config.exp_id = "fp32";
  xlm::tasks::Trainer fp32(config);
  fp32.run();
  config.exp_id = "mixed";
  config.precision_test = "f32_f64";
  xlm::tasks::Trainer mixed(config);
  mixed.run();
  const auto& a = fp32.loss_history().at("clm_fr");
  const auto& b = mixed.loss_history().at("clm_fr");
  REQUIRE(a.size() == 60);
  REQUIRE(b.size() == 60);
  CHECK(b[0] == a[0]);  // the same initial model: the masters are exact copies
  const double first = mean(b, 0, 5), last = mean(b, 50, 60);
  CHECK(first > 6.0);
  CHECK(last < first - 1.0);
  // Same steps up to f32 rounding of the update (the f64 masters keep bits the f32 run drops).
  CHECK(std::abs(last - mean(a, 50, 60)) < 0.05);
  fs::remove_all(dump);
}

TEST_CASE("a mixed-precision run resumes bit for bit across processes", "[tasks][train][resume][precision]") {
  const std::string dump = xlm::test::scratch_dir("precision-resume");
  const std::string common = fmt::format(
      "train --dump_path {} --exp_name resume --data_path {} --lgs en-fr --clm_steps fr --mlm_steps en "
      "--emb_dim 16 --n_layers 1 --n_heads 2 --bptt 16 --batch_size 4 --dropout 0.1 "
      "--optimizer adam_inverse_sqrt,lr=0.002,warmup_updates=10 --epoch_size 48 --log_every 1 --device cpu "
      "--precision_test f32_f64 --init_loss_scale 4096 --loss_scale_window 4",
      dump, xlm::test::pretrain_data_dir());
  ::setenv(kInject, "5", 1);  // an overflow in the first epoch; its effects carry over the resume
  REQUIRE(run_xlm(common + " --exp_id straight --max_epoch 2", dump + "-straight.log") == 0);
  REQUIRE(run_xlm(common + " --exp_id split --max_epoch 1", dump + "-first.log") == 0);
  REQUIRE(run_xlm(common + " --exp_id split --max_epoch 2", dump + "-second.log") == 0);
  ::unsetenv(kInject);
  CHECK(slurp(dump + "-second.log").find("resumed at epoch 1") != std::string::npos);
  const auto a = train_records(dump + "/resume/straight");
  const auto b = train_records(dump + "/resume/split");
  REQUIRE(a.size() == 12);
  REQUIRE(a == b);  // losses, lr, norms, loss scale and counters, bit for bit
  CHECK(a.back().at("skipped_steps").get<double>() == 1);
  CHECK(a.back().at("loss_scale").get<double>() > 2048);  // backed off once, then grown again
  for (const char* file : {"/master.safetensors", "/optimizer.safetensors", "/model/model.safetensors"}) {
    INFO(file);
    const std::string wa = slurp(last_checkpoint(dump + "/resume/straight") + file);
    REQUIRE(!wa.empty());
    CHECK(wa == slurp(last_checkpoint(dump + "/resume/split") + file));
  }
  fs::remove_all(dump);
  for (const char* log : {"-straight.log", "-first.log", "-second.log"}) fs::remove(dump + log);
}

TEST_CASE("an encoder-decoder run keeps one master per model and resumes bit for bit", "[tasks][train][mt][resume][precision]") {
  const std::string dump = xlm::test::scratch_dir("precision-mt-resume");
  const std::string common = fmt::format(
      "train --dump_path {} --exp_name resume --data_path {} --lgs en-fr --encoder_only false --mt_steps en-fr "
      "--ae_steps en --word_dropout 0.1 --emb_dim 16 --n_layers 1 --n_heads 2 --batch_size 4 --dropout 0.1 "
      "--optimizer adam_inverse_sqrt,lr=0.002,warmup_updates=10 --epoch_size 32 --log_every 1 --device cpu "
      "--precision_test f32_f64 --init_loss_scale 256 --loss_scale_window 2",
      dump, xlm::test::mt_data_dir().path);
  ::setenv(kInject, "2", 1);
  REQUIRE(run_xlm(common + " --exp_id straight --max_epoch 2", dump + "-straight.log") == 0);
  REQUIRE(run_xlm(common + " --exp_id split --max_epoch 1", dump + "-first.log") == 0);
  REQUIRE(run_xlm(common + " --exp_id split --max_epoch 2", dump + "-second.log") == 0);
  ::unsetenv(kInject);
  const auto a = train_records(dump + "/resume/straight");
  REQUIRE(a.size() == 8);
  REQUIRE(a == train_records(dump + "/resume/split"));
  CHECK(a.back().at("skipped_steps").get<double>() == 1);
  const std::string checkpoint = last_checkpoint(dump + "/resume/straight");
  const auto masters = xlm::load_safetensors(checkpoint + "/master.safetensors");
  for (const char* name : {"encoder.embeddings.weight", "decoder.embeddings.weight"}) {
    INFO(name);
    REQUIRE(masters.tensors.count(name) == 1);
    CHECK(masters.tensors.at(name).dtype() == xlm::DType::f64);
  }
  CHECK(slurp(checkpoint + "/master.safetensors") ==
        slurp(last_checkpoint(dump + "/resume/split") + "/master.safetensors"));
  fs::remove_all(dump);
  for (const char* log : {"-straight.log", "-first.log", "-second.log"}) fs::remove(dump + log);
}

TEST_CASE("xlm train refuses contradictory precision flags", "[tasks][train][precision]") {
  const std::string dump = xlm::test::scratch_dir("precision-flags");
  auto c = tiny_config(dump);
  c.mlm_steps = "en";
  c.fp16 = true;
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--fp16 true needs --amp 1 or 2");
  c.amp = 3;
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--amp 3");
  c.amp = 2;  // a valid fp16 request, but the CPU has no f16 ops
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--precision fp16", "GPU");
  c.precision = "bf16";
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--precision bf16 contradicts --fp16 true --amp 2");
  c.fp16 = false;
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--amp 2", "needs --fp16 true");
  c.amp = -1;
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--precision bf16", "GPU");
  c.precision = "fp8";
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--precision", "fp8");
  c.precision = "fp32";
  c.validate();
  c.loss_scale = "dynamic";
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--loss_scale dynamic", "fp16 only");
  c.loss_scale = "off";
  c.validate();
  c.precision.clear();
  c.loss_scale = "sometimes";
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--loss_scale", "sometimes");
  c.loss_scale.clear();
  c.precision_test = "f16_f32";
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--precision_test f16_f32");
  c.precision_test = "f32_f64";
  c.validate();
  c.precision = "fp32";
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--precision_test f32_f64 replaces --precision");
  c.precision.clear();
  c.init_loss_scale = 0;
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--init_loss_scale 0");
  c.init_loss_scale = 8;
  c.loss_scale_window = 0;
  XLM_CHECK_THROWS(c.validate(), xlm::ConfigError, "--loss_scale_window 0");

  // ZeRO-1 shards the master weights with the moments: every mode is accepted.
  c.loss_scale_window = 2000;
  c.zero1 = true;
  CHECK_NOTHROW(c.validate());
  c.zero1 = false;

  // Through the command line: one line naming the flag, a non-zero status.
  const std::string log = dump + "-flags.log";
  CHECK(run_xlm(fmt::format("train --exp_name x --data_path {} --lgs en --mlm_steps en --device cpu --precision bf16",
                            xlm::test::pretrain_data_dir()),
                log) != 0);
  const std::string out = slurp(log);
  CHECK(out.find("--precision bf16") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  fs::remove(log);
  fs::remove_all(dump);
}

TEST_CASE("the training line prints the loss scale and the overflow counts", "[tasks][train][precision]") {
  CHECK(xlm::tasks::format_train_line(3, {{"mlm_en", 1.0}, {"lr", 1e-4}, {"loss_scale", 32768.0}, {"overflows", 2.0},
                                          {"skipped_steps", 2.0}}) ==
        "step 3 | mlm_en 1.0000 | lr 1.00e-04 | scale 32768 | overflows 2 | skipped 2\n");
}
