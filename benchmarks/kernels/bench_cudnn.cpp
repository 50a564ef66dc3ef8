// cuDNN's fused attention for xlm_kernel_bench (see bench_cudnn.h): the SDPA
// forward and backward graphs of cudnn_frontend, described on our (B, T, H, D)
// memory through strides (cuDNN's dims are (B, H, T, D)), so neither side
// permutes. CMake compiles this file only when it found both cuDNN and the
// frontend header (XLM_WITH_CUDNN_FRONTEND).
#include "benchmarks/kernels/bench_cudnn.h"

#include "core/cuda_context.h"
#include "core/error.h"

#include <cudnn_frontend.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>

namespace xlm::bench {

namespace fe = cudnn_frontend;

namespace {

// Tensor uids of the variant packs.
enum Uid : int64_t { kQ = 1, kK, kV, kO, kStats, kdO, kdQ, kdK, kdV };

void check(fe::error_t status, const char* what) {
  XLM_CHECK(status.is_good(), BackendError, "cuDNN attention: {} failed: {}", what, status.get_message());
}

}  // namespace

struct CudnnAttention::Graphs {
  cudnnHandle_t handle = nullptr;
  std::shared_ptr<fe::graph::Graph> forward, backward;
  Tensor workspace;  // (max workspace,) u8 on the device
  bool training = false;
  Shape shape;       // (B, T, H, D)

  ~Graphs() {
    if (handle != nullptr) cudnnDestroy(handle);
  }
};

namespace {

std::shared_ptr<fe::graph::Graph> new_graph(DType dtype) {
  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(dtype == DType::bf16 ? fe::DataType_t::BFLOAT16 : fe::DataType_t::HALF)
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  return g;
}

// A (B, H, T, D) view of our contiguous (B, T, H, D) memory.
fe::graph::Tensor_attributes bthd(const char* name, int64_t uid, int64_t b, int64_t t, int64_t h, int64_t d) {
  return fe::graph::Tensor_attributes()
      .set_name(name)
      .set_uid(uid)
      .set_dim({b, h, t, d})
      .set_stride({t * h * d, d, h * d, 1});
}

void mark_output(const std::shared_ptr<fe::graph::Tensor_attributes>& x, const char* name, int64_t uid, int64_t b,
                 int64_t t, int64_t h, int64_t d) {
  x->set_output(true).set_name(name).set_uid(uid).set_dim({b, h, t, d}).set_stride({t * h * d, d, h * d, 1});
}

void build(fe::graph::Graph& g, cudnnHandle_t handle) {
  check(g.validate(), "validate");
  check(g.build_operation_graph(handle), "build_operation_graph");
  check(g.create_execution_plans({fe::HeurMode_t::A}), "create_execution_plans");
  check(g.check_support(handle), "check_support (this shape, dtype or GPU)");
  check(g.build_plans(handle), "build_plans");
}

int64_t workspace_bytes(const fe::graph::Graph& g) {
  int64_t bytes = 0;
  check(g.get_workspace_size(bytes), "get_workspace_size");
  return bytes;
}

}  // namespace

CudnnAttention::CudnnAttention(int64_t batch, int64_t seq, int64_t heads, int64_t head_dim, bool causal,
                               DType dtype, bool training)
    : graphs_(std::make_unique<Graphs>()) {
  XLM_CHECK(dtype == DType::bf16 || dtype == DType::f16, DTypeError,
            "cuDNN attention: takes bf16 or f16, got {}", dtype_name(dtype));
  const int64_t b = batch, t = seq, h = heads, d = head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  Graphs& gs = *graphs_;
  gs.training = training;
  gs.shape = {b, t, h, d};
  CudaContext& ctx = CudaContext::get(0);
  XLM_CHECK(cudnnCreate(&gs.handle) == CUDNN_STATUS_SUCCESS, BackendError, "cuDNN attention: cudnnCreate failed");
  XLM_CHECK(cudnnSetStream(gs.handle, ctx.stream) == CUDNN_STATUS_SUCCESS, BackendError,
            "cuDNN attention: cudnnSetStream failed");

  gs.forward = new_graph(dtype);
  {
    fe::graph::Graph& g = *gs.forward;
    auto q = g.tensor(bthd("Q", kQ, b, t, h, d));
    auto k = g.tensor(bthd("K", kK, b, t, h, d));
    auto v = g.tensor(bthd("V", kV, b, t, h, d));
    auto attrs = fe::graph::SDPA_attributes()
                     .set_name("sdpa_forward")
                     .set_generate_stats(training)
                     .set_causal_mask(causal)
                     .set_attn_scale(scale);
    auto [o, stats] = g.sdpa(q, k, v, attrs);
    mark_output(o, "O", kO, b, t, h, d);
    if (training) {
      // (B, H, T, 1) f32, contiguous: our (B, H, T) logsumexp's layout.
      stats->set_output(true).set_name("Stats").set_uid(kStats).set_data_type(fe::DataType_t::FLOAT)
          .set_dim({b, h, t, 1}).set_stride({h * t, t, 1, 1});
    }
    build(g, gs.handle);
  }
  int64_t ws = workspace_bytes(*gs.forward);
  if (training) {
    gs.backward = new_graph(dtype);
    fe::graph::Graph& g = *gs.backward;
    auto q = g.tensor(bthd("Q", kQ, b, t, h, d));
    auto k = g.tensor(bthd("K", kK, b, t, h, d));
    auto v = g.tensor(bthd("V", kV, b, t, h, d));
    auto o = g.tensor(bthd("O", kO, b, t, h, d));
    auto grad_o = g.tensor(bthd("dO", kdO, b, t, h, d));
    auto stats = g.tensor(fe::graph::Tensor_attributes()
                              .set_name("Stats")
                              .set_uid(kStats)
                              .set_dim({b, h, t, 1})
                              .set_stride({h * t, t, 1, 1})
                              .set_data_type(fe::DataType_t::FLOAT));
    auto attrs = fe::graph::SDPA_backward_attributes()
                     .set_name("sdpa_backward")
                     .set_causal_mask(causal)
                     .set_attn_scale(scale);
    auto [grad_q, grad_k, grad_v] = g.sdpa_backward(q, k, v, o, grad_o, stats, attrs);
    mark_output(grad_q, "dQ", kdQ, b, t, h, d);
    mark_output(grad_k, "dK", kdK, b, t, h, d);
    mark_output(grad_v, "dV", kdV, b, t, h, d);
    build(g, gs.handle);
    ws = std::max(ws, workspace_bytes(g));
  }
  gs.workspace = Tensor::empty({std::max<int64_t>(ws, 1)}, DType::u8, Device::cuda(0));
}

CudnnAttention::~CudnnAttention() = default;

namespace {

void check_operand(const Tensor& x, const Shape& shape, DType dtype, const char* name) {
  XLM_CHECK(x.shape() == shape && x.dtype() == dtype && x.device() == Device::cuda(0),
            ShapeError, "cuDNN attention: {} must be {} {} on cuda:0", name, shape_str(shape),
            dtype_name(dtype));
}

}  // namespace

void CudnnAttention::forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                             const Tensor& stats) {
  Graphs& gs = *graphs_;
  const DType dt = q.dtype();
  for (const auto& [x, name] : {std::pair{&q, "q"}, {&k, "k"}, {&v, "v"}, {&out, "out"}})
    check_operand(*x, gs.shape, dt, name);
  std::unordered_map<int64_t, void*> pack{{kQ, q.data_ptr()}, {kK, k.data_ptr()}, {kV, v.data_ptr()},
                                          {kO, out.data_ptr()}};
  if (gs.training) {
    check_operand(stats, {gs.shape[0], gs.shape[2], gs.shape[1]}, DType::f32, "stats");
    pack[kStats] = stats.data_ptr();
  }
  check(gs.forward->execute(gs.handle, pack, gs.workspace.data_ptr()), "forward execute");
}

