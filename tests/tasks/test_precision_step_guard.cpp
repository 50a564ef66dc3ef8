// PrecisionStep's guard on one rank without master weights (f32 parameters,
// dynamic loss scaling): an inf gradient skips the step exactly (parameters,
// Adam moments, step counts and the lr schedule keep their bits; the run then
// matches one that never saw the bad batch), halves the loss scale, and the
// scale doubles again after growth_interval good steps (issue 6, item 5);
// clipping measures the unscaled gradients.
#include "nn/optimizer.h"
#include "support.h"
#include "tasks/pretrain/precision_step.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace xlm;
using namespace xlm::nn;
using xlm::tasks::PrecisionStep;

namespace {

Tensor param(const std::vector<double>& v) {
  Tensor t = Tensor::from_doubles(v, {static_cast<int64_t>(v.size())}, DType::f32);
  t.set_requires_grad(true);
  return t;
}

std::vector<uint32_t> bits_of(const Tensor& t) {
  std::vector<uint32_t> out(static_cast<size_t>(t.numel()));
  const std::vector<float> v = t.to_vector<float>();
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

// Everything a skipped step must leave alone, as bits.
struct Snapshot {
  std::vector<std::vector<uint32_t>> tensors;
  nlohmann::json counters;
  bool operator==(const Snapshot& o) const { return tensors == o.tensors && counters == o.counters; }
};

Snapshot snapshot(const Optimizer& opt) {
  Snapshot s;
  for (const auto& [name, p] : opt.params()) s.tensors.push_back(bits_of(p));
  for (const auto& [name, m] : opt.state()) s.tensors.push_back(bits_of(m));
  s.counters = opt.state_json();  // n_updates, lr, per-parameter steps
  return s;
}

// The gradient of step k (deterministic, varied), times `scale`.
void give_grads(const Optimizer& opt, int k, double scale, bool poison = false) {
  int which = 0;
  for (const auto& [name, p] : opt.params()) {
    std::vector<double> g(static_cast<size_t>(p.numel()));
    for (size_t i = 0; i < g.size(); ++i) g[i] = scale * std::sin(1.3 * k + 0.7 * i + which);
    if (poison && which == 1) g[1] = std::numeric_limits<double>::infinity();
    Tensor pp = p;
    pp.set_grad(Tensor::from_doubles(g, p.shape(), DType::f32));
    ++which;
  }
}

const char* kSpec = "adam_inverse_sqrt,lr=0.01,warmup_updates=10,warmup_init_lr=0,weight_decay=0.01";

// f32 parameters updated in place (no master copy), dynamic loss scaling.
PrecisionMode scaled_f32() {
  PrecisionMode mode;
  mode.loss_scale = LossScaleMode::dynamic;
  return mode;
}

}  // namespace

TEST_CASE("precision step: an inf gradient skips the step exactly and the scale recovers", "[tasks][train][precision]") {
  Tensor a = param({0.5, -0.25, 1.0}), b = param({2.0, -1.0});
  LossScaleOptions so;
  so.mode = LossScaleMode::dynamic;
  so.init_scale = 1024;
  so.growth_interval = 3;
  PrecisionStep guard(scaled_f32(), so, {{{"a", a}, {"b", b}}});
  REQUIRE_FALSE(guard.has_master_weights());
  Optimizer opt(parse_optimizer_spec(kSpec), guard.optimizer_params());
  const LossScaler& scaler = guard.scaler();

  // The reference run: the same good gradients, unscaled, never a bad batch.
  Tensor ra = param({0.5, -0.25, 1.0}), rb = param({2.0, -1.0});
  Optimizer ref(parse_optimizer_spec(kSpec), {{"a", ra}, {"b", rb}});

  int k = 0;
  auto good_step = [&] {
    give_grads(opt, k, scaler.scale());
    give_grads(ref, k, 1.0);
    ++k;
    const bool stepped = guard.step(opt, 0).stepped;  // drops the gradients
    ref.step();
    ref.zero_grad();
    return stepped;
  };

  REQUIRE(good_step());
  CHECK(opt.n_updates() == 1);
  CHECK(scaler.growth_tracker() == 1);
  const Snapshot before = snapshot(opt);

  give_grads(opt, 99, scaler.scale(), /*poison=*/true);
  CHECK_FALSE(guard.step(opt, 0).stepped);
  CHECK(snapshot(opt) == before);
  CHECK(opt.n_updates() == 1);
  CHECK(scaler.scale() == 512.0);
  CHECK(scaler.overflows() == 1);
  CHECK(scaler.skipped_steps() == 1);
  CHECK(scaler.growth_tracker() == 0);

  for (int i = 0; i < 2; ++i) REQUIRE(good_step());
  CHECK(scaler.scale() == 512.0);
  REQUIRE(good_step());  // the growth_interval-th good step after the overflow
  CHECK(scaler.scale() == 1024.0);
  CHECK(opt.n_updates() == 4);
  CHECK(opt.lr() == ref.lr());
  // Power-of-two scales unscale exactly, so the guarded run equals the
  // reference bit for bit: the skipped step left no trace.
  CHECK(snapshot(opt) == snapshot(ref));
}

TEST_CASE("precision step: clipping sees the unscaled gradients", "[tasks][train][precision]") {
  Tensor w = param({0.0, 0.0});
  LossScaleOptions so;
  so.mode = LossScaleMode::dynamic;
  so.init_scale = 256;
  PrecisionStep guard(scaled_f32(), so, {{{"w", w}}});
  Optimizer opt(parse_optimizer_spec("sgd,lr=1"), guard.optimizer_params());
  w.set_grad(Tensor::from_doubles({3.0 * 256, 4.0 * 256}, {2}, DType::f32));
  const auto r = guard.step(opt, 1.0);
  CHECK(r.stepped);
  CHECK(r.grad_norm() == Approx(5.0).epsilon(1e-7));
  const double c = 1.0 / (5.0 + 1e-6);
  XLM_CHECK_CLOSE(w.to_doubles(), (std::vector<double>{-3.0 * c, -4.0 * c}), 0, 1e-6);
}
