// Stream and parallel datasets on hand-made corpora: exact batch contents
// worked out on paper from XLM's layout, rank sharding (disjoint, complete,
// same step count), determinism for a seed, and resume from a JSON cursor.
#include "core/error.h"
#include "text/binarized.h"
#include "text/parallel_dataset.h"
#include "text/shuffle.h"
#include "text/stream_dataset.h"
#include "text_fixtures.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <memory>
#include <set>

using namespace xlm;
using namespace xlm::text;
using xlm::test::ScratchDir;

namespace {

using Sentences = std::vector<std::vector<int64_t>>;

std::shared_ptr<const BinarizedFile> binarize(const ScratchDir& dir, const std::string& name, const Sentences& s,
                                              int64_t dictionary_size = 100) {
  BinarizedWriter w(0xabc, dictionary_size);
  for (const auto& sentence : s) w.add_sentence(sentence);
  w.write(dir.file(name));
  return std::make_shared<const BinarizedFile>(BinarizedFile::open(dir.file(name)));
}

// n sentences of 0..max_len random word ids in [14, 100).
Sentences random_corpus(int64_t n, int64_t max_len, uint64_t seed) {
  SplitMix64 rng(seed);
  Sentences s(static_cast<size_t>(n));
  for (auto& sentence : s) {
    const int64_t len = static_cast<int64_t>(rng.below(static_cast<uint64_t>(max_len + 1)));
    for (int64_t i = 0; i < len; ++i) sentence.push_back(14 + static_cast<int64_t>(rng.below(86)));
  }
  return s;
}

std::vector<std::vector<int64_t>> rows(const Tensor& t) {  // (B, T) -> B rows
  const auto v = t.to_vector<int64_t>();
  std::vector<std::vector<int64_t>> r;
  for (int64_t b = 0; b < t.size(0); ++b)
    r.emplace_back(v.begin() + b * t.size(1), v.begin() + (b + 1) * t.size(1));
  return r;
}

nlohmann::json round_trip(const DataCursor& c) {
  return nlohmann::json::parse(c.to_json().dump());
}

}  // namespace

TEST_CASE("stream: XLM's layout on a tiny corpus", "[text]") {
  ScratchDir dir;
  // Token array: 14 15 </s> 16 </s> 17 18 19 </s>  (9 tokens)
  const auto data = binarize(dir, "mono.xbin", {{14, 15}, {16}, {17, 18, 19}});
  StreamOptions o;
  o.batch_size = 2;
  o.bptt = 2;
  StreamDataset ds(data, o);
  // n_batches = ceil(9 / (2*2)) = 3, t_size = 6, 12 slots, 3 </s> of front padding:
  //   row 0: 1 1 1 14 15 1      row 1: 16 1 17 18 19 1
  REQUIRE(ds.n_batches() == 3);
  CHECK(ds.padding() == 3);
  const StreamBatch b0 = ds.batch(0), b1 = ds.batch(1), b2 = ds.batch(2);
  CHECK(b0.tokens.shape() == Shape{2, 2});
  CHECK(b0.tokens.dtype() == DType::i64);
  CHECK(rows(b0.tokens) == std::vector<std::vector<int64_t>>{{1, 1}, {16, 1}});
  CHECK(rows(b1.tokens) == std::vector<std::vector<int64_t>>{{1, 14}, {17, 18}});
  CHECK(rows(b2.tokens) == std::vector<std::vector<int64_t>>{{15, 1}, {19, 1}});

  // Unshuffled iteration visits 0, 1, 2 and rolls into epoch 1.
  std::vector<std::pair<int64_t, int64_t>> seen;
  for (int i = 0; i < 4; ++i) {
    const StreamBatch b = ds.next();
    seen.emplace_back(b.epoch, b.batch_id);
  }
  CHECK(seen == std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {0, 1}, {0, 2}, {1, 0}});

  // Exact multiple of bs*bptt: no padding.
  const auto even = binarize(dir, "even.xbin", {{14, 15, 16}, {17, 18, 19, 20}});  // 9 tokens
  StreamOptions o3;
  o3.batch_size = 1;
  o3.bptt = 3;
  StreamDataset ds3(even, o3);
  CHECK(ds3.n_batches() == 3);
  CHECK(ds3.padding() == 0);
  CHECK(rows(ds3.batch(2).tokens) == std::vector<std::vector<int64_t>>{{19, 20, 1}});

  CHECK_THROWS_AS(ds.batch(3), IndexError);
  o.bptt = 0;
  CHECK_THROWS_AS(StreamDataset(data, o), ConfigError);
}

