// gather_rows front: argument checks (the index range check: on the host for
// CPU indices, in the CUDA twin for device indices, kernels/index_check.h),
// backend dispatch, and the autograd record (gradient for x only).
#include "kernels/gather_rows/gather_rows.h"

#include "core/autograd.h"
#include "kernels/backend.h"
#include "kernels/index_check.h"

namespace xlm {

Tensor gather_rows(const Tensor& x, const Tensor& index) {
  check_floating(x, "gather_rows", "x");
  XLM_CHECK(x.dim() == 2, ShapeError, "gather_rows: x must be [N, C], got {}", x.describe());
  check_index_dtype(index, "gather_rows", "index");
  XLM_CHECK(index.dim() == 1, ShapeError, "gather_rows: index must be [M], got {}", index.describe());
  check_same_device(x, index, "gather_rows");
  const int64_t N = x.size(0);
  check_indices_in_range(index, N, "gather_rows", "index", "rows of x N");
  Tensor out = Tensor::empty({index.size(0), x.size(1)}, x.dtype(), x.device());  // (M, C)
  XLM_CALL_BACKEND(x.device(), gather_rows_forward, x, index, out);
  autograd::record(out, "gather_rows", {x}, [index = index.detach(), N](const Tensor& g) {
    return std::vector<Tensor>{gather_rows_backward(g, index, N)};
  });
  return out;
}

Tensor gather_rows_backward(const Tensor& grad_out, const Tensor& index, int64_t num_rows) {
  check_floating(grad_out, "gather_rows_backward", "grad_out");
  check_index_dtype(index, "gather_rows_backward", "index");
  XLM_CHECK(index.dim() == 1, ShapeError, "gather_rows_backward: index must be [M], got {}", index.describe());
  check_same_device(grad_out, index, "gather_rows_backward");
  XLM_CHECK(grad_out.dim() == 2 && grad_out.size(0) == index.size(0), ShapeError,
            "gather_rows_backward: grad_out must be [{}, C], got {}", index.size(0), grad_out.describe());
  check_indices_in_range(index, num_rows, "gather_rows_backward", "index", "rows of x N");
  Tensor grad_x = Tensor::empty({num_rows, grad_out.size(1)}, grad_out.dtype(), grad_out.device());  // (N, C)
  XLM_CALL_BACKEND(grad_out.device(), gather_rows_backward, grad_out, index, grad_x);
  return grad_x;
}

}  // namespace xlm
