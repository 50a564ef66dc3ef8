// The model on a GPU against the same model on the CPU: identical init (drawn
// on the host), forward in eval, forward in training (CPU and CUDA dropout
// draw the same Philox masks), gradients, and cached decoding. Tagged [cuda];
// skipped without a GPU.
#include "tiny_model.h"

#include "core/autograd.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gather_rows/gather_rows.h"
#include "support.h"

using namespace xlm;
using namespace xlm::nn;

namespace {

Tensor forward_on(TransformerModel& model, Device device, bool causal) {
  nntest::TinyBatch batch;
  ForwardArgs a;
  a.words = batch.words.to(device);
  a.lengths = batch.lengths.to(device);
  a.langs = batch.langs.to(device);
  a.causal = causal;
  return model.forward(a);
}

}  // namespace

TEST_CASE("nn: the model on CUDA matches the CPU (init, eval, dropout, gradients)", "[nn][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  const Device gpu = xlm::test::gpu();
  TransformerModel cpu_model(nntest::tiny_config(), 31);
  TransformerModel gpu_model(nntest::tiny_config(), 31, gpu);
  const NamedTensors a = cpu_model.state_dict(), b = gpu_model.state_dict();
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(a[i].second.to_doubles() == b[i].second.to_doubles());
  }
  for (bool training : {false, true}) {
    INFO("training " << training);
    cpu_model.set_training(training);
    gpu_model.set_training(training);
    cpu_model.dropout_stream() = PhiloxStream(5, 0);
    gpu_model.dropout_stream() = PhiloxStream(5, 0);
    const Tensor hc = forward_on(cpu_model, Device::cpu(), true);
    const Tensor hg = forward_on(gpu_model, gpu, true);
    XLM_CHECK_CLOSE(hg.to_doubles(), hc.to_doubles(), 1e-4, 1e-4);
    CHECK(cpu_model.dropout_stream().offset() == gpu_model.dropout_stream().offset());
  }
  // Gradients of a loss on a few rows (eval, so both sides are deterministic).
  cpu_model.set_training(false);
  gpu_model.set_training(false);
  const Tensor rows = nntest::ids({0, 2, 6}, {3}), targets = nntest::ids({4, 9, 1}, {3});
  for (auto* m : {&cpu_model, &gpu_model}) {
    const Device d = m->device();
    const Tensor h = forward_on(*m, d, false);
    cross_entropy(m->predict(gather_rows(h.reshape({-1, 8}), rows.to(d))), targets.to(d)).backward();
  }
  const NamedTensors pc = cpu_model.parameters(), pg = gpu_model.parameters();
  for (size_t i = 0; i < pc.size(); ++i) {
    INFO(pc[i].first);
    XLM_CHECK_CLOSE(pg[i].second.grad().to_doubles(), pc[i].second.grad().to_doubles(), 1e-4, 1e-3);
  }
}

TEST_CASE("nn: cached decoding on CUDA equals the full causal forward", "[nn][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  const Device gpu = xlm::test::gpu();
  TransformerModel model(nntest::tiny_config(true), 32, gpu);
  model.set_training(false);
  const std::vector<int64_t> words = {1, 10, 19, 7, 1, 4, 10, 6};  // (B=2, T=4)
  const Tensor src_enc = nntest::random_tensor({2, 3, 8}, 3, DType::f32).to(gpu);
  const Tensor src_len = nntest::ids({3, 2}, {2}).to(gpu);
  ForwardArgs full;
  full.words = nntest::ids(words, {2, 4}).to(gpu);
  full.lengths = nntest::ids({4, 4}, {2}).to(gpu);
  full.causal = true;
  full.src_enc = src_enc;
  full.src_len = src_len;
  const std::vector<double> h = model.forward(full).to_doubles();  // (B, T, D)
  autograd::NoGradGuard no_grad;
  DecoderCache cache;
  for (int64_t t = 0; t < 4; ++t) {
    ForwardArgs step = full;
    step.words = nntest::ids({words[static_cast<size_t>(t)], words[static_cast<size_t>(4 + t)]}, {2, 1}).to(gpu);
    step.lengths = nntest::ids({t + 1, t + 1}, {2}).to(gpu);
    step.cache = &cache;
    const std::vector<double> out = model.forward(step).to_doubles();  // (B, 1, D)
    for (int64_t b = 0; b < 2; ++b) {
      const std::vector<double> want(h.begin() + (b * 4 + t) * 8, h.begin() + (b * 4 + t + 1) * 8);
      const std::vector<double> got(out.begin() + b * 8, out.begin() + (b + 1) * 8);
      XLM_CHECK_CLOSE(got, want, 1e-5, 1e-4);
    }
  }
}
