// PrecisionStep: the order of the guarded step is fixed here (see the header);
// the pieces are nn/'s (MasterWeights, LossScaler, clip_factor_on_device).
// Clipping measures the gradients the optimizer will use: the unscaled
// masters' when step() copies them, the model's with the loss scale divided
// out when the optimizer reads the model's (fuse_master_passes): the same
// norm, bit for bit, when the scale is a power of two (nn/grad_clip.h).
#include "tasks/pretrain/precision_step.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/op_profile.h"
#include "core/storage.h"
#include "nn/grad_clip.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <unordered_map>

namespace xlm::tasks {

namespace {

constexpr const char* kInjectVar = "XLM_TEST_INJECT_INF_AT_STEP";

}  // namespace

double PrecisionStepResult::grad_norm() const {
  double squares = 0;
  for (const Tensor& norm : group_norms) {
    const double value = norm.item();
    squares += value * value;
  }
  return std::sqrt(squares);
}

PrecisionStep::PrecisionStep(const nn::PrecisionMode& mode, const nn::LossScaleOptions& scaling,
                             std::vector<nn::NamedTensors> groups, Agreement agree_all_ranks, bool sharded_masters)
    : mode_(mode), scaler_(scaling), agree_(std::move(agree_all_ranks)) {
  XLM_CHECK(scaling.mode == mode.loss_scale, Error, "precision step: loss-scale options ({}) disagree with the mode ({})",
            nn::loss_scale_mode_name(scaling.mode), nn::loss_scale_mode_name(mode.loss_scale));
  for (const auto& group : groups) model_params_.insert(model_params_.end(), group.begin(), group.end());
  model_groups_ = groups;
  for (const auto& [name, p] : model_params_)
    XLM_CHECK(p.dtype() == mode_.compute_dtype, DTypeError, "precision step: parameter \"{}\" is {}, the run computes in {}",
              name, p.describe(), dtype_name(mode_.compute_dtype));
  if (mode_.master_weights && !sharded_masters) masters_ = std::make_unique<nn::MasterWeights>(model_params_, mode_.master_dtype);
  const nn::NamedTensors& params = optimizer_params();
  size_t start = 0;
  for (const auto& group : groups) {
    clip_groups_.emplace_back(params.begin() + static_cast<long>(start),
                              params.begin() + static_cast<long>(start + group.size()));
    start += group.size();
  }
  if (const char* text = std::getenv(kInjectVar)) {
    char* end = nullptr;
    const long long attempt = std::strtoll(text, &end, 10);
    XLM_CHECK(end != text && *end == '\0' && attempt >= 1, ConfigError, "{}={}: expected a step number >= 1",
              kInjectVar, text);
    XLM_CHECK(scaler_.mode() != nn::LossScaleMode::off, ConfigError,
              "{}: an injected inf gradient needs loss scaling (fp16, or --precision_test f32_f64 on the CPU)",
              kInjectVar);
    inject_inf_at(attempt);
  }
}

const nn::NamedTensors& PrecisionStep::optimizer_params() const {
  return masters_ ? masters_->master() : model_params_;
}

void PrecisionStep::set_agreement(Agreement agree_all_ranks) { agree_ = std::move(agree_all_ranks); }

void PrecisionStep::fuse_master_passes(nn::Optimizer& optimizer) {
  if (!masters_) return;
  optimizer.set_master_of(masters_->model());
  fused_ = &optimizer;
}

void PrecisionStep::inject_inf_at(int64_t attempt) { inject_at_ = attempt; }

Tensor PrecisionStep::scale_loss(const Tensor& loss) const { return scaler_.scale_loss(loss); }

PrecisionStepResult PrecisionStep::step(nn::Optimizer& optimizer, double clip_norm) {
  profile::PhaseScope phase(profile::Phase::update);  // finite check, clip, update (core/op_profile.h)
  profile::RegionScope region("optimizer");
  PrecisionStepResult result;
  // Fused (fuse_master_passes): the optimizer reads the model's loss-scaled
  // gradients itself, so nothing is copied or unscaled here; the loss scale
  // the gradients carry is divided out by the factor it multiplies them by.
  const bool fused = masters_ && &optimizer == fused_;
  const double inv_scale = fused ? 1.0 / scaler_.scale() : 1.0;  // before update() may change the scale
  if (masters_ && !fused) masters_->copy_grads_to_master();
  const nn::NamedTensors& grads_of = fused ? model_params_ : optimizer_params();
  if (guard(grads_of, optimizer.n_updates(), /*unscale=*/!fused)) {
    // Each clip group's factor is applied by the optimizer as it reads the
    // gradients (no scaling pass; nn/grad_clip.h).
    std::unordered_map<std::string, Tensor> factor_of;  // parameter name -> its group's factor
    for (const auto& group : fused ? model_groups_ : clip_groups_) {
      nn::ClipFactor clip = nn::clip_factor_on_device(group, clip_norm, inv_scale);
      result.group_norms.push_back(clip.norm);
      for (const auto& [name, p] : group) factor_of[name] = clip.factor;
    }
    std::vector<Tensor> factors;
    for (const auto& [name, p] : optimizer.params()) {
      auto it = factor_of.find(name);
      factors.push_back(it == factor_of.end() ? Tensor() : it->second);
    }
    optimizer.step(factors);
    if (masters_ && !fused) masters_->copy_master_to_model();
    result.stepped = true;
  }
  zero_grads();
  return result;
}

bool PrecisionStep::check_gradients(const nn::NamedTensors& params, int64_t n_updates) {
  return guard(params, n_updates, /*unscale=*/true);
}

bool PrecisionStep::guard(const nn::NamedTensors& params, int64_t n_updates, bool unscale) {
  const int64_t attempt = n_updates + scaler_.skipped_steps() + 1;
  if (inject_at_ && *inject_at_ == attempt) inject_inf(params);
  const auto local_finite = [&] { return unscale ? scaler_.unscale_grads(params) : scaler_.check_grads(params); };
  // With scaling off every rank's answer is "finite" without reading a
  // gradient, so there is nothing to agree on (and no collective to pay for).
  const bool agreed = scaler_.mode() != nn::LossScaleMode::off && agree_ ? agree_(local_finite) : local_finite();
  return scaler_.update(agreed);
}

void PrecisionStep::inject_inf(const nn::NamedTensors& params) const {
  autograd::NoGradGuard no_grad;
  for (const auto& [name, p] : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    Tensor bad = p;  // a handle: set_grad changes the parameter's gradient
    bad.set_grad(Tensor::full(g.shape(), std::numeric_limits<double>::infinity(), g.dtype(), g.device()));
    return;
  }
}

void PrecisionStep::zero_grads() const {
  for (const auto& [name, p] : model_params_) {
    Tensor t = p;
    t.zero_grad();
  }
  if (!masters_) return;
  for (const auto& [name, p] : masters_->master()) {
    Tensor t = p;
    t.zero_grad();
  }
}

void PrecisionStep::load_masters(const std::map<std::string, Tensor>& tensors, const std::string& source) {
  XLM_CHECK(masters_ != nullptr, Error, "precision step: {} holds master weights but this run has none", source);
  const nn::NamedTensors& masters = masters_->master();
  for (const auto& [name, m] : masters) {  // check everything before copying anything
    auto it = tensors.find(name);
    XLM_CHECK(it != tensors.end() && it->second.defined(), FormatError, "{}: missing master weight \"{}\"", source,
              name);
    XLM_CHECK(it->second.shape() == m.shape() && it->second.dtype() == m.dtype(), FormatError,
              "{}: master weight \"{}\" is {} but this run's is {}", source, name, it->second.describe(),
              m.describe());
  }
  for (const auto& [name, m] : masters) {
    const Tensor& src = tensors.at(name);
    copy_bytes(m.data_ptr(), m.device(), src.data_ptr(), src.device(), m.nbytes());
  }
  masters_->copy_master_to_model();
}

void PrecisionStep::refresh_masters_from_model() {
  if (masters_) masters_->copy_model_to_master();
}

std::unique_ptr<nn::TransformerModel> PrecisionStep::fp32_model(const nn::TransformerModel& model,
                                                               const std::string& prefix) const {
  if (model.dtype() == DType::f32) return nullptr;
  XLM_CHECK(masters_ != nullptr, Error, "precision step: a {} model needs master weights to be saved in f32",
            dtype_name(model.dtype()));
  return fp32_model(model, prefix, masters_->master());
}

std::unique_ptr<nn::TransformerModel> PrecisionStep::fp32_model(const nn::TransformerModel& model,
                                                               const std::string& prefix,
                                                               const nn::NamedTensors& master_list) {
  if (model.dtype() == DType::f32) return nullptr;
  // On the host: it is only written to disk, and on a GPU a second f32 copy of
  // the model at the epoch end, when the optimizer state fills the device, could
  // run out of memory.
  auto copy = std::make_unique<nn::TransformerModel>(model.config(), 0, Device::cpu(), DType::f32);
  std::map<std::string, Tensor> weights;
  for (const auto& [name, t] : copy->state_dict()) weights[name] = t;  // frozen tables: computed in f32
  weights.erase("pred_layer.proj.weight");                             // tied to embeddings.weight
  std::map<std::string, Tensor> masters;
  for (const auto& [name, m] : master_list) masters[name] = m;
  for (const auto& [name, p] : copy->parameters()) {
    auto it = masters.find(prefix + name);
    XLM_CHECK(it != masters.end(), Error, "precision step: no master weight \"{}{}\"", prefix, name);
    weights[name] = it->second;
  }
  copy->load_state_dict(weights, "master weights");
  copy->set_training(model.training());
  return copy;
}

}  // namespace xlm::tasks
