// CUDA residual layer norm. One block per row (a grid-stride loop over rows);
// each thread owns groups of 4 consecutive columns, read with one vector load
// when the row length and pointers allow it (kernels/vec_access.cuh). The
// dropout mask is redrawn with core/philox.h (bit-identical to cuRAND and to
// the CPU): one Philox block covers 4 draws, two when the group straddles a
// block boundary. z = x + keep * f * scale is formed once, in fp32, and kept
// in shared memory for the variance and output passes (two-pass statistics,
// as layer_norm). The optional row factor (the padding mask) multiplies the
// output before its one rounding and the upstream gradient as it is loaded,
// so the mask costs no pass of its own. The backward recomputes z, writes grad_x and grad_f in one
// pass (the keep flags of the first pass kept as bits in shared memory), and
// accumulates grad_gamma/grad_beta per column in shared memory over
// the rows its block owns; a second kernel adds the per-block partials in a
// fixed order (deterministic, no atomics in any dtype).
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "core/philox.h"
#include "kernels/block_reduce.cuh"
#include "kernels/dynamic_shared.cuh"
#include "kernels/residual_layer_norm/residual_layer_norm.h"
#include "kernels/vec_access.cuh"

namespace xlm {

namespace {

constexpr long long kBackwardBlocks = 256;  // fixed, so partial sums do not depend on the GPU

struct KeepArgs {
  bool active;
  float threshold;
  float scale;
  unsigned long long seed;
  unsigned long long offset;
};

__device__ __forceinline__ uint32_t pick(const Philox4& a, const Philox4& b, unsigned idx) {
  switch (idx) {
    case 0: return a.v[0];
    case 1: return a.v[1];
    case 2: return a.v[2];
    case 3: return a.v[3];
    case 4: return b.v[0];
    case 5: return b.v[1];
    default: return b.v[2];
  }
}

// keep[j] for flat elements i .. i + 3 of f.
__device__ __forceinline__ void keep4(const KeepArgs& k, long long i, bool keep[4]) {
  if (!k.active) {
#pragma unroll
    for (int j = 0; j < 4; ++j) keep[j] = true;
    return;
  }
  const unsigned long long pos = k.offset + static_cast<unsigned long long>(i);
  const unsigned long long block = pos >> 2;
  const unsigned lo = static_cast<unsigned>(pos & 3ULL);
  const uint32_t k0 = static_cast<uint32_t>(k.seed), k1 = static_cast<uint32_t>(k.seed >> 32);
  const Philox4 a = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u, k0, k1);
  Philox4 b = a;
  if (lo != 0)
    b = philox4x32_10(static_cast<uint32_t>(block + 1), static_cast<uint32_t>((block + 1) >> 32), 0u, 0u, k0, k1);
#pragma unroll
  for (int j = 0; j < 4; ++j) keep[j] = philox_uniform_from_bits(pick(a, b, lo + j)) > k.threshold;
}

// Dynamic shared memory: z (C) for the current row.
// row_scale: (rows,) or nullptr (a factor of 1).
template <typename T, bool kVec>
__global__ void residual_layer_norm_forward_kernel(const T* x, const T* f, const T* gamma, const T* beta,
                                                   const T* row_scale, float eps, KeepArgs keep, T* y, float* mean,
                                                   float* rstd, long long rows, long long C) {
  extern __shared__ float z[];  // (C,)
  __shared__ float scratch[32];
  const long long stride = 4LL * blockDim.x;
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const long long base = row * C;
    float s = 0.0f;
    for (long long c = 4LL * threadIdx.x; c < C; c += stride) {
      float xv[4], fv[4];
      bool kept[4];
      load4<T, kVec>(x + base, c, C, xv);
      load4<T, kVec>(f + base, c, C, fv);
      keep4(keep, base + c, kept);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        if (c + j < C) {
          const float v = xv[j] + (kept[j] ? fv[j] * keep.scale : 0.0f);
          z[c + j] = v;
          s += v;
        }
      }
    }
    const float mu = block_sum(s, scratch) / static_cast<float>(C);
    float q = 0.0f;
    for (long long c = 4LL * threadIdx.x; c < C; c += stride) {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        if (c + j < C) {
          const float d = z[c + j] - mu;
          q += d * d;
        }
      }
    }
    const float r = 1.0f / sqrtf(block_sum(q, scratch) / static_cast<float>(C) + eps);
    if (threadIdx.x == 0) {
      mean[row] = mu;
      rstd[row] = r;
    }
    const float ms = row_scale != nullptr ? load_float(row_scale[row]) : 1.0f;
    for (long long c = 4LL * threadIdx.x; c < C; c += stride) {
      float gv[4], bv[4], out[4];
      load4<T, kVec>(gamma, c, C, gv);
      load4<T, kVec>(beta, c, C, bv);
#pragma unroll
      for (int j = 0; j < 4; ++j) out[j] = c + j < C ? ((z[c + j] - mu) * r * gv[j] + bv[j]) * ms : 0.0f;
      store4<T, kVec>(y + base, c, C, out);
    }
  }
}

