// Host-side index validation (see index_check.h). The message gives the flat
// position and the multi-index so a user can find the bad token in a batch.
#include "kernels/index_check.h"

#include "core/error.h"

#include <string>
#include <vector>

namespace xlm {

namespace {

std::string multi_index(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

template <typename I>
void check_range(const std::vector<I>& values, const Tensor& index, int64_t upper, const char* op, const char* arg,
                 const char* what) {
  for (size_t i = 0; i < values.size(); ++i) {
    const int64_t v = static_cast<int64_t>(values[i]);
    if (v < 0 || v >= upper)
      throw IndexError(fmt::format("{}: {} {} at position {} (flat {}) of {} is outside [0, {}) ({} = {})", op, arg,
                                   v, multi_index(static_cast<int64_t>(i), index.shape()), i, index.describe(),
                                   upper, what, upper));
  }
}

}  // namespace

void check_index_dtype(const Tensor& index, const char* op, const char* arg) {
  check_defined(index, op, arg);
  if (index.dtype() != DType::i32 && index.dtype() != DType::i64)
    throw DTypeError(fmt::format("{}: {} must be i32 or i64, got {}", op, arg, index.describe()));
}

void check_indices_in_range(const Tensor& index, int64_t upper, const char* op, const char* arg, const char* what) {
  if (index.dtype() == DType::i32)
    check_range(index.detach().to_vector<int32_t>(), index, upper, op, arg, what);
  else
    check_range(index.detach().to_vector<int64_t>(), index, upper, op, arg, what);
}

}  // namespace xlm
