// concat front: validates that the inputs agree on everything but `dim`
// (naming both shapes when they do not), dispatches, and records a backward
// that splits the incoming gradient back into the inputs' pieces.
#include "kernels/concat/concat.h"

#include "core/autograd.h"
#include "kernels/backend.h"

#include <fmt/ranges.h>

namespace xlm {

namespace {

int64_t normalized_dim(int64_t dim, int64_t rank, const char* op, const Tensor& x) {
  const int64_t d = dim < 0 ? dim + rank : dim;
  XLM_CHECK(d >= 0 && d < rank, ShapeError, "{}: dim {} out of range for {} (rank {})", op, dim, x.describe(), rank);
  return d;
}

}  // namespace

ConcatLayout concat_layout(const Shape& shape, int64_t dim) {
  ConcatLayout l{1, 1};
  for (int64_t i = 0; i < dim; ++i) l.outer *= shape[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(dim) + 1; i < shape.size(); ++i) l.inner *= shape[i];
  return l;
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  XLM_CHECK(!xs.empty(), ShapeError, "concat: needs at least one tensor, got an empty list");
  for (const Tensor& x : xs) check_defined(x, "concat", "xs");
  const Tensor& first = xs[0];
  check_rank(first, 1, "concat", "xs[0]");
  const int64_t d = normalized_dim(dim, first.dim(), "concat", first);
  Shape out_shape = first.shape();
  out_shape[static_cast<size_t>(d)] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    check_same_dtype(first, x, "concat");
    check_same_device(first, x, "concat");
    bool match = x.dim() == first.dim();
    for (int64_t k = 0; match && k < first.dim(); ++k) match = k == d || x.size(k) == first.size(k);
    XLM_CHECK(match, ShapeError, "concat along dim {}: xs[{}] has shape {} but xs[0] has shape {}; all dims but {} must match",
              dim, i, shape_str(x.shape()), shape_str(first.shape()), d);
    sizes.push_back(x.size(d));
    out_shape[static_cast<size_t>(d)] += x.size(d);
  }
  Tensor y = Tensor::empty(out_shape, first.dtype(), first.device());
  XLM_CALL_BACKEND(first.device(), concat_forward, xs, d, y);
  autograd::record(y, "concat", xs, [sizes, d](const Tensor& gy) { return concat_backward(gy, sizes, d); });
  return y;
}

std::vector<Tensor> concat_backward(const Tensor& grad_y, const std::vector<int64_t>& sizes, int64_t dim) {
  check_rank(grad_y, 1, "concat_backward", "grad_y");
  const int64_t d = normalized_dim(dim, grad_y.dim(), "concat_backward", grad_y);
  int64_t total = 0;
  for (int64_t s : sizes) {
    XLM_CHECK(s >= 0, ShapeError, "concat_backward: negative size in [{}]", fmt::join(sizes, ", "));
    total += s;
  }
  XLM_CHECK(total == grad_y.size(d), ShapeError, "concat_backward: sizes [{}] add up to {} but {} has {} along dim {}",
            fmt::join(sizes, ", "), total, grad_y.describe(), grad_y.size(d), d);
  std::vector<Tensor> pieces;
  for (int64_t s : sizes) {
    Shape shape = grad_y.shape();
    shape[static_cast<size_t>(d)] = s;
    pieces.push_back(Tensor::empty(shape, grad_y.dtype(), grad_y.device()));
  }
  XLM_CALL_BACKEND(grad_y.device(), concat_backward, grad_y, d, pieces);
  return pieces;
}

}  // namespace xlm
