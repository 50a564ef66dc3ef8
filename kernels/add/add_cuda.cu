// CUDA add and suffix reduction. add is one grid-stride elementwise kernel
// (b indexed modulo its size). sum_to_suffix is a column sum of g viewed as
// (rows, cols): blocks of 32 columns x 8 row-strided threads reduce through
// shared memory; when there are few column tiles (a small bias over many rows)
// the rows are split into parts across grid.y, each part writes fp32 partial
// sums, and a second kernel adds the parts. No atomics, so results are
// deterministic run to run.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/add/add.h"

#include <algorithm>

namespace xlm {

namespace {

constexpr int kColTile = 32;  // columns per block (one warp wide, coalesced)
constexpr int kRowLanes = 8;  // threads per column, striding the rows
constexpr long long kMaxParts = 1024;

template <typename T>
__global__ void add_kernel(const T* a, const T* b, T* out, long long n, long long nb) {
  // b[i] directly when the shapes match: no 64-bit modulo on the common path.
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    out[i] = store_float<T>(load_float(a[i]) + load_float(b[nb == n ? i : i % nb]));
}

// g (rows, cols) -> out (parts, cols): part p sums rows [p * rows_per_part, (p + 1) * rows_per_part).
template <typename T, typename OutT>
__global__ void column_sum_kernel(const T* g, OutT* out, long long rows, long long cols, long long rows_per_part) {
  __shared__ float partial[kRowLanes][kColTile + 1];
  const long long col = blockIdx.x * (long long)kColTile + threadIdx.x;
  const long long begin = blockIdx.y * rows_per_part;
  const long long end = begin + rows_per_part < rows ? begin + rows_per_part : rows;
  float acc = 0.0f;
  if (col < cols)
    for (long long r = begin + threadIdx.y; r < end; r += kRowLanes) acc += load_float(g[r * cols + col]);
  partial[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float sum = 0.0f;
    for (int k = 0; k < kRowLanes; ++k) sum += partial[k][threadIdx.x];
    out[blockIdx.y * cols + col] = store_float<OutT>(sum);
  }
}

// partial (parts, cols) fp32 -> out (cols,)
template <typename T>
__global__ void sum_parts_kernel(const float* partial, T* out, long long parts, long long cols) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < cols; c += (long long)gridDim.x * blockDim.x) {
    float sum = 0.0f;
    for (long long p = 0; p < parts; ++p) sum += partial[p * cols + c];
    out[c] = store_float<T>(sum);
  }
}

}  // namespace

void add_forward_cuda(const Tensor& a, const Tensor& b, Tensor& out) {
  const long long n = a.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(a.device().index);
  XLM_DISPATCH_CUDA_FLOAT(a.dtype(), "add", [&](auto tag) {
    using T = decltype(tag);
    add_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const T*>(a.data_ptr()),
                                                               static_cast<const T*>(b.data_ptr()),
                                                               static_cast<T*>(out.data_ptr()), n, b.numel());
    XLM_CUDA_CHECK_LAUNCH();
  });
}

void sum_to_suffix_cuda(const Tensor& g, Tensor& out) {
  const long long cols = out.numel();
  if (cols == 0) return;
  const long long rows = g.numel() / cols;
  CudaContext& ctx = CudaContext::get(g.device().index);
  // Enough blocks to fill the GPU about twice, each part still at least 64 rows long.
  const long long col_tiles = (cols + kColTile - 1) / kColTile;
  const long long want_blocks = 2LL * std::max(1, ctx.props.multiProcessorCount);
  long long parts = std::min({(want_blocks + col_tiles - 1) / col_tiles, (rows + 63) / 64, kMaxParts});
  parts = std::max(parts, 1LL);
  const long long rows_per_part = std::max((rows + parts - 1) / parts, 1LL);
  parts = std::max((rows + rows_per_part - 1) / rows_per_part, 1LL);
  const dim3 block(kColTile, kRowLanes);
  const dim3 grid(static_cast<unsigned>(col_tiles), static_cast<unsigned>(parts));
  XLM_DISPATCH_CUDA_FLOAT(g.dtype(), "sum_to_suffix", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = static_cast<const T*>(g.data_ptr());  // (rows, cols)
    T* po = static_cast<T*>(out.data_ptr());            // (cols,)
    if (parts == 1) {
      column_sum_kernel<T, T><<<grid, block, 0, ctx.stream>>>(pg, po, rows, cols, rows_per_part);
      XLM_CUDA_CHECK_LAUNCH();
      return;
    }
    Tensor partial = Tensor::empty({parts, cols}, DType::f32, g.device());  // (parts, cols)
    float* pp = static_cast<float*>(partial.data_ptr());
    column_sum_kernel<T, float><<<grid, block, 0, ctx.stream>>>(pg, pp, rows, cols, rows_per_part);
    XLM_CUDA_CHECK_LAUNCH();
    sum_parts_kernel<T><<<blocks_for(cols), kThreads, 0, ctx.stream>>>(pp, po, parts, cols);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
