// Sentence pairs for TLM and supervised MT, as XLM's ParallelDataset
// (src/data/dataset.py): two binarized files aligned line by line; pairs
// with an empty side or a side longer than max_len are dropped; an epoch
// draws a random order (or keeps file order), optionally stable-sorts it by
// pair length (group_by_size, so batches need little padding), cuts it into
// batches of batch_size sentences (numpy's array_split sizes) or of about
// tokens_per_batch tokens (XLM's cumsum // tokens_per_batch rule), and
// shuffles the batch order. Ranks deal the epoch's batches round-robin and
// all take floor(n_batches / world_size) of them, so every rank makes the
// same number of steps (a data-parallel all-reduce needs lockstep).
#pragma once

#include "core/tensor.h"
#include "text/binarized.h"
#include "text/data_cursor.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace xlm::text {

struct ParallelOptions {
  int64_t max_len = 100;          // words per side, </s> excluded; -1 = no limit (XLM --max_len)
  int64_t batch_size = 32;        // sentences per batch when tokens_per_batch == -1
  int64_t tokens_per_batch = -1;  // XLM --tokens_per_batch; counts len1 + len2 + 4 per pair
  bool group_by_size = true;
  bool shuffle = false;
  uint64_t seed = 0;
  int64_t rank = 0;
  int64_t world_size = 1;
};

struct ParallelBatch {
  Tensor x1;         // (B, L1) i64: </s> w_1 .. w_n </s> then <pad>, L1 = max len1
  Tensor len1;       // (B) i64: n + 2
  Tensor x2;         // (B, L2) i64, same layout for the second file
  Tensor len2;       // (B) i64
  std::vector<int64_t> sentence_ids;  // (B) line numbers (0-based) in the files
  int64_t epoch = 0;
  int64_t step = 0;
};

class ParallelDataset {
 public:
  // FormatError naming both files when their sentence counts or dictionaries differ.
  ParallelDataset(std::shared_ptr<const BinarizedFile> first, std::shared_ptr<const BinarizedFile> second,
                  const ParallelOptions& options);

  int64_t n_pairs() const { return static_cast<int64_t>(kept_.size()); }  // after filtering
  const std::vector<int64_t>& kept_pairs() const { return kept_; }
  const ParallelOptions& options() const { return options_; }

  // This rank's batches (sentence ids) for epoch `epoch`, in visiting order.
  std::vector<std::vector<int64_t>> epoch_batches(int64_t epoch) const;
  // Pads the given pairs into a batch.
  ParallelBatch make_batch(const std::vector<int64_t>& sentence_ids) const;

  // Endless: rolls into the next epoch (Error when an epoch has no batch for this rank).
  ParallelBatch next();
  DataCursor cursor() const;
  void restore(const DataCursor& cursor);

 private:
  nlohmann::json config() const;
  int64_t pair_tokens(int64_t s) const;  // len1 + len2 + 4, XLM's length for grouping

  std::shared_ptr<const BinarizedFile> first_, second_;
  ParallelOptions options_;
  std::vector<int64_t> kept_;  // sentence ids surviving the filters, increasing
  int64_t epoch_ = 0;
  int64_t step_ = 0;
  std::vector<std::vector<int64_t>> batches_;  // this rank's batches of epoch_
};

}  // namespace xlm::text
