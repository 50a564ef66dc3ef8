// Multi-tensor Adam (after apex's multi_tensor_apply): a whole parameter
// list is updated by a few launches instead of one per tensor. The host plan
// (multi_tensor_plan.h, tested on the CPU) cuts every tensor into chunks of
// kChunk elements and packs them into launches; each launch's table is
// passed by value as the kernel argument (no device copy, no sync): pointers
// and sizes of up to kMaxTensors tensors and, per block, which tensor and
// chunk it owns. Each block walks its chunk with a block-stride
// loop (coalesced) and applies adam_math.cuh's update, the same bits as the
// single-tensor kernel; with copy-out it also stores the updated fp32 weight
// rounded to the model's bf16/f16 (or f32) tensor in the same pass. With a
// gradient factor (clipping's, an f64 in device memory) each gradient is
// multiplied by it rounded to fp32 as it is read: the value scale_by_cuda
// would have stored, so the update is the same bits without that pass. The
// gradients may be the model's bf16/f16 ones (fp32 masters without master
// gradients): each is widened to fp32 as it is loaded, exactly, so the update
// is that of a cast pass first, without the pass and the fp32 copy.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "nn/adam_math.cuh"
#include "nn/adam_update.h"
#include "nn/adam_update_cuda.h"
#include "nn/multi_tensor_plan.h"

#include <cstdint>
#include <type_traits>

namespace xlm::nn {

namespace {

constexpr int kMaxTensors = 24;
constexpr int kMaxBlocks = 320;
constexpr long long kChunk = 65536;
constexpr int kMultiThreads = 512;

struct AdamTable {
  float* p[kMaxTensors];
  const void* g[kMaxTensors];  // G (the gradients' dtype)
  float* m[kMaxTensors];
  float* v[kMaxTensors];
  void* out[kMaxTensors];  // copy-out targets (unused without copy-out)
  long long n[kMaxTensors];
  unsigned char tensor[kMaxBlocks];  // block -> table slot
  int chunk[kMaxBlocks];             // block -> chunk of that tensor
};
// Kernel parameters are limited to 4 KiB.
static_assert(sizeof(AdamTable) + sizeof(AdamScalars) + sizeof(const double*) <= 4000,
              "AdamTable must fit in kernel parameter memory");

struct NoCopyOut {};

// grad_factor: one f64 in device memory, or nullptr (factor 1). G: the
// gradients' dtype (float, __nv_bfloat16, __half).
template <typename G, typename Out>
__global__ void adam_multi_kernel(AdamTable t, AdamScalars s, const double* grad_factor) {
  const float scale = grad_factor != nullptr ? static_cast<float>(*grad_factor) : 1.0f;
  const int slot = t.tensor[blockIdx.x];
  const long long start = static_cast<long long>(t.chunk[blockIdx.x]) * kChunk;
  const long long n = t.n[slot];
  const long long end = start + kChunk < n ? start + kChunk : n;
  float* p = t.p[slot];
  const G* g = static_cast<const G*>(t.g[slot]);
  float* m = t.m[slot];
  float* v = t.v[slot];
  for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
    float mi = m[i], vi = v[i];
    const float gi = load_float(g[i]) * scale;  // widening is exact; so is a scale of 1
    const float pi = adam_element(p[i], gi, mi, vi, s);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
    if constexpr (!std::is_same_v<Out, NoCopyOut>) static_cast<Out*>(t.out[slot])[i] = store_float<Out>(pi);
  }
}

template <typename G, typename Out>
void run_multi(const std::vector<Tensor>& params, const std::vector<Tensor>& grads, const std::vector<Tensor>& exp_avg,
               const std::vector<Tensor>& exp_avg_sq, const std::vector<Tensor>& copy_out, const AdamScalars& s,
               const double* grad_factor, cudaStream_t stream) {
  std::vector<int64_t> sizes;
  for (const Tensor& p : params) sizes.push_back(p.numel());
  for (const MultiTensorLaunch& launch : plan_multi_tensor(sizes, kChunk, kMaxTensors, kMaxBlocks)) {
    AdamTable table{};
    for (size_t slot = 0; slot < launch.tensors.size(); ++slot) {
      const size_t i = launch.tensors[slot];
      table.p[slot] = static_cast<float*>(params[i].data_ptr());
      table.g[slot] = grads[i].data_ptr();
      table.m[slot] = static_cast<float*>(exp_avg[i].data_ptr());
      table.v[slot] = static_cast<float*>(exp_avg_sq[i].data_ptr());
      table.out[slot] = copy_out.empty() ? nullptr : copy_out[i].data_ptr();
      table.n[slot] = params[i].numel();
    }
    for (size_t b = 0; b < launch.blocks.size(); ++b) {
      table.tensor[b] = static_cast<unsigned char>(launch.blocks[b].first);
      table.chunk[b] = static_cast<int>(launch.blocks[b].second);
    }
    adam_multi_kernel<G, Out>
        <<<static_cast<unsigned>(launch.blocks.size()), kMultiThreads, 0, stream>>>(table, s, grad_factor);
    XLM_CUDA_CHECK_LAUNCH();
  }
}

// Out: the copy-out dtype (NoCopyOut without one).
template <typename Out>
void run_multi_for_grads(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                         const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                         const std::vector<Tensor>& copy_out, const AdamScalars& s, const double* grad_factor,
                         cudaStream_t stream) {
  switch (grads[0].dtype()) {
    case DType::f32: run_multi<float, Out>(params, grads, exp_avg, exp_avg_sq, copy_out, s, grad_factor, stream); return;
    case DType::bf16:
      run_multi<__nv_bfloat16, Out>(params, grads, exp_avg, exp_avg_sq, copy_out, s, grad_factor, stream);
      return;
    case DType::f16: run_multi<__half, Out>(params, grads, exp_avg, exp_avg_sq, copy_out, s, grad_factor, stream); return;
    default:
      throw DTypeError(fmt::format("adam_update_multi on CUDA reads f32, bf16 or f16 gradients, got {}",
                                   grads[0].describe()));
  }
}

}  // namespace

void adam_update_multi_cuda(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                            const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                            const AdamUpdateArgs& args, const std::vector<Tensor>& copy_out,
                            const Tensor& grad_factor) {
  check_f32_params(params[0], "adam_update_multi");
  CudaContext& ctx = CudaContext::get(params[0].device().index);
  const AdamScalars s = adam_scalars(args);
  const double* f = grad_factor.defined() ? static_cast<const double*>(grad_factor.data_ptr()) : nullptr;
  if (copy_out.empty()) {
    run_multi_for_grads<NoCopyOut>(params, grads, exp_avg, exp_avg_sq, copy_out, s, f, ctx.stream);
    return;
  }
  switch (copy_out[0].dtype()) {
    case DType::f32: run_multi_for_grads<float>(params, grads, exp_avg, exp_avg_sq, copy_out, s, f, ctx.stream); return;
    case DType::bf16:
      run_multi_for_grads<__nv_bfloat16>(params, grads, exp_avg, exp_avg_sq, copy_out, s, f, ctx.stream);
      return;
    case DType::f16: run_multi_for_grads<__half>(params, grads, exp_avg, exp_avg_sq, copy_out, s, f, ctx.stream); return;
    default:
      throw DTypeError(fmt::format("adam_update_multi on CUDA copies out to f32, bf16 or f16, got {}",
                                   copy_out[0].describe()));
  }
}

}  // namespace xlm::nn
