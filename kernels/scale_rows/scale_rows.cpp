// scale_rows front: shape/dtype/device checks, dispatch, and the autograd
// record. The gradient of x is scale_rows itself; the gradient of the scale
// is a row dot product with its own kernel. Each operand is saved only when
// the other one needs its gradient (a padding mask usually needs none).
#include "kernels/scale_rows/scale_rows.h"

#include "core/autograd.h"
#include "kernels/backend.h"

namespace xlm {

namespace {

Shape row_shape(const Tensor& x) { return Shape(x.shape().begin(), x.shape().end() - 1); }

}  // namespace

Tensor scale_rows(const Tensor& x, const Tensor& row_scale) {
  check_floating(x, "scale_rows", "x");
  check_rank(x, 1, "scale_rows", "x");
  check_defined(row_scale, "scale_rows", "row_scale");
  check_same_dtype(x, row_scale, "scale_rows");
  check_same_device(x, row_scale, "scale_rows");
  check_shape(row_scale, row_shape(x), "scale_rows", "row_scale");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), scale_rows_forward, x, row_scale, y);
  const bool need_x = x.requires_grad(), need_scale = row_scale.requires_grad();
  Tensor saved_x = need_scale ? x.detach() : Tensor();
  Tensor saved_scale = need_x ? row_scale.detach() : Tensor();
  autograd::record(y, "scale_rows", {x, row_scale}, [need_x, need_scale, saved_x, saved_scale](const Tensor& g) {
    Tensor grad_x, grad_scale;
    if (need_x) grad_x = scale_rows(g, saved_scale);
    if (need_scale) grad_scale = scale_rows_grad_scale(saved_x, g);
    return std::vector<Tensor>{grad_x, grad_scale};
  });
  return y;
}

Tensor scale_rows_grad_scale(const Tensor& x, const Tensor& grad_y) {
  check_floating(x, "scale_rows_grad_scale", "x");
  check_rank(x, 1, "scale_rows_grad_scale", "x");
  check_shape(grad_y, x.shape(), "scale_rows_grad_scale", "grad_y");
  check_same_dtype(x, grad_y, "scale_rows_grad_scale");
  check_same_device(x, grad_y, "scale_rows_grad_scale");
  Tensor gs = Tensor::empty(row_shape(x), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), scale_rows_grad_scale, x, grad_y, gs);
  return gs;
}

}  // namespace xlm