// Dynamic shared memory: xhat (C), dy * gamma (C), this block's running
// column sums of dy * xhat (C) and dy (C), then one byte of keep flags per
// group of 4 columns (so the second pass does not redraw Philox). Every
// column is touched by one thread only, so none of it needs a barrier.
// Writes partial_* (gridDim.x, C). row_scale: (rows,) or nullptr; the
// upstream gradient is grad_y times it.
template <typename T, bool kVec>
__global__ void residual_layer_norm_backward_kernel(const T* x, const T* f, const T* gamma, const float* mean,
                                                    const float* rstd, const T* gy, const T* row_scale,
                                                    KeepArgs keep, T* gx, T* gf, float* partial_gamma,
                                                    float* partial_beta, long long rows, long long C) {
  extern __shared__ float smem[];
  float* xhat = smem;           // (C,)
  float* dyg = smem + C;        // (C,)
  float* acc_g = smem + 2 * C;  // (C,)
  float* acc_b = smem + 3 * C;  // (C,)
  unsigned char* kept_bits = reinterpret_cast<unsigned char*>(smem + 4 * C);  // (ceil(C / 4),)
  __shared__ float scratch[32];
  const long long stride = 4LL * blockDim.x;
  for (long long c = 4LL * threadIdx.x; c < C; c += stride)
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (c + j < C) acc_g[c + j] = acc_b[c + j] = 0.0f;
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const long long base = row * C;
    const float m = mean[row], r = rstd[row];
    const float ms = row_scale != nullptr ? load_float(row_scale[row]) : 1.0f;
    float sd = 0.0f, sdx = 0.0f;
    for (long long c = 4LL * threadIdx.x; c < C; c += stride) {
      float xv[4], fv[4], gv[4], wv[4];
      bool kept[4];
      load4<T, kVec>(x + base, c, C, xv);
      load4<T, kVec>(f + base, c, C, fv);
      load4<T, kVec>(gy + base, c, C, gv);
      load4<T, kVec>(gamma, c, C, wv);
      keep4(keep, base + c, kept);
      kept_bits[c / 4] = static_cast<unsigned char>(kept[0] | kept[1] << 1 | kept[2] << 2 | kept[3] << 3);
#pragma unroll
      for (int j = 0; j < 4; ++j) gv[j] *= ms;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        if (c + j < C) {
          const float zj = xv[j] + (kept[j] ? fv[j] * keep.scale : 0.0f);
          const float h = (zj - m) * r;
          const float d = gv[j] * wv[j];
          xhat[c + j] = h;
          dyg[c + j] = d;
          acc_g[c + j] += gv[j] * h;
          acc_b[c + j] += gv[j];
          sd += d;
          sdx += d * h;
        }
      }
    }
    const float mean_d = block_sum(sd, scratch) / static_cast<float>(C);
    const float mean_dx = block_sum(sdx, scratch) / static_cast<float>(C);
    for (long long c = 4LL * threadIdx.x; c < C; c += stride) {
      float dz[4], df[4];
      const unsigned bits = kept_bits[c / 4];
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        dz[j] = c + j < C ? r * (dyg[c + j] - mean_d - xhat[c + j] * mean_dx) : 0.0f;
        df[j] = (bits >> j) & 1u ? dz[j] * keep.scale : 0.0f;  // scale is 1 without dropout
      }
      store4<T, kVec>(gx + base, c, C, dz);
      store4<T, kVec>(gf + base, c, C, df);
    }
  }
  for (long long c = 4LL * threadIdx.x; c < C; c += stride) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      if (c + j < C) {
        partial_gamma[blockIdx.x * C + c + j] = acc_g[c + j];
        partial_beta[blockIdx.x * C + c + j] = acc_b[c + j];
      }
    }
  }
}

// Column c's total is the sum of its `chunks` partials, in order.
template <typename T>
__global__ void residual_layer_norm_param_final_kernel(const float* partial_gamma, const float* partial_beta,
                                                       T* grad_gamma, T* grad_beta, long long chunks, long long C) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < C; c += (long long)gridDim.x * blockDim.x) {
    float tg = 0.0f, tb = 0.0f;
    for (long long k = 0; k < chunks; ++k) {
      tg += partial_gamma[k * C + c];
      tb += partial_beta[k * C + c];
    }
    grad_gamma[c] = store_float<T>(tg);
    grad_beta[c] = store_float<T>(tb);
  }
}

KeepArgs keep_args(const DropoutKeep& k) {
  return KeepArgs{k.active, k.threshold, k.active ? static_cast<float>(k.scale) : 1.0f, k.seed, k.offset};
}

// The row factor's device pointer, or nullptr when there is none.
template <typename T>
const T* rows_of(const Tensor& row_scale) {
  return row_scale.defined() ? static_cast<const T*>(row_scale.data_ptr()) : nullptr;
}

