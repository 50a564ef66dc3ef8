// Dynamic loss scaling for fp16 training (Micikevicius et al. 2018, "Mixed
// Precision Training"; the rules of torch.cuda.amp.GradScaler). fp16 gradients
// of small magnitude flush to zero, so the loss is multiplied by a large scale
// S before backward and the gradients by 1/S after it. When a gradient comes
// back inf or NaN, S was too large: the step is skipped (the optimizer is not
// called at all) and S shrinks by backoff_factor. After growth_interval
// consecutive good steps S grows by growth_factor, probing for the largest
// scale that does not overflow.
//
// Modes: dynamic (fp16), static (fixed S: still skips on inf/NaN, never
// changes S), off (bf16 and fp32 need no scaling: scale 1, and
// unscale_and_check neither reads the gradients nor syncs, it returns true).
//
// Data parallelism: every rank must agree on the skip. A trainer with several
// ranks calls unscale_grads() for the local answer, all-reduces it (logical
// and), then update(agreed); unscale_and_check() is both for one rank.
// Checkpoints: state_json()/load_state() carry S, the good-step tracker and
// the counters, so that a resumed run keeps its scale.
#pragma once

#include "core/tensor.h"
#include "nn/named_tensors.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace xlm::nn {

enum class LossScaleMode { off, static_scale, dynamic };

// "off", "static", "dynamic"; parse throws ConfigError naming --loss_scale.
const char* loss_scale_mode_name(LossScaleMode mode);
LossScaleMode parse_loss_scale_mode(const std::string& text);

struct LossScaleOptions {
  LossScaleMode mode = LossScaleMode::dynamic;
  double init_scale = 65536.0;   // 2^16
  double growth_factor = 2.0;    // > 1
  double backoff_factor = 0.5;   // in (0, 1)
  int64_t growth_interval = 2000;  // good steps before a growth, >= 1
};

class LossScaler {
 public:
  // ConfigError on out-of-range options (init_scale finite and > 0, ...).
  explicit LossScaler(const LossScaleOptions& options);

  double scale() const { return scale_; }
  LossScaleMode mode() const { return options_.mode; }
  const LossScaleOptions& options() const { return options_; }

  // loss * scale(), differentiable (the loss itself when the mode is off).
  Tensor scale_loss(const Tensor& loss) const;

  // Multiplies every gradient by 1/scale() in place; returns whether all are
  // finite. Changes no scaler state. Mode off: touches nothing, returns true.
  bool unscale_grads(const NamedTensors& params) const;
  // Whether every gradient is finite, reading them only: the unscale is left to
  // whoever reads them next (the optimizer's gradient factor, 1/scale() taken
  // before update()). Mode off: reads nothing, returns true.
  bool check_grads(const NamedTensors& params) const;
  // Records one step's outcome (all ranks' agreed answer) and updates the
  // scale; returns grads_finite, i.e. whether the optimizer may step.
  bool update(bool grads_finite);
  // unscale_grads then update: false when the step must be skipped.
  bool unscale_and_check(const NamedTensors& params);

  // Counters for the logs: steps whose gradients were not finite, and steps
  // skipped because of it (the same count: every overflow skips its step),
  // good steps since the scale last changed.
  int64_t overflows() const { return overflows_; }
  int64_t skipped_steps() const { return skipped_steps_; }
  int64_t growth_tracker() const { return growth_tracker_; }

  // {"mode", "scale", "growth_tracker", "overflows", "skipped_steps"}.
  nlohmann::json state_json() const;
  // Restores state_json(); FormatError on a missing/ill-typed key or a mode
  // other than this scaler's. The scaler is unchanged on error.
  void load_state(const nlohmann::json& j);

 private:
  LossScaleOptions options_;
  double scale_ = 1.0;
  int64_t growth_tracker_ = 0;
  int64_t overflows_ = 0;
  int64_t skipped_steps_ = 0;
};

}  // namespace xlm::nn
