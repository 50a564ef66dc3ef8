// CUDA matmul through cuBLASLt with fp32 compute (CUBLAS_COMPUTE_32F, so f32
// stays true fp32, not TF32). cuBLASLt is column-major; a row-major
// C (m, n) = op(A) op(B) is the column-major C^T (n, m) = op(B)^T op(A)^T, so
// b is passed as Lt's first operand and a as its second. Batches are strided;
// a shared b under a transposed a (stride 0) runs one GEMM per batch entry.
// The alignment preferences are derived from the real pointers and strides so
// the heuristic never picks a kernel that needs more alignment than we have.
// The descriptors and the heuristic's algorithm are built once per GEMM key
// (shape, dtype, strides, epilogue, alignments; kernels/matmul/
// gemm_plan_cache.h) and reused: a repeated GEMM sets at most its bias
// pointer and launches.
// lt_matmul (kernels/matmul/matmul_lt_cuda.h) also takes an epilogue, for the
// fused ops that add a bias or reduce a bias gradient in the same call.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "kernels/matmul/gemm_plan_cache.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_lt_cuda.h"

#include <atomic>
#include <cstdint>
#include <memory>

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

// What cuBLASLt needs for one GEMM key (gemm_plan_cache.h): the matmul and
// layout descriptors and the heuristic's algorithm. The bias pointer is the
// one per-call attribute; it is set on `op` before each run.
struct LtPlan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool has_algo = false;  // false: the heuristic (or a run) refused this key
  cublasStatus_t heuristic_status = CUBLAS_STATUS_SUCCESS;
  LtPlan() = default;
  LtPlan(const LtPlan&) = delete;
  LtPlan& operator=(const LtPlan&) = delete;
  ~LtPlan() {
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

// Owns a preference descriptor for the heuristic query.
struct LtPreference {
  cublasLtMatmulPreference_t pref = nullptr;
  LtPreference() { XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref)); }
  LtPreference(const LtPreference&) = delete;
  LtPreference& operator=(const LtPreference&) = delete;
  ~LtPreference() { cublasLtMatmulPreferenceDestroy(pref); }
  void set(cublasLtMatmulPreferenceAttributes_t attribute, const void* value, size_t bytes) {
    XLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attribute, value, bytes));
  }
};

void set_batch(cublasLtMatrixLayout_t layout, int64_t batch, int64_t stride) {
  const int32_t count = static_cast<int32_t>(batch);
  XLM_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
  XLM_CUBLAS_CHECK(
      cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
}

// Builds the descriptors and asks the heuristic for one algorithm. The
// alignments come from the key (the real pointers and strides), so the
// heuristic never picks a kernel that needs more alignment than every
// pointer with this key has.
std::unique_ptr<LtPlan> make_plan(CudaContext& ctx, DType dtype, const MatmulDims& d, int64_t batch,
                                  const GemmOperands& operands, const GemmAlignments& align) {
  const cudaDataType_t type = lt_data_type(dtype, "matmul");
  auto plan = std::make_unique<LtPlan>();
  XLM_CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan->op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasLtEpilogue_t epilogue = static_cast<cublasLtEpilogue_t>(operands.epilogue);
  if (epilogue != CUBLASLT_EPILOGUE_DEFAULT) {
    XLM_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
    XLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &operands.bias,
                                                    sizeof(operands.bias)));
    const int32_t bias_type = static_cast<int32_t>(type);  // stated, not left to the default
    XLM_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)));
  }
  // Lt's first operand is our b: stored (k, n) row-major = (n, k) column-major, ld n; or (n, k) -> (k, n), ld k.
  const cublasOperation_t op_first = d.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  // Lt's second operand is our a: stored (m, k) row-major = (k, m) column-major, ld k; or (k, m) -> (m, k), ld m.
  const cublasOperation_t op_second = d.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  XLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSA, &op_first, sizeof(op_first)));
  XLM_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSB, &op_second, sizeof(op_second)));
  const uint64_t m = static_cast<uint64_t>(d.m), n = static_cast<uint64_t>(d.n), k = static_cast<uint64_t>(d.k);
  if (d.transpose_b)
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, type, k, n, d.k));
  else
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, type, n, k, d.n));
  if (d.transpose_a)
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, type, m, k, d.m));
  else
    XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, type, k, m, d.k));
  XLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->c, type, n, m, d.n));  // C^T (n, m) column-major
  if (batch > 1) {
    set_batch(plan->a, batch, operands.stride_b);
    set_batch(plan->b, batch, operands.stride_a);
    set_batch(plan->c, batch, operands.stride_c);
  }
  LtPreference pref;
  const uint64_t workspace = ctx.lt_workspace_bytes;
  pref.set(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof(workspace));
  // Lt's A is our b, Lt's B our a; C and D are both our c.
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &align.b, sizeof(align.b));
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &align.a, sizeof(align.a));
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &align.c, sizeof(align.c));
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &align.c, sizeof(align.c));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  plan->heuristic_status =
      cublasLtMatmulAlgoGetHeuristic(ctx.lt, plan->op, plan->a, plan->b, plan->c, plan->c, pref.pref, 1, &heuristic,
                                     &found);
  plan->has_algo = plan->heuristic_status == CUBLAS_STATUS_SUCCESS && found > 0;
  if (plan->has_algo) plan->algo = heuristic.algo;
  return plan;
}

