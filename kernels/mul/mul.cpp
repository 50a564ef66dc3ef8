// mul front: the broadcast check shared with add, backend dispatch, and the
// autograd record. The backward is composed from mul itself and add's suffix
// reduction, so there is no separate backward kernel to keep in step.
#include "kernels/mul/mul.h"

#include "core/autograd.h"
#include "kernels/add/add.h"
#include "kernels/backend.h"

namespace xlm {

Tensor mul(const Tensor& a, const Tensor& b) {
  check_suffix_broadcast(a, b, "mul");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  XLM_CALL_BACKEND(a.device(), mul_forward, a, b, out);
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  const Shape b_shape = b.shape();
  // Each factor is saved only when the other one needs its gradient.
  Tensor saved_a = need_b ? a.detach() : Tensor();
  Tensor saved_b = need_a ? b.detach() : Tensor();
  autograd::record(out, "mul", {a, b}, [need_a, need_b, b_shape, saved_a, saved_b](const Tensor& g) {
    Tensor grad_a, grad_b;
    if (need_a) grad_a = mul(g, saved_b);
    if (need_b) {
      Tensor g_times_a = mul(g, saved_a);  // a's shape
      grad_b = g_times_a.shape() == b_shape ? g_times_a : sum_to_suffix(g_times_a, b_shape);
    }
    return std::vector<Tensor>{grad_a, grad_b};
  });
  return out;
}

}  // namespace xlm
