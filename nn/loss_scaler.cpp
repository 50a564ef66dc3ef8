// LossScaler: the state machine is kept in double on the host (the scale is a
// power of two in practice, so 1/scale is exact); the per-element work is in
// grad_finite. Options are validated once at construction so that a bad
// --loss_scale value fails before a model is built.
#include "nn/loss_scaler.h"

#include "core/error.h"
#include "kernels/scale/scale.h"
#include "nn/grad_finite.h"

#include <cmath>

namespace xlm::nn {

namespace {

double json_number(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_number())
    throw FormatError(fmt::format("loss scaler state: the JSON has no number \"{}\"", key));
  return j.at(key).get<double>();
}

int64_t json_count(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_number_integer() || j.at(key).get<int64_t>() < 0)
    throw FormatError(fmt::format("loss scaler state: the JSON has no non-negative integer \"{}\"", key));
  return j.at(key).get<int64_t>();
}

}  // namespace

const char* loss_scale_mode_name(LossScaleMode mode) {
  switch (mode) {
    case LossScaleMode::off: return "off";
    case LossScaleMode::static_scale: return "static";
    case LossScaleMode::dynamic: return "dynamic";
  }
  return "?";
}

LossScaleMode parse_loss_scale_mode(const std::string& text) {
  for (LossScaleMode m : {LossScaleMode::off, LossScaleMode::static_scale, LossScaleMode::dynamic})
    if (text == loss_scale_mode_name(m)) return m;
  throw ConfigError(fmt::format("--loss_scale: expected off, static or dynamic, got \"{}\"", text));
}

LossScaler::LossScaler(const LossScaleOptions& options) : options_(options) {
  const auto& o = options_;
  if (!(std::isfinite(o.init_scale) && o.init_scale > 0))
    throw ConfigError(fmt::format("loss scaler: init_scale must be finite and > 0, got {}", o.init_scale));
  if (!(std::isfinite(o.growth_factor) && o.growth_factor > 1))
    throw ConfigError(fmt::format("loss scaler: growth_factor must be finite and > 1, got {}", o.growth_factor));
  if (!(o.backoff_factor > 0 && o.backoff_factor < 1))
    throw ConfigError(fmt::format("loss scaler: backoff_factor must be in (0, 1), got {}", o.backoff_factor));
  if (o.growth_interval < 1)
    throw ConfigError(fmt::format("loss scaler: growth_interval must be >= 1, got {}", o.growth_interval));
  scale_ = o.mode == LossScaleMode::off ? 1.0 : o.init_scale;
}

Tensor LossScaler::scale_loss(const Tensor& loss) const {
  check_defined(loss, "scale_loss", "loss");
  if (options_.mode == LossScaleMode::off) return loss;
  return xlm::scale(loss, scale_);
}

bool LossScaler::unscale_grads(const NamedTensors& params) const {
  if (options_.mode == LossScaleMode::off) return true;
  return unscale_grads_and_check(params, 1.0 / scale_);
}

bool LossScaler::check_grads(const NamedTensors& params) const {
  if (options_.mode == LossScaleMode::off) return true;
  return all_finite(params);
}

bool LossScaler::update(bool grads_finite) {
  if (options_.mode == LossScaleMode::off) return true;
  if (!grads_finite) {
    ++overflows_;
    ++skipped_steps_;
    growth_tracker_ = 0;
    if (options_.mode == LossScaleMode::dynamic) scale_ *= options_.backoff_factor;
    return false;
  }
  if (options_.mode == LossScaleMode::dynamic && ++growth_tracker_ >= options_.growth_interval) {
    growth_tracker_ = 0;
    const double grown = scale_ * options_.growth_factor;
    if (std::isfinite(grown)) scale_ = grown;
  }
  return true;
}

bool LossScaler::unscale_and_check(const NamedTensors& params) { return update(unscale_grads(params)); }

nlohmann::json LossScaler::state_json() const {
  return {{"mode", loss_scale_mode_name(options_.mode)},
          {"scale", scale_},
          {"growth_tracker", growth_tracker_},
          {"overflows", overflows_},
          {"skipped_steps", skipped_steps_}};
}

void LossScaler::load_state(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("mode") || !j.at("mode").is_string())
    throw FormatError("loss scaler state: the JSON must be an object with a string \"mode\"");
  const std::string mode = j.at("mode").get<std::string>();
  if (mode != loss_scale_mode_name(options_.mode))
    throw FormatError(fmt::format("loss scaler state: saved with loss scaling \"{}\" but this run uses \"{}\"", mode,
                                  loss_scale_mode_name(options_.mode)));
  const double scale = json_number(j, "scale");
  if (!(std::isfinite(scale) && scale > 0))
    throw FormatError(fmt::format("loss scaler state: \"scale\" must be finite and > 0, got {}", scale));
  const int64_t tracker = json_count(j, "growth_tracker");
  const int64_t overflows = json_count(j, "overflows");
  const int64_t skipped = json_count(j, "skipped_steps");
  scale_ = scale;
  growth_tracker_ = tracker;
  overflows_ = overflows;
  skipped_steps_ = skipped;
}

}  // namespace xlm::nn
