// The fused model path (residual_layer_norm with the padding mask, bias_gelu)
// against the unfused composition of the same ops (set_fused_kernels(false)):
// with dropout on and the same Philox stream, hidden states, the loss and
// every parameter's gradient agree (bit for bit on the CPU), and both consume the same number of draws, for an encoder
// and a decoder with cross-attention, GELU and ReLU. [cuda]: the same in f32
// and bf16 on the GPU.
#include "tiny_model.h"

#include "core/autograd.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gather_rows/gather_rows.h"
#include "support.h"

using namespace xlm;
using namespace xlm::nn;

namespace {

struct Outcome {
  std::vector<double> hidden;
  double loss = 0;
  std::vector<std::vector<double>> grads;  // per parameter, in parameters() order
  uint64_t stream_offset = 0;
};

Outcome train_step(bool fused, bool decoder, bool gelu, Device device, DType dtype) {
  TransformerConfig c = nntest::tiny_config(decoder);
  c.gelu_activation = gelu;
  TransformerModel model(c, 3, device, dtype);
  model.set_fused_kernels(fused);
  model.dropout_stream() = PhiloxStream(41, 8);
  nntest::TinyBatch batch;
  ForwardArgs a;
  a.words = batch.words.to(device);
  a.lengths = batch.lengths.to(device);
  a.langs = batch.langs.to(device);
  a.causal = decoder;
  if (decoder) {
    a.src_enc = Tensor::from_doubles(nntest::random_tensor({2, 4, 8}, 9, DType::f64).to_doubles(), {2, 4, 8}, dtype,
                                     device);
    a.src_len = nntest::ids({4, 2}, {2}).to(device);
  }
  Tensor h = model.forward(a);  // (B, T, D)
  Tensor rows = gather_rows(h.reshape({-1, 8}), nntest::ids({0, 2, 4, 5, 6, 7}, {6}).to(device));
  Tensor loss = cross_entropy(model.predict(rows), nntest::ids({10, 3, 19, 0, 4, 11}, {6}).to(device));
  loss.backward();
  Outcome o;
  o.hidden = h.to_doubles();
  o.loss = loss.item();
  for (const auto& [name, p] : model.parameters()) o.grads.push_back(p.grad().to_doubles());
  o.stream_offset = model.dropout_stream().offset();
  return o;
}

void check_same(const Outcome& fused, const Outcome& plain, double atol, double rtol) {
  XLM_CHECK_CLOSE(fused.hidden, plain.hidden, atol, rtol);
  CHECK(std::fabs(fused.loss - plain.loss) <= atol + rtol * std::fabs(plain.loss));
  REQUIRE(fused.grads.size() == plain.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    INFO("parameter " << i);
    XLM_CHECK_CLOSE(fused.grads[i], plain.grads[i], atol, rtol);
  }
  CHECK(fused.stream_offset == plain.stream_offset);
}

}  // namespace

TEST_CASE("nn: fused kernels give the unfused model's outputs and gradients (training, same seeds)",
          "[nn][fused]") {
  for (bool decoder : {false, true}) {
    for (bool gelu : {true, false}) {
      INFO("decoder " << decoder << " gelu " << gelu);
      const Outcome fused = train_step(true, decoder, gelu, Device::cpu(), DType::f32);
      const Outcome plain = train_step(false, decoder, gelu, Device::cpu(), DType::f32);
      CHECK(fused.stream_offset > 8);  // dropout was active
      check_same(fused, plain, 0.0, 0.0);  // the CPU twins are the composition: bit for bit
      // The padding mask rides in the last residual layer norm: sentence 1 (length 3 of 5)
      // leaves positions 3 and 4 exactly zero.
      for (size_t i = (5 + 3) * 8; i < 10 * 8; ++i) CHECK(fused.hidden[i] == 0.0);
    }
  }
}

TEST_CASE("nn: fused and unfused models agree on CUDA in f32 and bf16", "[nn][fused][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  for (bool decoder : {false, true}) {
    INFO("decoder " << decoder);
    const Outcome cpu = train_step(false, decoder, true, Device::cpu(), DType::f32);
    check_same(train_step(true, decoder, true, xlm::test::gpu(), DType::f32), cpu, 1e-4, 1e-3);
    if (!xlm::test::gpu_runs(DType::bf16)) continue;  // the stand-in: f32 only
    const Outcome fused_bf16 = train_step(true, decoder, true, xlm::test::gpu(), DType::bf16);
    const Outcome plain_bf16 = train_step(false, decoder, true, xlm::test::gpu(), DType::bf16);
    CHECK(fused_bf16.stream_offset == cpu.stream_offset);
    // bf16 rounds every intermediate of the unfused path; the fused one keeps fp32 inside.
    XLM_CHECK_CLOSE(fused_bf16.hidden, plain_bf16.hidden, 0.1, 0.05);
    CHECK(std::fabs(fused_bf16.loss - cpu.loss) <= 0.05 * std::fabs(cpu.loss));
  }
}
