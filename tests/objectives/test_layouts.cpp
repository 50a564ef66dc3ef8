// Batch layouts of the three objectives, worked out by hand from XLM's
// concat_batches and clm_step: the TLM row `</s> x </s> </s> y </s>` with
// positions restarting for y and per-segment language ids, in both
// directions; CLM targets shifted by one; MLM/TLM carrying masks over the
// same layout without touching </s> or padding.
#include "core/error.h"
#include "objectives/clm.h"
#include "objectives/mlm.h"
#include "objectives/pair_layout.h"
#include "objectives/pair_step.h"
#include "text/shuffle.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace xlm;
using namespace xlm::objectives;
using V = std::vector<int64_t>;

namespace {

// Two pairs: x1 = {</s> 20 21 22 </s>, </s> 30 </s>}, x2 = {</s> 40 </s>, </s> 50 51 </s>}.
text::ParallelBatch two_pairs() {
  text::ParallelBatch p;
  p.x1 = Tensor::from_vector<int64_t>({1, 20, 21, 22, 1,  //
                                       1, 30, 1, 2, 2},
                                      {2, 5});
  p.len1 = Tensor::from_vector<int64_t>({5, 3}, {2});
  p.x2 = Tensor::from_vector<int64_t>({1, 40, 1, 2,  //
                                       1, 50, 51, 1},
                                      {2, 4});
  p.len2 = Tensor::from_vector<int64_t>({3, 4}, {2});
  p.sentence_ids = {0, 1};
  return p;
}

text::StreamBatch stream_2x5() {
  text::StreamBatch s;
  s.tokens = Tensor::from_vector<int64_t>({1, 20, 21, 1, 22,  //
                                           23, 1, 24, 25, 26},
                                          {2, 5});
  return s;
}

MaskingOptions options() {
  MaskingOptions o;
  o.n_words = 100;
  o.word_pred = 0.5;
  return o;
}

}  // namespace

TEST_CASE("tlm layout: </s> x </s> </s> y </s>, positions restart, segment languages", "[objectives]") {
  const LmBatch b = concat_pair(two_pairs(), PairSides{false, 0, 1});
  CHECK(b.words.shape() == Shape{2, 8});
  CHECK(b.words.to_vector<int64_t>() == V{1, 20, 21, 22, 1, 1, 40, 1,  //
                                          1, 30, 1, 1, 50, 51, 1, 2});
  CHECK(b.lengths.to_vector<int64_t>() == V{8, 7});
  CHECK(b.positions.to_vector<int64_t>() == V{0, 1, 2, 3, 4, 0, 1, 2,  //
                                              0, 1, 2, 0, 1, 2, 3, 4});
  CHECK(b.langs.to_vector<int64_t>() == V{0, 0, 0, 0, 0, 1, 1, 1,  //
                                          0, 0, 0, 1, 1, 1, 1, 1});
  CHECK(b.pred_index.numel() == 0);
  CHECK(b.targets.numel() == 0);
  CHECK_FALSE(b.causal);
  CHECK(b.n_sentences == 2);
}

TEST_CASE("tlm layout: the other direction puts the second side first", "[objectives]") {
  const LmBatch b = concat_pair(two_pairs(), PairSides{true, 1, 0});
  CHECK(b.words.to_vector<int64_t>() == V{1, 40, 1, 1, 20, 21, 22, 1,  //
                                          1, 50, 51, 1, 1, 30, 1, 2});
  CHECK(b.lengths.to_vector<int64_t>() == V{8, 7});
  CHECK(b.positions.to_vector<int64_t>() == V{0, 1, 2, 0, 1, 2, 3, 4,  //
                                              0, 1, 2, 3, 0, 1, 2, 3});
  CHECK(b.langs.to_vector<int64_t>() == V{1, 1, 1, 0, 0, 0, 0, 0,  //
                                          1, 1, 1, 1, 0, 0, 0, 0});
}

TEST_CASE("tlm layout: lengths outside a side's width are rejected", "[objectives]") {
  text::ParallelBatch p = two_pairs();
  p.len2 = Tensor::from_vector<int64_t>({3, 5}, {2});
  CHECK_THROWS_AS(concat_pair(p, PairSides{false, 0, 1}), ShapeError);
  p.len2 = Tensor::from_vector<int64_t>({0, 4}, {2});
  CHECK_THROWS_AS(concat_pair(p, PairSides{false, 0, 1}), ShapeError);
}

TEST_CASE("tlm batch: masks only the words of both sentences, layout kept", "[objectives]") {
  const LmBatch plain = concat_pair(two_pairs(), PairSides{false, 0, 1});
  text::SplitMix64 rng(4);
  MaskingOptions o = options();
  o.word_pred = 1.0;  // every real word chosen
  o.keep_rand = {1, 0, 0};
  const LmBatch b = tlm_batch(two_pairs(), PairSides{false, 0, 1}, o, rng);
  CHECK(b.words.to_vector<int64_t>() == V{1, 5, 5, 5, 1, 1, 5, 1,  //
                                          1, 5, 1, 1, 5, 5, 1, 2});
  CHECK(b.pred_index.to_vector<int64_t>() == V{1, 2, 3, 6, 9, 12, 13});
  CHECK(b.targets.to_vector<int64_t>() == V{20, 21, 22, 40, 30, 50, 51});
  CHECK(b.positions.to_vector<int64_t>() == plain.positions.to_vector<int64_t>());
  CHECK(b.langs.to_vector<int64_t>() == plain.langs.to_vector<int64_t>());
  CHECK(b.lengths.to_vector<int64_t>() == V{8, 7});
  CHECK_FALSE(b.causal);
}

