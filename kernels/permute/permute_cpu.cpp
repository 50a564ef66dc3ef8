// CPU reference for permute: walk the output in order with an odometer over
// its indices, reading the input through strides reordered by `dims`. The
// element is moved by its size, so one loop serves every dtype. When the last
// dimension does not move, whole rows are copied at once.
#include "kernels/permute/permute.h"

#include "core/error.h"

#include <cstring>

namespace xlm {

namespace {

template <typename E>
void permute_elements(const E* in, E* out, const Shape& out_shape, const int64_t* in_strides_permuted, int64_t n) {
  const size_t rank = out_shape.size();
  int64_t index[kPermuteMaxRank] = {0, 0, 0, 0, 0, 0};
  int64_t offset = 0;  // input offset of the output element `index`
  for (int64_t i = 0; i < n; ++i) {
    out[i] = in[offset];
    for (size_t d = rank; d-- > 0;) {  // advance the odometer, last dimension fastest
      ++index[d];
      offset += in_strides_permuted[d];
      if (index[d] < out_shape[d]) break;
      offset -= index[d] * in_strides_permuted[d];
      index[d] = 0;
    }
  }
}

// The last dimension stays last (attention's head moves): whole rows of
// `inner` elements are contiguous on both sides, so the odometer walks the
// other dimensions and each step is one memcpy.
void permute_rows(const char* in, char* out, const Shape& out_shape, const int64_t* in_strides_permuted,
                  size_t elem_size) {
  const size_t outer_rank = out_shape.size() - 1;
  const int64_t inner = out_shape.back();
  const size_t row_bytes = static_cast<size_t>(inner) * elem_size;
  int64_t rows = 1;
  for (size_t d = 0; d < outer_rank; ++d) rows *= out_shape[d];
  int64_t index[kPermuteMaxRank] = {0, 0, 0, 0, 0, 0};
  int64_t offset = 0;  // input element offset of output row `index`
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(out + static_cast<size_t>(r) * row_bytes, in + static_cast<size_t>(offset) * elem_size, row_bytes);
    for (size_t d = outer_rank; d-- > 0;) {
      ++index[d];
      offset += in_strides_permuted[d];
      if (index[d] < out_shape[d]) break;
      offset -= index[d] * in_strides_permuted[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void permute_forward_cpu(const Tensor& x, const std::vector<int64_t>& dims, Tensor& y) {
  const int64_t n = x.numel();
  if (n == 0) return;
  const Shape& in_shape = x.shape();
  const size_t rank = in_shape.size();
  int64_t in_strides[kPermuteMaxRank] = {};  // row-major strides of x, in elements
  int64_t stride = 1;
  for (size_t d = rank; d-- > 0;) {
    in_strides[d] = stride;
    stride *= in_shape[d];
  }
  int64_t permuted[kPermuteMaxRank] = {};  // stride in x of output dimension i
  for (size_t i = 0; i < rank; ++i) permuted[i] = in_strides[static_cast<size_t>(dims[i])];
  const Shape& out_shape = y.shape();
  if (rank >= 2 && dims[rank - 1] == static_cast<int64_t>(rank) - 1 && out_shape.back() > 1) {
    permute_rows(static_cast<const char*>(x.data_ptr()), static_cast<char*>(y.data_ptr()), out_shape, permuted,
                 dtype_size(x.dtype()));
    return;
  }
  const auto run = [&](auto tag) {
    using E = decltype(tag);
    permute_elements(static_cast<const E*>(x.data_ptr()), static_cast<E*>(y.data_ptr()), out_shape, permuted, n);
  };
  switch (dtype_size(x.dtype())) {
    case 1:
      run(uint8_t{});
      break;
    case 2:
      run(uint16_t{});
      break;
    case 4:
      run(uint32_t{});
      break;
    case 8:
      run(uint64_t{});
      break;
    default:
      throw DTypeError(fmt::format("permute: unsupported element size of {}", x.describe()));
  }
}

}  // namespace xlm
