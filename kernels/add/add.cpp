// add front: broadcast checks, backend dispatch, and the autograd record. The
// suffix reduction lives here too because add's backward is its first user
// (mul's backward is the second).
#include "kernels/add/add.h"

#include "core/autograd.h"
#include "kernels/backend.h"

#include <algorithm>

namespace xlm {

bool is_shape_suffix(const Shape& shape, const Shape& suffix) {
  if (suffix.size() > shape.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), shape.end() - static_cast<std::ptrdiff_t>(suffix.size()));
}

void check_suffix_broadcast(const Tensor& a, const Tensor& b, const char* op) {
  check_floating(a, op, "a");
  check_floating(b, op, "b");
  XLM_CHECK(is_shape_suffix(a.shape(), b.shape()), ShapeError,
            "{}: cannot broadcast b {} to a {}: b's shape must equal a's shape or a trailing part of it", op,
            shape_str(b.shape()), shape_str(a.shape()));
  check_same_dtype(a, b, op);
  check_same_device(a, b, op);
}

Tensor add(const Tensor& a, const Tensor& b) {
  check_suffix_broadcast(a, b, "add");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  XLM_CALL_BACKEND(a.device(), add_forward, a, b, out);
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  const Shape b_shape = b.shape();
  autograd::record(out, "add", {a, b}, [need_a, need_b, b_shape](const Tensor& g) {
    Tensor grad_b;
    if (need_b) grad_b = g.shape() == b_shape ? g : sum_to_suffix(g, b_shape);
    return std::vector<Tensor>{need_a ? g : Tensor(), grad_b};
  });
  return out;
}

Tensor sum_to_suffix(const Tensor& g, const Shape& suffix) {
  check_floating(g, "sum_to_suffix", "g");
  XLM_CHECK(is_shape_suffix(g.shape(), suffix), ShapeError,
            "sum_to_suffix: {} is not a trailing suffix of g's shape {}", shape_str(suffix), shape_str(g.shape()));
  Tensor out = Tensor::empty(suffix, g.dtype(), g.device());
  XLM_CALL_BACKEND(g.device(), sum_to_suffix, g, out);
  const Shape g_shape = g.shape();
  autograd::record(out, "sum_to_suffix", {g}, [g_shape](const Tensor& gy) {
    // Broadcasting gy back over the leading dims is an add onto zeros.
    return std::vector<Tensor>{add(Tensor::zeros(g_shape, gy.dtype(), gy.device()), gy)};
  });
  return out;
}

}  // namespace xlm
