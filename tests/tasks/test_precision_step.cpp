// PrecisionStep on the CPU, in the test mode's dtypes (f32 model, f64 master
// weights, dynamic loss scaling) on a real MLM batch of the fixture: an
// injected inf gradient skips the step exactly (model, masters, Adam moments,
// step counts and lr unchanged), halves the scale, and the scale doubles after
// growth_interval good steps; a rank that disagrees makes every rank skip;
// the model stays the masters rounded to f32, also when the optimizer's
// copy-out writes it (fuse_master_passes); and fp32 mode is bit for bit
// the plain clip + step the trainer ran before mixed precision.
#include "core/error.h"
#include "nn/grad_clip.h"
#include "nn/optimizer.h"
#include "nn/transformer.h"
#include "objectives/lm_loss.h"
#include "objectives/mlm.h"
#include "pretrain_fixture.h"
#include "support.h"
#include "tasks/pretrain/precision_step.h"
#include "text/binarized.h"
#include "text/dictionary.h"
#include "text/stream_dataset.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <memory>

namespace {

using xlm::tasks::PrecisionStep;

struct Fixture {
  xlm::nn::TransformerConfig config;
  xlm::objectives::LmBatch batch;
  Fixture() {
    const std::string data = xlm::test::pretrain_data_dir();
    const auto dictionary = xlm::text::Dictionary::from_vocab_file(data + "/vocab");
    auto file =
        std::make_shared<const xlm::text::BinarizedFile>(xlm::text::BinarizedFile::open(data + "/train.fr.xbin"));
    xlm::text::StreamOptions stream_options;
    stream_options.batch_size = 4;
    stream_options.bptt = 16;
    xlm::text::StreamDataset stream(file, stream_options);
    xlm::objectives::MaskingOptions masking;
    masking.n_words = dictionary.size();
    xlm::text::SplitMix64 rng(3);
    batch = xlm::objectives::mlm_stream_batch(stream.batch(0), 1, 2, masking, rng);
    config.n_words = dictionary.size();
    config.emb_dim = 16;
    config.n_layers = 1;
    config.n_heads = 2;
    config.n_langs = 2;
    config.id2lang = {"en", "fr"};
  }
};

const char* kSpec = "adam_inverse_sqrt,lr=0.003,warmup_updates=10";

std::vector<std::vector<double>> values(const xlm::nn::NamedTensors& tensors) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, t] : tensors) out.push_back(t.to_doubles());
  return out;
}

// Everything a skipped step must leave alone.
struct Snapshot {
  std::vector<std::vector<double>> model, masters, moments;
  nlohmann::json counters;
  double lr = 0;
  bool operator==(const Snapshot& o) const {
    return model == o.model && masters == o.masters && moments == o.moments && counters == o.counters && lr == o.lr;
  }
};

Snapshot snapshot(const xlm::nn::TransformerModel& model, const PrecisionStep& step, const xlm::nn::Optimizer& opt) {
  return Snapshot{values(model.parameters()), values(step.optimizer_params()), values(opt.state()),
                  opt.state_json(), opt.lr()};
}

xlm::nn::PrecisionMode test_mode() {
  xlm::nn::PrecisionMode mode = xlm::nn::precision_mode_for(xlm::nn::Precision::fp16);
  mode.compute_dtype = xlm::DType::f32;
  mode.master_dtype = xlm::DType::f64;
  return mode;
}

}  // namespace

TEST_CASE("an injected inf gradient skips the mixed-precision step exactly", "[tasks][train][precision]") {
  const Fixture f;
  xlm::nn::TransformerModel model(f.config, 11);
  xlm::nn::LossScaleOptions scaling;
  scaling.init_scale = 1024;
  scaling.growth_interval = 3;
  PrecisionStep step(test_mode(), scaling, {model.parameters()});
  REQUIRE(step.has_master_weights());
  REQUIRE(step.optimizer_params().front().second.dtype() == xlm::DType::f64);
  xlm::nn::Optimizer opt(xlm::nn::parse_optimizer_spec(kSpec), step.optimizer_params());
  step.inject_inf_at(3);
  auto attempt = [&] {
    step.scale_loss(xlm::objectives::lm_loss(model, f.batch)).backward();
    return step.step(opt, 5.0);
  };
  for (int i = 0; i < 2; ++i) {
    const auto r = attempt();
    CHECK(r.stepped);
    CHECK(r.grad_norm() > 0);
  }
  const Snapshot before = snapshot(model, step, opt);
  const auto skipped = attempt();
  CHECK_FALSE(skipped.stepped);
  CHECK(snapshot(model, step, opt) == before);  // parameters, masters, moments, n_updates, lr
  CHECK(opt.n_updates() == 2);
  CHECK(step.scaler().scale() == 512);
  CHECK(step.scaler().overflows() == 1);
  CHECK(step.scaler().skipped_steps() == 1);
  for (const auto& [name, p] : model.parameters()) CHECK_FALSE(p.grad().defined());  // dropped, ready for the next
  for (int i = 0; i < 2; ++i) CHECK(attempt().stepped);
  CHECK(step.scaler().scale() == 512);  // two good steps: not yet
  CHECK(attempt().stepped);
  CHECK(step.scaler().scale() == 1024);  // the third good step since the overflow doubles it
  CHECK(opt.n_updates() == 5);
  CHECK(model.parameters().size() == step.optimizer_params().size());
  // The model is its masters rounded to f32, and the update went through the masters.
  for (size_t i = 0; i < model.parameters().size(); ++i) {
    const auto m = step.optimizer_params()[i].second.to_doubles();
    const auto p = model.parameters()[i].second.to_doubles();
    for (size_t j = 0; j < m.size(); ++j) REQUIRE(p[j] == static_cast<double>(static_cast<float>(m[j])));
  }
  CHECK(values(model.parameters()) != before.model);
}

