// A back-translation batch from random tiny models (XLM's bt_step): the
// generated side is well formed (</s> at both ends, no <pad> or </s> inside,
// <pad> after, lengths within the cap), it is the encoder's input with the
// generated language's id, the original sentences are the decoder's targets,
// and generation neither draws dropout nor records gradients nor leaves the
// models in eval mode.
#include "objectives/mt.h"
#include "tasks/pretrain/back_translation.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace xlm;
using V = std::vector<int64_t>;

TEST_CASE("back-translation batches are well formed", "[objectives][mt][bt]") {
  nn::TransformerConfig c;
  c.n_words = 40;
  c.emb_dim = 16;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_langs = 2;
  c.dropout = 0.1;
  c.attention_dropout = 0.1;
  nn::TransformerModel encoder(c, 3);
  c.is_decoder = true;
  nn::TransformerModel decoder(c, 4);
  const Tensor x1 = Tensor::from_vector<int64_t>({1, 20, 21, 22, 23, 1,  //
                                                  1, 30, 31, 1, 2, 2,    //
                                                  1, 33, 1, 2, 2, 2},
                                                 {3, 6});
  const Tensor len1 = Tensor::from_vector<int64_t>({6, 4, 3}, {3});
  const uint64_t enc_offset = encoder.dropout_stream().offset(), dec_offset = decoder.dropout_stream().offset();
  const objectives::MtBatch b = tasks::back_translation_batch(encoder, decoder, x1, len1, 0, 1);

  CHECK(encoder.training());
  CHECK(decoder.training());
  CHECK(encoder.dropout_stream().offset() == enc_offset);  // eval mode: no dropout draws
  CHECK(decoder.dropout_stream().offset() == dec_offset);
  CHECK(tasks::back_translation_max_len(len1) == 12);      // int(1.3 * 6 + 5)
  REQUIRE(b.x1.size(0) == 3);
  const int64_t L = b.x1.size(1);
  CHECK(L <= 12);
  const V gen = b.x1.to_vector<int64_t>(), lens = b.len1.to_vector<int64_t>();
  for (int64_t r = 0; r < 3; ++r) {
    INFO("row " << r);
    const int64_t len = lens[static_cast<size_t>(r)];
    REQUIRE(len >= 2);
    REQUIRE(len <= L);
    CHECK(gen[static_cast<size_t>(r * L)] == text::kEosIndex);
    CHECK(gen[static_cast<size_t>(r * L + len - 1)] == text::kEosIndex);
    for (int64_t t = 1; t + 1 < len; ++t) {
      CHECK(gen[static_cast<size_t>(r * L + t)] != text::kPadIndex);
      CHECK(gen[static_cast<size_t>(r * L + t)] != text::kEosIndex);
    }
    for (int64_t t = len; t < L; ++t) CHECK(gen[static_cast<size_t>(r * L + t)] == text::kPadIndex);
  }
  CHECK(b.langs1.to_vector<int64_t>() == V(static_cast<size_t>(3 * L), 1));  // generated: lang2
  CHECK(b.x2.to_vector<int64_t>() == x1.to_vector<int64_t>());             // targets: the originals
  CHECK(b.len2.to_vector<int64_t>() == len1.to_vector<int64_t>());
  CHECK(b.langs2.to_vector<int64_t>() == V(18, 0));
  CHECK(b.targets.to_vector<int64_t>() == V{20, 21, 22, 23, 1, 30, 31, 1, 33, 1});
  // The batch trains: a loss with gradients in both models.
  Tensor loss = objectives::mt_loss(encoder, decoder, b);
  loss.backward();
  CHECK(encoder.parameters().front().second.grad().defined());
  CHECK(decoder.parameters().front().second.grad().defined());
}
