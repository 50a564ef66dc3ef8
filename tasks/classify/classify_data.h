// The data of a cross-lingual classification task, whatever file format it
// came from: labelled English train and valid examples plus one labelled test
// set per language (zero-shot). The readers keep raw text; tokenization and
// BPE happen later with the model's own codes (classify_encoder.h), so one
// data folder serves any model. Every reader reports a bad file as a one-line
// FormatError naming the file and the line.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

namespace xlm::tasks {

struct ClassifyExample {
  std::string sentence1;
  std::string sentence2;  // "" for single-sentence tasks (the topic set)
  int64_t label = 0;      // index into ClassifyTask::labels
};

struct ClassifyTask {
  std::vector<std::string> labels;                              // class names, id = index
  std::vector<ClassifyExample> train;                           // English
  std::vector<ClassifyExample> valid;                           // English
  std::map<std::string, std::vector<ClassifyExample>> test;     // language -> its test set
};

// XLM's NLI label ids (src/evaluation/xnli.py): contradiction 0, neutral 1, entailment 2.
const std::vector<std::string>& nli_labels();

// XNLI 1.0 (xnli.dev.tsv, xnli.test.tsv): a header row naming the columns,
// then tab-separated rows; the columns language, gold_label, sentence1 and
// sentence2 are found by name. Returns language -> examples in file order.
std::map<std::string, std::vector<ClassifyExample>> read_xnli_tsv(std::istream& in, const std::string& name);
std::map<std::string, std::vector<ClassifyExample>> read_xnli_tsv_file(const std::string& path);

// MultiNLI 1.0 (multinli_1.0_train.txt): header row; columns gold_label,
// sentence1, sentence2 found by name; rows whose gold_label is "-" (no
// annotator majority) are dropped, as the corpus' README advises.
std::vector<ClassifyExample> read_multinli_tsv(std::istream& in, const std::string& name);
std::vector<ClassifyExample> read_multinli_tsv_file(const std::string& path);

// The XNLI task folder: DIR/multinli_1.0_train.txt (English train),
// DIR/xnli.dev.tsv (its English rows are the valid set) and DIR/xnli.test.tsv
// (every language's test set).
ClassifyTask read_xnli_task(const std::string& dir);

// The topic set of `xlm data debian` (docs/data.md): DIR/labels.txt (one class
// per line), DIR/{train,valid}.en and DIR/test.{lg}, each with a parallel
// `.label` file. Test languages are the test.{lg}.label files present.
ClassifyTask read_topic_task(const std::string& dir);

}  // namespace xlm::tasks
