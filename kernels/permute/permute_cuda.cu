// CUDA permute: one generic index-mapping kernel, instantiated per element
// size (1, 2, 4, 8 bytes) so it serves every dtype. Each output element
// decomposes its linear index over the output shape and gathers from the
// input through the permuted strides (grid-stride loop, 64-bit indices).
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "kernels/permute/permute.h"

#include <cstdint>

namespace xlm {

namespace {

struct PermuteParams {
  int rank;
  long long out_shape[kPermuteMaxRank];
  long long in_strides_permuted[kPermuteMaxRank];  // stride in x of output dimension i
};

template <typename E>
__global__ void permute_kernel(const E* __restrict__ in, E* __restrict__ out, PermuteParams p, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    long long rest = i;
    long long offset = 0;
    for (int d = p.rank - 1; d >= 0; --d) {
      const long long idx = rest % p.out_shape[d];
      rest /= p.out_shape[d];
      offset += idx * p.in_strides_permuted[d];
    }
    out[i] = in[offset];
  }
}

}  // namespace

void permute_forward_cuda(const Tensor& x, const std::vector<int64_t>& dims, Tensor& y) {
  const long long n = x.numel();
  if (n == 0) return;
  const Shape& in_shape = x.shape();
  const int rank = static_cast<int>(in_shape.size());
  long long in_strides[kPermuteMaxRank];
  long long stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    in_strides[d] = stride;
    stride *= in_shape[static_cast<size_t>(d)];
  }
  PermuteParams p{};
  p.rank = rank;
  for (int i = 0; i < rank; ++i) {
    p.out_shape[i] = y.shape()[static_cast<size_t>(i)];
    p.in_strides_permuted[i] = in_strides[dims[static_cast<size_t>(i)]];
  }
  CudaContext& ctx = CudaContext::get(x.device().index);
  const auto launch = [&](auto tag) {
    using E = decltype(tag);
    permute_kernel<E><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const E*>(x.data_ptr()),
                                                                  static_cast<E*>(y.data_ptr()), p, n);
    XLM_CUDA_CHECK_LAUNCH();
  };
  dispatch_by_element_size(x, "permute", launch);
}

}  // namespace xlm
