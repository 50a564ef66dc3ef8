// See text/parallel_dataset.h. XLM draws the sentence permutation and the
// batch shuffle from numpy's global RNG; here both come from one SplitMix64
// seeded by (seed, epoch), so an epoch's batches can be rebuilt on resume.
#include "text/parallel_dataset.h"

#include "core/error.h"
#include "text/shuffle.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace xlm::text {

ParallelDataset::ParallelDataset(std::shared_ptr<const BinarizedFile> first,
                                 std::shared_ptr<const BinarizedFile> second, const ParallelOptions& options)
    : first_(std::move(first)), second_(std::move(second)), options_(options) {
  if (!first_ || !second_) throw ConfigError("parallel dataset: missing data");
  if (first_->n_sentences() != second_->n_sentences())
    throw FormatError(fmt::format("{} has {} sentences but {} has {}: parallel files must be aligned line by line",
                                  first_->path(), first_->n_sentences(), second_->path(), second_->n_sentences()));
  if (first_->header().dictionary_hash != second_->header().dictionary_hash)
    throw FormatError(fmt::format("{} and {} were binarized with different dictionaries", first_->path(),
                                  second_->path()));
  if (options.tokens_per_batch == -1 ? options.batch_size <= 0 : options.tokens_per_batch <= 0)
    throw ConfigError(fmt::format("parallel dataset: need batch_size > 0 or tokens_per_batch > 0 (got {} and {})",
                                  options.batch_size, options.tokens_per_batch));
  if (options.world_size <= 0 || options.rank < 0 || options.rank >= options.world_size)
    throw ConfigError(fmt::format("parallel dataset: rank {} of world size {} is not a valid rank", options.rank,
                                  options.world_size));
  for (int64_t s = 0; s < first_->n_sentences(); ++s) {
    const int64_t a = first_->sentence_length(s), b = second_->sentence_length(s);
    if (a == 0 || b == 0) continue;
    if (options.max_len >= 0 && (a > options.max_len || b > options.max_len)) continue;
    kept_.push_back(s);
  }
  batches_ = epoch_batches(0);
}

int64_t ParallelDataset::pair_tokens(int64_t s) const {
  return first_->sentence_length(s) + second_->sentence_length(s) + 4;
}

std::vector<std::vector<int64_t>> ParallelDataset::epoch_batches(int64_t epoch) const {
  SplitMix64 rng(derive_seed(options_.seed, static_cast<uint64_t>(epoch)));
  std::vector<int64_t> order = kept_;  // (n_pairs) sentence ids
  if (options_.shuffle) shuffle_in_place(order, rng);
  if (options_.group_by_size)
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return pair_tokens(a) < pair_tokens(b); });

  std::vector<std::vector<int64_t>> batches;
  const int64_t n = static_cast<int64_t>(order.size());
  if (options_.tokens_per_batch == -1) {
    // numpy.array_split(order, ceil(n / batch_size)): the first n % k parts get one more.
    const int64_t k = (n + options_.batch_size - 1) / options_.batch_size;
    int64_t begin = 0;
    for (int64_t part = 0; part < k; ++part) {
      const int64_t size = n / k + (part < n % k ? 1 : 0);
      batches.emplace_back(order.begin() + begin, order.begin() + begin + size);
      begin += size;
    }
  } else {
    // A new batch starts wherever cumsum(lengths) // tokens_per_batch changes.
    int64_t cumsum = 0, current = -1;
    for (int64_t s : order) {
      cumsum += pair_tokens(s);
      const int64_t id = cumsum / options_.tokens_per_batch;
      if (id != current || batches.empty()) batches.emplace_back();
      current = id;
      batches.back().push_back(s);
    }
  }
  if (options_.shuffle) shuffle_in_place(batches, rng);

  const int64_t w = options_.world_size;
  const int64_t per_rank = static_cast<int64_t>(batches.size()) / w;
  std::vector<std::vector<int64_t>> mine;
  mine.reserve(static_cast<size_t>(per_rank));
  for (int64_t k = 0; k < per_rank; ++k) mine.push_back(std::move(batches[static_cast<size_t>(k * w + options_.rank)]));
  return mine;
}

