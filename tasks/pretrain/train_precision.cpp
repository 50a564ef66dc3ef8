// resolve_train_precision: the mode first (nn::resolve_precision, or the test
// mode), then the loss-scale flags against it, so that each error names the
// flag that is wrong rather than the scaler's internal option name.
#include "tasks/pretrain/train_precision.h"

#include "core/error.h"

#include <fmt/format.h>

#include <cmath>

namespace xlm::tasks {

namespace {

constexpr const char* kTestMode = "f32_f64";

nn::PrecisionMode test_mode(const TrainConfig& c, Device device) {
  XLM_CHECK(c.precision_test == kTestMode, ConfigError, "--precision_test {}: the only test mode is {}",
            c.precision_test, kTestMode);
  XLM_CHECK(c.precision.empty() && !c.fp16 && c.amp == -1, ConfigError,
            "--precision_test {} replaces --precision, --fp16 and --amp: give none of them", kTestMode);
  XLM_CHECK(!device.is_cuda(), ConfigError,
            "--precision_test {} runs on the CPU only (CUDA Adam is f32-only): add --device cpu", kTestMode);
  nn::PrecisionMode m = nn::precision_mode_for(nn::Precision::fp16);  // fp16's machinery ...
  m.compute_dtype = DType::f32;                                       // ... on CPU dtypes
  m.master_dtype = DType::f64;
  return m;
}

}  // namespace

TrainPrecision resolve_train_precision(const TrainConfig& c, Device device) {
  TrainPrecision out;
  if (!c.precision_test.empty()) {
    out.mode = test_mode(c, device);
    out.name = fmt::format("{} (test)", kTestMode);
  } else {
    nn::PrecisionFlags flags;
    flags.precision = c.precision;
    if (c.fp16) flags.fp16 = true;
    flags.amp = static_cast<int>(c.amp);
    out.mode = nn::resolve_precision(flags, device);
    out.name = nn::precision_name(out.mode.precision);
  }
  const bool fp16_like = out.mode.loss_scale != nn::LossScaleMode::off;
  if (!c.loss_scale.empty()) {
    const nn::LossScaleMode requested = nn::parse_loss_scale_mode(c.loss_scale);
    XLM_CHECK(fp16_like || requested == nn::LossScaleMode::off, ConfigError,
              "--loss_scale {}: loss scaling is for fp16 only (this run is {}, whose gradients need none)",
              c.loss_scale, out.name);
    if (fp16_like) out.mode.loss_scale = requested;
  }
  XLM_CHECK(std::isfinite(c.init_loss_scale) && c.init_loss_scale > 0, ConfigError,
            "--init_loss_scale {}: expected a finite scale > 0 (e.g. 65536)", c.init_loss_scale);
  XLM_CHECK(c.loss_scale_window >= 1, ConfigError,
            "--loss_scale_window {}: expected a positive number of good steps between two growths",
            c.loss_scale_window);
  out.scaling.mode = out.mode.loss_scale;
  out.scaling.init_scale = c.init_loss_scale;
  out.scaling.growth_interval = c.loss_scale_window;
  return out;
}

}  // namespace xlm::tasks
