// The one place where the loss scaler and the optimizer meet, so that the
// contract of a skipped fp16 step is code rather than convention: when the
// gradients are not finite the optimizer is not called at all, which leaves
// the parameters, the Adam moments, the per-parameter and global step counts
// and therefore the learning-rate schedule (a function of n_updates) exactly
// as they were. Clipping sits between unscaling and the update, because the
// norm must be measured on the true (unscaled) gradients.
// The gradients are left in place either way; the caller zero_grads as usual.
#pragma once

#include "nn/loss_scaler.h"
#include "nn/optimizer.h"

namespace xlm::nn {

struct GuardedStepResult {
  bool stepped = false;  // false: non-finite gradients, step skipped, scale backed off
  double grad_norm = 0;  // the global norm before clipping (when clip_norm > 0 and stepped), else 0
};

// Unscales and checks optimizer.params()' gradients with `scaler`; if they are
// finite, clips them to clip_norm (when > 0) and calls optimizer.step().
GuardedStepResult guarded_step(Optimizer& optimizer, LossScaler& scaler, double clip_norm = 0);

}  // namespace xlm::nn
