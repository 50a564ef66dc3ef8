// The precision of a training run, decided once from the command line. XLM's
// own flags come from the apex era: `--fp16 true` with `--amp 1|2` (apex's
// optimisation levels O1: fp16 autocast of whitelisted ops, fp32 weights,
// dynamic loss scaling; O2: fp16 model, fp32 master weights, dynamic loss
// scaling), `--amp 0` (O0: plain fp32) and `--amp -1` (no apex, the default).
// Ours is `--precision fp32|bf16|fp16`. Both spellings map onto three modes:
//
//   fp32: f32 compute, no master copy, no loss scaling
//         (--precision fp32 | --fp16 false | --amp 0; the default on the CPU)
//   bf16: bf16 compute, fp32 master weights, no loss scaling (bf16 has fp32's
//         exponent range)   (--precision bf16; the default on a GPU)
//   fp16: f16 compute, fp32 master weights, dynamic loss scaling
//         (--precision fp16 | --fp16 true --amp 1 | --fp16 true --amp 2)
//
// O1 and O2 both become our fp16 mode: we have no op whitelist to emulate,
// and both keep fp32 weights and dynamic scaling, which is what the paper's
// runs relied on. O3 (pure fp16, no master weights) is refused. The checks
// XLM's trainer asserts (--fp16 needs --amp >= 1; --amp 1..3 needs --fp16)
// are ConfigErrors here, as is a --precision that contradicts the XLM flags
// or a low precision on the CPU (CPU ops compute in f32/f64 only).
// Softmax and layer-norm statistics, the loss, and the optimizer state are
// fp32 in every mode (see docs/numerics.md, "Mixed precision").
#pragma once

#include "core/device.h"
#include "core/dtype.h"
#include "nn/loss_scaler.h"

#include <optional>
#include <string>

namespace xlm::nn {

enum class Precision { fp32, bf16, fp16 };

const char* precision_name(Precision p);

// The flags as given; unset ones are empty / -1 (XLM's --amp default).
struct PrecisionFlags {
  std::string precision;     // --precision: "", "fp32", "bf16", "fp16"
  std::optional<bool> fp16;  // --fp16 (XLM), when given
  int amp = -1;              // --amp (XLM): -1 off, 0..3 apex O0..O3
};

struct PrecisionMode {
  Precision precision = Precision::fp32;
  DType compute_dtype = DType::f32;  // the model's parameters and activations
  bool master_weights = false;       // fp32 master copies owned by the optimizer
  DType master_dtype = DType::f32;   // meaningful when master_weights
  LossScaleMode loss_scale = LossScaleMode::off;
};

PrecisionMode precision_mode_for(Precision p);

// Resolves the flags for a run on `device`; ConfigError naming the flags on a
// contradiction or an unsupported choice.
PrecisionMode resolve_precision(const PrecisionFlags& flags, Device device);

}  // namespace xlm::nn
