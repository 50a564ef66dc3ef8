// The monolingual stream of XLM's StreamDataset (src/data/dataset.py), used
// by the CLM/MLM objectives: every sentence followed by </s> (the token
// array of the binarized file), the stream padded at the front with </s> to
// S * t_size tokens (S = batch_size * world_size streams, t_size =
// n_batches * bptt, n_batches = ceil(n_tokens / (S * bptt))), laid out as
// S rows of t_size tokens; batch i is the column window [i*bptt, (i+1)*bptt)
// of every row. With world_size 1 this is XLM's layout exactly (XLM's
// x[t, j] is our tokens[j, t]: we are batch-first). Rank r of w owns rows
// [r*bs, (r+1)*bs), so ranks are disjoint, all have n_batches steps, and
// their union at step i is the single-process batch of size bs*w. Tokens
// are read from the mapped file on demand: no copy of the corpus.
#pragma once

#include "core/tensor.h"
#include "text/binarized.h"
#include "text/data_cursor.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace xlm::text {

struct StreamOptions {
  int64_t batch_size = 32;  // streams per rank (XLM --batch_size; XLM uses 1 for valid/test)
  int64_t bptt = 256;       // tokens per stream per batch (XLM --bptt)
  int64_t rank = 0;
  int64_t world_size = 1;
  bool shuffle = false;     // random batch order per epoch (XLM shuffles training batches)
  uint64_t seed = 0;        // with shuffle: order of epoch e is a function of (seed, e)
};

struct StreamBatch {
  Tensor tokens;        // (batch_size, bptt) i64 on the CPU; every length is bptt
  int64_t epoch = 0;
  int64_t step = 0;     // position in the epoch's order
  int64_t batch_id = 0; // which window [batch_id*bptt, (batch_id+1)*bptt)
};

class StreamDataset {
 public:
  StreamDataset(std::shared_ptr<const BinarizedFile> data, const StreamOptions& options);

  int64_t n_batches() const { return n_batches_; }   // per epoch, the same on every rank
  int64_t n_tokens() const { return n_tokens_; }     // stream length before padding
  int64_t padding() const { return padding_; }       // </s> tokens added at the front
  const StreamOptions& options() const { return options_; }

  // This rank's window `batch_id` (0 <= batch_id < n_batches).
  StreamBatch batch(int64_t batch_id) const;
  // Batch ids in the order epoch `epoch` visits them.
  std::vector<int64_t> epoch_order(int64_t epoch) const;

  // The next batch; endless, rolling into the next epoch (Error if n_batches is 0).
  StreamBatch next();
  DataCursor cursor() const;
  // ConfigError when the cursor belongs to another configuration or data.
  void restore(const DataCursor& cursor);

 private:
  nlohmann::json config() const;
  int64_t stream_token(int64_t g) const;  // token at index g of the padded stream

  std::shared_ptr<const BinarizedFile> data_;
  StreamOptions options_;
  int64_t n_tokens_ = 0;
  int64_t n_batches_ = 0;
  int64_t t_size_ = 0;   // tokens per stream row
  int64_t padding_ = 0;
  int64_t epoch_ = 0;
  int64_t step_ = 0;
  std::vector<int64_t> order_;  // (n_batches) order of epoch_
};

}  // namespace xlm::text
