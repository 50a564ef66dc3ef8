// XLM's AdamInverseSqrtWithWarmup and AdamCosineWithWarmup schedules. The
// arithmetic follows src/optim.py operation by operation (lr_step computed
// once, then init + n * step; pow for the powers) so that, with the same libm,
// our learning rates are the same doubles as XLM's.
//
// One deliberate difference: for period_mult > 1 XLM finds the cosine period
// with a floating-point logarithm, which can land on the wrong side of a period
// boundary by rounding; we walk the periods (start += length, length *= mult),
// which is exact for whole periods and multipliers and takes O(log t) steps.
#include "nn/lr_schedule.h"

#include <cmath>

namespace xlm::nn {

namespace {
constexpr double kPi = 3.14159265358979323846;  // the double nearest pi, as Python's math.pi
}  // namespace

LrSchedule::LrSchedule(const OptimizerSpec& raw) {
  const OptimizerSpec spec = complete_optimizer_spec(raw);
  const auto& v = spec.values;
  lr_ = v.at("lr");
  if (spec.name == "adam_inverse_sqrt" || spec.name == "adam_cosine") {
    warmup_updates_ = v.at("warmup_updates");
    warmup_init_lr_ = v.at("warmup_init_lr");
    lr_step_ = warmup_updates_ > 0 ? (lr_ - warmup_init_lr_) / warmup_updates_ : 0.0;
  }
  if (spec.name == "adam_inverse_sqrt") {
    kind_ = Kind::inverse_sqrt;
    exp_factor_ = v.at("exp_factor");
    decay_factor_ = lr_ * std::pow(warmup_updates_, exp_factor_);
  } else if (spec.name == "adam_cosine") {
    kind_ = Kind::cosine;
    min_lr_ = v.at("min_lr");
    period_ = v.at("init_period");
    period_mult_ = v.at("period_mult");
    lr_shrink_ = v.at("lr_shrink");
  }
}

double LrSchedule::warmup_lr(int64_t n) const { return warmup_init_lr_ + static_cast<double>(n) * lr_step_; }

double LrSchedule::cosine_lr(int64_t n) const {
  const double t = static_cast<double>(n) - warmup_updates_;
  double period_index = 0, t_i = period_, t_curr = 0;
  if (period_mult_ == 1) {
    period_index = std::floor(t / period_);
    t_curr = t - period_ * period_index;
  } else {
    double start = 0;
    while (t >= start + t_i) {
      start += t_i;
      t_i *= period_mult_;
      period_index += 1;
    }
    t_curr = t - start;
  }
  const double shrink = std::pow(lr_shrink_, period_index);
  const double min_lr = min_lr_ * shrink;
  const double max_lr = lr_ * shrink;
  return min_lr + 0.5 * (max_lr - min_lr) * (1 + std::cos(kPi * t_curr / t_i));
}

double LrSchedule::lr_at(int64_t n) const {
  switch (kind_) {
    case Kind::constant: return lr_;
    case Kind::inverse_sqrt:
      if (static_cast<double>(n) < warmup_updates_) return warmup_lr(n);
      return decay_factor_ * std::pow(static_cast<double>(n), -exp_factor_);
    case Kind::cosine:
      if (static_cast<double>(n) < warmup_updates_) return warmup_lr(n);
      return cosine_lr(n);
  }
  return lr_;
}

}  // namespace xlm::nn
