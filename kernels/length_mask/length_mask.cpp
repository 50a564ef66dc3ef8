// length_mask front: argument checks and backend dispatch. Nothing to record
// for autograd: the mask is a function of integer lengths only.
#include "kernels/length_mask/length_mask.h"

#include "kernels/backend.h"

namespace xlm {

Tensor length_mask(const Tensor& lengths, int64_t T, int64_t start, DType dtype) {
  check_defined(lengths, "length_mask", "lengths");
  XLM_CHECK(lengths.dtype() == DType::i32 || lengths.dtype() == DType::i64, DTypeError,
            "length_mask: lengths must be i32 or i64, got {}", lengths.describe());
  XLM_CHECK(lengths.dim() == 1, ShapeError, "length_mask: lengths must be (B), got {}", lengths.describe());
  XLM_CHECK(T >= 0 && start >= 0, ShapeError, "length_mask: T = {} and start = {} must be >= 0", T, start);
  XLM_CHECK(is_floating(dtype), DTypeError, "length_mask: the mask dtype must be floating, got {}", dtype_name(dtype));
  Tensor keep = Tensor::empty({lengths.size(0), T}, dtype, lengths.device());  // (B, T)
  if (keep.numel() > 0) XLM_CALL_BACKEND(lengths.device(), length_mask_forward, lengths, start, keep);
  return keep;
}

}  // namespace xlm
