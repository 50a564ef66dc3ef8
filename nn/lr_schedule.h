// Learning-rate schedules of XLM's optimizers, as a pure function of the number
// of updates already made. Keeping it stateless (no running lr) is what makes
// a resumed run bit-exact: the checkpoint only needs n_updates.
//
// Convention (XLM's): the update that follows n completed updates uses
// lr_at(n). XLM builds its optimizer with lr = warmup_init_lr and, after each
// step, sets lr = get_lr_for_step(num_updates); so the first update uses
// lr_at(0) = warmup_init_lr and update k (1-based) uses lr_at(k - 1).
//   adam, sgd:          lr_at(n) = lr
//   adam_inverse_sqrt:  n <  W: warmup_init_lr + n * (lr - warmup_init_lr) / W
//                       n >= W: lr * W^e * n^-e            (W = warmup_updates, e = exp_factor = 0.5)
//   adam_cosine:        n <  W: the same linear warm-up
//                       n >= W: t = n - W; period i has length P * mult^i;
//                       lr_at = s*min_lr + 0.5*(s*lr - s*min_lr)*(1 + cos(pi * t_curr / t_i)),
//                       s = lr_shrink^i, t_curr = t - (start of period i), t_i = its length.
#pragma once

#include "nn/optimizer_parse.h"

#include <cstdint>

namespace xlm::nn {

class LrSchedule {
 public:
  // `spec` is completed (complete_optimizer_spec) here.
  explicit LrSchedule(const OptimizerSpec& spec);
  double lr_at(int64_t n_updates) const;

 private:
  enum class Kind { constant, inverse_sqrt, cosine };
  double warmup_lr(int64_t n) const;
  double cosine_lr(int64_t n) const;

  Kind kind_ = Kind::constant;
  double lr_ = 0;
  double warmup_updates_ = 0, warmup_init_lr_ = 0, lr_step_ = 0;
  double exp_factor_ = 0.5, decay_factor_ = 0;                            // inverse_sqrt
  double min_lr_ = 0, period_ = 1, period_mult_ = 1, lr_shrink_ = 1;      // cosine
};

}  // namespace xlm::nn