TEST_CASE("a rank that saw an overflow makes every rank skip", "[tasks][train][precision]") {
  const Fixture f;
  xlm::nn::TransformerModel model(f.config, 11);
  xlm::nn::LossScaleOptions scaling;
  scaling.init_scale = 256;
  std::vector<bool> asked;
  PrecisionStep step(test_mode(), scaling, {model.parameters()}, [&](const std::function<bool()>& local) {
    asked.push_back(local());
    return false;  // another rank overflowed
  });
  xlm::nn::Optimizer opt(xlm::nn::parse_optimizer_spec(kSpec), step.optimizer_params());
  const Snapshot before = snapshot(model, step, opt);
  step.scale_loss(xlm::objectives::lm_loss(model, f.batch)).backward();
  CHECK_FALSE(step.step(opt, 5.0).stepped);
  CHECK(asked == std::vector<bool>{true});  // this rank's gradients were finite
  CHECK(snapshot(model, step, opt) == before);
  CHECK(step.scaler().scale() == 128);
  step.set_agreement([](const std::function<bool()>& local) { return local(); });
  step.scale_loss(xlm::objectives::lm_loss(model, f.batch)).backward();
  CHECK(step.step(opt, 5.0).stepped);
  CHECK(opt.n_updates() == 1);
}

TEST_CASE("the fused master step (no master gradients) steps bit for bit as the separate passes",
          "[tasks][train][precision]") {
  // fuse_master_passes: the optimizer reads the model's loss-scaled gradients
  // with 1/scale folded into the clip factor, and writes the model. Against
  // grads-to-master, unscale, clip, step, masters-to-model: the same norms,
  // masters and model, through a skipped step and a scale that grows, with a
  // clip that bites (0.05) and one that does not (50).
  for (const double clip : {0.05, 50.0}) {
    INFO("clip " << clip);
    const Fixture f;
    xlm::nn::TransformerModel fused(f.config, 11), separate(f.config, 11);
    xlm::nn::LossScaleOptions scaling;
    scaling.init_scale = 1024;
    scaling.growth_interval = 2;
    PrecisionStep step_fused(test_mode(), scaling, {fused.parameters()});
    PrecisionStep step_separate(test_mode(), scaling, {separate.parameters()});
    xlm::nn::Optimizer opt_fused(xlm::nn::parse_optimizer_spec(kSpec), step_fused.optimizer_params());
    xlm::nn::Optimizer opt_separate(xlm::nn::parse_optimizer_spec(kSpec), step_separate.optimizer_params());
    step_fused.fuse_master_passes(opt_fused);
    step_fused.inject_inf_at(2);  // a skipped step writes nothing either way
    step_separate.inject_inf_at(2);
    const auto before = values(fused.parameters());
    std::vector<double> scales;
    for (int i = 0; i < 5; ++i) {
      step_fused.scale_loss(xlm::objectives::lm_loss(fused, f.batch)).backward();
      step_separate.scale_loss(xlm::objectives::lm_loss(separate, f.batch)).backward();
      const xlm::tasks::PrecisionStepResult a = step_fused.step(opt_fused, clip);
      const xlm::tasks::PrecisionStepResult b = step_separate.step(opt_separate, clip);
      CHECK(a.stepped == b.stepped);
      CHECK(a.stepped == (i != 1));
      if (a.stepped) {
        REQUIRE(a.group_norms.size() == 1);
        CHECK(a.grad_norm() == b.grad_norm());
        CHECK((a.grad_norm() > clip) == (clip < 1));  // 0.05 clips, 50 does not
      }
      REQUIRE(values(fused.parameters()) == values(separate.parameters()));
      REQUIRE(values(step_fused.optimizer_params()) == values(step_separate.optimizer_params()));
      CHECK(step_fused.scaler().scale() == step_separate.scaler().scale());
      scales.push_back(step_fused.scaler().scale());
    }
    CHECK(scales == std::vector<double>{1024, 512, 512, 1024, 1024});  // backed off, then grew
    CHECK(values(fused.parameters()) != before);
    // The fused path never gave the masters a gradient.
    step_fused.scale_loss(xlm::objectives::lm_loss(fused, f.batch)).backward();
    for (const auto& [name, m] : step_fused.optimizer_params()) CHECK_FALSE(m.grad().defined());
    CHECK(fused.parameters().front().second.grad().defined());
  }
}

