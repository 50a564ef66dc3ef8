// CPU reference for length_mask: one comparison per element.
#include "core/dispatch.h"
#include "kernels/length_mask/length_mask.h"

namespace xlm {

namespace {

template <typename I, typename T>
void fill_mask(const I* lengths, int64_t start, T* keep, int64_t B, int64_t T_len) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T_len; ++t)
      keep[b * T_len + t] = start + t < static_cast<int64_t>(lengths[b]) ? T(1) : T(0);
}

}  // namespace

void length_mask_forward_cpu(const Tensor& lengths, int64_t start, Tensor& keep) {
  const int64_t B = keep.size(0), T_len = keep.size(1);
  XLM_DISPATCH_CPU_FLOAT(keep.dtype(), "length_mask", [&](auto tag) {
    using T = decltype(tag);
    T* k = static_cast<T*>(keep.data_ptr());  // (B, T)
    if (lengths.dtype() == DType::i32)
      fill_mask(lengths.data<int32_t>(), start, k, B, T_len);
    else
      fill_mask(lengths.data<int64_t>(), start, k, B, T_len);
  });
}

}  // namespace xlm
