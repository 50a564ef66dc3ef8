// resolve_precision: XLM's flags are checked on their own first (as XLM's
// trainer asserts them), then against --precision, then against the device,
// so each error names the flag that is wrong.
#include "nn/precision_mode.h"

#include "core/error.h"

namespace xlm::nn {

namespace {

std::optional<Precision> parse_precision(const std::string& text) {
  if (text.empty()) return std::nullopt;
  for (Precision p : {Precision::fp32, Precision::bf16, Precision::fp16})
    if (text == precision_name(p)) return p;
  throw ConfigError(fmt::format("--precision: expected fp32, bf16 or fp16, got \"{}\"", text));
}

// What XLM's --fp16/--amp ask for, if they say anything.
std::optional<Precision> from_xlm_flags(const PrecisionFlags& f) {
  if (f.amp < -1 || f.amp > 3)
    throw ConfigError(fmt::format("--amp: expected -1 (off) or an apex level 0..3, got {}", f.amp));
  const bool fp16 = f.fp16.value_or(false);
  if (fp16 && f.amp < 1)
    throw ConfigError(fmt::format("--fp16 true needs --amp 1 or 2 (apex O1/O2), got --amp {}", f.amp));
  if (!fp16 && f.amp >= 1)
    throw ConfigError(fmt::format("--amp {} (apex O{}) needs --fp16 true", f.amp, f.amp));
  if (f.amp == 3)
    throw ConfigError("--amp 3 (apex O3: pure fp16 without fp32 master weights) is not supported; use --amp 2");
  if (fp16) return Precision::fp16;
  if (f.fp16.has_value() || f.amp == 0) return Precision::fp32;
  return std::nullopt;
}

}  // namespace

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
  }
  return "?";
}

PrecisionMode precision_mode_for(Precision p) {
  PrecisionMode m;
  m.precision = p;
  switch (p) {
    case Precision::fp32: break;
    case Precision::bf16:
      m.compute_dtype = DType::bf16;
      m.master_weights = true;
      break;
    case Precision::fp16:
      m.compute_dtype = DType::f16;
      m.master_weights = true;
      m.loss_scale = LossScaleMode::dynamic;
      break;
  }
  return m;
}

PrecisionMode resolve_precision(const PrecisionFlags& flags, Device device) {
  const std::optional<Precision> ours = parse_precision(flags.precision);
  const std::optional<Precision> xlm = from_xlm_flags(flags);
  if (ours && xlm && *ours != *xlm)
    throw ConfigError(fmt::format("--precision {} contradicts --fp16 {} --amp {} (which mean {})",
                                  precision_name(*ours), flags.fp16.value_or(false) ? "true" : "false", flags.amp,
                                  precision_name(*xlm)));
  const Precision p = ours ? *ours : xlm ? *xlm : device.is_cuda() ? Precision::bf16 : Precision::fp32;
  if (p != Precision::fp32 && !device.is_cuda())
    throw ConfigError(fmt::format("--precision {}: low-precision training needs a GPU (CPU ops compute in f32/f64)",
                                  precision_name(p)));
  return precision_mode_for(p);
}

}  // namespace xlm::nn
