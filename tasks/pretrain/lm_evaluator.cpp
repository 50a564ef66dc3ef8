// See lm_evaluator.h. Perplexity is exp(total loss / predicted words) over
// the whole split, accuracy the percent of predicted words whose argmax is
// right, as XLM's evaluate_clm / evaluate_mlm compute them. Sums are over
// words, so how the windows are grouped into passes does not weigh them.
#include "tasks/pretrain/lm_evaluator.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "objectives/clm.h"
#include "objectives/lm_loss.h"
#include "objectives/mlm.h"
#include "objectives/pair_layout.h"
#include "objectives/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xlm::tasks {

std::string LmStep::loss_name() const { return objective + "_" + spec.name(); }

std::string LmStep::metric_key() const { return spec.name() + "_" + objective; }

std::vector<LmStep> parse_lm_steps(const std::string& objective, const std::string& text,
                                   const std::vector<std::string>& langs, const std::string& flag) {
  std::vector<LmStep> steps;
  for (const auto& spec : objectives::parse_steps(text, langs, flag)) steps.push_back({objective, spec});
  return steps;
}

LmBatchBuilder::LmBatchBuilder(std::vector<std::string> id2lang, objectives::MaskingOptions masking)
    : id2lang_(std::move(id2lang)), masking_(std::move(masking)) {
  for (size_t i = 0; i < id2lang_.size(); ++i) lang2id_[id2lang_[i]] = static_cast<int64_t>(i);
}

int64_t LmBatchBuilder::lang_id(const std::string& lang) const {
  auto it = lang2id_.find(lang);
  XLM_CHECK(it != lang2id_.end(), ConfigError, "language '{}' is not one of the model's ({})", lang,
            fmt::join(id2lang_, ", "));
  return it->second;
}

objectives::LmBatch LmBatchBuilder::stream_batch(const LmStep& step, const text::StreamBatch& stream,
                                                 text::SplitMix64& rng) const {
  const int64_t lang = lang_id(step.spec.lang1);
  const auto n_langs = static_cast<int64_t>(id2lang_.size());
  return step.objective == "clm" ? objectives::clm_stream_batch(stream, lang, n_langs)
                                 : objectives::mlm_stream_batch(stream, lang, n_langs, masking_, rng);
}

objectives::LmBatch LmBatchBuilder::pair_batch(const LmStep& step, const text::ParallelBatch& pairs,
                                               text::SplitMix64& rng) const {
  const objectives::PairSides sides = objectives::pair_sides(step.spec, id2lang_);
  return step.objective == "clm" ? objectives::clm_pair_batch(pairs, sides)
                                 : objectives::tlm_batch(pairs, sides, masking_, rng);
}

namespace {

// parts[i].*field one after the other (each (B_i, ...) i64) as one (sum B_i, ...) tensor.
Tensor stack_rows(const std::vector<objectives::LmBatch>& parts, Tensor objectives::LmBatch::*field) {
  std::vector<int64_t> values;
  Shape shape = (parts.front().*field).shape();
  shape[0] = 0;
  for (const auto& part : parts) {
    const Tensor& t = part.*field;
    values.reserve(values.size() + static_cast<size_t>(t.numel()));
    const std::vector<int64_t> v = host_values<int64_t>(t);  // a host batch
    values.insert(values.end(), v.begin(), v.end());
    shape[0] += t.size(0);
  }
  return Tensor::from_vector(values, shape);
}

}  // namespace

objectives::LmBatch stack_lm_batches(const std::vector<objectives::LmBatch>& parts) {
  XLM_CHECK(!parts.empty(), ShapeError, "stack_lm_batches: no batch to stack");
  const objectives::LmBatch& first = parts.front();
  const int64_t T = first.words.size(1);
  for (const auto& part : parts) {
    XLM_CHECK(part.words.dim() == 2 && part.words.size(1) == T && part.causal == first.causal &&
                  part.positions.defined() == first.positions.defined() &&
                  part.langs.defined() == first.langs.defined() && part.pred_index.defined(),
              ShapeError, "stack_lm_batches: batch of words {} does not match the first's (B, {}) layout",
              shape_str(part.words.shape()), T);
  }
  if (parts.size() == 1) return first;
  objectives::LmBatch out;
  out.words = stack_rows(parts, &objectives::LmBatch::words);
  out.lengths = stack_rows(parts, &objectives::LmBatch::lengths);
  if (first.positions.defined()) out.positions = stack_rows(parts, &objectives::LmBatch::positions);
  if (first.langs.defined()) out.langs = stack_rows(parts, &objectives::LmBatch::langs);
  out.targets = stack_rows(parts, &objectives::LmBatch::targets);
  std::vector<int64_t> index;  // (N) flat positions in the stacked (B, T)
  int64_t row = 0;
  for (const auto& part : parts) {
    for (int64_t i : host_values<int64_t>(part.pred_index)) index.push_back(row * T + i);
    row += part.words.size(0);
    out.n_sentences += part.n_sentences;
  }
  out.pred_index = Tensor::from_vector(index, {static_cast<int64_t>(index.size())});
  out.causal = first.causal;
  return out;
}