TEST_CASE("stream: ranks own disjoint streams that tile the padded stream", "[text]") {
  ScratchDir dir;
  const Sentences corpus = random_corpus(40, 9, 5);
  const auto data = binarize(dir, "mono.xbin", corpus);
  std::vector<int64_t> stream;  // XLM's sentences array
  for (const auto& s : corpus) {
    stream.insert(stream.end(), s.begin(), s.end());
    stream.push_back(kEosIndex);
  }
  const int64_t world = 3, bs = 2, bptt = 5;
  StreamOptions o;
  o.batch_size = bs;
  o.bptt = bptt;
  o.world_size = world;
  StreamDataset probe(data, o);
  const int64_t n_batches = probe.n_batches();
  const int64_t t_size = n_batches * bptt;
  const int64_t slots = world * bs * t_size;
  REQUIRE(n_batches == (static_cast<int64_t>(stream.size()) + world * bs * bptt - 1) / (world * bs * bptt));
  std::vector<int64_t> filled(static_cast<size_t>(slots), -1);
  for (int64_t r = 0; r < world; ++r) {
    o.rank = r;
    StreamDataset ds(data, o);
    REQUIRE(ds.n_batches() == n_batches);
    for (int64_t i = 0; i < n_batches; ++i) {
      const auto v = ds.batch(i).tokens.to_vector<int64_t>();  // (bs, bptt)
      for (int64_t j = 0; j < bs; ++j)
        for (int64_t t = 0; t < bptt; ++t) {
          const size_t at = static_cast<size_t>((r * bs + j) * t_size + i * bptt + t);
          REQUIRE(filled[at] == -1);  // nobody else wrote this slot
          filled[at] = v[static_cast<size_t>(j * bptt + t)];
        }
    }
  }
  std::vector<int64_t> want(static_cast<size_t>(slots - static_cast<int64_t>(stream.size())), kEosIndex);
  want.insert(want.end(), stream.begin(), stream.end());
  CHECK(filled == want);

  // The union of the ranks at one step is the single-process batch of size bs * world.
  StreamOptions single;
  single.batch_size = bs * world;
  single.bptt = bptt;
  StreamDataset one(data, single);
  REQUIRE(one.n_batches() == n_batches);
  o.rank = 1;
  const auto rank1 = rows(StreamDataset(data, o).batch(2).tokens);
  const auto all = rows(one.batch(2).tokens);
  CHECK(rank1[0] == all[2]);
  CHECK(rank1[1] == all[3]);
  o.rank = 3;
  CHECK_THROWS_AS(StreamDataset(data, o), ConfigError);
}

