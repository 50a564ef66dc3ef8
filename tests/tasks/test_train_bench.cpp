// `xlm bench train` (issue 9): the FLOP count behind its MFU against a count
// by hand, the random batches it trains on, a tiny run through the API, the
// --dump_start files, and the command's four output lines on the tiny shape.
#include "core/error.h"
#include "core/op_profile.h"
#include "core/safetensors.h"
#include "nn/tiny_model.h"
#include "nn/transformer.h"
#include "objectives/lm_batch.h"
#include "support.h"
#include "tasks/bench/random_batches.h"
#include "tasks/bench/train_bench.h"
#include "tasks/pretrain/throughput.h"
#include "text/dictionary.h"
#include "text/shuffle.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

using namespace xlm;

TEST_CASE("training_flops matches a count by hand", "[bench][flops]") {
  nn::TransformerConfig c;
  c.n_layers = 2;
  c.emb_dim = 8;
  c.n_words = 100;
  // 3 rows x 5 tokens, 4 predicted. Forward, per token and layer:
  //   q, k, v, out projections   4 x (2 x 8 x 8)      =  512
  //   FFN 8 -> 32 -> 8            2 x (2 x 8 x 32)     = 1024
  //   scores QK^T over 5 keys     2 x 5 x 8            =   80
  //   weights x V                 2 x 5 x 8            =   80
  //   => 1696 x 15 tokens x 2 layers                   = 50880
  // output layer on the 4 predicted rows: 4 x 2 x 8 x 100 = 6400
  // training = 3 x forward (backward: two GEMMs per forward GEMM) = 3 x 57280
  CHECK(tasks::training_flops(c, 3, 5, 4) == 171840.0);
  // Predicting nothing drops exactly the output layer.
  CHECK(tasks::training_flops(c, 3, 5, 0) == 3.0 * 50880.0);
}

TEST_CASE("random bench batches: real words, XLM's layout, about word_pred predicted", "[bench]") {
  objectives::MaskingOptions masking;
  masking.n_words = 50;
  text::SplitMix64 rng(7);
  const objectives::LmBatch mlm = tasks::random_mlm_batch(8, 32, 1, 3, masking, rng);
  REQUIRE(mlm.words.shape() == Shape{8, 32});
  CHECK(mlm.langs.to_vector<int64_t>() == std::vector<int64_t>(8 * 32, 1));
  const auto n = objectives::n_predicted(mlm);
  CHECK(n > 8 * 32 * 0.15 * 0.5);
  CHECK(n < 8 * 32 * 0.15 * 1.5);
  for (int64_t t : mlm.targets.to_vector<int64_t>()) {
    CHECK(t >= text::kFirstWordIndex);
    CHECK(t < 50);
  }

  const objectives::LmBatch tlm = tasks::random_tlm_batch(4, 11, 0, 2, masking, rng);
  REQUIRE(tlm.words.shape() == Shape{4, 11});  // 5 + 6 tokens
  const std::vector<int64_t> pos = tlm.positions.to_vector<int64_t>();
  const std::vector<int64_t> langs = tlm.langs.to_vector<int64_t>();
  CHECK(std::vector<int64_t>(pos.begin(), pos.begin() + 11) == std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5});
  CHECK(std::vector<int64_t>(langs.begin(), langs.begin() + 11) ==
        std::vector<int64_t>{0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2});
  CHECK(tlm.lengths.to_vector<int64_t>() == std::vector<int64_t>(4, 11));
  for (int64_t i : tlm.pred_index.to_vector<int64_t>()) {  // never a </s>
    const int64_t t = i % 11;
    CHECK(t != 0);
    CHECK(t != 4);
    CHECK(t != 5);
    CHECK(t != 10);
  }
}

namespace {

// The tiny preset at a unit test's size: 60 words, 16 dims, 2 heads, 1 layer, 4 x 12 tokens a step.
tasks::TrainBenchConfig small_config(const std::string& device) {
  tasks::TrainBenchConfig c = tasks::train_bench_preset("tiny");
  c.device = device;
  c.n_words = 60;
  c.emb_dim = 16;
  c.n_heads = 2;
  c.n_layers = 1;
  c.batch_size = 4;
  c.bptt = 12;
  c.warmup = 1;
  return c;
}

}  // namespace

