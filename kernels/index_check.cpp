// Index validation (see index_check.h). The message gives the flat position
// and the multi-index so a user can find the bad token in a batch; the CPU
// check and the device-detected one word it the same way.
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

std::string range_message(int64_t flat, int64_t v, const Shape& shape, const std::string& described, int64_t upper,
                          const char* op, const char* arg, const char* what) {
  return fmt::format("{}: {} {} at position {} (flat {}) of {} is outside [0, {}) ({} = {})", op, arg, v,
                     multi_index(flat, shape), flat, described, upper, what, upper);
}

template <typename I>
void check_range(const I* values, const Tensor& index, int64_t upper, const char* op, const char* arg,
                 const char* what) {
  const int64_t n = index.numel();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = static_cast<int64_t>(values[i]);
    if (v < 0 || v >= upper)
      throw IndexError(range_message(i, v, index.shape(), index.describe(), upper, op, arg, what));
  }
}

}  // namespace

void check_index_dtype(const Tensor& index, const char* op, const char* arg) {
  check_defined(index, op, arg);
  if (index.dtype() != DType::i32 && index.dtype() != DType::i64)
    throw DTypeError(fmt::format("{}: {} must be i32 or i64, got {}", op, arg, index.describe()));
}

void check_indices_in_range(const Tensor& index, int64_t upper, const char* op, const char* arg, const char* what) {
  if (!index.device().is_cpu()) return;  // the CUDA twin checks as it reads
  if (index.dtype() == DType::i32)
    check_range(index.data<int32_t>(), index, upper, op, arg, what);
  else
    check_range(index.data<int64_t>(), index, upper, op, arg, what);
}

DeviceErrorRaiser index_range_raiser(const Tensor& index, int64_t upper, const char* op, const char* arg,
                                     const char* what) {
  return [shape = index.shape(), described = index.describe(), upper, op, arg, what](int64_t flat, int64_t v) {
    throw IndexError(range_message(flat, v, shape, described, upper, op, arg, what) + " (detected on the device)");
  };
}

}  // namespace xlm
