// Flash-attention-2 backward (Dao 2023, algorithm 2) on tensor cores for
// bf16/f16 at D = 64 and 128, in two deterministic passes like the generic
// backward (attention_generic.cuh says why there are no atomics):
//  - dK/dV: a block owns 64 keys (16 per warp) and streams the queries in
//    tiles of 32 (with Q, dO, lse and delta in shared memory); per tile a
//    warp computes S^T = K Q^T and dP^T = V dO^T (16 x 32, fp32), recomputes
//    P^T from the logsumexp, applies the dropout mask and forms dS^T, then
//    accumulates dV += (P o mask)^T dO and dK += dS^T Q in registers.
//  - dQ: a block owns 64 queries (16 per warp) and streams K/V in tiles of
//    64: S = Q K^T, dP = dO V^T, dS, then dQ += dS K.
// P and dS are rounded to the 16-bit type before their products (as the
// forward does with P); every sum is fp32. The fragment positions are those
// of the forward (attention_mma.cuh): the accumulators of one product are
// the A operand of the next.
// Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include "kernels/attention/attention_mma.cuh"

namespace xlm::attention_detail {

constexpr int kMmaBackwardQ = 32;  // queries per tile in the dK/dV pass

template <int D>
constexpr size_t mma_dq_shared_bytes() {  // Q, dO, K, V tiles of 64 rows
  return static_cast<size_t>(4 * 64) * mma_row_stride<D>() * sizeof(uint16_t);
}
template <int D>
constexpr size_t mma_dkdv_shared_bytes() {  // K, V tiles of 64 rows, Q, dO of 32, lse and delta of 32
  return static_cast<size_t>(2 * 64 + 2 * kMmaBackwardQ) * mma_row_stride<D>() * sizeof(uint16_t) +
         2 * kMmaBackwardQ * sizeof(float);
}

// A fragment (16 x 16, row-major) of rows r0.., columns k0.. of a tile with row stride S.
template <int S>
__device__ __forceinline__ void load_a(uint32_t a[4], const uint16_t* tile, int r0, int k0, int g, int tg) {
  const uint16_t* p = tile + (r0 + g) * S + k0 + tg * 2;
  a[0] = load_pair(p);
  a[1] = load_pair(p + 8 * S);
  a[2] = load_pair(p + 8);
  a[3] = load_pair(p + 8 * S + 8);
}

// B fragment (16 x 8) with B[k][n] = tile[n0 + n][k0 + k]: the tile's rows are B's columns.
template <int S>
__device__ __forceinline__ void load_b_from_rows(uint32_t b[2], const uint16_t* tile, int n0, int k0, int g, int tg) {
  const uint16_t* p = tile + (n0 + g) * S + k0 + tg * 2;
  b[0] = load_pair(p);
  b[1] = load_pair(p + 8);
}

// B fragment (16 x 8) with B[k][n] = tile[k0 + k][n0 + n]: the tile's rows are B's rows.
template <int S>
__device__ __forceinline__ void load_b_from_cols(uint32_t b[2], const uint16_t* tile, int k0, int n0, int g, int tg) {
  const uint16_t* p = tile + (k0 + tg * 2) * S + n0 + g;
  b[0] = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[S]) << 16);
  b[1] = static_cast<uint32_t>(p[8 * S]) | (static_cast<uint32_t>(p[9 * S]) << 16);
}