TEST_CASE("stream: shuffled order is deterministic and resumable", "[text]") {
  ScratchDir dir;
  const auto data = binarize(dir, "mono.xbin", random_corpus(60, 12, 11));
  StreamOptions o;
  o.batch_size = 2;
  o.bptt = 4;
  o.shuffle = true;
  o.seed = 1234;
  StreamDataset a(data, o), b(data, o);
  const int64_t n = a.n_batches();
  REQUIRE(n >= 8);
  std::vector<int64_t> order_a, order_b;
  for (int64_t i = 0; i < 2 * n; ++i) {
    order_a.push_back(a.next().batch_id);
    order_b.push_back(b.next().batch_id);
  }
  CHECK(order_a == order_b);
  std::vector<int64_t> epoch0(order_a.begin(), order_a.begin() + n), epoch1(order_a.begin() + n, order_a.end());
  CHECK(epoch0 != epoch1);
  std::sort(epoch0.begin(), epoch0.end());
  std::sort(epoch1.begin(), epoch1.end());
  std::vector<int64_t> identity(static_cast<size_t>(n));
  std::iota(identity.begin(), identity.end(), int64_t{0});
  CHECK(epoch0 == identity);
  CHECK(epoch1 == identity);
  o.seed = 1235;
  CHECK(StreamDataset(data, o).epoch_order(0) != a.epoch_order(0));
  o.seed = 1234;

  // Stop after 5 batches, save, resume in a fresh loader: identical remainder.
  StreamDataset run(data, o);
  for (int i = 0; i < 5; ++i) run.next();
  const nlohmann::json saved = round_trip(run.cursor());
  std::vector<Tensor> want;
  for (int64_t i = 0; i < n + 3; ++i) want.push_back(run.next().tokens);
  StreamDataset resumed(data, o);
  resumed.restore(DataCursor::from_json(saved));
  for (int64_t i = 0; i < n + 3; ++i) {
    const StreamBatch got = resumed.next();
    REQUIRE(got.tokens.to_vector<int64_t>() == want[static_cast<size_t>(i)].to_vector<int64_t>());
  }
  CHECK(saved.at("epoch") == 0);
  CHECK(saved.at("step") == 5);

  StreamOptions other = o;
  other.bptt = 5;
  CHECK_THROWS_AS(StreamDataset(data, other).restore(DataCursor::from_json(saved)), ConfigError);
  CHECK_THROWS_AS(DataCursor::from_json(nlohmann::json{{"kind", "stream"}}), FormatError);
}

TEST_CASE("parallel: filtering, padding layout and batch sizes", "[text]") {
  ScratchDir dir;
  // Pair 1 has an empty side, pair 4 exceeds max_len = 3.
  const Sentences fr = {{20, 21}, {}, {22}, {23, 24, 25}, {26, 27, 28, 29}, {30}, {31, 32}, {33}, {34}};
  const Sentences en = {{40}, {41}, {42, 43, 44}, {45}, {46}, {47, 48}, {49}, {50, 51}, {52}};
  const auto f1 = binarize(dir, "train.en-fr.fr.xbin", fr);
  const auto f2 = binarize(dir, "train.en-fr.en.xbin", en);
  ParallelOptions o;
  o.max_len = 3;
  o.batch_size = 3;
  o.group_by_size = false;
  ParallelDataset ds(f1, f2, o);
  CHECK(ds.kept_pairs() == std::vector<int64_t>{0, 2, 3, 5, 6, 7, 8});
  // array_split of 7 pairs into ceil(7/3) = 3 parts: 3, 2, 2.
  const auto batches = ds.epoch_batches(0);
  CHECK(batches == std::vector<std::vector<int64_t>>{{0, 2, 3}, {5, 6}, {7, 8}});

  const ParallelBatch b = ds.next();
  CHECK(b.sentence_ids == std::vector<int64_t>{0, 2, 3});
  CHECK(b.x1.shape() == Shape{3, 5});
  CHECK(rows(b.x1) == std::vector<std::vector<int64_t>>{{1, 20, 21, 1, 2}, {1, 22, 1, 2, 2}, {1, 23, 24, 25, 1}});
  CHECK(b.len1.to_vector<int64_t>() == std::vector<int64_t>{4, 3, 5});
  CHECK(rows(b.x2) == std::vector<std::vector<int64_t>>{{1, 40, 1, 2, 2}, {1, 42, 43, 44, 1}, {1, 45, 1, 2, 2}});
  CHECK(b.len2.to_vector<int64_t>() == std::vector<int64_t>{3, 5, 3});

  // Grouped by size (len1 + len2 + 4, stable sort): 8:6, 0:7, 5:7, 6:7, 7:7, 2:8, 3:8.
  o.group_by_size = true;
  o.batch_size = 32;
  o.tokens_per_batch = 14;
  ParallelDataset grouped(f1, f2, o);
  // Lengths in sorted order 6 7 7 7 7 8 8, cumsum 6 13 20 27 34 42 50, // 14 = 0 0 1 1 2 3 3.
  CHECK(grouped.epoch_batches(0) == std::vector<std::vector<int64_t>>{{8, 0}, {5, 6}, {7}, {2, 3}});

  o.max_len = -1;
  CHECK(ParallelDataset(f1, f2, o).n_pairs() == 8);

  const auto short_file = binarize(dir, "short.xbin", {{20}});
  CHECK_THROWS_WITH(ParallelDataset(f1, short_file, o),
                    Catch::Contains("train.en-fr.fr.xbin has 9 sentences") && Catch::Contains("short.xbin has 1"));
}

