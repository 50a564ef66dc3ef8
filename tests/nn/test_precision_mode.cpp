// resolve_precision: every documented spelling maps to its mode, XLM's own
// flag checks are kept, contradictions and unsupported choices are
// ConfigErrors naming the flags, and the defaults depend on the device.
#include "core/error.h"
#include "nn/precision_mode.h"
#include "support.h"

using namespace xlm;
using namespace xlm::nn;

namespace {
PrecisionFlags flags(std::string precision, std::optional<bool> fp16 = std::nullopt, int amp = -1) {
  PrecisionFlags f;
  f.precision = std::move(precision);
  f.fp16 = fp16;
  f.amp = amp;
  return f;
}
const Device kGpu = Device::cuda(0);
const Device kCpu = Device::cpu();
}  // namespace

TEST_CASE("precision: the three modes", "[nn][mixed_precision]") {
  const PrecisionMode fp32 = precision_mode_for(Precision::fp32);
  CHECK(fp32.compute_dtype == DType::f32);
  CHECK_FALSE(fp32.master_weights);
  CHECK(fp32.loss_scale == LossScaleMode::off);
  const PrecisionMode bf16 = precision_mode_for(Precision::bf16);
  CHECK(bf16.compute_dtype == DType::bf16);
  CHECK(bf16.master_weights);
  CHECK(bf16.master_dtype == DType::f32);
  CHECK(bf16.loss_scale == LossScaleMode::off);
  const PrecisionMode fp16 = precision_mode_for(Precision::fp16);
  CHECK(fp16.compute_dtype == DType::f16);
  CHECK(fp16.master_weights);
  CHECK(fp16.master_dtype == DType::f32);
  CHECK(fp16.loss_scale == LossScaleMode::dynamic);
}

TEST_CASE("precision: our --precision and XLM's --fp16/--amp map onto the modes", "[nn][mixed_precision]") {
  CHECK(resolve_precision(flags("fp32"), kGpu).precision == Precision::fp32);
  CHECK(resolve_precision(flags("bf16"), kGpu).precision == Precision::bf16);
  CHECK(resolve_precision(flags("fp16"), kGpu).precision == Precision::fp16);
  CHECK(resolve_precision(flags("", true, 1), kGpu).precision == Precision::fp16);  // apex O1
  CHECK(resolve_precision(flags("", true, 2), kGpu).precision == Precision::fp16);  // apex O2
  CHECK(resolve_precision(flags("", false), kGpu).precision == Precision::fp32);    // XLM's explicit default
  CHECK(resolve_precision(flags("", std::nullopt, 0), kGpu).precision == Precision::fp32);  // apex O0
  CHECK(resolve_precision(flags("fp16", true, 2), kGpu).precision == Precision::fp16);      // both, agreeing
  CHECK(resolve_precision(flags("fp32", false, 0), kCpu).precision == Precision::fp32);
}

TEST_CASE("precision: defaults are bf16 on a GPU and fp32 on the CPU", "[nn][mixed_precision]") {
  CHECK(resolve_precision(flags(""), kGpu).precision == Precision::bf16);
  CHECK(resolve_precision(flags(""), kCpu).precision == Precision::fp32);
  CHECK(resolve_precision(flags("", false, -1), kCpu).precision == Precision::fp32);
}

TEST_CASE("precision: bad and contradictory flags are ConfigErrors", "[nn][mixed_precision]") {
  XLM_CHECK_THROWS(resolve_precision(flags("fp8"), kGpu), ConfigError, "--precision", "fp8");
  XLM_CHECK_THROWS(resolve_precision(flags("", true), kGpu), ConfigError, "--fp16 true needs --amp 1 or 2");
  XLM_CHECK_THROWS(resolve_precision(flags("", true, 0), kGpu), ConfigError, "--fp16 true needs --amp");
  XLM_CHECK_THROWS(resolve_precision(flags("", std::nullopt, 1), kGpu), ConfigError, "--amp 1", "--fp16 true");
  XLM_CHECK_THROWS(resolve_precision(flags("", true, 3), kGpu), ConfigError, "--amp 3", "not supported");
  XLM_CHECK_THROWS(resolve_precision(flags("", std::nullopt, 4), kGpu), ConfigError, "--amp", "got 4");
  XLM_CHECK_THROWS(resolve_precision(flags("bf16", true, 1), kGpu), ConfigError, "--precision bf16 contradicts",
                   "fp16");
  XLM_CHECK_THROWS(resolve_precision(flags("fp16", false), kGpu), ConfigError, "--precision fp16 contradicts");
  XLM_CHECK_THROWS(resolve_precision(flags("bf16"), kCpu), ConfigError, "--precision bf16", "needs a GPU");
  XLM_CHECK_THROWS(resolve_precision(flags("", true, 2), kCpu), ConfigError, "--precision fp16", "needs a GPU");
}