TEST_CASE("run_train_bench times MLM+TLM steps and reports consistent figures", "[bench]") {
  tasks::TrainBenchConfig c = small_config(xlm::test::task_device());
  c.n_langs = 3;
  c.tlm = true;
  c.steps = 3;
  const tasks::TrainBenchResult r = tasks::run_train_bench(c);
  CHECK(r.device == xlm::test::task_device());
  CHECK(r.precision == "fp32");
  CHECK(r.steps == 3);
  CHECK(r.tokens_per_step == 4.0 * 12.0);  // MLM and TLM rows are both bptt long
  CHECK(r.tokens_per_s == Approx(r.tokens_per_step * 3 / r.seconds));
  CHECK(r.ms_per_step == Approx(1000.0 * r.seconds / 3));
  // Between the FLOPs of predicting nothing and predicting every token.
  CHECK(r.flops_per_step > tasks::training_flops(c.model_config(), 4, 12, 0));
  CHECK(r.flops_per_step < tasks::training_flops(c.model_config(), 4, 12, 48));
  CHECK(r.mfu > 0.0);
  CHECK(r.mfu < 1.0);
  CHECK(r.peak_memory_mib > 1.0);
  CHECK(std::isfinite(r.last_loss));
  CHECK(r.last_loss == Approx(std::log(60.0 - 14.0)).margin(1.0));  // near uniform over the real words
  CHECK(r.parameters == tasks::count_parameters(nn::TransformerModel(c.model_config(), 0)));
}

TEST_CASE("bench train on the stand-in device cpu:1: the host probe finds a step without a read back", "[bench]") {
  // cpu:1 moves every batch to a device of its own (core/device.h): a step
  // that copied anything back would make the probe report n/a, as on a GPU.
  tasks::TrainBenchConfig c = small_config("cpu:1");
  c.steps = 2;
  const tasks::TrainBenchResult r = tasks::run_train_bench(c);
  CHECK(r.device == "cpu:1");
  REQUIRE(r.ms_per_step_host.has_value());
  CHECK(*r.ms_per_step_host > 0.0);
  REQUIRE(r.ms_per_step_queued.has_value());  // the stand-in's kernels run as they are enqueued
  CHECK(*r.ms_per_step_queued < *r.ms_per_step_host);
  const std::string text = tasks::format_train_bench(r);
  CHECK(text.find(fmt::format("\nhost ms/step: {:.2f}\nqueued ms/step: {:.2f}\n", *r.ms_per_step_host,
                              *r.ms_per_step_queued)) != std::string::npos);
}

TEST_CASE("bench train's host probe lines: figures, or n/a when a step waited for the device", "[bench]") {
  tasks::TrainBenchResult r;
  CHECK(tasks::format_train_bench(r).find("ms/step: ") != std::string::npos);
  CHECK(tasks::format_train_bench(r).find("host ms/step") == std::string::npos);  // not probed: no lines
  r.host_probed = true;
  CHECK(tasks::format_train_bench(r).find("\nhost ms/step: n/a (a step waits for the device)\n"
                                          "queued ms/step: n/a (a step waits for the device)\n") != std::string::npos);
  r.ms_per_step_host = 1.234;
  r.ms_per_step_queued = 20.5;
  const std::string text = tasks::format_train_bench(r);
  CHECK(text.substr(text.size() - 41) == "host ms/step: 1.23\nqueued ms/step: 20.50\n");
}