// grid: (B*H, ceil(Tq / 64)); block: 128; dynamic shared memory: mma_dq_shared_bytes<D>().
template <typename T, int D>
__global__ void __launch_bounds__(kMmaThreads)
    attention_backward_dq_mma_kernel(const uint16_t* q, const uint16_t* k, const uint16_t* v, const uint16_t* grad_out,
                                     const float* lse, const float* delta, uint16_t* grad_q, AttentionArgs a) {
  constexpr int S = mma_row_stride<D>();
  extern __shared__ uint4 shared_raw[];
  uint16_t* qs = reinterpret_cast<uint16_t*>(shared_raw);  // (64, D + 8) queries
  uint16_t* dos = qs + 64 * S;                             // (64, D + 8) output gradients
  uint16_t* ks = dos + 64 * S;                             // (64, D + 8) keys
  uint16_t* vs = ks + 64 * S;                              // (64, D + 8) values

  const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
  const long long q0 = static_cast<long long>(blockIdx.y) * 64;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, tg = lane % 4;
  load_tile<D>(qs, q, b, h, q0, a.tq, a.heads);
  load_tile<D>(dos, grad_out, b, h, q0, a.tq, a.heads);

  const long long length = key_length(a, b);
  const long long row[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};
  const long long limit[2] = {row[0] < a.tq ? visible_keys(a, length, row[0]) : 0,
                              row[1] < a.tq ? visible_keys(a, length, row[1]) : 0};
  const float row_lse[2] = {limit[0] > 0 ? lse[bh * a.tq + row[0]] : 0.0f,
                            limit[1] > 0 ? lse[bh * a.tq + row[1]] : 0.0f};
  const float row_delta[2] = {limit[0] > 0 ? delta[bh * a.tq + row[0]] : 0.0f,
                              limit[1] > 0 ? delta[bh * a.tq + row[1]] : 0.0f};
  const long long kv_end = visible_keys(a, length, min(q0 + 64, a.tq) - 1);

  float dq[D / 8][4];  // (16, D)
#pragma unroll
  for (int nt = 0; nt < D / 8; ++nt) dq[nt][0] = dq[nt][1] = dq[nt][2] = dq[nt][3] = 0.0f;

  for (long long k0 = 0; k0 < kv_end; k0 += 64) {
    __syncthreads();
    load_tile<D>(ks, k, b, h, k0, a.tk, a.heads, kv_end);
    load_tile<D>(vs, v, b, h, k0, a.tk, a.heads, kv_end);
    __syncthreads();
    float s[8][4], dp[8][4];  // (16, 64) scores and dL/dP
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
      dp[nt][0] = dp[nt][1] = dp[nt][2] = dp[nt][3] = 0.0f;
    }
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t aq[4], ado[4];
      load_a<S>(aq, qs, warp * 16, kk * 16, g, tg);
      load_a<S>(ado, dos, warp * 16, kk * 16, g, tg);
#pragma unroll
      for (int nt = 0; nt < 8; ++nt) {
        uint32_t bk[2], bv[2];
        load_b_from_rows<S>(bk, ks, nt * 8, kk * 16, g, tg);  // B = K^T
        load_b_from_rows<S>(bv, vs, nt * 8, kk * 16, g, tg);  // B = V^T
        mma_16816<T>(s[nt], aq, bk);
        mma_16816<T>(dp[nt], ado, bv);
      }
    }
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = e / 2;
        const long long j = k0 + nt * 8 + tg * 2 + (e & 1);
        float ds = 0.0f;
        if (j < limit[r]) {
          const float p = expf(s[nt][e] * a.scale - row_lse[r]);
          ds = p * (dropout_factor(a, (bh * a.tq + row[r]) * a.tk + j) * dp[nt][e] - row_delta[r]);
        }
        s[nt][e] = ds;
      }
    }
    // dQ += dS K: B[key][dim] = K[key][dim].
#pragma unroll
    for (int kk = 0; kk < 4; ++kk) {
      const uint32_t af[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                              pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int nt = 0; nt < D / 8; ++nt) {
        uint32_t bk[2];
        load_b_from_cols<S>(bk, ks, kk * 16, nt * 8, g, tg);
        mma_16816<T>(dq[nt], af, bk);
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (row[r] >= a.tq) continue;
    uint16_t* out = grad_q + row_offset(b, row[r], h, a.tq, a.heads, D);
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt)
      *reinterpret_cast<uint32_t*>(out + nt * 8 + tg * 2) =
          pack2<T>(dq[nt][2 * r] * a.scale, dq[nt][2 * r + 1] * a.scale);
  }
}

