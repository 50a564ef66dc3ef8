// See mt_evaluator.h. Perplexity is exp(total loss / target words) over the
// split and accuracy the percent of target words whose argmax is right, as
// for the LM objectives.
#include "tasks/pretrain/mt_evaluator.h"

#include "core/autograd.h"
#include "core/error.h"
#include "objectives/pair_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xlm::tasks {

objectives::MtBatch direction_batch(const objectives::Step& direction, const text::ParallelBatch& pairs,
                                    const LmBatchBuilder& builder) {
  const text::LanguagePair pair = objectives::dataset_pair(direction);
  const bool forward = direction.lang1 == pair.l1;
  const int64_t id1 = builder.lang_id(direction.lang1), id2 = builder.lang_id(direction.lang2);
  return forward ? objectives::mt_batch(pairs.x1, pairs.len1, id1, pairs.x2, pairs.len2, id2)
                 : objectives::mt_batch(pairs.x2, pairs.len2, id1, pairs.x1, pairs.len1, id2);
}

std::vector<objectives::Step> mt_eval_directions(const std::vector<objectives::Step>& mt_steps,
                                                 const std::vector<objectives::Step>& bt_steps) {
  std::vector<objectives::Step> out = mt_steps;
  for (const auto& bt : bt_steps) {
    const objectives::Step reverse{bt.lang2, bt.lang1};
    if (std::find(out.begin(), out.end(), reverse) == out.end()) out.push_back(reverse);
  }
  return out;
}

Scores evaluate_mt(nn::TransformerModel& encoder, nn::TransformerModel& decoder, PretrainData& data,
                   const std::vector<objectives::Step>& directions, const LmBatchBuilder& builder,
                   const MtEvalOptions& options, const std::vector<std::string>& splits) {
  autograd::NoGradGuard no_grad;
  const bool encoder_training = encoder.training(), decoder_training = decoder.training();
  encoder.set_training(false);
  decoder.set_training(false);
  Scores scores;
  for (const std::string& split : splits) {
    XLM_CHECK(split == "valid" || split == "test", ConfigError, "evaluation split '{}': expected valid or test",
              split);
    for (const objectives::Step& direction : directions) {
      const text::LanguagePair pair = objectives::dataset_pair(direction);
      ParaSplits& para = data.para(pair.l1, pair.l2);
      text::ParallelDataset& loader = split == "valid" ? *para.valid : *para.test;
      objectives::LmScore total;
      for (const auto& ids : loader.epoch_batches(0)) {
        const objectives::MtBatch batch = direction_batch(direction, loader.make_batch(ids), builder);
        const objectives::LmScore s = objectives::score_mt(encoder, decoder, batch);
        total.loss_sum += s.loss_sum;
        total.n_words += s.n_words;
        total.n_correct += s.n_correct;
      }
      const double words = static_cast<double>(std::max<int64_t>(total.n_words, 1));
      const std::string key = fmt::format("{}_{}_mt", split, direction.name());
      scores[key + "_ppl"] = std::exp(total.loss_sum / words);
      scores[key + "_acc"] = 100.0 * static_cast<double>(total.n_correct) / words;
      (void)options;
    }
  }
  encoder.set_training(encoder_training);
  decoder.set_training(decoder_training);
  return scores;
}

}  // namespace xlm::tasks