TEST_CASE("parallel: deterministic shuffles, disjoint ranks, resume", "[text]") {
  ScratchDir dir;
  const auto f1 = binarize(dir, "a.xbin", random_corpus(80, 10, 21));
  const auto f2 = binarize(dir, "b.xbin", random_corpus(80, 10, 22));
  ParallelOptions o;
  o.max_len = 8;
  o.tokens_per_batch = 40;
  o.shuffle = true;
  o.seed = 99;
  ParallelDataset one(f1, f2, o);
  const auto global = one.epoch_batches(0);
  REQUIRE(global.size() >= 6);
  CHECK(ParallelDataset(f1, f2, o).epoch_batches(0) == global);
  CHECK(one.epoch_batches(1) != global);
  std::vector<int64_t> covered;
  for (const auto& batch : global) covered.insert(covered.end(), batch.begin(), batch.end());
  std::sort(covered.begin(), covered.end());
  CHECK(covered == one.kept_pairs());

  // Three ranks deal the same global list round-robin, floor(n / 3) each.
  const int64_t world = 3;
  std::set<int64_t> seen;
  for (int64_t r = 0; r < world; ++r) {
    ParallelOptions ro = o;
    ro.rank = r;
    ro.world_size = world;
    const auto mine = ParallelDataset(f1, f2, ro).epoch_batches(0);
    REQUIRE(static_cast<int64_t>(mine.size()) == static_cast<int64_t>(global.size()) / world);
    for (size_t k = 0; k < mine.size(); ++k) {
      CHECK(mine[k] == global[k * world + static_cast<size_t>(r)]);
      for (int64_t s : mine[k]) CHECK(seen.insert(s).second);  // no pair on two ranks
    }
  }

  ParallelDataset run(f1, f2, o);
  for (int i = 0; i < 3; ++i) run.next();
  const nlohmann::json saved = round_trip(run.cursor());
  const int64_t remaining = static_cast<int64_t>(global.size()) - 3 + 2;  // into the next epoch
  std::vector<std::vector<int64_t>> want;
  for (int64_t i = 0; i < remaining; ++i) want.push_back(run.next().sentence_ids);
  ParallelDataset resumed(f1, f2, o);
  resumed.restore(DataCursor::from_json(saved));
  for (int64_t i = 0; i < remaining; ++i) CHECK(resumed.next().sentence_ids == want[static_cast<size_t>(i)]);
  ParallelOptions other = o;
  other.seed = 100;
  CHECK_THROWS_AS(ParallelDataset(f1, f2, other).restore(DataCursor::from_json(saved)), ConfigError);
  DataCursor stream_cursor = DataCursor::from_json(saved);
  stream_cursor.kind = "stream";
  CHECK_THROWS_AS(resumed.restore(stream_cursor), ConfigError);
}

TEST_CASE("SplitMix64 resumes from its saved state", "[text][shuffle]") {
  xlm::text::SplitMix64 a(1234);
  for (int i = 0; i < 5; ++i) a.next();
  xlm::text::SplitMix64 b(a.state());
  for (int i = 0; i < 10; ++i) REQUIRE(a.next() == b.next());
  REQUIRE(a.state() == b.state());
}