// Enough for every GEMM shape of a training run many times over; decoding's
// growing lengths add a few per generated position.
GemmPlanCache<LtPlan>& plan_cache() {
  static GemmPlanCache<LtPlan> cache(4096);
  return cache;
}

std::atomic<int64_t> epilogue_fallbacks{0};  // fused calls answered false (lt_epilogue_fallbacks)

}  // namespace

GemmPlanCacheStats lt_plan_cache_stats() { return plan_cache().stats(); }

int64_t lt_epilogue_fallbacks() { return epilogue_fallbacks.load(); }

bool lt_matmul(CudaContext& ctx, DType dtype, const MatmulDims& d, int64_t batch, const void* a, int64_t stride_a,
               const void* b, int64_t stride_b, void* c, int64_t stride_c, const LtEpilogue& epilogue) {
  const GemmOperands operands{a, stride_a, b, stride_b, c, stride_c, static_cast<int>(epilogue.kind), epilogue.bias};
  const GemmAlignments align = gemm_alignments(dtype, batch, operands);
  const GemmPlanKey key = gemm_plan_key(ctx.device, dtype, d, batch, operands, align);
  const bool fused = epilogue.kind != CUBLASLT_EPILOGUE_DEFAULT;
  return plan_cache().with_plan(
      key, [&] { return make_plan(ctx, dtype, d, batch, operands, align); },
      [&](LtPlan& plan) {
        // An epilogue cuBLASLt cannot do for this dtype/layout/alignment comes
        // back as NOT_SUPPORTED (or another refusal), or as success with no
        // algorithm: the caller falls back to the plain GEMM, which reports a
        // real error itself.
        if (fused && !plan.has_algo) {
          ++epilogue_fallbacks;
          return false;
        }
        XLM_CHECK(plan.has_algo, BackendError,
                  "matmul: cuBLASLt found no algorithm for {} GEMM(s) of ({} x {}) by ({} x {}) in {}: {}", batch, d.m,
                  d.k, d.k, d.n, dtype_name(dtype), cublasGetStatusString(plan.heuristic_status));
        if (fused)
          XLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &epilogue.bias,
                                                          sizeof(epilogue.bias)));
        const float alpha = 1.0f, beta = 0.0f;
        const cublasStatus_t run = cublasLtMatmul(ctx.lt, plan.op, &alpha, b, plan.a, a, plan.b, &beta, c, plan.c, c,
                                                  plan.c, &plan.algo, ctx.lt_workspace, ctx.lt_workspace_bytes,
                                                  ctx.stream);
        // An epilogue refused at run time (the heuristic only saw the first
        // call's pointers) launched nothing: the caller falls back, as for a
        // refusal above, and so will every later call with this key.
        if (fused && run == CUBLAS_STATUS_NOT_SUPPORTED) {
          plan.has_algo = false;
          ++epilogue_fallbacks;
          return false;
        }
        XLM_CUBLAS_CHECK(run);
        return true;
      });
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