ParallelBatch ParallelDataset::make_batch(const std::vector<int64_t>& sentence_ids) const {
  const int64_t bsz = static_cast<int64_t>(sentence_ids.size());
  auto pad_side = [&](const BinarizedFile& f, Tensor& x, Tensor& len) {
    std::vector<int64_t> lengths(static_cast<size_t>(bsz));  // (B)
    int64_t max_len = 0;
    for (int64_t i = 0; i < bsz; ++i) {
      const int64_t s = sentence_ids[static_cast<size_t>(i)];
      if (s < 0 || s >= f.n_sentences())
        throw IndexError(fmt::format("{}: sentence {} out of range [0, {})", f.path(), s, f.n_sentences()));
      lengths[static_cast<size_t>(i)] = f.sentence_length(s) + 2;
      max_len = std::max(max_len, lengths[static_cast<size_t>(i)]);
    }
    std::vector<int64_t> tokens(static_cast<size_t>(bsz * max_len), kPadIndex);  // (B, max_len)
    for (int64_t i = 0; i < bsz; ++i) {
      const int64_t s = sentence_ids[static_cast<size_t>(i)];
      int64_t* row = tokens.data() + i * max_len;
      row[0] = kEosIndex;
      int64_t t = 1;
      for (uint64_t k = f.sentence_begin(s); k < f.sentence_end(s); ++k) row[t++] = f.token(k);
      row[t] = kEosIndex;
    }
    x = Tensor::from_vector<int64_t>(tokens, {bsz, max_len});
    len = Tensor::from_vector<int64_t>(lengths, {bsz});
  };
  ParallelBatch b;
  pad_side(*first_, b.x1, b.len1);
  pad_side(*second_, b.x2, b.len2);
  b.sentence_ids = sentence_ids;
  return b;
}

ParallelBatch ParallelDataset::next() {
  if (step_ >= static_cast<int64_t>(batches_.size())) {
    ++epoch_;
    step_ = 0;
    batches_ = epoch_batches(epoch_);
  }
  if (batches_.empty())
    throw Error(fmt::format("{} / {}: no parallel batch for rank {} of {} ({} pairs kept)", first_->path(),
                            second_->path(), options_.rank, options_.world_size, n_pairs()));
  ParallelBatch b = make_batch(batches_[static_cast<size_t>(step_)]);
  b.epoch = epoch_;
  b.step = step_;
  ++step_;
  return b;
}

nlohmann::json ParallelDataset::config() const {
  return nlohmann::json{{"file_checksums", {first_->header().checksum, second_->header().checksum}},
                        {"n_pairs", n_pairs()},
                        {"max_len", options_.max_len},
                        {"batch_size", options_.batch_size},
                        {"tokens_per_batch", options_.tokens_per_batch},
                        {"group_by_size", options_.group_by_size},
                        {"shuffle", options_.shuffle},
                        {"seed", options_.seed},
                        {"rank", options_.rank},
                        {"world_size", options_.world_size}};
}

DataCursor ParallelDataset::cursor() const { return DataCursor{"parallel", epoch_, step_, config()}; }

void ParallelDataset::restore(const DataCursor& cursor) {
  check_cursor_matches(cursor, "parallel", config());
  auto batches = epoch_batches(cursor.epoch);
  if (cursor.step > static_cast<int64_t>(batches.size()))
    throw ConfigError(fmt::format("parallel cursor step {} beyond the {} batches of epoch {}", cursor.step,
                                  batches.size(), cursor.epoch));
  epoch_ = cursor.epoch;
  step_ = cursor.step;
  batches_ = std::move(batches);
}

}  // namespace xlm::text
