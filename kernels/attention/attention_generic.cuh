// Fused attention with plain fp32 FMA, for every dtype and any head size up
// to kGenericMaxD: the fp32 path, and the bf16/f16 path where the
// tensor-core kernels do not apply (D other than 64/128, unaligned rows). Same algorithm as the tensor-core kernel
// (K/V tiles through shared memory, online softmax, scores kept in
// registers, logsumexp written), at a warp granularity that keeps each index
// obvious: a block holds 8 rows of one (b, h), one per warp; a 32-row tile of
// the other side is staged in shared memory (rows padded to D + 1 floats so
// that "lane = row" dot products hit distinct banks), lane j owns row j of
// the tile for the scores, and lane c owns output columns c, c + 32, ...
//
// Backward (Dao 2023, algorithm 2, recomputing P from the logsumexp):
//   delta_i = rowsum(dO_i * O_i); dP = dropout(dO V^T); dS = P * (dP - delta)
//   dV = dropout(P)^T dO, dK = scale dS^T Q  (one warp per key row)
//   dQ = scale dS K                          (one warp per query row)
// dQ gets its own pass instead of fp32 atomics: every gradient element is
// summed in a fixed order by one thread, so the backward is deterministic
// and a resumed run reproduces its loss curve bit for bit on the GPU too;
// the price is computing the scores twice.
// Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include "core/cuda_dispatch.cuh"
#include "kernels/attention/attention_common.cuh"
#include "kernels/block_reduce.cuh"

