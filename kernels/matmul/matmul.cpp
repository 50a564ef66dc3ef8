// Matmul front: shape resolution (shared vs batched b, transposes) with errors
// that name both operands, backend dispatch, and the backward. The backward is
// written with matmul itself (and permute where a transposed a meets a shared
// b), so each backend only has to provide one forward GEMM.
#include "kernels/matmul/matmul.h"

#include "core/autograd.h"
#include "kernels/backend.h"
#include "kernels/permute/permute.h"

#include <numeric>

namespace xlm {

MatmulDims matmul_dims(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  check_rank(a, 2, "matmul", "a");
  check_rank(b, 2, "matmul", "b");
  check_same_dtype(a, b, "matmul");
  check_same_device(a, b, "matmul");
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const size_t ra = as.size();
  const size_t rb = bs.size();
  const bool shared = rb == 2;
  XLM_CHECK(shared || (rb == ra && std::equal(as.begin(), as.end() - 2, bs.begin())), ShapeError,
            "matmul: b {} must be 2-D (one matrix shared by the batch) or have the leading batch dimensions of a {}",
            shape_str(bs), shape_str(as));
  MatmulDims d;
  d.transpose_a = transpose_a;
  d.transpose_b = transpose_b;
  d.m = transpose_a ? as[ra - 1] : as[ra - 2];
  d.k = transpose_a ? as[ra - 2] : as[ra - 1];
  const int64_t kb = transpose_b ? bs[rb - 1] : bs[rb - 2];
  d.n = transpose_b ? bs[rb - 2] : bs[rb - 1];
  XLM_CHECK(d.k == kb, ShapeError, "matmul: inner dimensions differ: a {}{} has K={} but b {}{} has K={}",
            shape_str(as), transpose_a ? " (transposed)" : "", d.k, shape_str(bs), transpose_b ? " (transposed)" : "",
            kb);
  d.batch = std::accumulate(as.begin(), as.end() - 2, int64_t{1}, std::multiplies<int64_t>());
  d.b_shared = shared;
  if (shared && !transpose_a) {  // rows of every batch entry are consecutive: one GEMM
    d.m *= d.batch;
    d.batch = 1;
  }
  return d;
}

namespace {

// Swaps the last two dimensions (a batch of transposes).
Tensor transpose_last2(const Tensor& x) {
  std::vector<int64_t> dims(static_cast<size_t>(x.dim()));
  std::iota(dims.begin(), dims.end(), int64_t{0});
  std::swap(dims[dims.size() - 1], dims[dims.size() - 2]);
  return permute(x, dims);
}

// dL/da for out = op_a(a) op_b(b), g = dL/dout.
Tensor grad_a(const Tensor& a, const Tensor& b, const Tensor& g, bool ta, bool tb) {
  if (!ta) return matmul(g, b, false, !tb);  // g op_b(b)^T
  if (b.dim() == 2 && a.dim() > 2) {
    // da_i = (g_i op_b(b)^T)^T: the shared b must stay the second operand.
    return transpose_last2(matmul(g, b, false, !tb));
  }
  return tb ? matmul(b, g, true, true) : matmul(b, g, false, true);  // op_b(b) g^T
}

// dL/db for out = op_a(a) op_b(b), g = dL/dout.
Tensor grad_b(const Tensor& a, const Tensor& b, const Tensor& g, bool ta, bool tb) {
  Tensor a_use = a;
  Tensor g_use = g;
  if (b.dim() == 2 && a.dim() > 2) {
    // Sum over the batch as one GEMM: flatten the batch into the M dimension of a and g.
    const int64_t k = a.size(ta ? -2 : -1);
    const int64_t n = g.size(-1);
    const int64_t rows = shape_numel(Shape(g.shape().begin(), g.shape().end() - 1));  // batch * M
    if (ta) {  // a (..., K, M) -> (K, ..., M) -> (K, batch*M): still "transposed" rows
      const int64_t r = a.dim();
      std::vector<int64_t> dims{r - 2};
      for (int64_t i = 0; i < r - 2; ++i) dims.push_back(i);
      dims.push_back(r - 1);
      a_use = permute(a, dims).reshape({k, rows});
    } else {
      a_use = a.reshape({rows, k});  // (batch*M, K)
    }
    g_use = g.reshape({rows, n});  // (batch*M, N)
  }
  if (!tb) return matmul(a_use, g_use, !ta, false);                                  // op_a(a)^T g
  return ta ? matmul(g_use, a_use, true, true) : matmul(g_use, a_use, true, false);  // g^T op_a(a)
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  check_floating(a, "matmul", "a");
  check_floating(b, "matmul", "b");
  const MatmulDims d = matmul_dims(a, b, transpose_a, transpose_b);
  Shape out_shape(a.shape().begin(), a.shape().end() - 2);
  out_shape.push_back(transpose_a ? a.size(-1) : a.size(-2));
  out_shape.push_back(d.n);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  XLM_CALL_BACKEND(a.device(), matmul_forward, a, b, d, out);
  const bool need_a = a.requires_grad();
  const bool need_b = b.requires_grad();
  autograd::record(out, "matmul", {a, b},
                   [a = a.detach(), b = b.detach(), transpose_a, transpose_b, need_a, need_b](const Tensor& g) {
                     return std::vector<Tensor>{need_a ? grad_a(a, b, g, transpose_a, transpose_b) : Tensor(),
                                                need_b ? grad_b(a, b, g, transpose_a, transpose_b) : Tensor()};
                   });
  return out;
}

}  // namespace xlm
