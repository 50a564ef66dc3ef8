// CPU reference for gather_rows: copy rows forward, add rows back in index
// order. Indices are trusted here: the front has range-checked them.
#include "core/dispatch.h"
#include "kernels/gather_rows/gather_rows.h"

#include <algorithm>

namespace xlm {

namespace {

template <typename I, typename T>
void forward_rows(const T* px, const I* index, T* out, int64_t M, int64_t C) {
  for (int64_t i = 0; i < M; ++i) std::copy(px + index[i] * C, px + (index[i] + 1) * C, out + i * C);
}

template <typename I, typename T>
void backward_rows(const T* g, const I* index, T* gx, int64_t M, int64_t C) {
  for (int64_t i = 0; i < M; ++i) {
    T* row = gx + static_cast<int64_t>(index[i]) * C;
    for (int64_t c = 0; c < C; ++c) row[c] += g[i * C + c];
  }
}

}  // namespace

void gather_rows_forward_cpu(const Tensor& x, const Tensor& index, Tensor& out) {
  const int64_t M = index.numel(), C = x.size(1);
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "gather_rows", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());  // (N, C)
    T* o = static_cast<T*>(out.data_ptr());                 // (M, C)
    if (index.dtype() == DType::i32)
      forward_rows(px, index.data<int32_t>(), o, M, C);
    else
      forward_rows(px, index.data<int64_t>(), o, M, C);
  });
}

void gather_rows_backward_cpu(const Tensor& grad_out, const Tensor& index, Tensor& grad_x) {
  const int64_t M = index.numel(), C = grad_x.size(1);
  XLM_DISPATCH_CPU_FLOAT(grad_out.dtype(), "gather_rows_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* g = static_cast<const T*>(grad_out.data_ptr());  // (M, C)
    T* gx = static_cast<T*>(grad_x.data_ptr());          // (N, C)
    std::fill(gx, gx + grad_x.numel(), T(0));
    if (index.dtype() == DType::i32)
      backward_rows(g, index.data<int32_t>(), gx, M, C);
    else
      backward_rows(g, index.data<int64_t>(), gx, M, C);
  });
}

}  // namespace xlm
