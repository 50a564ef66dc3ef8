// CPU reference for concat: each input is an (outer, width) block of the
// (outer, total * inner) output, so both directions are one memcpy per row
// and per input. Bytes are moved by element size, so every dtype is served.
#include "kernels/concat/concat.h"

#include <cstring>

namespace xlm {

namespace {

// dst[o, dst_col + k] = src[o, src_col + k] for o < outer, k < width, rows of
// src_row / dst_row elements of `esize` bytes.
void copy_block(const char* src, int64_t src_row, int64_t src_col, char* dst, int64_t dst_row, int64_t dst_col,
                int64_t outer, int64_t width, size_t esize) {
  if (width == 0) return;
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(dst + static_cast<size_t>(o * dst_row + dst_col) * esize,
                src + static_cast<size_t>(o * src_row + src_col) * esize, static_cast<size_t>(width) * esize);
}

}  // namespace

void concat_forward_cpu(const std::vector<Tensor>& xs, int64_t dim, Tensor& y) {
  const ConcatLayout l = concat_layout(y.shape(), dim);
  const int64_t y_row = y.size(dim) * l.inner;  // y is (outer, y_row)
  const size_t esize = dtype_size(y.dtype());
  int64_t col = 0;
  for (const Tensor& x : xs) {
    const int64_t width = x.size(dim) * l.inner;  // x is (outer, width)
    copy_block(static_cast<const char*>(x.data_ptr()), width, 0, static_cast<char*>(y.data_ptr()), y_row, col,
               l.outer, width, esize);
    col += width;
  }
}

void concat_backward_cpu(const Tensor& grad_y, int64_t dim, std::vector<Tensor>& grad_xs) {
  const ConcatLayout l = concat_layout(grad_y.shape(), dim);
  const int64_t g_row = grad_y.size(dim) * l.inner;  // grad_y is (outer, g_row)
  const size_t esize = dtype_size(grad_y.dtype());
  int64_t col = 0;
  for (Tensor& gx : grad_xs) {
    const int64_t width = gx.size(dim) * l.inner;  // gx is (outer, width)
    copy_block(static_cast<const char*>(grad_y.data_ptr()), g_row, col, static_cast<char*>(gx.data_ptr()), width, 0,
               l.outer, width, esize);
    col += width;
  }
}

}  // namespace xlm
