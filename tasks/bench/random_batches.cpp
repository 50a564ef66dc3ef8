// See random_batches.h. Word ids come from the caller's SplitMix64, so a
// seed fixes every batch; the masking draws from the same generator.
#include "tasks/bench/random_batches.h"

#include "objectives/mlm.h"
#include "objectives/pair_layout.h"
#include "text/dictionary.h"
#include "text/parallel_dataset.h"
#include "text/stream_dataset.h"

#include <vector>

namespace xlm::tasks {

namespace {

int64_t random_word(int64_t n_words, text::SplitMix64& rng) {
  return text::kFirstWordIndex + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n_words - text::kFirstWordIndex)));
}

// (B, L) sentences `</s> w_1 .. w_{L-2} </s>`, every length L.
Tensor random_sentences(int64_t batch_size, int64_t length, int64_t n_words, text::SplitMix64& rng) {
  std::vector<int64_t> ids(static_cast<size_t>(batch_size * length));  // (B, L)
  for (int64_t b = 0; b < batch_size; ++b)
    for (int64_t t = 0; t < length; ++t)
      ids[static_cast<size_t>(b * length + t)] =
          (t == 0 || t == length - 1) ? text::kEosIndex : random_word(n_words, rng);
  return Tensor::from_vector(ids, {batch_size, length});
}

}  // namespace

objectives::LmBatch random_mlm_batch(int64_t batch_size, int64_t bptt, int64_t lang_id, int64_t n_langs,
                                     const objectives::MaskingOptions& masking, text::SplitMix64& rng) {
  std::vector<int64_t> ids(static_cast<size_t>(batch_size * bptt));  // (B, T)
  for (auto& id : ids) id = random_word(masking.n_words, rng);
  text::StreamBatch stream;
  stream.tokens = Tensor::from_vector(ids, {batch_size, bptt});
  return objectives::mlm_stream_batch(stream, lang_id, n_langs, masking, rng);
}

objectives::LmBatch random_tlm_batch(int64_t batch_size, int64_t bptt, int64_t lang1, int64_t lang2,
                                     const objectives::MaskingOptions& masking, text::SplitMix64& rng) {
  const int64_t len1 = bptt / 2, len2 = bptt - bptt / 2;
  text::ParallelBatch pairs;
  pairs.x1 = random_sentences(batch_size, len1, masking.n_words, rng);
  pairs.len1 = Tensor::full({batch_size}, static_cast<double>(len1), DType::i64);
  pairs.x2 = random_sentences(batch_size, len2, masking.n_words, rng);
  pairs.len2 = Tensor::full({batch_size}, static_cast<double>(len2), DType::i64);
  objectives::PairSides sides;
  sides.first_lang = lang1;
  sides.second_lang = lang2;
  return objectives::tlm_batch(pairs, sides, masking, rng);
}

}  // namespace xlm::tasks
