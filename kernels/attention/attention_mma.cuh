// Flash-attention-2 forward (Dao 2023) on tensor cores for bf16/f16 at head
// sizes D = 64 and 128 (sm_80+: mma.sync.m16n8k16, fp32 accumulators).
// A block of 4 warps owns 64 query rows of one (b, h); each warp owns 16 of
// them. K and V stream through shared memory in tiles of 64 keys; for each
// tile a warp computes its 16 x 64 scores S = Q K^T in registers, masks and
// scales them, updates the running row max m and sum l (online softmax: the
// output accumulator is rescaled by exp(m_old - m_new)), applies the Philox
// dropout to P, and adds P V into its 16 x D fp32 accumulator. The score
// accumulators are reused directly as the A operand of the P V product (the
// m16n8k16 C and A fragment layouts line up), so scores never leave
// registers and the T x T matrix never exists. The logsumexp m + log(l) of
// the undropped weights is written for the backward.
// Fragments are loaded from shared memory with plain 32-bit/16-bit loads at
// the element positions the PTX ISA documents for m16n8k16 (no ldmatrix):
// slower than the tuned kernels, but each index can be read off the spec.
// Rows are padded by 8 elements so that those loads hit 32 distinct banks.
// Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include "kernels/attention/attention_common.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace xlm::attention_detail {

constexpr int kMmaWarps = 4;
constexpr int kMmaThreads = 32 * kMmaWarps;
constexpr int kMmaBlockQ = 16 * kMmaWarps;  // query rows per block
constexpr int kMmaBlockK = 64;              // keys per K/V tile

template <int D>
constexpr int mma_row_stride() {
  return D + 8;  // elements; 16-byte aligned rows, conflict-free fragment loads
}

template <int D>
constexpr size_t mma_shared_bytes() {
  return static_cast<size_t>(kMmaBlockQ + 2 * kMmaBlockK) * mma_row_stride<D>() * sizeof(uint16_t);
}

// Two floats rounded to the 16-bit type, `lo` in the low half (the lower column).
template <typename T> __device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <> __device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  return static_cast<uint32_t>(__bfloat16_as_ushort(__float2bfloat16_rn(lo))) |
         (static_cast<uint32_t>(__bfloat16_as_ushort(__float2bfloat16_rn(hi))) << 16);
}
template <> __device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  return static_cast<uint32_t>(__half_as_ushort(__float2half_rn(lo))) |
         (static_cast<uint32_t>(__half_as_ushort(__float2half_rn(hi))) << 16);
}

