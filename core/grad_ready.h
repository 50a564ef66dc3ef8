// The one hook data-parallel training needs from the autograd tape: a
// callback when a leaf's gradient is final within a backward pass, so that
// a bucket of gradients can be reduced while the rest of backward still
// runs (PyTorch's DDP registers per-parameter hooks for the same purpose).
// Kept out of autograd.h: only the reducer and the tape itself use it.
#pragma once

#include "core/tensor.h"

#include <functional>

namespace xlm::autograd {

// Called by backward() once per leaf whose .grad is final for this backward
// pass: right after its last accumulation (every reachable node that
// consumes it has run), or at the end of the pass for a leaf some of whose
// consumers received no gradient. One hook per thread, installed for the
// scope of the guard (nested guards restore the outer hook).
using GradReadyHook = std::function<void(const Tensor& leaf)>;

class GradReadyScope {
 public:
  explicit GradReadyScope(GradReadyHook hook);
  ~GradReadyScope();
  GradReadyScope(const GradReadyScope&) = delete;
  GradReadyScope& operator=(const GradReadyScope&) = delete;

 private:
  GradReadyHook previous_;
};

}  // namespace xlm::autograd
