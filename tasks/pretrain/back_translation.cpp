// See back_translation.h. Generation goes through generate_greedy, which
// caches keys and values, so a step costs one encoder pass and one decoder
// pass per generated position on top of the training forward/backward.
#include "tasks/pretrain/back_translation.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "tasks/mt/generate.h"

#include <algorithm>
#include <vector>

namespace xlm::tasks {

int64_t back_translation_max_len(const Tensor& len1) {
  const std::vector<int64_t> lengths = host_values<int64_t>(len1);  // (B), a host batch
  XLM_CHECK(!lengths.empty(), ShapeError, "back-translation: empty batch");
  const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  return static_cast<int64_t>(1.3 * static_cast<double>(longest) + 5);
}

objectives::MtBatch back_translation_batch(nn::TransformerModel& encoder, nn::TransformerModel& decoder,
                                           const Tensor& x1, const Tensor& len1, int64_t lang1, int64_t lang2) {
  const bool encoder_training = encoder.training(), decoder_training = decoder.training();
  encoder.set_training(false);
  decoder.set_training(false);
  Generated generated;
  {
    autograd::NoGradGuard no_grad;
    const Device device = encoder.device();
    const int64_t B = x1.size(0), S = x1.size(1);
    nn::ForwardArgs args;
    args.words = x1.to(device);
    args.lengths = len1.to(device);
    args.causal = false;
    args.langs = Tensor::from_vector(std::vector<int64_t>(static_cast<size_t>(B * S), lang1), {B, S}).to(device);
    const Tensor src_enc = encoder.forward(args);  // (B, S, D)
    generated = generate_greedy(decoder, src_enc, args.lengths, lang2, back_translation_max_len(len1));
  }
  encoder.set_training(encoder_training);
  decoder.set_training(decoder_training);
  return objectives::mt_batch(generated.words, generated.lengths, lang2, x1, len1, lang1);
}

}  // namespace xlm::tasks