TEST_CASE("clm on a stream: targets are the next token, langs only with several languages", "[objectives]") {
  const LmBatch b = clm_stream_batch(stream_2x5(), 1, 1);
  CHECK(b.causal);
  CHECK(b.words.to_vector<int64_t>() == stream_2x5().tokens.to_vector<int64_t>());
  CHECK(b.lengths.to_vector<int64_t>() == V{5, 5});
  CHECK_FALSE(b.positions.defined());
  CHECK_FALSE(b.langs.defined());
  CHECK(b.pred_index.to_vector<int64_t>() == V{0, 1, 2, 3, 5, 6, 7, 8});
  CHECK(b.targets.to_vector<int64_t>() == V{20, 21, 1, 22, 1, 24, 25, 26});
  CHECK(b.n_sentences == 2);

  const LmBatch multi = clm_stream_batch(stream_2x5(), 1, 3);
  REQUIRE(multi.langs.defined());
  CHECK(multi.langs.to_vector<int64_t>() == V(10, 1));

  text::StreamBatch one;
  one.tokens = Tensor::from_vector<int64_t>({1, 2}, {2, 1});
  CHECK_THROWS_AS(clm_stream_batch(one, 0, 1), ShapeError);
}

TEST_CASE("clm on pairs: the TLM row, causal, every next word inside the length", "[objectives]") {
  const LmBatch b = clm_pair_batch(two_pairs(), PairSides{false, 0, 1});
  CHECK(b.causal);
  CHECK(b.words.to_vector<int64_t>() == concat_pair(two_pairs(), PairSides{false, 0, 1}).words.to_vector<int64_t>());
  CHECK(b.pred_index.to_vector<int64_t>() == V{0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13});
  CHECK(b.targets.to_vector<int64_t>() == V{20, 21, 22, 1, 1, 40, 1, 30, 1, 1, 50, 51, 1});
}

TEST_CASE("mlm on a stream: whole rows, langs filled, masks replay from the state", "[objectives]") {
  text::SplitMix64 a(8), b(8);
  const LmBatch x = mlm_stream_batch(stream_2x5(), 2, 3, options(), a);
  const LmBatch y = mlm_stream_batch(stream_2x5(), 2, 3, options(), b);
  CHECK_FALSE(x.causal);
  CHECK(x.lengths.to_vector<int64_t>() == V{5, 5});
  CHECK_FALSE(x.positions.defined());
  CHECK(x.langs.to_vector<int64_t>() == V(10, 2));
  CHECK(x.words.to_vector<int64_t>() == y.words.to_vector<int64_t>());
  CHECK(x.pred_index.to_vector<int64_t>() == y.pred_index.to_vector<int64_t>());
  REQUIRE(x.pred_index.numel() >= 1);
  const V tokens = stream_2x5().tokens.to_vector<int64_t>();
  const V index = x.pred_index.to_vector<int64_t>();
  const V targets = x.targets.to_vector<int64_t>();
  for (size_t i = 0; i < index.size(); ++i) {
    CHECK(tokens[static_cast<size_t>(index[i])] >= 14);  // </s> in the stream is never chosen
    CHECK(targets[i] == tokens[static_cast<size_t>(index[i])]);
  }
  CHECK_FALSE(mlm_stream_batch(stream_2x5(), 2, 1, options(), a).langs.defined());
}

TEST_CASE("pair steps: sorted dataset, the step's order in the row", "[objectives]") {
  const std::vector<std::string> id2lang = {"de", "en", "fr"};
  const Step forward{"en", "fr"}, backward{"fr", "en"};
  CHECK(dataset_pair(forward).l1 == "en");
  CHECK(dataset_pair(backward).l1 == "en");
  CHECK(dataset_pair(backward).l2 == "fr");
  const PairSides f = pair_sides(forward, id2lang);
  CHECK_FALSE(f.swap);
  CHECK(f.first_lang == 1);
  CHECK(f.second_lang == 2);
  const PairSides b = pair_sides(backward, id2lang);
  CHECK(b.swap);
  CHECK(b.first_lang == 2);
  CHECK(b.second_lang == 1);
  // fr-en on the en-fr dataset: the French side (x2) first, tagged fr.
  const LmBatch row = concat_pair(two_pairs(), b);
  CHECK(row.words.to_vector<int64_t>()[1] == 40);
  CHECK(row.langs.to_vector<int64_t>()[0] == 2);
  CHECK_THROWS_AS(pair_sides(Step{"en", ""}, id2lang), ConfigError);
  CHECK_THROWS_AS(pair_sides(Step{"en", "it"}, id2lang), ConfigError);
}
