// Opens the files of a pretraining run. Each training loader gets its own
// seed derived from the run's seed and its name, so adding a language does
// not change the batch order of the others.
#include "tasks/pretrain/pretrain_data.h"

#include "core/error.h"
#include "core/fnv1a.h"
#include "text/binarized.h"
#include "text/data_paths.h"
#include "text/shuffle.h"

#include <fmt/format.h>

#include <filesystem>

namespace xlm::tasks {

namespace {

uint64_t name_seed(uint64_t seed, const std::string& name) {
  return text::derive_seed(seed, fnv1a64(name.data(), name.size()));
}

}  // namespace

PretrainData::PretrainData(const PretrainDataOptions& options) : options_(options) {
  vocab_path_ = text::join_path(options.data_path, "vocab");
  XLM_CHECK(std::filesystem::is_regular_file(vocab_path_), ConfigError,
            "--data_path {}: no `vocab` file (the fastBPE vocab the data was binarized with)", options.data_path);
  const std::string codes = text::join_path(options.data_path, "codes");
  if (std::filesystem::is_regular_file(codes)) codes_path_ = codes;
  dictionary_ = std::make_unique<text::Dictionary>(text::Dictionary::from_vocab_file(vocab_path_));

  for (const std::string& lang : options.mono_langs) {
    MonoSplits splits;
    text::StreamOptions train;
    train.batch_size = options.batch_size;
    train.bptt = options.bptt;
    train.shuffle = true;
    train.seed = name_seed(options.seed, "mono:" + lang);
    text::StreamOptions eval = train;
    eval.batch_size = 1;
    eval.shuffle = false;
    train.rank = options.rank;
    train.world_size = options.world_size;
    auto train_file = open_file(text::mono_file_name("train", lang));
    mono_sentences_[lang] = train_file->n_sentences();
    splits.train = std::make_unique<text::StreamDataset>(train_file, train);
    splits.valid = std::make_unique<text::StreamDataset>(open_file(text::mono_file_name("valid", lang)), eval);
    splits.test = std::make_unique<text::StreamDataset>(open_file(text::mono_file_name("test", lang)), eval);
    XLM_CHECK(splits.train->n_batches() > 0, ConfigError, "{}: too little text for one batch of {} x {} tokens",
              text::join_path(options.data_path, text::mono_file_name("train", lang)), options.batch_size,
              options.bptt);
    mono_.emplace(lang, std::move(splits));
  }

  for (const auto& [l1, l2] : options.para_pairs) {
    ParaSplits splits;
    text::ParallelOptions train;
    train.max_len = options.max_len;
    train.batch_size = options.batch_size;
    train.tokens_per_batch = options.tokens_per_batch;
    train.group_by_size = options.group_by_size;
    train.shuffle = true;
    train.seed = name_seed(options.seed, "para:" + l1 + "-" + l2);
    text::ParallelOptions eval = train;
    eval.shuffle = false;
    eval.max_len = -1;
    train.rank = options.rank;
    train.world_size = options.world_size;
    auto open_pair = [&](const std::string& split, const text::ParallelOptions& opts) {
      return std::make_unique<text::ParallelDataset>(open_file(text::para_file_name(split, l1, l2, l1)),
                                                     open_file(text::para_file_name(split, l1, l2, l2)), opts);
    };
    splits.train = open_pair("train", train);
    splits.valid = open_pair("valid", eval);
    splits.test = open_pair("test", eval);
    XLM_CHECK(splits.train->n_pairs() > 0, ConfigError, "{}: no training pair within --max_len {}",
              text::join_path(options.data_path, text::para_file_name("train", l1, l2, l1)), options.max_len);
    para_.emplace(l1 + "-" + l2, std::move(splits));
  }

  for (const std::string& lang : options.sentence_langs) {
    ParaSplits splits;
    text::ParallelOptions train;
    train.max_len = options.max_len;
    train.batch_size = options.batch_size;
    // Both sides count (2 * (len + 2) tokens a sentence): double the budget
    // to batch len + 2 tokens a sentence as XLM's monolingual Dataset does.
    train.tokens_per_batch = options.tokens_per_batch == -1 ? -1 : 2 * options.tokens_per_batch;
    train.group_by_size = options.group_by_size;
    train.shuffle = true;
    train.seed = name_seed(options.seed, "sent:" + lang);
    text::ParallelOptions eval = train;
    eval.shuffle = false;
    eval.max_len = -1;
    train.rank = options.rank;
    train.world_size = options.world_size;
    auto open_mono = [&](const std::string& split, const text::ParallelOptions& opts) {
      auto file = open_file(text::mono_file_name(split, lang));
      return std::make_unique<text::ParallelDataset>(file, file, opts);
    };
    splits.train = open_mono("train", train);
    splits.valid = open_mono("valid", eval);
    splits.test = open_mono("test", eval);
    XLM_CHECK(splits.train->n_pairs() > 0, ConfigError, "{}: no training sentence within --max_len {}",
              text::join_path(options.data_path, text::mono_file_name("train", lang)), options.max_len);
    sentences_.emplace(lang, std::move(splits));
  }
}

ParaSplits& PretrainData::sentences(const std::string& lang) {
  auto it = sentences_.find(lang);
  XLM_CHECK(it != sentences_.end(), ConfigError, "no monolingual sentence data was opened for '{}'", lang);
  return it->second;
}

std::shared_ptr<const text::BinarizedFile> PretrainData::open_file(const std::string& name) const {
  const std::string path = text::join_path(options_.data_path, text::binarized_name(name));
  // Only absence is checked here; a directory or an unreadable file is refused by the
  // reader with the reason (text/binarized.cpp).
  XLM_CHECK(std::filesystem::exists(path), ConfigError,
            "--data_path {}: missing {} (binarize {} with `xlm preprocess`)", options_.data_path,
            text::binarized_name(name), name);
  auto file = std::make_shared<const text::BinarizedFile>(text::BinarizedFile::open(path));
  file->check_dictionary(*dictionary_);
  return file;
}

MonoSplits& PretrainData::mono(const std::string& lang) {
  auto it = mono_.find(lang);
  XLM_CHECK(it != mono_.end(), ConfigError, "no monolingual data was opened for '{}'", lang);
  return it->second;
}

ParaSplits& PretrainData::para(const std::string& l1, const std::string& l2) {
  auto it = para_.find(l1 + "-" + l2);
  XLM_CHECK(it != para_.end(), ConfigError, "no parallel data was opened for '{}-{}'", l1, l2);
  return it->second;
}

int64_t PretrainData::train_sentences(const std::string& lang) const {
  auto it = mono_sentences_.find(lang);
  return it == mono_sentences_.end() ? 0 : it->second;
}

int64_t PretrainData::train_pairs(const std::string& l1, const std::string& l2) const {
  auto it = para_.find(l1 + "-" + l2);
  return it == para_.end() ? 0 : it->second.train->n_pairs();
}

}  // namespace xlm::tasks