// Row threads: one per 4 columns, a multiple of 32 in [32, 256].
int threads_for(long long C) { return row_block_threads((C + 3) / 4); }

}  // namespace

void residual_layer_norm_forward_cuda(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& beta,
                                      double eps, const DropoutKeep& keep, const Tensor& row_scale, Tensor& y,
                                      Tensor& mean, Tensor& rstd) {
  const long long C = x.size(-1);
  const long long rows = x.numel() / C;
  if (rows == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  const size_t shared = static_cast<size_t>(C) * sizeof(float);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "residual_layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const bool vec = C % 4 == 0 && vec4_aligned<T>(x.data_ptr()) && vec4_aligned<T>(f.data_ptr()) &&
                     vec4_aligned<T>(gamma.data_ptr()) && vec4_aligned<T>(beta.data_ptr()) &&
                     vec4_aligned<T>(y.data_ptr());
    auto launch = [&](auto kernel) {
      reserve_dynamic_shared(kernel, shared, "residual_layer_norm", "rows of C", C);
      kernel<<<row_blocks(rows), threads_for(C), shared, ctx.stream>>>(
          static_cast<const T*>(x.data_ptr()), static_cast<const T*>(f.data_ptr()),
          static_cast<const T*>(gamma.data_ptr()), static_cast<const T*>(beta.data_ptr()), rows_of<T>(row_scale),
          static_cast<float>(eps), keep_args(keep), static_cast<T*>(y.data_ptr()), static_cast<float*>(mean.data_ptr()),
          static_cast<float*>(rstd.data_ptr()), rows, C);
      XLM_CUDA_CHECK_LAUNCH();
    };
    if (vec)
      launch(residual_layer_norm_forward_kernel<T, true>);
    else
      launch(residual_layer_norm_forward_kernel<T, false>);
  });
}

void residual_layer_norm_backward_cuda(const Tensor& x, const Tensor& f, const Tensor& gamma, const Tensor& mean,
                                       const Tensor& rstd, const Tensor& grad_y, const DropoutKeep& keep,
                                       const Tensor& row_scale, Tensor& grad_x, Tensor& grad_f, Tensor& grad_gamma,
                                       Tensor& grad_beta) {
  const long long C = x.size(-1);
  const long long rows = x.numel() / C;
  CudaContext& ctx = CudaContext::get(x.device().index);
  const long long blocks = rows < 1 ? 1 : (rows < kBackwardBlocks ? rows : kBackwardBlocks);
  Tensor partial_gamma = Tensor::empty({blocks, C}, DType::f32, x.device());  // (blocks, C)
  Tensor partial_beta = Tensor::empty({blocks, C}, DType::f32, x.device());   // (blocks, C)
  const size_t shared = 4 * static_cast<size_t>(C) * sizeof(float) + static_cast<size_t>((C + 3) / 4);
  XLM_DISPATCH_CUDA_FLOAT(x.dtype(), "residual_layer_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    const bool vec = C % 4 == 0 && vec4_aligned<T>(x.data_ptr()) && vec4_aligned<T>(f.data_ptr()) &&
                     vec4_aligned<T>(gamma.data_ptr()) && vec4_aligned<T>(grad_y.data_ptr()) &&
                     vec4_aligned<T>(grad_x.data_ptr()) && vec4_aligned<T>(grad_f.data_ptr());
    auto launch = [&](auto kernel) {
      reserve_dynamic_shared(kernel, shared, "residual_layer_norm_backward", "rows of C", C);
      kernel<<<static_cast<unsigned>(blocks), threads_for(C), shared, ctx.stream>>>(
          static_cast<const T*>(x.data_ptr()), static_cast<const T*>(f.data_ptr()),
          static_cast<const T*>(gamma.data_ptr()), static_cast<const float*>(mean.data_ptr()),
          static_cast<const float*>(rstd.data_ptr()), static_cast<const T*>(grad_y.data_ptr()), rows_of<T>(row_scale),
          keep_args(keep),
          static_cast<T*>(grad_x.data_ptr()), static_cast<T*>(grad_f.data_ptr()),
          static_cast<float*>(partial_gamma.data_ptr()), static_cast<float*>(partial_beta.data_ptr()), rows, C);
      XLM_CUDA_CHECK_LAUNCH();
    };
    if (vec)
      launch(residual_layer_norm_backward_kernel<T, true>);
    else
      launch(residual_layer_norm_backward_kernel<T, false>);
    residual_layer_norm_param_final_kernel<T><<<blocks_for(C), kThreads, 0, ctx.stream>>>(
        static_cast<const float*>(partial_gamma.data_ptr()), static_cast<const float*>(partial_beta.data_ptr()),
        static_cast<T*>(grad_gamma.data_ptr()), static_cast<T*>(grad_beta.data_ptr()), blocks, C);
    XLM_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace xlm