objectives::LmScore sum_over_ranks(const objectives::LmScore& mine, const EvalRanks& ranks) {
  XLM_CHECK(static_cast<bool>(ranks.sum), Error, "sharded evaluation: no sum over the ranks was given");
  std::vector<double> sums{mine.loss_sum, static_cast<double>(mine.n_words), static_cast<double>(mine.n_correct)};
  ranks.sum(sums);  // counts stay exact in double (below 2^53)
  objectives::LmScore total;
  total.loss_sum = sums[0];
  total.n_words = static_cast<int64_t>(std::llround(sums[1]));
  total.n_correct = static_cast<int64_t>(std::llround(sums[2]));
  return total;
}

Scores evaluate_lm(nn::TransformerModel& model, PretrainData& data, const std::vector<LmStep>& steps,
                   const LmBatchBuilder& builder, const std::vector<std::string>& splits, const EvalRanks& ranks,
                   int64_t stream_rows) {
  XLM_CHECK(stream_rows >= 1, ConfigError, "evaluate_lm: {} stream windows per pass, expected at least 1",
            stream_rows);
  autograd::NoGradGuard no_grad;
  const bool was_training = model.training();
  model.set_training(false);
  Scores scores;
  for (const std::string& split : splits) {
    XLM_CHECK(split == "valid" || split == "test", ConfigError, "evaluation split '{}': expected valid or test",
              split);
    const bool valid = split == "valid";
    std::map<std::string, std::vector<double>> mono_ppl, mono_acc;  // by objective
    for (const LmStep& step : steps) {
      objectives::LmScore total;
      text::SplitMix64 rng(0);
      int64_t index = 0;  // pair batch or window group number in the split: rank index % N scores it
      auto add = [&](const objectives::LmBatch& b) {
        if (!ranks.owns(index++)) return;  // built all the same: the masking stream stays the one-rank one
        const objectives::LmScore s = objectives::score_lm(model, b);  // the host batch: moved by score_lm
        total.loss_sum += s.loss_sum;
        total.n_words += s.n_words;
        total.n_correct += s.n_correct;
      };
      if (step.spec.is_pair()) {
        const text::LanguagePair pair = objectives::dataset_pair(step.spec);
        ParaSplits& para = data.para(pair.l1, pair.l2);
        text::ParallelDataset& loader = valid ? *para.valid : *para.test;
        for (const auto& ids : loader.epoch_batches(0)) add(builder.pair_batch(step, loader.make_batch(ids), rng));
      } else {
        MonoSplits& mono = data.mono(step.spec.lang1);
        text::StreamDataset& loader = valid ? *mono.valid : *mono.test;
        // Windows in stream order, each built (and for MLM masked) as alone, then stacked.
        std::vector<objectives::LmBatch> windows;
        for (int64_t i = 0; i < loader.n_batches(); ++i) {
          windows.push_back(builder.stream_batch(step, loader.batch(i), rng));
          if (static_cast<int64_t>(windows.size()) == stream_rows || i + 1 == loader.n_batches()) {
            add(stack_lm_batches(windows));
            windows.clear();
          }
        }
      }
      if (ranks.sharded()) total = sum_over_ranks(total, ranks);
      const double words = static_cast<double>(std::max<int64_t>(total.n_words, 1));
      const double ppl = std::exp(total.loss_sum / words);
      const double acc = 100.0 * static_cast<double>(total.n_correct) / words;
      scores[fmt::format("{}_{}_ppl", split, step.metric_key())] = ppl;
      scores[fmt::format("{}_{}_acc", split, step.metric_key())] = acc;
      if (!step.spec.is_pair()) {
        mono_ppl[step.objective].push_back(ppl);
        mono_acc[step.objective].push_back(acc);
      }
    }
    auto mean = [](const std::vector<double>& v) {
      double s = 0;
      for (double x : v) s += x;
      return s / static_cast<double>(v.size());
    };
    for (const auto& [objective, ppls] : mono_ppl) {
      scores[fmt::format("{}_{}_ppl", split, objective)] = mean(ppls);
      scores[fmt::format("{}_{}_acc", split, objective)] = mean(mono_acc.at(objective));
    }
  }
  model.set_training(was_training);
  return scores;
}

}  // namespace xlm::tasks