// grid: (B*H, ceil(Tk / 64)); block: 128; dynamic shared memory: mma_dkdv_shared_bytes<D>().
template <typename T, int D>
__global__ void __launch_bounds__(kMmaThreads)
    attention_backward_dkdv_mma_kernel(const uint16_t* q, const uint16_t* k, const uint16_t* v,
                                       const uint16_t* grad_out, const float* lse, const float* delta,
                                       uint16_t* grad_k, uint16_t* grad_v, AttentionArgs a) {
  constexpr int S = mma_row_stride<D>();
  constexpr int BQ = kMmaBackwardQ;
  extern __shared__ uint4 shared_raw[];
  uint16_t* ks = reinterpret_cast<uint16_t*>(shared_raw);  // (64, D + 8) keys
  uint16_t* vs = ks + 64 * S;                              // (64, D + 8) values
  uint16_t* qs = vs + 64 * S;                              // (32, D + 8) queries
  uint16_t* dos = qs + BQ * S;                             // (32, D + 8) output gradients
  float* lse_s = reinterpret_cast<float*>(dos + BQ * S);   // (32,)
  float* delta_s = lse_s + BQ;                             // (32,)

  const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
  const long long j0 = static_cast<long long>(blockIdx.y) * 64;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, tg = lane % 4;
  const long long length = key_length(a, b);
  load_tile<D>(ks, k, b, h, j0, a.tk, a.heads, length);
  load_tile<D>(vs, v, b, h, j0, a.tk, a.heads, length);

  const long long key[2] = {j0 + warp * 16 + g, j0 + warp * 16 + g + 8};
  // Queries before i_start cannot see key j0 (causal); keys at or past the length are seen by none.
  long long i_start = 0;
  if (a.causal) {
    const long long first = j0 - (a.tk - a.tq);
    i_start = first > 0 ? first : 0;
  }
  const long long i_end = j0 < length ? a.tq : 0;

  float dk[D / 8][4], dv[D / 8][4];  // (16, D) each
#pragma unroll
  for (int nt = 0; nt < D / 8; ++nt) {
    dk[nt][0] = dk[nt][1] = dk[nt][2] = dk[nt][3] = 0.0f;
    dv[nt][0] = dv[nt][1] = dv[nt][2] = dv[nt][3] = 0.0f;
  }

  for (long long i0 = i_start; i0 < i_end; i0 += BQ) {
    __syncthreads();
    load_tile<D, BQ>(qs, q, b, h, i0, a.tq, a.heads);
    load_tile<D, BQ>(dos, grad_out, b, h, i0, a.tq, a.heads);
    for (int t = threadIdx.x; t < BQ; t += kMmaThreads) {
      const bool inside = i0 + t < a.tq;
      lse_s[t] = inside ? lse[bh * a.tq + i0 + t] : 0.0f;
      delta_s[t] = inside ? delta[bh * a.tq + i0 + t] : 0.0f;
    }
    __syncthreads();
    float s[BQ / 8][4], dp[BQ / 8][4];  // (16 keys, 32 queries): S^T and dP^T
#pragma unroll
    for (int nt = 0; nt < BQ / 8; ++nt) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
      dp[nt][0] = dp[nt][1] = dp[nt][2] = dp[nt][3] = 0.0f;
    }
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t ak[4], av[4];
      load_a<S>(ak, ks, warp * 16, kk * 16, g, tg);
      load_a<S>(av, vs, warp * 16, kk * 16, g, tg);
#pragma unroll
      for (int nt = 0; nt < BQ / 8; ++nt) {
        uint32_t bq[2], bdo[2];
        load_b_from_rows<S>(bq, qs, nt * 8, kk * 16, g, tg);    // B = Q^T
        load_b_from_rows<S>(bdo, dos, nt * 8, kk * 16, g, tg);  // B = dO^T
        mma_16816<T>(s[nt], ak, bq);
        mma_16816<T>(dp[nt], av, bdo);
      }
    }
#pragma unroll
    for (int nt = 0; nt < BQ / 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = e / 2, t = nt * 8 + tg * 2 + (e & 1);  // key row r, query column t of the tile
        const long long i = i0 + t;
        float pd = 0.0f, ds = 0.0f;
        if (i < a.tq && key[r] < visible_keys(a, length, i)) {
          const float p = expf(s[nt][e] * a.scale - lse_s[t]);
          const float f = dropout_factor(a, (bh * a.tq + i) * a.tk + key[r]);
          pd = p * f;
          ds = p * (f * dp[nt][e] - delta_s[t]);
        }
        s[nt][e] = pd;
        dp[nt][e] = ds;
      }
    }
    // dV += Pd^T dO and dK += dS^T Q: B[query][dim] = dO[query][dim], Q[query][dim].
#pragma unroll
    for (int kk = 0; kk < BQ / 16; ++kk) {
      const uint32_t ap[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                              pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
      const uint32_t ads[4] = {pack2<T>(dp[2 * kk][0], dp[2 * kk][1]), pack2<T>(dp[2 * kk][2], dp[2 * kk][3]),
                               pack2<T>(dp[2 * kk + 1][0], dp[2 * kk + 1][1]),
                               pack2<T>(dp[2 * kk + 1][2], dp[2 * kk + 1][3])};
#pragma unroll
      for (int nt = 0; nt < D / 8; ++nt) {
        uint32_t bdo[2], bq[2];
        load_b_from_cols<S>(bdo, dos, kk * 16, nt * 8, g, tg);
        load_b_from_cols<S>(bq, qs, kk * 16, nt * 8, g, tg);
        mma_16816<T>(dv[nt], ap, bdo);
        mma_16816<T>(dk[nt], ads, bq);
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (key[r] >= a.tk) continue;
    uint16_t* krow = grad_k + row_offset(b, key[r], h, a.tk, a.heads, D);
    uint16_t* vrow = grad_v + row_offset(b, key[r], h, a.tk, a.heads, D);
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt) {
      *reinterpret_cast<uint32_t*>(krow + nt * 8 + tg * 2) =
          pack2<T>(dk[nt][2 * r] * a.scale, dk[nt][2 * r + 1] * a.scale);
      *reinterpret_cast<uint32_t*>(vrow + nt * 8 + tg * 2) = pack2<T>(dv[nt][2 * r], dv[nt][2 * r + 1]);
    }
  }
}

}  // namespace xlm::attention_detail
