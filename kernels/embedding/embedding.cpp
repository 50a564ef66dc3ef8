// Embedding front: argument checks (the id range check: on the host for CPU
// ids, in the CUDA twin for device ids, kernels/index_check.h),
// backend dispatch, and the autograd record (gradient for the weight only).
#include "kernels/embedding/embedding.h"

#include "core/autograd.h"
#include "kernels/backend.h"
#include "kernels/index_check.h"

namespace xlm {

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  check_floating(weight, "embedding", "weight");
  XLM_CHECK(weight.dim() == 2, ShapeError, "embedding: weight must be [V, C], got {}", weight.describe());
  check_index_dtype(ids, "embedding", "ids");
  check_same_device(weight, ids, "embedding");
  const int64_t V = weight.size(0), C = weight.size(1);
  check_indices_in_range(ids, V, "embedding", "id", "weight rows V");
  Shape out_shape = ids.shape();
  out_shape.push_back(C);
  Tensor out = Tensor::empty(out_shape, weight.dtype(), weight.device());  // (S..., C)
  XLM_CALL_BACKEND(weight.device(), embedding_forward, weight, ids, out);
  autograd::record(out, "embedding", {weight}, [ids = ids.detach(), V](const Tensor& g) {
    return std::vector<Tensor>{embedding_backward(g, ids, V)};
  });
  return out;
}

Tensor embedding_backward(const Tensor& grad_out, const Tensor& ids, int64_t num_rows) {
  check_floating(grad_out, "embedding_backward", "grad_out");
  check_index_dtype(ids, "embedding_backward", "ids");
  check_same_device(grad_out, ids, "embedding_backward");
  XLM_CHECK(grad_out.dim() == ids.dim() + 1, ShapeError, "embedding_backward: grad_out {} does not fit ids {}",
            grad_out.describe(), ids.describe());
  Shape expected = ids.shape();
  expected.push_back(grad_out.size(-1));
  check_shape(grad_out, expected, "embedding_backward", "grad_out");
  check_indices_in_range(ids, num_rows, "embedding_backward", "id", "weight rows V");
  Tensor grad_weight = Tensor::empty({num_rows, grad_out.size(-1)}, grad_out.dtype(), grad_out.device());  // (V, C)
  XLM_CALL_BACKEND(grad_out.device(), embedding_backward, grad_out, ids, grad_weight);
  return grad_weight;
}

}  // namespace xlm
