// Matrix multiply, the one GEMM entry point of the engine (Linear layers and
// attention both come here).
//   matmul(a, b, transpose_a, transpose_b) -> out [..., M, N], dtype of a
//     a: [..., M, K], or [..., K, M] when transpose_a (rank >= 2)
//     b: shared:  [K, N] ([N, K] when transpose_b), one matrix for every batch
//                 entry of a (x [B, T, C] times a weight)
//        batched: the same leading dims as a, [..., K, N] ([..., N, K]) (attention)
//     a and b: same dtype and device. Shape mismatches throw ShapeError naming both.
//   backward: dL/da and dL/db, themselves written as matmuls with transposes;
//     for a shared b the sum over the batch is one GEMM over the flattened batch.
// CPU: f32, f64 (CBLAS when built with BLAS, else a blocked loop).
// CUDA: f32, bf16, f16 through cuBLASLt, fp32 compute.
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace xlm {

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

// What one matmul call resolves to: `batch` row-major GEMMs
//   out_i (m, n) = op(a_i) (m, k) * op(b_i) (k, n),
// a_i at a + i*m*k, out_i at out + i*m*n, b_i at b + i*k*n (or b itself when b_shared).
// A shared b without transpose_a is folded into a single GEMM (batch 1, m = batch*M).
struct MatmulDims {
  int64_t batch = 1;
  int64_t m = 0;
  int64_t k = 0;
  int64_t n = 0;
  bool transpose_a = false;
  bool transpose_b = false;
  bool b_shared = false;
};

// Validates a and b (ShapeError naming both shapes) and returns the GEMMs to run.
MatmulDims matmul_dims(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);

// Backend twins: out is preallocated, contiguous, in a's dtype.
void matmul_forward_cpu(const Tensor& a, const Tensor& b, const MatmulDims& dims, Tensor& out);
void matmul_forward_cuda(const Tensor& a, const Tensor& b, const MatmulDims& dims, Tensor& out);

// The blocked-loop GEMM the CPU uses when built without CBLAS. Always compiled,
// so tests can compare it with the CBLAS path on the same inputs.
void matmul_forward_cpu_fallback(const Tensor& a, const Tensor& b, const MatmulDims& dims, Tensor& out);

}  // namespace xlm
