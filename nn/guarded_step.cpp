// guarded_step: unscale -> check -> (clip) -> step, in that order; see the header.
#include "nn/guarded_step.h"

#include "nn/grad_clip.h"

namespace xlm::nn {

GuardedStepResult guarded_step(Optimizer& optimizer, LossScaler& scaler, double clip_norm) {
  GuardedStepResult result;
  if (!scaler.unscale_and_check(optimizer.params())) return result;
  if (clip_norm > 0) result.grad_norm = clip_grad_norm(optimizer.params(), clip_norm);
  optimizer.step();
  result.stepped = true;
  return result;
}

}  // namespace xlm::nn
