// See mt_evaluator.h. Perplexity is exp(total loss / target words) over the
// split and accuracy the percent of target words whose argmax is right, as
// for the LM objectives. BLEU follows XLM's eval_moses_bleu: hypotheses and
// references as words, BPE merged back (restore_segmentation), scored on the
// tokenized text without further tokenization (multi-bleu.perl's input).
#include "tasks/pretrain/mt_evaluator.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "objectives/pair_step.h"
#include "tasks/mt/bleu.h"
#include "tasks/mt/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xlm::tasks {

namespace {

// The words between the two </s> of each row, joined by spaces, with "@@ "
// BPE joints removed (and a trailing "@@"), as XLM's restore_segmentation.
std::vector<std::string> rows_as_text(const Tensor& words, const Tensor& lengths, const text::Dictionary& dictionary) {
  const std::vector<int64_t> ids = host_values<int64_t>(words);     // (B*L), host rows (batches, generated text)
  const std::vector<int64_t> lens = host_values<int64_t>(lengths);  // (B)
  const int64_t L = words.size(1);
  std::vector<std::string> out;
  for (size_t b = 0; b < lens.size(); ++b) {
    std::string line;
    for (int64_t t = 1; t + 1 < lens[b]; ++t) {
      if (!line.empty()) line += ' ';
      line += dictionary.word(ids[b * static_cast<size_t>(L) + static_cast<size_t>(t)]);
    }
    std::string merged;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line.compare(i, 3, "@@ ") == 0) {
        i += 2;
        continue;
      }
      if (i + 2 == line.size() && line.compare(i, 2, "@@") == 0) break;
      merged += line[i];
    }
    out.push_back(merged);
  }
  return out;
}

}  // namespace

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

Generated translate_batch(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const objectives::MtBatch& host,
                          const MtEvalOptions& options) {
  autograd::NoGradGuard no_grad;
  const objectives::MtBatch batch = objectives::to_device(host, encoder.device());
  nn::ForwardArgs args;
  args.words = batch.x1;
  args.lengths = batch.len1;
  args.causal = false;
  args.langs = batch.langs1;
  const Tensor src_enc = encoder.forward(args);  // (B, S, D)
  const std::vector<int64_t> lens = host_values<int64_t>(host.len1);  // (B)
  const int64_t longest = *std::max_element(lens.begin(), lens.end());
  const auto max_len = static_cast<int64_t>(1.5 * static_cast<double>(longest) + 10);
  const int64_t tgt_lang = host_values<int64_t>(host.langs2).front();
  if (options.beam_size == 1) return generate_greedy(decoder, src_enc, batch.len1, tgt_lang, max_len);
  GenerationOptions generation;
  generation.beam_size = options.beam_size;
  generation.length_penalty = options.length_penalty;
  generation.early_stopping = options.early_stopping;
  return generate_beam(decoder, src_enc, batch.len1, tgt_lang, max_len, generation);
}

std::vector<std::string> lines_in_batch_order(const nlohmann::json& gathered, size_t n_batches, int world_size,
                                              size_t column) {
  XLM_CHECK(world_size >= 1 && gathered.is_array() && gathered.size() == static_cast<size_t>(world_size), Error,
            "sharded evaluation: {} ranks' lines for a world of {}", gathered.size(), world_size);
  std::vector<std::string> out;
  const auto w = static_cast<size_t>(world_size);
  for (size_t i = 0; i < n_batches; ++i)  // batch i is the (i / N)-th of rank i mod N
    for (const auto& line : gathered.at(i % w).at(i / w).at(column)) out.push_back(line.get<std::string>());
  return out;
}

Scores evaluate_mt(nn::TransformerModel& encoder, nn::TransformerModel& decoder, PretrainData& data,
                   const std::vector<objectives::Step>& directions, const LmBatchBuilder& builder,
                   const MtEvalOptions& options, const std::vector<std::string>& splits, const EvalRanks& ranks) {
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
      std::vector<std::string> hypotheses, references;
      nlohmann::json mine = nlohmann::json::array();  // this rank's batches: [[hypotheses], [references]] each
      const auto batches = loader.epoch_batches(0);
      for (size_t i = 0; i < batches.size(); ++i) {
        if (!ranks.owns(static_cast<int64_t>(i))) continue;
        const auto& ids = batches[i];
        const objectives::MtBatch batch = direction_batch(direction, loader.make_batch(ids), builder);
        const objectives::LmScore s = objectives::score_mt(encoder, decoder, batch);
        total.loss_sum += s.loss_sum;
        total.n_words += s.n_words;
        total.n_correct += s.n_correct;
        if (options.eval_bleu) {
          const Generated g = translate_batch(encoder, decoder, batch, options);
          mine.push_back(nlohmann::json::array({rows_as_text(g.words, g.lengths, data.dictionary()),
                                                rows_as_text(batch.x2, batch.len2, data.dictionary())}));
        }
      }
      if (ranks.sharded()) total = sum_over_ranks(total, ranks);
      if (options.eval_bleu) {
        const nlohmann::json all = ranks.sharded() ? ranks.all_gather(mine) : nlohmann::json::array({mine});
        hypotheses = lines_in_batch_order(all, batches.size(), ranks.world_size, 0);
        references = lines_in_batch_order(all, batches.size(), ranks.world_size, 1);
      }
      const double words = static_cast<double>(std::max<int64_t>(total.n_words, 1));
      const std::string key = fmt::format("{}_{}_mt", split, direction.name());
      scores[key + "_ppl"] = std::exp(total.loss_sum / words);
      scores[key + "_acc"] = 100.0 * static_cast<double>(total.n_correct) / words;
      if (options.eval_bleu) {
        BleuOptions bleu;
        bleu.tokenize = "none";
        scores[key + "_bleu"] = corpus_bleu(hypotheses, {references}, bleu).score;
      }
    }
  }
  encoder.set_training(encoder_training);
  decoder.set_training(decoder_training);
  return scores;
}

}  // namespace xlm::tasks
