// The datasets one pretraining run reads, opened once from --data_path with
// XLM's file names: the dictionary (`vocab`, the fastBPE vocab every
// binarized file was indexed with), a stream per language for CLM/MLM steps
// and a parallel dataset per language pair for TLM steps, each for train,
// valid and test, and sentence batches per language for the auto-encoder
// and back-translation steps (XLM batches monolingual sentences there, not
// streams). Only what the steps need is opened, and a missing or
// mismatched file is a ConfigError naming it before training starts.
#pragma once

#include "text/dictionary.h"
#include "text/parallel_dataset.h"
#include "text/stream_dataset.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xlm::tasks {

struct PretrainDataOptions {
  std::string data_path;
  std::vector<std::string> mono_langs;                          // languages of mono steps
  std::vector<std::pair<std::string, std::string>> para_pairs;  // (l1, l2) with l1 < l2
  std::vector<std::string> sentence_langs;                      // languages of AE / BT steps
  int64_t batch_size = 32;
  int64_t bptt = 256;
  int64_t max_len = 100;
  int64_t tokens_per_batch = -1;
  bool group_by_size = true;
  uint64_t seed = 0;
  // Data-parallel shard of the training splits (valid/test are read whole by every rank).
  int64_t rank = 0;
  int64_t world_size = 1;
};

struct MonoSplits {
  std::unique_ptr<text::StreamDataset> train;  // batch_size streams, shuffled per epoch
  std::unique_ptr<text::StreamDataset> valid;  // one stream (XLM evaluates with batch size 1), file order
  std::unique_ptr<text::StreamDataset> test;
};

struct ParaSplits {
  std::unique_ptr<text::ParallelDataset> train;  // shuffled, grouped by size
  std::unique_ptr<text::ParallelDataset> valid;  // file order
  std::unique_ptr<text::ParallelDataset> test;
};

class PretrainData {
 public:
  explicit PretrainData(const PretrainDataOptions& options);

  const text::Dictionary& dictionary() const { return *dictionary_; }
  const std::string& vocab_path() const { return vocab_path_; }
  const std::string& codes_path() const { return codes_path_; }  // "" when data_path has no `codes`
  MonoSplits& mono(const std::string& lang);
  ParaSplits& para(const std::string& l1, const std::string& l2);  // l1 < l2
  const std::map<std::string, MonoSplits>& all_mono() const { return mono_; }
  const std::map<std::string, ParaSplits>& all_para() const { return para_; }
  // Sentence batches of one language: a ParallelDataset reading the
  // monolingual file as both sides (x1 == x2; use x1), so batching, length
  // filtering, grouping by size and cursors are the parallel data's.
  ParaSplits& sentences(const std::string& lang);
  const std::map<std::string, ParaSplits>& all_sentences() const { return sentences_; }
  // Training sentences per language / pair (what --lg_sampling_factor weighs).
  int64_t train_sentences(const std::string& lang) const;
  int64_t train_pairs(const std::string& l1, const std::string& l2) const;

 private:
  std::shared_ptr<const text::BinarizedFile> open_file(const std::string& name) const;

  PretrainDataOptions options_;
  std::string vocab_path_;
  std::string codes_path_;
  std::unique_ptr<text::Dictionary> dictionary_;
  std::map<std::string, MonoSplits> mono_;        // by language
  std::map<std::string, ParaSplits> para_;        // by "l1-l2"
  std::map<std::string, ParaSplits> sentences_;   // by language
  std::map<std::string, int64_t> mono_sentences_;  // train sentences by language
};

}  // namespace xlm::tasks