// c (16x8, fp32) += a (16x16, row) * b (16x8, col).
template <typename T> __device__ __forceinline__ void mma_16816(float c[4], const uint32_t a[4], const uint32_t b[2]);
template <> __device__ __forceinline__ void mma_16816<__nv_bfloat16>(float c[4], const uint32_t a[4],
                                                                     const uint32_t b[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <> __device__ __forceinline__ void mma_16816<__half>(float c[4], const uint32_t a[4], const uint32_t b[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ uint32_t load_pair(const uint16_t* p) { return *reinterpret_cast<const uint32_t*>(p); }

// Rows t0 .. t0+ROWS-1 of head (b, h) of x [B, T, H, D] into dst (ROWS, D + 8); rows >= t_len, and
// rows >= valid when given (keys no query of the tile sees), are zeros. Zeros, not the stored values:
// a masked key's weight is 0, and 0 * inf (an overflowed value in a padded row) would be NaN on the
// tensor cores, where the CPU twin never reads that row.
template <int D, int ROWS = 64>
__device__ __forceinline__ void load_tile(uint16_t* dst, const uint16_t* x, long long b, long long h, long long t0,
                                          long long t_len, long long heads, long long valid = -1) {
  constexpr int kChunks = D / 8;  // 16-byte chunks per row
  const long long end = valid >= 0 && valid < t_len ? valid : t_len;
  for (int c = threadIdx.x; c < ROWS * kChunks; c += kMmaThreads) {
    const int r = c / kChunks, col = (c % kChunks) * 8;
    const long long t = t0 + r;
    uint4 value = make_uint4(0u, 0u, 0u, 0u);
    if (t < end) value = *reinterpret_cast<const uint4*>(x + row_offset(b, t, h, t_len, heads, D) + col);
    *reinterpret_cast<uint4*>(dst + r * mma_row_stride<D>() + col) = value;
  }
}

// grid: (B*H, ceil(Tq / 64)); block: 128 threads; dynamic shared memory: mma_shared_bytes<D>().
// q, k, v, out hold T's 16-bit patterns, every row 16-byte aligned; lse (B, H, Tq) fp32.
template <typename T, int D>
__global__ void __launch_bounds__(kMmaThreads)
    attention_forward_mma_kernel(const uint16_t* q, const uint16_t* k, const uint16_t* v, uint16_t* out, float* lse,
                                 AttentionArgs a) {
  static_assert(D % 16 == 0, "head size must be a multiple of 16");
  constexpr int S = mma_row_stride<D>();
  extern __shared__ uint4 shared_raw[];
  uint16_t* qs = reinterpret_cast<uint16_t*>(shared_raw);  // (64, D + 8) queries
  uint16_t* ks = qs + kMmaBlockQ * S;                      // (64, D + 8) keys
  uint16_t* vs = ks + kMmaBlockK * S;                      // (64, D + 8) values

  const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
  const long long q0 = static_cast<long long>(blockIdx.y) * kMmaBlockQ;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, tg = lane % 4;  // fragment row group and column pair

  load_tile<D>(qs, q, b, h, q0, a.tq, a.heads);

  // This thread's two query rows; both masks keep a prefix growing with i, so the
  // tile's last row bounds the keys any row of the tile sees.
  const long long length = key_length(a, b);
  const long long row[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};
  const long long limit[2] = {row[0] < a.tq ? visible_keys(a, length, row[0]) : 0,
                              row[1] < a.tq ? visible_keys(a, length, row[1]) : 0};
  const long long last = min(q0 + kMmaBlockQ, a.tq) - 1;
  const long long kv_end = visible_keys(a, length, last);

  float o[D / 8][4];  // (16, D) accumulator fragments
#pragma unroll
  for (int nt = 0; nt < D / 8; ++nt) o[nt][0] = o[nt][1] = o[nt][2] = o[nt][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY};  // running max of the scaled scores
  float l[2] = {0.0f, 0.0f};            // this thread's part of the running sum of exp(s - m)

  for (long long k0 = 0; k0 < kv_end; k0 += kMmaBlockK) {
    __syncthreads();  // the previous tile is no longer read
    load_tile<D>(ks, k, b, h, k0, a.tk, a.heads, kv_end);
    load_tile<D>(vs, v, b, h, k0, a.tk, a.heads, kv_end);
    __syncthreads();

    float s[kMmaBlockK / 8][4];  // (16, 64) scores
#pragma unroll
    for (int nt = 0; nt < kMmaBlockK / 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint16_t* qa = qs + (warp * 16 + g) * S + kk * 16 + tg * 2;
      const uint32_t af[4] = {load_pair(qa), load_pair(qa + 8 * S), load_pair(qa + 8), load_pair(qa + 8 * S + 8)};
#pragma unroll
      for (int nt = 0; nt < kMmaBlockK / 8; ++nt) {
        const uint16_t* kb = ks + (nt * 8 + g) * S + kk * 16 + tg * 2;
        const uint32_t bf[2] = {load_pair(kb), load_pair(kb + 8)};
        mma_16816<T>(s[nt], af, bf);
      }
    }

#pragma unroll
    for (int r = 0; r < 2; ++r) {
      // Scale and mask: element e = 2r + c sits at row `row[r]`, key k0 + nt*8 + tg*2 + c.
      float mx = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < kMmaBlockK / 8; ++nt) {
#pragma unroll
        for (int c = 0; c < 2; ++c) {
          const long long j = k0 + nt * 8 + tg * 2 + c;
          s[nt][2 * r + c] = j < limit[r] ? s[nt][2 * r + c] * a.scale : -INFINITY;
          mx = fmaxf(mx, s[nt][2 * r + c]);
        }
      }
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));  // the 4 threads of a row
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      const float m_new = fmaxf(m[r], mx);
      const float m_ref = m_new == -INFINITY ? 0.0f : m_new;  // nothing visible yet: exp(-inf) = 0, no NaN
      const float alpha = expf(m[r] - m_ref);
      m[r] = m_new;
      l[r] *= alpha;
#pragma unroll
      for (int nt = 0; nt < D / 8; ++nt) {
        o[nt][2 * r] *= alpha;
        o[nt][2 * r + 1] *= alpha;
      }
#pragma unroll
      for (int nt = 0; nt < kMmaBlockK / 8; ++nt) {
#pragma unroll
        for (int c = 0; c < 2; ++c) {
          float p = expf(s[nt][2 * r + c] - m_ref);
          l[r] += p;  // the softmax sums the weights before dropout
          if (p != 0.0f) p *= dropout_factor(a, (bh * a.tq + row[r]) * a.tk + k0 + nt * 8 + tg * 2 + c);
          s[nt][2 * r + c] = p;
        }
      }
    }

    // O += P V: the score fragments of key columns 16kk .. 16kk+15 form P's A fragment.
#pragma unroll
    for (int kk = 0; kk < kMmaBlockK / 16; ++kk) {
      const uint32_t af[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                              pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int nt = 0; nt < D / 8; ++nt) {
        const uint16_t* vb = vs + (kk * 16 + tg * 2) * S + nt * 8 + g;  // B[key][dim] = V[key][dim]
        const uint32_t bf[2] = {static_cast<uint32_t>(vb[0]) | (static_cast<uint32_t>(vb[S]) << 16),
                                static_cast<uint32_t>(vb[8 * S]) | (static_cast<uint32_t>(vb[9 * S]) << 16)};
        mma_16816<T>(o[nt], af, bf);
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    if (row[r] >= a.tq) continue;
    const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;  // a fully masked row is zeros
    uint16_t* orow = out + row_offset(b, row[r], h, a.tq, a.heads, D);
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt)
      *reinterpret_cast<uint32_t*>(orow + nt * 8 + tg * 2) = pack2<T>(o[nt][2 * r] * inv, o[nt][2 * r + 1] * inv);
    if (tg == 0) lse[bh * a.tq + row[r]] = l[r] > 0.0f ? m[r] + logf(l[r]) : -INFINITY;
  }
}

}  // namespace xlm::attention_detail