namespace xlm::attention_detail {

constexpr int kGenericRows = 8;  // warps per block, one row each
constexpr int kGenericThreads = 32 * kGenericRows;
constexpr int kGenericTile = 32;  // rows of the other side staged per step
constexpr int kGenericMaxD = 256;
constexpr int kGenericPerLane = kGenericMaxD / 32;

inline size_t generic_forward_shared_bytes(int d) {  // q rows (8, D), keys (32, D + 1), values (32, D)
  return sizeof(float) * static_cast<size_t>(kGenericRows * d + kGenericTile * (d + 1) + kGenericTile * d);
}
inline size_t generic_backward_shared_bytes(int d) {  // two (8, D) row sets, two (32, D + 1) tiles
  return sizeof(float) * static_cast<size_t>(2 * kGenericRows * d + 2 * kGenericTile * (d + 1));
}

// Rows t0 .. t0+count-1 of head (b, h) of x [B, T, H, D] as floats into dst (count, stride); zeros past t_len.
template <typename T>
__device__ __forceinline__ void stage_rows(float* dst, int stride, const T* x, long long b, long long h, long long t0,
                                           int count, long long t_len, long long heads, int d) {
  for (int idx = threadIdx.x; idx < count * d; idx += blockDim.x) {
    const int r = idx / d, c = idx % d;
    const long long t = t0 + r;
    dst[r * stride + c] = t < t_len ? load_float(x[row_offset(b, t, h, t_len, heads, d) + c]) : 0.0f;
  }
}

__device__ __forceinline__ float dot_shared(const float* x, const float* y, int d) {
  float acc = 0.0f;
  for (int c = 0; c < d; ++c) acc = fmaf(x[c], y[c], acc);
  return acc;
}

// grid: (B*H, ceil(Tq / 8)); block: 256; shared: generic_forward_shared_bytes(D).
template <typename T>
__global__ void __launch_bounds__(kGenericThreads)
    attention_forward_generic_kernel(const T* q, const T* k, const T* v, T* out, float* lse, AttentionArgs a) {
  extern __shared__ float shared[];
  const int d = a.d;
  float* qs = shared;                          // (8, D)
  float* ks = qs + kGenericRows * d;           // (32, D + 1)
  float* vs = ks + kGenericTile * (d + 1);     // (32, D)
  const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
  const long long i0 = static_cast<long long>(blockIdx.y) * kGenericRows;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long long i = i0 + warp;
  stage_rows(qs, d, q, b, h, i0, kGenericRows, a.tq, a.heads, d);

  const long long length = key_length(a, b);
  const long long limit = i < a.tq ? visible_keys(a, length, i) : 0;
  const long long kv_end = visible_keys(a, length, min(i0 + kGenericRows, a.tq) - 1);
  float o[kGenericPerLane] = {};  // columns lane + 32 r
  float m = -INFINITY, l = 0.0f;
  for (long long k0 = 0; k0 < kv_end; k0 += kGenericTile) {
    __syncthreads();
    stage_rows(ks, d + 1, k, b, h, k0, kGenericTile, a.tk, a.heads, d);
    stage_rows(vs, d, v, b, h, k0, kGenericTile, a.tk, a.heads, d);
    __syncthreads();
    const long long j = k0 + lane;
    const float s = j < limit ? dot_shared(qs + warp * d, ks + lane * (d + 1), d) * a.scale : -INFINITY;
    const float m_new = fmaxf(m, warp_max(s));
    const float m_ref = m_new == -INFINITY ? 0.0f : m_new;  // nothing visible yet: exp(-inf) = 0, no NaN
    const float alpha = expf(m - m_ref);
    m = m_new;
    float p = expf(s - m_ref);
    l = l * alpha + warp_sum(p);  // the softmax sums the weights before dropout
    if (p != 0.0f) p *= dropout_factor(a, (bh * a.tq + i) * a.tk + j);
#pragma unroll
    for (int r = 0; r < kGenericPerLane; ++r) o[r] *= alpha;
    for (int jj = 0; jj < kGenericTile; ++jj) {
      const float pj = __shfl_sync(0xffffffffu, p, jj);
#pragma unroll
      for (int r = 0; r < kGenericPerLane; ++r) {
        const int c = lane + 32 * r;
        if (c < d) o[r] = fmaf(pj, vs[jj * d + c], o[r]);
      }
    }
  }
  if (i >= a.tq) return;
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;  // a fully masked row is zeros
  T* orow = out + row_offset(b, i, h, a.tq, a.heads, d);
#pragma unroll
  for (int r = 0; r < kGenericPerLane; ++r) {
    const int c = lane + 32 * r;
    if (c < d) orow[c] = store_float<T>(o[r] * inv);
  }
  if (lane == 0) lse[bh * a.tq + i] = l > 0.0f ? m + logf(l) : -INFINITY;
}

// delta (B, H, Tq) = rowsum(dO * O); one warp per row, grid-stride over rows.
template <typename T>
__global__ void attention_delta_kernel(const T* out, const T* grad_out, float* delta, AttentionArgs a,
                                       long long rows) {
  const int lane = threadIdx.x % 32;
  const long long warps = static_cast<long long>(gridDim.x) * (blockDim.x / 32);
  for (long long row = blockIdx.x * static_cast<long long>(blockDim.x / 32) + threadIdx.x / 32; row < rows;
       row += warps) {
    const long long bh = row / a.tq, i = row % a.tq, b = bh / a.heads, h = bh % a.heads;
    const long long base = row_offset(b, i, h, a.tq, a.heads, a.d);
    float acc = 0.0f;
    for (int c = lane; c < a.d; c += 32) acc = fmaf(load_float(grad_out[base + c]), load_float(out[base + c]), acc);
    acc = warp_sum(acc);
    if (lane == 0) delta[row] = acc;
  }
}

// grid: (B*H, ceil(Tq / 8)); block: 256; shared: generic_backward_shared_bytes(D). Writes every grad_q row.
template <typename T>
__global__ void __launch_bounds__(kGenericThreads)
    attention_backward_dq_kernel(const T* q, const T* k, const T* v, const T* grad_out, const float* lse,
                                 const float* delta, T* grad_q, AttentionArgs a) {
  extern __shared__ float shared[];
  const int d = a.d;
  float* qs = shared;                         // (8, D)
  float* dos = qs + kGenericRows * d;         // (8, D)
  float* ks = dos + kGenericRows * d;         // (32, D + 1)
  float* vs = ks + kGenericTile * (d + 1);    // (32, D + 1)
  const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
  const long long i0 = static_cast<long long>(blockIdx.y) * kGenericRows;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long long i = i0 + warp;
  stage_rows(qs, d, q, b, h, i0, kGenericRows, a.tq, a.heads, d);
  stage_rows(dos, d, grad_out, b, h, i0, kGenericRows, a.tq, a.heads, d);

  const long long length = key_length(a, b);
  const long long limit = i < a.tq ? visible_keys(a, length, i) : 0;
  const long long kv_end = visible_keys(a, length, min(i0 + kGenericRows, a.tq) - 1);
  const float lse_i = limit > 0 ? lse[bh * a.tq + i] : 0.0f;
  const float delta_i = limit > 0 ? delta[bh * a.tq + i] : 0.0f;
  float dq[kGenericPerLane] = {};
  for (long long k0 = 0; k0 < kv_end; k0 += kGenericTile) {
    __syncthreads();
    stage_rows(ks, d + 1, k, b, h, k0, kGenericTile, a.tk, a.heads, d);
    stage_rows(vs, d + 1, v, b, h, k0, kGenericTile, a.tk, a.heads, d);
    __syncthreads();
    const long long j = k0 + lane;
    float ds = 0.0f;
    if (j < limit) {
      const float p = expf(dot_shared(qs + warp * d, ks + lane * (d + 1), d) * a.scale - lse_i);
      const float dp = dropout_factor(a, (bh * a.tq + i) * a.tk + j) * dot_shared(dos + warp * d, vs + lane * (d + 1), d);
      ds = p * (dp - delta_i);
    }
    for (int jj = 0; jj < kGenericTile; ++jj) {
      const float dsj = __shfl_sync(0xffffffffu, ds, jj);
#pragma unroll
      for (int r = 0; r < kGenericPerLane; ++r) {
        const int c = lane + 32 * r;
        if (c < d) dq[r] = fmaf(dsj, ks[jj * (d + 1) + c], dq[r]);
      }
    }
  }
  if (i >= a.tq) return;
  T* row = grad_q + row_offset(b, i, h, a.tq, a.heads, d);
#pragma unroll
  for (int r = 0; r < kGenericPerLane; ++r) {
    const int c = lane + 32 * r;
    if (c < d) row[c] = store_float<T>(dq[r] * a.scale);
  }
}

// grid: (B*H, ceil(Tk / 8)); block: 256; shared: generic_backward_shared_bytes(D). Writes every grad_k/grad_v row.
template <typename T>
__global__ void __launch_bounds__(kGenericThreads)
    attention_backward_dkdv_kernel(const T* q, const T* k, const T* v, const T* grad_out, const float* lse,
                                   const float* delta, T* grad_k, T* grad_v, AttentionArgs a) {
  extern __shared__ float shared[];
  const int d = a.d;
  float* kr = shared;                          // (8, D) this block's keys
  float* vr = kr + kGenericRows * d;           // (8, D) and values
  float* qs = vr + kGenericRows * d;           // (32, D + 1) query tile
  float* dos = qs + kGenericTile * (d + 1);    // (32, D + 1) output-gradient tile
  const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
  const long long j0 = static_cast<long long>(blockIdx.y) * kGenericRows;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long long j = j0 + warp;
  stage_rows(kr, d, k, b, h, j0, kGenericRows, a.tk, a.heads, d);
  stage_rows(vr, d, v, b, h, j0, kGenericRows, a.tk, a.heads, d);

  const long long length = key_length(a, b);
  // Queries before i_start cannot see key j0 (causal); keys at or past the length are seen by none.
  long long i_start = 0;
  if (a.causal) {
    const long long first = j0 - (a.tk - a.tq);
    i_start = first > 0 ? first : 0;
  }
  const long long i_end = j0 < length ? a.tq : 0;
  float dk[kGenericPerLane] = {}, dv[kGenericPerLane] = {};
  for (long long t0 = i_start; t0 < i_end; t0 += kGenericTile) {
    __syncthreads();
    stage_rows(qs, d + 1, q, b, h, t0, kGenericTile, a.tq, a.heads, d);
    stage_rows(dos, d + 1, grad_out, b, h, t0, kGenericTile, a.tq, a.heads, d);
    __syncthreads();
    const long long i = t0 + lane;
    float pd = 0.0f, ds = 0.0f;
    if (i < a.tq && j < visible_keys(a, length, i)) {
      const long long row = bh * a.tq + i;
      const float p = expf(dot_shared(qs + lane * (d + 1), kr + warp * d, d) * a.scale - lse[row]);
      const float f = dropout_factor(a, row * a.tk + j);
      pd = p * f;
      ds = p * (f * dot_shared(dos + lane * (d + 1), vr + warp * d, d) - delta[row]);
    }
    for (int ii = 0; ii < kGenericTile; ++ii) {
      const float pdi = __shfl_sync(0xffffffffu, pd, ii);
      const float dsi = __shfl_sync(0xffffffffu, ds, ii);
#pragma unroll
      for (int r = 0; r < kGenericPerLane; ++r) {
        const int c = lane + 32 * r;
        if (c < d) {
          dv[r] = fmaf(pdi, dos[ii * (d + 1) + c], dv[r]);
          dk[r] = fmaf(dsi, qs[ii * (d + 1) + c], dk[r]);
        }
      }
    }
  }
  if (j >= a.tk) return;
  T* krow = grad_k + row_offset(b, j, h, a.tk, a.heads, d);
  T* vrow = grad_v + row_offset(b, j, h, a.tk, a.heads, d);
#pragma unroll
  for (int r = 0; r < kGenericPerLane; ++r) {
    const int c = lane + 32 * r;
    if (c < d) {
      krow[c] = store_float<T>(dk[r] * a.scale);
      vrow[c] = store_float<T>(dv[r]);
    }
  }
}

}  // namespace xlm::attention_detail
