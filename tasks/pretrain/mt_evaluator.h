// Validation of the translation directions of an encoder-decoder run, as
// XLM's EncDecEvaluator.evaluate_mt (src/evaluation/evaluator.py): for each
// direction l1 -> l2 (the --mt_steps ones and the reverse of each --bt_steps
// cycle) on the parallel valid/test files, the decoder's perplexity and
// next-word accuracy on the references (valid_en-fr_mt_ppl, _mt_acc) and,
// with eval_bleu, the BLEU of greedy or beam translations (_mt_bleu).
// Sharded over the ranks as evaluate_lm (batch i on rank i mod N, sums added
// over the ranks); for BLEU every rank's hypotheses and references are
// gathered and put back in batch order, so the corpus BLEU is the one-rank one.
#pragma once

#include "nn/transformer.h"
#include "objectives/mt.h"
#include "objectives/schedule.h"
#include "tasks/mt/generate.h"
#include "tasks/pretrain/lm_evaluator.h"
#include "tasks/pretrain/pretrain_data.h"

#include <string>
#include <vector>

namespace xlm::tasks {

struct MtEvalOptions {
  bool eval_bleu = false;
  int64_t beam_size = 1;
  double length_penalty = 1.0;
  bool early_stopping = false;
};

// The MT batch of a direction from its (sorted) pair dataset's batch:
// x1/len1 become the encoder side when step.lang1 is the pair's first language.
objectives::MtBatch direction_batch(const objectives::Step& direction, const text::ParallelBatch& pairs,
                                    const LmBatchBuilder& builder);

// The directions XLM evaluates: mt_steps, then (l2, l1) for each bt step
// (l1, l2), without repeats, in that order.
std::vector<objectives::Step> mt_eval_directions(const std::vector<objectives::Step>& mt_steps,
                                                 const std::vector<objectives::Step>& bt_steps);

// Translations of the batch's encoder side into its decoder side's language
// (greedy when beam_size is 1, else beam search), at most XLM's
// int(1.5 * max(len1) + 10) tokens. Models must be in eval mode.
Generated translate_batch(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const objectives::MtBatch& batch,
                          const MtEvalOptions& options);

// Sharded BLEU: `gathered` holds each rank's list of its batches (rank r
// scored batches r, r + N, ...), each batch a list of columns of lines; the
// lines of `column` of all n_batches batches in batch order (the one-rank order).
std::vector<std::string> lines_in_batch_order(const nlohmann::json& gathered, size_t n_batches, int world_size,
                                              size_t column);

// Scores every direction on each split (no gradients, dropout off; the
// models' modes are restored).
Scores evaluate_mt(nn::TransformerModel& encoder, nn::TransformerModel& decoder, PretrainData& data,
                   const std::vector<objectives::Step>& directions, const LmBatchBuilder& builder,
                   const MtEvalOptions& options, const std::vector<std::string>& splits = {"valid", "test"},
                   const EvalRanks& ranks = {});

}  // namespace xlm::tasks
