// See text/stream_dataset.h. The padded stream is virtual: index g maps to
// </s> when g < padding, else to token g - padding of the mapped file.
#include "text/stream_dataset.h"

#include "core/error.h"
#include "text/shuffle.h"

#include <fmt/format.h>

#include <numeric>

namespace xlm::text {

StreamDataset::StreamDataset(std::shared_ptr<const BinarizedFile> data, const StreamOptions& options)
    : data_(std::move(data)), options_(options) {
  if (!data_) throw ConfigError("stream dataset: no data");
  if (options.batch_size <= 0) throw ConfigError(fmt::format("--batch_size {}: must be > 0", options.batch_size));
  if (options.bptt <= 0) throw ConfigError(fmt::format("--bptt {}: must be > 0", options.bptt));
  if (options.world_size <= 0 || options.rank < 0 || options.rank >= options.world_size)
    throw ConfigError(fmt::format("stream dataset: rank {} of world size {} is not a valid rank", options.rank,
                                  options.world_size));
  n_tokens_ = data_->n_tokens();
  const int64_t streams = options.batch_size * options.world_size;
  const int64_t per_batch = streams * options.bptt;
  n_batches_ = (n_tokens_ + per_batch - 1) / per_batch;
  t_size_ = n_batches_ * options.bptt;
  padding_ = streams * t_size_ - n_tokens_;
  order_ = epoch_order(0);
}

int64_t StreamDataset::stream_token(int64_t g) const {
  return g < padding_ ? kEosIndex : data_->token(static_cast<uint64_t>(g - padding_));
}

StreamBatch StreamDataset::batch(int64_t batch_id) const {
  if (batch_id < 0 || batch_id >= n_batches_)
    throw IndexError(fmt::format("{}: stream batch {} out of range [0, {})", data_->path(), batch_id, n_batches_));
  const int64_t bs = options_.batch_size, bptt = options_.bptt;
  std::vector<int64_t> tokens(static_cast<size_t>(bs * bptt));  // (bs, bptt)
  for (int64_t j = 0; j < bs; ++j) {
    const int64_t row = options_.rank * bs + j;  // global stream index
    const int64_t base = row * t_size_ + batch_id * bptt;
    for (int64_t t = 0; t < bptt; ++t) tokens[static_cast<size_t>(j * bptt + t)] = stream_token(base + t);
  }
  StreamBatch b;
  b.tokens = Tensor::from_vector<int64_t>(tokens, {bs, bptt});
  b.batch_id = batch_id;
  return b;
}

std::vector<int64_t> StreamDataset::epoch_order(int64_t epoch) const {
  if (options_.shuffle) {
    SplitMix64 rng(derive_seed(options_.seed, static_cast<uint64_t>(epoch)));
    return random_permutation(n_batches_, rng);
  }
  std::vector<int64_t> order(static_cast<size_t>(n_batches_));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

StreamBatch StreamDataset::next() {
  if (n_batches_ == 0)
    throw Error(fmt::format("{}: no stream batches ({} tokens)", data_->path(), n_tokens_));
  if (step_ >= n_batches_) {
    ++epoch_;
    step_ = 0;
    order_ = epoch_order(epoch_);
  }
  StreamBatch b = batch(order_[static_cast<size_t>(step_)]);
  b.epoch = epoch_;
  b.step = step_;
  ++step_;
  return b;
}

nlohmann::json StreamDataset::config() const {
  return nlohmann::json{{"file_checksum", data_->header().checksum},
                        {"n_tokens", n_tokens_},
                        {"batch_size", options_.batch_size},
                        {"bptt", options_.bptt},
                        {"rank", options_.rank},
                        {"world_size", options_.world_size},
                        {"shuffle", options_.shuffle},
                        {"seed", options_.seed}};
}

DataCursor StreamDataset::cursor() const { return DataCursor{"stream", epoch_, step_, config()}; }

void StreamDataset::restore(const DataCursor& cursor) {
  check_cursor_matches(cursor, "stream", config());
  if (cursor.step > n_batches_)
    throw ConfigError(fmt::format("stream cursor step {} beyond the {} batches of an epoch", cursor.step,
                                  n_batches_));
  epoch_ = cursor.epoch;
  step_ = cursor.step;
  order_ = epoch_order(epoch_);
}

}  // namespace xlm::text
