// The precision of an `xlm train` run, decided once from its flags: XLM's
// --fp16/--amp and our --precision go through nn::resolve_precision (which
// owns the mode table and its errors); the loss-scale flags are checked here
// against the mode, each error naming its flag. A hidden test-only mode,
// --precision_test f32_f64, runs the mixed-precision machinery on the CPU
// (f32 model, f64 master weights, dynamic loss scaling), because CPU ops have
// no bf16/f16 and the machinery must still be testable without a GPU
// (docs/numerics.md, "Mixed precision in xlm train").
#pragma once

#include "core/device.h"
#include "nn/loss_scaler.h"
#include "nn/precision_mode.h"
#include "tasks/pretrain/train_config.h"

#include <string>

namespace xlm::tasks {

struct TrainPrecision {
  nn::PrecisionMode mode;        // compute dtype, master weights, loss-scale mode
  nn::LossScaleOptions scaling;  // mode.loss_scale with --init_loss_scale and --loss_scale_window
  std::string name;              // "fp32", "bf16", "fp16" or "f32_f64 (test)"
};

// ConfigError naming the flag on a contradiction, an unsupported choice for
// `device`, or an out-of-range loss-scale setting. Every mode works with
// --zero1 (ZeRO-1 shards the master weights with the moments).
TrainPrecision resolve_train_precision(const TrainConfig& config, Device device);

}  // namespace xlm::tasks
