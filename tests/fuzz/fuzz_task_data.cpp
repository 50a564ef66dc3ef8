// libFuzzer entry point for the task data readers: the classification task's
// TSV and folder readers (tasks/classify/classify_data.h) and the word
// translation dictionary (tasks/wordemb/word_translation.h).
//   byte 0 % 4: 0 XNLI TSV, 1 MultiNLI TSV, 2 bilingual dictionary (then
//               scored against a fixed 6-word table), 3 topic task folder;
//   then the file (modes 0-2), or for mode 3 the folder's files separated by
//   "\n=file=\n" (tests/fuzz/framing.h) in this order: labels.txt, train.en,
//   train.en.label, valid.en, valid.en.label, test.fr, test.fr.label.
// Bad input must end in an xlm::Error; accepted data must hold only labels
// within the task's label list and dictionary pairs of two non-empty,
// tab-free words.
#include "core/error.h"
#include "framing.h"
#include "tasks/classify/classify_data.h"
#include "tasks/wordemb/word_translation.h"
#include "text/dictionary.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check_labels(const std::vector<xlm::tasks::ClassifyExample>& examples, size_t n_labels) {
  for (const auto& ex : examples)
    if (ex.label < 0 || static_cast<size_t>(ex.label) >= n_labels) __builtin_trap();
}

void dictionary(const std::string& bytes) {
  static const xlm::text::Dictionary vocab = [] {
    std::istringstream in("le@@ 9\nchat 8\ncat 7\nchien 6\ndog 5\nthe 4\n");
    return xlm::text::Dictionary::from_vocab_stream(in, "fuzz vocab");
  }();
  static const std::vector<float> table = [] {  // (V, 4)
    std::vector<float> t(static_cast<size_t>(vocab.size()) * 4);
    for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>((i * 7919) % 17) - 8.0f;
    return t;
  }();
  std::istringstream in(bytes);
  const auto pairs = xlm::tasks::read_bilingual_dictionary(in, "fuzz/dict.tsv");
  for (const auto& p : pairs)
    if (p.src.empty() || p.tgt.empty() || p.src.find('\t') != std::string::npos || p.tgt.find('\t') != std::string::npos)
      __builtin_trap();
  const auto scores = xlm::tasks::evaluate_word_translation(table, 4, vocab, pairs, 1);
  if (scores.covered_pairs > scores.dictionary_pairs || scores.p_at_1 > scores.p_at_5 + 1e-9) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const xlm::fuzz::ScratchFolder scratch("task-data");
  static const std::vector<std::string> topic_files = {"labels.txt", "train.en", "train.en.label", "valid.en",
                                                       "valid.en.label", "test.fr", "test.fr.label"};
  if (size < 1) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        std::istringstream in(rest);
        for (const auto& [lang, examples] : xlm::tasks::read_xnli_tsv(in, "fuzz/xnli.test.tsv")) {
          if (lang.empty()) __builtin_trap();
          check_labels(examples, xlm::tasks::nli_labels().size());
        }
        break;
      }
      case 1: {
        std::istringstream in(rest);
        check_labels(xlm::tasks::read_multinli_tsv(in, "fuzz/multinli.txt"), xlm::tasks::nli_labels().size());
        break;
      }
      case 2: dictionary(rest); break;
      default: {
        const auto task = xlm::tasks::read_topic_task(scratch.fill(topic_files, xlm::fuzz::split_files(rest)));
        check_labels(task.train, task.labels.size());
        check_labels(task.valid, task.labels.size());
        for (const auto& [lang, examples] : task.test) check_labels(examples, task.labels.size());
        break;
      }
    }
  } catch (const xlm::Error&) {
  }
  return 0;
}
