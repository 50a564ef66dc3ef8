// The cuBLASLt GEMM behind matmul_forward_cuda, exposed so that an op can fuse
// a cuBLASLt epilogue into the same call (kernels/linear: the bias add and
// the bias gradient) instead of describing the row-major-to-column-major
// mapping a second time. Include only from CUDA-only sources.
#pragma once

#include "core/cuda_context.h"
#include "kernels/matmul/gemm_plan_cache.h"
#include "kernels/matmul/matmul.h"

#include <cstdint>

namespace xlm {

// An epilogue applied by the GEMM itself. In Lt's column-major terms (our
// row-major C (m, n) is Lt's D^T, D (n, m)), BIAS adds a vector of D's rows
// (n, our columns) and BGRADB writes the sum over k of Lt's second operand
// (our a), one value per column of D (m). `bias` is packed, in the GEMM's
// dtype (cuBLASLt's default bias type: D's type; bias gradient: C's type).
struct LtEpilogue {
  cublasLtEpilogue_t kind = CUBLASLT_EPILOGUE_DEFAULT;
  void* bias = nullptr;  // BIAS: read, (n,); BGRADA/BGRADB: written
};

// cuBLASLt's data type for a tensor dtype (f32, bf16, f16); DTypeError otherwise.
cudaDataType_t lt_data_type(DType t, const char* op);

// `batch` row-major GEMMs c_i (m, n) = op(a_i) op(b_i) on ctx's stream, strides in
// elements, fp32 compute. Returns false without running anything when cuBLASLt
// offers no algorithm for a non-default epilogue (the caller falls back); with
// the default epilogue that is a BackendError.
bool lt_matmul(CudaContext& ctx, DType dtype, const MatmulDims& d, int64_t batch, const void* a, int64_t stride_a,
               const void* b, int64_t stride_b, void* c, int64_t stride_c, const LtEpilogue& epilogue = {});

// The plan cache's counters (tests/test_gemm_plan_cache.cu): a repeated GEMM
// hits; a training step after the first should make no miss.
GemmPlanCacheStats lt_plan_cache_stats();
// How many fused calls lt_matmul answered false (the caller's unfused fallback
// ran instead): the fallback gives the right values, so only this count shows
// that an epilogue the docs count on is not in use on this GPU.
int64_t lt_epilogue_fallbacks();

}  // namespace xlm
