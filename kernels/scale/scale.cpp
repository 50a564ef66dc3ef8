// scale front: checks, backend dispatch, and the autograd record. The
// backward is scale itself, so one kernel serves both directions.
#include "kernels/scale/scale.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

Tensor scale(const Tensor& x, double alpha) {
  check_floating(x, "scale", "x");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), scale_forward, x, alpha, y);
  autograd::record(y, "scale", {x}, [alpha](const Tensor& g) { return std::vector<Tensor>{scale(g, alpha)}; });
  return y;
}

}  // namespace xlm
