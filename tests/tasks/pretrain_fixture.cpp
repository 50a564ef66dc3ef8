// See pretrain_fixture.h. 400 merges keep the vocabulary near 600 words, so
// a tiny model learns the sample quickly.
#include "pretrain_fixture.h"

#include "text/bpe_apply.h"
#include "text/bpe_files.h"
#include "text/bpe_learn.h"
#include "text/data_paths.h"
#include "text/dictionary.h"
#include "text/preprocess.h"
#include "text/word_counts.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace xlm::test {

namespace {

namespace fs = std::filesystem;

struct PreparedDir {
  std::string path;
  PreparedDir() {
    path = (fs::temp_directory_path() / ("xlm-pretrain-fixture-" + std::to_string(::getpid()))).string();
    fs::remove_all(path);
    fs::create_directories(path);
    const std::string corpus = std::string(XLM_SOURCE_DIR) + "/tests/fixtures/corpus";
    std::vector<std::pair<std::string, std::string>> files;  // (source, name in the data folder)
    for (const char* split : {"train", "valid", "test"}) {
      for (const char* lang : {"en", "fr"}) {
        const std::string mono = text::mono_file_name(split, lang);
        files.emplace_back(corpus + "/mono/" + mono, mono);
        const std::string para = text::para_file_name(split, "en", "fr", lang);
        files.emplace_back(corpus + "/para/" + para, para);
      }
    }
    std::vector<std::string> train_paths;
    for (const auto& [src, name] : files)
      if (name.rfind("train.", 0) == 0) train_paths.push_back(src);
    const auto counts = text::WordCounts::from_files(train_paths, 1);
    const std::string codes_path = path + "/codes";
    std::ofstream(codes_path) << text::format_codes(text::learn_bpe(counts, 400));
    const text::BpeApplier applier(text::read_bpe_codes(codes_path));
    std::vector<std::string> applied_train;
    for (const auto& [src, name] : files) {
      text::apply_bpe_file(path + "/" + name, src, applier, 1);
      if (name.rfind("train.", 0) == 0) applied_train.push_back(path + "/" + name);
    }
    const auto vocab_counts = text::WordCounts::from_files(applied_train, 1);
    std::ofstream(path + "/vocab") << text::format_vocab(vocab_counts.by_decreasing_count());
    const auto dictionary = text::Dictionary::from_vocab_file(path + "/vocab");
    for (const auto& [src, name] : files)
      text::binarize_text_file(dictionary, path + "/" + name, path + "/" + text::binarized_name(name));
  }
  ~PreparedDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

const std::string& pretrain_data_dir() {
  static PreparedDir dir;
  return dir.path;
}

}  // namespace xlm::test
