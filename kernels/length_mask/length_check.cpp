// Host half of kernels/length_mask/length_check.h: CPU lengths are read in
// place (no copy, nothing counted: they are host memory), device lengths go
// to the CUDA check kernel.
#include "kernels/length_mask/length_check.h"

#include "kernels/backend.h"

namespace xlm {

namespace {

template <typename I>
void check_host(const I* lengths, int64_t B, int64_t lo, int64_t hi, const LengthErrorThrower& thrower) {
  for (int64_t b = 0; b < B; ++b) {
    const int64_t v = static_cast<int64_t>(lengths[b]);
    if (v < lo || v > hi) thrower(b, v, "");
  }
}

}  // namespace

void check_lengths_in_range(const Tensor& lengths, int64_t lo, int64_t hi, LengthErrorThrower thrower) {
  if (lengths.numel() == 0) return;
  if (lengths.device().is_cuda()) {
#if XLM_WITH_CUDA
    check_lengths_in_range_cuda(lengths, lo, hi, std::move(thrower));
    return;
#else
    no_cuda_backend("check_lengths_in_range");
#endif
  }
  if (lengths.dtype() == DType::i32)
    check_host(lengths.data<int32_t>(), lengths.numel(), lo, hi, thrower);
  else
    check_host(lengths.data<int64_t>(), lengths.numel(), lo, hi, thrower);
}

}  // namespace xlm
