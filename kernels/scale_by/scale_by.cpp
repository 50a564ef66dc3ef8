// scale_by front: checks, backend dispatch, and the autograd record. As for
// scale, the backward is the op itself with the same factor.
#include "kernels/scale_by/scale_by.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

Tensor scale_by(const Tensor& x, const Tensor& factor) {
  check_floating(x, "scale_by", "x");
  check_floating(factor, "scale_by", "factor");
  check_same_device(x, factor, "scale_by");
  check_shape(factor, {1}, "scale_by", "factor");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), scale_by_forward, x, factor, y);
  const Tensor f = factor.detach();
  autograd::record(y, "scale_by", {x}, [f](const Tensor& g) { return std::vector<Tensor>{scale_by(g, f)}; });
  return y;
}

}  // namespace xlm