TEST_CASE("bench train --profile: every backend call of a step, by model region", "[bench][profile]") {
  tasks::TrainBenchConfig c = small_config(xlm::test::task_device());
  c.n_langs = 2;  // language embeddings: three lookups in the input block
  c.n_layers = 2;
  c.steps = 1;
  c.profile = 3;
  const tasks::TrainBenchResult r = tasks::run_train_bench(c);
  REQUIRE(r.profile_steps == 3);
  auto calls = [&](const std::string& region, profile::Phase phase, const std::string& call) -> int64_t {
    for (const profile::Row& row : r.profile)
      if (row.region == region && row.phase == phase && row.call == call) return row.calls;
    return 0;
  };
  using profile::Phase;
  // Per step: word, position and language lookups, then one layer norm.
  CHECK(calls("input_block", Phase::forward, "embedding_forward") == 3 * 3);
  CHECK(calls("input_block", Phase::backward, "embedding_backward") == 3 * 3);
  CHECK(calls("input_block", Phase::forward, "layer_norm_forward") == 3);
  CHECK(calls("input_block", Phase::backward, "layer_norm_backward") == 3);
  // Per layer: one attention, two residual layer norms (fused kernels).
  CHECK(calls("attention", Phase::forward, "attention_forward") == 2 * 3);
  CHECK(calls("attention", Phase::backward, "attention_backward") == 2 * 3);
  CHECK(calls("residual_norm", Phase::forward, "residual_layer_norm_forward") == 2 * 2 * 3);
  CHECK(calls("loss", Phase::forward, "cross_entropy_forward") == 3);
  CHECK(calls("loss", Phase::backward, "cross_entropy_backward") == 3);
  CHECK(calls("optimizer", Phase::update, "adam_update_multi") >= 3);
  double total = 0;
  std::set<std::string> regions;
  for (const profile::Row& row : r.profile) {
    CHECK(row.seconds >= 0.0);
    total += row.seconds;
    regions.insert(row.region);
  }
  CHECK(total <= r.profile_seconds);  // calls on one thread, inside the profiled interval
  // Every call of an fp32 step is in a named region (none in "other").
  CHECK(regions == std::set<std::string>{"input_block", "attention", "ffn", "residual_norm", "output", "loss",
                                         "optimizer"});
  const std::string text = tasks::format_profile(r);
  INFO(text);
  CHECK(std::regex_search(text, std::regex("^profile: 3 steps, [0-9.]+ ms/step profiled \\([0-9.]+ timed\\); "
                                           "backend calls [0-9.]+ ms/step \\([0-9.]+% of a timed step\\)\n")));
  CHECK(std::regex_search(text, std::regex("\nprofile region: input_block forward [0-9.]+ ms, backward [0-9.]+ ms, "
                                           "update 0\\.000 ms \\([0-9.]+%\\)\n")));
  CHECK(text.find("profile call: input_block forward embedding_forward calls/step 3.00, ms/step ") !=
        std::string::npos);
  const nlohmann::json j = tasks::train_bench_json(c, r);
  CHECK(j["profile"]["steps"] == 3);
  CHECK(j["profile"]["rows"].size() == r.profile.size());
  // Not asked for: no rows, no lines.
  c.profile = 0;
  const tasks::TrainBenchResult plain = tasks::run_train_bench(c);
  CHECK(plain.profile.empty());
  CHECK(tasks::format_profile(plain).empty());
  c.profile = -1;
  XLM_CHECK_THROWS(c.validate(), ConfigError, "--profile -1");
  c.profile = 2;
  c.overlap = true;
  XLM_CHECK_THROWS(c.validate(), ConfigError, "--profile 2", "--overlap");
}

