// CPU reference for the residual layer norm: literally the composition it
// replaces (dropout's CPU loop, the add, layer_norm's CPU loops, scale_rows'
// loop for the row factor), so the model computes bit for bit what it
// computed before the fusion. The sum z is a temporary here; only the CUDA
// twin avoids materialising it.
#include "core/dispatch.h"
#include "kernels/dropout/dropout.h"
#include "kernels/layer_norm/layer_norm.h"
#include "kernels/residual_layer_norm/residual_layer_norm.h"
#include "kernels/scale_rows/scale_rows.h"

namespace xlm {

namespace {

// dropout(src) under `keep` (a copy when inactive), as kernels/dropout does.
Tensor masked(const Tensor& src, const DropoutKeep& keep) {
  if (!keep.active) return src.clone();
  Tensor out = Tensor::empty(src.shape(), src.dtype(), src.device());
  dropout_forward_cpu(src, keep.threshold, keep.scale, keep.seed, keep.offset, out);
  return out;
}

// z = x + dropout(f)  (..., C)
Tensor residual_sum(const Tensor& x, const Tensor& f, const DropoutKeep& keep) {
  const Tensor d = masked(f, keep);
  Tensor z = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "residual_layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    const T* pd = static_cast<const T*>(d.data_ptr());
    T* pz = static_cast<T*>(z.data_ptr());
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) pz[i] = px[i] + pd[i];
  });
  return z;
}

}  // namespace

void residual_layer_norm_forward_cpu(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta,
                                     double eps, const DropoutKeep& keep, const Tensor& row_scale, Tensor& y,
                                     Tensor& mean, Tensor& rstd) {
  layer_norm_forward_cpu(residual_sum(x, f, keep), gamma, beta, eps, y, mean, rstd);
  if (row_scale.defined()) scale_rows_forward_cpu(y, row_scale, y);  // in place: one element at a time
}

void residual_layer_norm_backward_cpu(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& mean,
                                      const Tensor& rstd, const Tensor& grad_y, const DropoutKeep& keep,
                                      const Tensor& row_scale, Tensor& grad_x, Tensor& grad_f, Tensor& grad_gamma,
                                      Tensor& grad_beta) {
  Tensor g = grad_y;  // (..., C): the gradient reaching the layer norm
  if (row_scale.defined()) {
    g = Tensor::empty(grad_y.shape(), grad_y.dtype(), grad_y.device());
    scale_rows_forward_cpu(grad_y, row_scale, g);
  }
  layer_norm_backward_cpu(residual_sum(x, f, keep), gamma, mean, rstd, g, grad_x, grad_gamma, grad_beta);
  if (keep.active) {
    dropout_forward_cpu(grad_x, keep.threshold, keep.scale, keep.seed, keep.offset, grad_f);
  } else {
    copy_bytes(grad_f.data_ptr(), grad_f.device(), grad_x.data_ptr(), grad_x.device(), grad_x.nbytes());
  }
}

}  // namespace xlm
