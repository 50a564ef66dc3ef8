// CUDA matmul through cuBLASLt with fp32 compute (CUBLAS_COMPUTE_32F, so f32
// stays true fp32, not TF32). cuBLASLt is column-major; a row-major
// C (m, n) = op(A) op(B) is the column-major C^T (n, m) = op(B)^T op(A)^T, so
// b is passed as Lt's first operand and a as its second. Batches are strided;
// a shared b under a transposed a (stride 0) runs one GEMM per batch entry.
// The alignment preferences are derived from the real pointers and strides so
// the heuristic never picks a kernel that needs more alignment than we have.
// lt_matmul (kernels/matmul/matmul_lt_cuda.h) also takes an epilogue, for the
// fused ops that add a bias or reduce a bias gradient in the same call.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_lt_cuda.h"

#include <cstdint>

namespace xlm {

cudaDataType_t lt_data_type(DType t, const char* op) {
  switch (t) {
    case DType::f32:
      return CUDA_R_32F;
    case DType::bf16:
      return CUDA_R_16BF;
    case DType::f16:
      return CUDA_R_16F;
    default:
      throw DTypeError(fmt::format("{} on CUDA supports f32, bf16 and f16, got {}", op, dtype_name(t)));
  }
}

namespace {

// Largest power of two (<= 256) dividing the address and, for batches, the batch stride in bytes.
uint32_t alignment_of(const void* p, int64_t batch_stride_bytes, int64_t batch) {
  uint64_t v = reinterpret_cast<uintptr_t>(p);
  if (batch > 1) v |= static_cast<uint64_t>(batch_stride_bytes);
  uint32_t align = 256;
  while (align > 1 && (v % align) != 0) align /= 2;
  return align;
}

// Owns the cuBLASLt descriptors of one call.
struct LtCall {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  LtCall() = default;
  LtCall(const LtCall&) = delete;
  LtCall& operator=(const LtCall&) = delete;
  ~LtCall() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

void set_batch(cublasLtMatrixLayout_t layout, int64_t batch, int64_t stride) {
  const int32_t count = static_cast<int32_t>(batch);
  XLM_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
  XLM_CUBLAS_CHECK(
      cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
}

}  // namespace

bool lt_matmul(CudaContext& ctx, DType dtype, const MatmulDims& d, int64_t batch, const void* a, int64_t stride_a,
               const void* b, int64_t stride_b, void* c, int64_t stride_c, const LtEpilogue& epilogue) {
  const cudaDataType_t type = lt_data_type(dtype, "matmul");
  const size_t elem = dtype_size(dtype);
  LtCall call;
  XLM_CUBLAS_CHECK(cublasLtMatmulDescCreate(&call.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const bool fused = epilogue.kind != CUBLASLT_EPILOGUE_DEFAULT;
  if (fused) {
    XLM_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(call.op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue.kind, sizeof(epilogue.kind)));
    XLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(call.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &epilogue.bias,
                                                    sizeof(epilogue.bias)));
    const int32_t bias_type = static_cast<int32_t>(type);  // stated, not left to the default
    XLM_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(call.op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)));
  }
  // Lt's first operand is our b: stored (k, n) row-major = (n, k) column-major, ld n; or (n, k) -> (k, n), ld k.
  const cublasOperation_t op_first = d.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  // Lt's second operand is our a: stored (m, k) row-major = (k, m) column-major, ld k; or (k, m) -> (m, k), ld m.
  const cublasOperation_t op_second = d.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  XLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(call.op, CUBLASLT_MATMUL_DESC_TRANSA, &op_first, sizeof(op_first)));
  XLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(call.op, CUBLASLT_MATMUL_DESC_TRANSB, &op_second, sizeof(op_second)));
  const uint64_t m = static_cast<uint64_t>(d.m), n = static_cast<uint64_t>(d.n), k = static_cast<uint64_t>(d.k);
  if (d.transpose_b)
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&call.a, type, k, n, d.k));
  else
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&call.a, type, n, k, d.n));
  if (d.transpose_a)
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&call.b, type, m, k, d.m));
  else
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&call.b, type, k, m, d.k));
  XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&call.c, type, n, m, d.n));  // C^T (n, m) column-major
  if (batch > 1) {
    set_batch(call.a, batch, stride_b);
    set_batch(call.b, batch, stride_a);
    set_batch(call.c, batch, stride_c);
  }
  XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&call.pref));
  const uint64_t workspace = ctx.lt_workspace_bytes;
  XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(call.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
                                                        sizeof(workspace)));
  const int64_t eb = static_cast<int64_t>(elem);
  const uint32_t align_first = alignment_of(b, stride_b * eb, batch);
  const uint32_t align_second = alignment_of(a, stride_a * eb, batch);
  const uint32_t align_c = alignment_of(c, stride_c * eb, batch);
  XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(call.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                                                        &align_first, sizeof(align_first)));
  XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(call.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                                                        &align_second, sizeof(align_second)));
  XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(call.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &align_c,
                                                        sizeof(align_c)));
  XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(call.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &align_c,
                                                        sizeof(align_c)));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(ctx.lt, call.op, call.a, call.b, call.c, call.c,
                                                               call.pref, 1, &heuristic, &found);
  // An epilogue cuBLASLt cannot do for this dtype/layout/alignment comes back
  // as NOT_SUPPORTED (or another refusal), or as success with no algorithm:
  // the caller falls back to the plain GEMM, which reports a real error itself.
  if (fused && (status != CUBLAS_STATUS_SUCCESS || found == 0)) return false;
  XLM_CHECK(status == CUBLAS_STATUS_SUCCESS && found > 0, BackendError,
            "matmul: cuBLASLt found no algorithm for {} GEMM(s) of ({} x {}) by ({} x {}) in {}: {}", batch, d.m, d.k,
            d.k, d.n, dtype_name(dtype), cublasGetStatusString(status));
  const float alpha = 1.0f, beta = 0.0f;
  const cublasStatus_t run = cublasLtMatmul(ctx.lt, call.op, &alpha, b, call.a, a, call.b, &beta, c, call.c, c,
                                            call.c, &heuristic.algo, ctx.lt_workspace, ctx.lt_workspace_bytes,
                                            ctx.stream);
  // An epilogue refused at run time (the heuristic only saw the descriptor's
  // pointers) launched nothing: the caller falls back, as for a refusal above.
  if (fused && run == CUBLAS_STATUS_NOT_SUPPORTED) return false;
  XLM_CUBLAS_CHECK(run);
  return true;
}