TEST_CASE("bench train dump_start writes the initial parameters and the batches the steps cycle through", "[bench]") {
  nntest::TempDir tmp;
  tasks::TrainBenchConfig c = tasks::train_bench_preset("tiny");
  c.device = "cpu";
  c.n_words = 40;
  c.emb_dim = 8;
  c.n_heads = 2;
  c.n_layers = 1;
  c.batch_size = 3;
  c.bptt = 10;
  c.steps = 1;
  c.warmup = 0;
  c.seed = 5;
  c.dump_start = tmp.file("first/step");  // parents are created
  tasks::run_train_bench(c);

  // The parameters before any update: those of a model built from the same seed.
  const SafetensorsContents model = load_safetensors(tmp.file("first/step/model.safetensors"));
  const nn::NamedTensors fresh = nn::TransformerModel(c.model_config(), c.seed).state_dict();
  REQUIRE(model.tensors.size() == fresh.size());
  for (const auto& [name, t] : fresh) {
    INFO(name);
    REQUIRE(model.tensors.count(name) == 1);
    CHECK(model.tensors.at(name).to_doubles() == t.to_doubles());
  }
  // The batches: the four the bench draws from its seed's data stream, in order.
  objectives::MaskingOptions masking;
  masking.n_words = c.n_words;
  text::SplitMix64 rng(text::derive_seed(c.seed, 2));
  for (int i = 0; i < 4; ++i) {
    INFO("batch " << i);
    const objectives::LmBatch want = tasks::random_mlm_batch(3, 10, 0, 1, masking, rng);
    const SafetensorsContents batch = load_safetensors(tmp.file("first/step/batch" + std::to_string(i) + ".safetensors"));
    CHECK(batch.tensors.size() == 4);  // one language: no langs, default positions
    CHECK(batch.tensors.at("words").to_vector<int64_t>() == want.words.to_vector<int64_t>());
    CHECK(batch.tensors.at("lengths").to_vector<int64_t>() == std::vector<int64_t>(3, 10));
    CHECK(batch.tensors.at("pred_index").to_vector<int64_t>() == want.pred_index.to_vector<int64_t>());
    CHECK(batch.tensors.at("targets").to_vector<int64_t>() == want.targets.to_vector<int64_t>());
  }
  CHECK_FALSE(std::filesystem::exists(tmp.file("first/step/batch4.safetensors")));

  // A directory that cannot be created names the flag.
  c.dump_start = tmp.file("first/step/model.safetensors/sub");
  XLM_CHECK_THROWS(tasks::run_train_bench(c), FormatError, "--dump_start");
}

TEST_CASE("bench presets and config errors name the flag", "[bench]") {
  const tasks::TrainBenchConfig enfr = tasks::train_bench_preset("enfr");
  CHECK(enfr.n_layers == 6);
  CHECK(enfr.emb_dim == 1024);
  CHECK(enfr.n_words == 64000);
  CHECK(enfr.batch_size * enfr.bptt == 64 * 256);
  CHECK_FALSE(enfr.tlm);
  const tasks::TrainBenchConfig xnli = tasks::train_bench_preset("xnli15");
  CHECK(xnli.n_layers == 12);
  CHECK(xnli.n_words == 95000);
  CHECK(xnli.n_langs == 15);
  CHECK(xnli.tlm);
  XLM_CHECK_THROWS(tasks::train_bench_preset("huge"), ConfigError, "--shape huge");
  tasks::TrainBenchConfig bad = tasks::train_bench_preset("tiny");
  bad.tlm = true;
  XLM_CHECK_THROWS(bad.validate(), ConfigError, "--tlm", "--n_langs");
  bad = tasks::train_bench_preset("tiny");
  bad.steps = 0;
  XLM_CHECK_THROWS(bad.validate(), ConfigError, "--steps 0");
}

TEST_CASE("xlm bench train prints the four figures on the tiny shape", "[bench][cli]") {
  const auto [status, out] = test::capture_xlm("bench train --shape tiny --device cpu --steps 2 --warmup 0");
  INFO(out);
  REQUIRE(status == 0);
  const std::regex lines(
      "(^|\n)tokens/s: [0-9]+\nms/step: [0-9]+\\.[0-9]{2}\nmfu: [0-9]+\\.[0-9]{2}%\npeak memory: [0-9]+ MiB\n$");
  CHECK(std::regex_search(out, lines));
  CHECK(out.find("shape tiny, 2 layers, 256 dims, 4 heads, 8000 words") != std::string::npos);
  // --profile N adds where the time goes after the figures.
  const auto [profile_status, profile_out] =
      test::capture_xlm("bench train --shape tiny --device cpu --steps 1 --warmup 0 --profile 1");
  CHECK(profile_status == 0);
  CHECK(profile_out.find("\nprofile: 1 steps, ") != std::string::npos);
  CHECK(profile_out.find("\nprofile region: input_block forward ") != std::string::npos);
  // A flag overrides its preset; a bad one names itself.
  const auto [bad_status, bad_out] = test::capture_xlm("bench train --shape tiny --device cpu --bptt 1");
  CHECK(bad_status != 0);
  CHECK(bad_out.find("--bptt 1") != std::string::npos);
}
