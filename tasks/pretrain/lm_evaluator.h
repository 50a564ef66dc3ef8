// Language-model steps and their evaluation, shared by `xlm train` (after
// each epoch) and `xlm eval`: an LmStep names an objective and its languages
// ("mlm" on "en-fr" is TLM), LmBatchBuilder turns loader batches into model
// batches for it, and evaluate_lm scores a model on the valid/test files
// under XLM's metric names (valid_en_mlm_ppl, valid_en-fr_mlm_acc,
// valid_mlm_ppl = mean over the monolingual languages, ...).
// On several ranks the evaluation is sharded (EvalRanks): batch i of a split
// (a pair batch, or a group of stacked stream windows)
// is scored by rank i mod N, every batch is still built on every rank (so
// MLM masks draw the one-rank stream), and the sums (loss, words, correct)
// are added over the ranks, so every rank gets the one-rank scores.
#pragma once

#include "nn/transformer.h"
#include "objectives/lm_batch.h"
#include "objectives/lm_loss.h"
#include "objectives/masking.h"
#include "objectives/pair_step.h"
#include "tasks/pretrain/pretrain_data.h"
#include "text/shuffle.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xlm::tasks {

// Scores by XLM metric name.
using Scores = std::map<std::string, double>;

struct LmStep {
  std::string objective;  // "clm" or "mlm" (an "mlm" step on a pair is TLM)
  objectives::Step spec;
  // "mlm_en", "mlm_en-fr", "clm_fr": the name of its training loss.
  std::string loss_name() const;
  // "en_mlm", "en-fr_mlm": the middle of its metric names.
  std::string metric_key() const;
};

// Steps of a --clm_steps / --mlm_steps value (ConfigError naming the flag).
std::vector<LmStep> parse_lm_steps(const std::string& objective, const std::string& text,
                                   const std::vector<std::string>& langs, const std::string& flag);

class LmBatchBuilder {
 public:
  LmBatchBuilder(std::vector<std::string> id2lang, objectives::MaskingOptions masking);
  objectives::LmBatch stream_batch(const LmStep& step, const text::StreamBatch& stream, text::SplitMix64& rng) const;
  objectives::LmBatch pair_batch(const LmStep& step, const text::ParallelBatch& pairs, text::SplitMix64& rng) const;
  int64_t lang_id(const std::string& lang) const;
  const std::vector<std::string>& id2lang() const { return id2lang_; }

 private:
  std::vector<std::string> id2lang_;
  std::map<std::string, int64_t> lang2id_;
  objectives::MaskingOptions masking_;
};

// How an evaluation is split over the ranks of a data-parallel job
// (DataParallel::eval_ranks); the default is one rank. Both functions are
// collectives: every rank calls them in the same order.
struct EvalRanks {
  int rank = 0;
  int world_size = 1;
  std::function<void(std::vector<double>&)> sum;                     // in place, over the ranks
  std::function<nlohmann::json(const nlohmann::json&)> all_gather;  // every rank's value, in rank order
  bool owns(int64_t batch) const { return batch % world_size == rank; }
  bool sharded() const { return world_size > 1; }
};

// A batch score summed over the ranks (ranks.sum).
objectives::LmScore sum_over_ranks(const objectives::LmScore& mine, const EvalRanks& ranks);

// Windows of XLM's batch-1 evaluation stream scored per forward pass. The
// rows of a batch do not see each other, so stacking windows changes no
// metric; one 1 x bptt window per pass left the GEMMs too thin to be fast.
inline constexpr int64_t kEvalStreamRows = 32;

// Perplexity and accuracy of every step on each split ("valid", "test"),
// without gradients and with dropout off (the model's mode is restored).
// Streams are XLM's valid/test streams of batch size 1 (the same windows,
// hence the same context for every word), scored stream_rows windows at a
// time; MLM masks every window as the batch-1 loop would, with a generator
// seeded 0 for every (split, step), so scores compare across epochs. On
// several ranks the unit of sharding is such a group of windows.
Scores evaluate_lm(nn::TransformerModel& model, PretrainData& data, const std::vector<LmStep>& steps,
                   const LmBatchBuilder& builder, const std::vector<std::string>& splits = {"valid", "test"},
                   const EvalRanks& ranks = {}, int64_t stream_rows = kEvalStreamRows);

// The rows of same-width batches one under the other (words, lengths, langs,
// positions; pred_index shifted to its row block; targets in order). All
// parts must agree on causal and on which optional tensors are defined.
objectives::LmBatch stack_lm_batches(const std::vector<objectives::LmBatch>& parts);

}  // namespace xlm::tasks
