// CUDA concat: one kernel, a grid-stride copy of an (outer, width) block
// between two row-strided buffers, instantiated per element size (1, 2, 4,
// 8 bytes) so it serves every dtype. The forward launches it once per input
// into its column range of the output; the backward once per input out of it.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/concat/concat.h"

#include <cstdint>

namespace xlm {

namespace {

// dst[o * dst_row + dst_col + k] = src[o * src_row + src_col + k] for o < outer, k < width.
template <typename E>
__global__ void copy_block_kernel(const E* __restrict__ src, long long src_row, long long src_col, E* __restrict__ dst,
                                  long long dst_row, long long dst_col, long long width, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const long long o = i / width;
    const long long k = i - o * width;
    dst[o * dst_row + dst_col + k] = src[o * src_row + src_col + k];
  }
}

void copy_block(const Tensor& src, long long src_row, long long src_col, const Tensor& dst, long long dst_row,
                long long dst_col, long long outer, long long width) {
  const long long n = outer * width;
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(dst.device().index);
  const auto launch = [&](auto tag) {
    using E = decltype(tag);
    copy_block_kernel<E><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const E*>(src.data_ptr()), src_row,
                                                                     src_col, static_cast<E*>(dst.data_ptr()), dst_row,
                                                                     dst_col, width, n);
    XLM_CUDA_CHECK_LAUNCH();
  };
  dispatch_by_element_size(dst, "concat", launch);
}

}  // namespace

void concat_forward_cuda(const std::vector<Tensor>& xs, int64_t dim, Tensor& y) {
  const ConcatLayout l = concat_layout(y.shape(), dim);
  const long long y_row = y.size(dim) * l.inner;  // y is (outer, y_row)
  long long col = 0;
  for (const Tensor& x : xs) {
    const long long width = x.size(dim) * l.inner;  // x is (outer, width)
    copy_block(x, width, 0, y, y_row, col, l.outer, width);
    col += width;
  }
}

void concat_backward_cuda(const Tensor& grad_y, int64_t dim, std::vector<Tensor>& grad_xs) {
  const ConcatLayout l = concat_layout(grad_y.shape(), dim);
  const long long g_row = grad_y.size(dim) * l.inner;  // grad_y is (outer, g_row)
  long long col = 0;
  for (const Tensor& gx : grad_xs) {
    const long long width = gx.size(dim) * l.inner;  // gx is (outer, width)
    copy_block(grad_y, g_row, col, gx, width, 0, l.outer, width);
    col += width;
  }
}

}  // namespace xlm