void matmul_forward_cuda(const Tensor& a, const Tensor& b, const MatmulDims& dims, Tensor& out) {
  lt_data_type(a.dtype(), "matmul");  // rejects other dtypes before the size checks
  if (dims.m == 0 || dims.n == 0 || dims.batch == 0) return;
  CudaContext& ctx = CudaContext::get(a.device().index);
  if (dims.k == 0) {  // empty sum
    XLM_CUDA_CHECK(cudaMemsetAsync(out.data_ptr(), 0, out.nbytes(), ctx.stream));
    return;
  }
  XLM_CHECK(dims.batch <= INT32_MAX, ShapeError, "matmul: batch of {} exceeds cuBLASLt's limit", dims.batch);
  const size_t elem = dtype_size(a.dtype());
  const int64_t sa = dims.m * dims.k, sb = dims.k * dims.n, sc = dims.m * dims.n;
  const char* pa = static_cast<const char*>(a.data_ptr());
  const char* pb = static_cast<const char*>(b.data_ptr());
  char* pc = static_cast<char*>(out.data_ptr());
  if (!dims.b_shared) {
    lt_matmul(ctx, a.dtype(), dims, dims.batch, pa, sa, pb, sb, pc, sc);
    return;
  }
  for (int64_t i = 0; i < dims.batch; ++i) {  // shared b under a transposed a: one GEMM per entry
    lt_matmul(ctx, a.dtype(), dims, 1, pa + i * sa * static_cast<int64_t>(elem), 0, pb, 0,
              pc + i * sc * static_cast<int64_t>(elem), 0);
  }
}

}  // namespace xlm