void CudnnAttention::backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                              const Tensor& stats, const Tensor& grad_out, const Tensor& grad_q,
                              const Tensor& grad_k, const Tensor& grad_v) {
  Graphs& gs = *graphs_;
  XLM_CHECK(gs.training, ConfigError, "cuDNN attention: backward of a graph built without training");
  const DType dt = q.dtype();
  for (const auto& [x, name] : {std::pair{&q, "q"}, {&k, "k"}, {&v, "v"}, {&out, "out"}, {&grad_out, "grad_out"},
                                {&grad_q, "grad_q"}, {&grad_k, "grad_k"}, {&grad_v, "grad_v"}})
    check_operand(*x, gs.shape, dt, name);
  check_operand(stats, {gs.shape[0], gs.shape[2], gs.shape[1]}, DType::f32, "stats");
  std::unordered_map<int64_t, void*> pack{
      {kQ, q.data_ptr()},        {kK, k.data_ptr()},           {kV, v.data_ptr()},
      {kO, out.data_ptr()},      {kStats, stats.data_ptr()},   {kdO, grad_out.data_ptr()},
      {kdQ, grad_q.data_ptr()},  {kdK, grad_k.data_ptr()},     {kdV, grad_v.data_ptr()}};
  check(gs.backward->execute(gs.handle, pack, gs.workspace.data_ptr()), "backward execute");
}


}  // namespace xlm::bench
