// See lm_eval.h. The model's vocabulary must be the data's word for word:
// the binarized ids index the embedding table, so a model reloaded against
// another `vocab` would be scored on the wrong words without any error.
#include "tasks/lmeval/lm_eval.h"

#include "core/error.h"
#include "nn/model_dir.h"
#include "objectives/masking.h"
#include "tasks/pretrain/train_config.h"
#include "text/data_paths.h"
#include "text/dictionary.h"

#include <fmt/format.h>

#include <filesystem>
#include <set>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

bool has_mono_data(const std::string& data_path, const std::string& lang) {
  for (const char* split : {"train", "valid", "test"}) {
    const std::string file = text::join_path(data_path, text::binarized_name(text::mono_file_name(split, lang)));
    if (!fs::is_regular_file(file)) return false;
  }
  return true;
}

}  // namespace

std::string default_lm_steps(const std::vector<std::string>& model_langs, const std::string& data_path) {
  std::vector<std::string> with_data;
  for (const std::string& lang : model_langs) {
    if (has_mono_data(data_path, lang)) with_data.push_back(lang);
  }
  XLM_CHECK(!with_data.empty(), ConfigError,
            "--data_path {}: none of the model's languages ({}) has {{train,valid,test}}.LG{} files", data_path,
            fmt::join(model_langs, ", "), text::kBinarizedSuffix);
  return fmt::format("{}", fmt::join(with_data, ","));
}

LmEvalResult run_lm_eval(const LmEvalOptions& options) {
  XLM_CHECK(fs::is_directory(options.model_dir), ConfigError, "--reload_model {}: no such folder", options.model_dir);
  XLM_CHECK(fs::is_directory(options.data_path), ConfigError, "--data_path {}: no such folder", options.data_path);
  XLM_CHECK(!options.splits.empty(), ConfigError, "--split: expected valid, test or both");
  const Device device = Device::parse(resolve_device(options.device));
  nn::LoadedModel loaded = nn::load_model_dir(options.model_dir, device);
  const std::vector<std::string>& langs = loaded.config.id2lang;
  XLM_CHECK(!langs.empty(), ConfigError,
            "--reload_model {}: params.json names no languages (id2lang), so the data files cannot be matched to "
            "language ids",
            options.model_dir);

  LmEvalResult result;
  result.splits = options.splits;
  std::string clm = options.clm_steps, mlm = options.mlm_steps;
  if (clm.empty() && mlm.empty()) {
    (loaded.config.causal ? clm : mlm) = default_lm_steps(langs, options.data_path);
  }
  result.steps = parse_lm_steps("clm", clm, langs, "--clm_steps");
  const std::vector<LmStep> mlm_steps = parse_lm_steps("mlm", mlm, langs, "--mlm_steps");
  result.steps.insert(result.steps.end(), mlm_steps.begin(), mlm_steps.end());

  PretrainDataOptions data_options;
  data_options.data_path = options.data_path;
  std::set<std::string> mono;
  std::set<std::pair<std::string, std::string>> pairs;
  for (const LmStep& s : result.steps) {
    if (!s.spec.is_pair()) {
      mono.insert(s.spec.lang1);
    } else {
      const text::LanguagePair pair = objectives::dataset_pair(s.spec);
      pairs.insert({pair.l1, pair.l2});
    }
  }
  data_options.mono_langs.assign(mono.begin(), mono.end());
  data_options.para_pairs.assign(pairs.begin(), pairs.end());
  data_options.batch_size = options.batch_size;
  data_options.bptt = options.bptt;
  data_options.max_len = options.max_len;
  data_options.tokens_per_batch = options.tokens_per_batch;
  PretrainData data(data_options);

  const text::Dictionary model_vocab = text::Dictionary::from_vocab_file(loaded.vocab_path);
  XLM_CHECK(model_vocab.hash() == data.dictionary().hash() && loaded.config.n_words == data.dictionary().size(),
            ConfigError,
            "--reload_model {}: its vocab ({} words) is not --data_path's {} ({} words); the data must be binarized "
            "with the model's vocab",
            options.model_dir, loaded.config.n_words, data.vocab_path(), data.dictionary().size());

  objectives::MaskingOptions masking;
  masking.word_pred = options.word_pred;
  masking.keep_rand = objectives::parse_mask_keep_rand(options.word_mask_keep_rand);
  masking.sample_alpha = options.sample_alpha;
  masking.n_words = data.dictionary().size();
  if (options.sample_alpha > 0) masking.word_scores = objectives::mask_scores(data.dictionary(), options.sample_alpha);
  masking.validate();
  const LmBatchBuilder builder(langs, masking);
  result.scores = evaluate_lm(*loaded.model, data, result.steps, builder, options.splits);
  return result;
}

std::string format_lm_eval(const LmEvalResult& result) {
  std::string out;
  for (const auto& [name, value] : result.scores) out += fmt::format("{} {:.6f}\n", name, value);
  out += fmt::format("\n{:<12}", "step");
  for (const std::string& split : result.splits) out += fmt::format(" {:>12} {:>10}", split + "_ppl", split + "_acc");
  out += "\n";
  for (const LmStep& step : result.steps) {
    out += fmt::format("{:<12}", step.metric_key());
    for (const std::string& split : result.splits) {
      out += fmt::format(" {:>12.2f} {:>10.2f}", result.scores.at(fmt::format("{}_{}_ppl", split, step.metric_key())),
                         result.scores.at(fmt::format("{}_{}_acc", split, step.metric_key())));
    }
    out += "\n";
  }
  return out;
}

}  // namespace xlm::tasks
