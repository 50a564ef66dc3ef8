// CPU reference for the embedding lookup: copy rows forward, add rows back in
// id order. Ids are trusted here: the front has range-checked them.
#include "core/dispatch.h"
#include "kernels/embedding/embedding.h"

#include <algorithm>

namespace xlm {

namespace {

template <typename I, typename T>
void forward_rows(const T* w, const I* ids, T* out, int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; ++i) std::copy(w + ids[i] * C, w + (ids[i] + 1) * C, out + i * C);
}

template <typename I, typename T>
void backward_rows(const T* g, const I* ids, T* gw, int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; ++i) {
    T* row = gw + static_cast<int64_t>(ids[i]) * C;
    for (int64_t c = 0; c < C; ++c) row[c] += g[i * C + c];
  }
}

}  // namespace

void embedding_forward_cpu(const Tensor& weight, const Tensor& ids, Tensor& out) {
  const int64_t n = ids.numel(), C = weight.size(1);
  XLM_DISPATCH_CPU_FLOAT(weight.dtype(), "embedding", [&](auto tag) {
    using T = decltype(tag);
    const T* w = static_cast<const T*>(weight.data_ptr());  // (V, C)
    T* o = static_cast<T*>(out.data_ptr());                 // (n, C)
    if (ids.dtype() == DType::i32)
      forward_rows(w, ids.data<int32_t>(), o, n, C);
    else
      forward_rows(w, ids.data<int64_t>(), o, n, C);
  });
}

void embedding_backward_cpu(const Tensor& grad_out, const Tensor& ids, Tensor& grad_weight) {
  const int64_t n = ids.numel(), C = grad_weight.size(1);
  XLM_DISPATCH_CPU_FLOAT(grad_out.dtype(), "embedding_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* g = static_cast<const T*>(grad_out.data_ptr());  // (n, C)
    T* gw = static_cast<T*>(grad_weight.data_ptr());          // (V, C)
    std::fill(gw, gw + grad_weight.numel(), T(0));
    if (ids.dtype() == DType::i32)
      backward_rows(g, ids.data<int32_t>(), gw, n, C);
    else
      backward_rows(g, ids.data<int64_t>(), gw, n, C);
  });
}

}  // namespace xlm