TEST_CASE("fp32 precision steps bit for bit as clip + step", "[tasks][train][precision]") {
  const Fixture f;
  xlm::nn::TransformerModel a(f.config, 11), b(f.config, 11);
  PrecisionStep step(xlm::nn::precision_mode_for(xlm::nn::Precision::fp32),
                     xlm::nn::LossScaleOptions{xlm::nn::LossScaleMode::off}, {a.parameters()});
  CHECK_FALSE(step.has_master_weights());
  CHECK(step.optimizer_params().front().second.same_data(a.parameters().front().second));
  xlm::nn::Optimizer opt_a(xlm::nn::parse_optimizer_spec(kSpec), step.optimizer_params());
  xlm::nn::Optimizer opt_b(xlm::nn::parse_optimizer_spec(kSpec), b.parameters());
  for (int i = 0; i < 3; ++i) {
    step.scale_loss(xlm::objectives::lm_loss(a, f.batch)).backward();
    const double norm_a = step.step(opt_a, 0.5).grad_norm();
    xlm::objectives::lm_loss(b, f.batch).backward();
    const double norm_b = xlm::nn::clip_grad_norm(b.parameters(), 0.5);
    opt_b.step();
    opt_b.zero_grad();
    CHECK(norm_a == norm_b);
  }
  CHECK(values(a.parameters()) == values(b.parameters()));
  // An inf injection needs loss scaling to catch it.
  ::setenv("XLM_TEST_INJECT_INF_AT_STEP", "2", 1);
  XLM_CHECK_THROWS(PrecisionStep(xlm::nn::precision_mode_for(xlm::nn::Precision::fp32),
                                 xlm::nn::LossScaleOptions{xlm::nn::LossScaleMode::off}, {a.parameters()}),
                   xlm::ConfigError, "XLM_TEST_INJECT_INF_AT_STEP", "loss scaling");
  ::unsetenv("XLM_TEST_INJECT_INF_AT_STEP");
}

TEST_CASE("a bf16 model is saved in f32 from its masters and its masters reload exactly", "[tasks][train][precision]") {
  // Only storage and casts here (CPU ops do not compute in bf16): what save and resume need.
  const Fixture f;
  xlm::nn::TransformerModel model(f.config, 11, xlm::Device::cpu(), xlm::DType::bf16);
  PrecisionStep step(xlm::nn::precision_mode_for(xlm::nn::Precision::bf16),
                     xlm::nn::LossScaleOptions{xlm::nn::LossScaleMode::off}, {model.parameters()});
  REQUIRE(step.optimizer_params().front().second.dtype() == xlm::DType::f32);
  // Give the masters values that bf16 cannot hold, as after some f32 updates.
  std::map<std::string, xlm::Tensor> masters;
  for (const auto& [name, m] : step.optimizer_params()) {
    std::vector<double> v = m.to_doubles();
    for (size_t i = 0; i < v.size(); ++i) v[i] += 1e-4 * static_cast<double>(i % 7 + 1);
    masters[name] = xlm::Tensor::from_doubles(v, m.shape(), xlm::DType::f32);
  }
  step.load_masters(masters, "test masters");
  const auto copy = step.fp32_model(model, "");
  REQUIRE(copy != nullptr);
  CHECK(copy->dtype() == xlm::DType::f32);
  REQUIRE(copy->parameters().size() == step.optimizer_params().size());
  for (size_t i = 0; i < copy->parameters().size(); ++i) {
    INFO(copy->parameters()[i].first);
    CHECK(copy->parameters()[i].second.to_doubles() == masters.at(copy->parameters()[i].first).to_doubles());
    // The model holds the masters rounded to bf16: close, not equal.
    XLM_CHECK_CLOSE(model.parameters()[i].second.to_doubles(), copy->parameters()[i].second.to_doubles(), 1e-6,
                    1e-2);
  }
  CHECK(values(model.parameters()) != values(copy->parameters()));
  masters.erase("embeddings.weight");
  XLM_CHECK_THROWS(step.load_masters(masters, "short.safetensors"), xlm::FormatError, "short.safetensors",
                   "embeddings.weight");
  // An f32 model is saved as it is.
  xlm::nn::TransformerModel f32(f.config, 11);
  PrecisionStep plain(xlm::nn::precision_mode_for(xlm::nn::Precision::fp32),
                      xlm::nn::LossScaleOptions{xlm::nn::LossScaleMode::off}, {f32.parameters()});
  CHECK(plain.fp32_model(f32, "") == nullptr);
}
