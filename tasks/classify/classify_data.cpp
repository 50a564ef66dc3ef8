// See classify_data.h. TSV rows are split on tabs only (no quoting: the NLI
// corpora contain bare quote characters), and columns are looked up by their
// header name so that a reordered or extended file still reads right.
#include "tasks/classify/classify_data.h"

#include "core/error.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

namespace xlm::tasks {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return fields;
}

bool read_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

std::ifstream open_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  XLM_CHECK(in.good(), FormatError, "{}: cannot open the file", path);
  return in;
}

// The TSV header and column positions of the named columns.
struct TsvColumns {
  size_t width = 0;
  std::map<std::string, size_t> index;
};

TsvColumns read_header(std::istream& in, const std::string& name, const std::vector<std::string>& needed) {
  std::string line;
  XLM_CHECK(read_line(in, line), FormatError, "{}: empty file, expected a header row", name);
  const std::vector<std::string> header = split_tabs(line);
  TsvColumns cols;
  cols.width = header.size();
  for (size_t i = 0; i < header.size(); ++i) cols.index.emplace(header[i], i);
  for (const auto& col : needed) {
    XLM_CHECK(cols.index.count(col) == 1, FormatError, "{}:1: the header has no column '{}'", name, col);
  }
  return cols;
}

int64_t nli_label_id(const std::string& label, const std::string& name, int64_t line_no) {
  const auto& labels = nli_labels();
  const auto it = std::find(labels.begin(), labels.end(), label);
  XLM_CHECK(it != labels.end(), FormatError,
            "{}:{}: gold_label '{}', expected contradiction, neutral or entailment", name, line_no, label);
  return it - labels.begin();
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in = open_file(path);
  std::vector<std::string> lines;
  std::string line;
  while (read_line(in, line)) lines.push_back(line);
  return lines;
}

std::vector<ClassifyExample> read_labelled(const std::string& text_path, const std::vector<std::string>& labels) {
  const std::string label_path = text_path + ".label";
  const std::vector<std::string> texts = read_lines(text_path);
  const std::vector<std::string> names = read_lines(label_path);
  XLM_CHECK(texts.size() == names.size(), FormatError, "{}: {} lines, but {} has {}", label_path, names.size(),
            text_path, texts.size());
  XLM_CHECK(!texts.empty(), FormatError, "{}: no examples", text_path);
  std::vector<ClassifyExample> out(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto it = std::find(labels.begin(), labels.end(), names[i]);
    XLM_CHECK(it != labels.end(), FormatError, "{}:{}: label '{}' is not in labels.txt", label_path, i + 1,
              names[i]);
    out[i].sentence1 = texts[i];
    out[i].label = it - labels.begin();
  }
  return out;
}

}  // namespace

const std::vector<std::string>& nli_labels() {
  static const std::vector<std::string> labels = {"contradiction", "neutral", "entailment"};
  return labels;
}

std::map<std::string, std::vector<ClassifyExample>> read_xnli_tsv(std::istream& in, const std::string& name) {
  const TsvColumns cols = read_header(in, name, {"language", "gold_label", "sentence1", "sentence2"});
  std::map<std::string, std::vector<ClassifyExample>> out;
  std::string line;
  for (int64_t line_no = 2; read_line(in, line); ++line_no) {
    if (line.empty()) continue;
    const std::vector<std::string> f = split_tabs(line);
    XLM_CHECK(f.size() == cols.width, FormatError, "{}:{}: {} tab-separated fields, the header has {}", name,
              line_no, f.size(), cols.width);
    const std::string& lang = f[cols.index.at("language")];
    XLM_CHECK(!lang.empty(), FormatError, "{}:{}: empty language", name, line_no);
    ClassifyExample ex;
    ex.label = nli_label_id(f[cols.index.at("gold_label")], name, line_no);
    ex.sentence1 = f[cols.index.at("sentence1")];
    ex.sentence2 = f[cols.index.at("sentence2")];
    out[lang].push_back(std::move(ex));
  }
  return out;
}

std::map<std::string, std::vector<ClassifyExample>> read_xnli_tsv_file(const std::string& path) {
  std::ifstream in = open_file(path);
  return read_xnli_tsv(in, path);
}

std::vector<ClassifyExample> read_multinli_tsv(std::istream& in, const std::string& name) {
  const TsvColumns cols = read_header(in, name, {"gold_label", "sentence1", "sentence2"});
  std::vector<ClassifyExample> out;
  std::string line;
  for (int64_t line_no = 2; read_line(in, line); ++line_no) {
    if (line.empty()) continue;
    const std::vector<std::string> f = split_tabs(line);
    XLM_CHECK(f.size() == cols.width, FormatError, "{}:{}: {} tab-separated fields, the header has {}", name,
              line_no, f.size(), cols.width);
    const std::string& gold = f[cols.index.at("gold_label")];
    if (gold == "-") continue;
    ClassifyExample ex;
    ex.label = nli_label_id(gold, name, line_no);
    ex.sentence1 = f[cols.index.at("sentence1")];
    ex.sentence2 = f[cols.index.at("sentence2")];
    out.push_back(std::move(ex));
  }
  return out;
}

std::vector<ClassifyExample> read_multinli_tsv_file(const std::string& path) {
  std::ifstream in = open_file(path);
  return read_multinli_tsv(in, path);
}

ClassifyTask read_xnli_task(const std::string& dir) {
  XLM_CHECK(fs::is_directory(dir), ConfigError, "--data_path {}: no such folder", dir);
  ClassifyTask task;
  task.labels = nli_labels();
  task.train = read_multinli_tsv_file((fs::path(dir) / "multinli_1.0_train.txt").string());
  const std::string dev_path = (fs::path(dir) / "xnli.dev.tsv").string();
  auto dev = read_xnli_tsv_file(dev_path);
  XLM_CHECK(dev.count("en") == 1, FormatError, "{}: no English (language 'en') rows for the valid set", dev_path);
  task.valid = std::move(dev["en"]);
  task.test = read_xnli_tsv_file((fs::path(dir) / "xnli.test.tsv").string());
  XLM_CHECK(!task.train.empty(), FormatError, "{}: no labelled rows", (fs::path(dir) / "multinli_1.0_train.txt").string());
  return task;
}

ClassifyTask read_topic_task(const std::string& dir) {
  XLM_CHECK(fs::is_directory(dir), ConfigError, "--data_path {}: no such folder", dir);
  const fs::path root(dir);
  ClassifyTask task;
  const std::string labels_path = (root / "labels.txt").string();
  task.labels = read_lines(labels_path);
  std::set<std::string> seen;
  for (size_t i = 0; i < task.labels.size(); ++i) {
    XLM_CHECK(!task.labels[i].empty() && seen.insert(task.labels[i]).second, FormatError,
              "{}:{}: empty or repeated label '{}'", labels_path, i + 1, task.labels[i]);
  }
  XLM_CHECK(task.labels.size() >= 2, FormatError, "{}: {} labels, expected at least 2", labels_path,
            task.labels.size());
  task.train = read_labelled((root / "train.en").string(), task.labels);
  task.valid = read_labelled((root / "valid.en").string(), task.labels);
  // test.{lg}.label files name the test languages.
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string file = entry.path().filename().string();
    const std::string prefix = "test.", suffix = ".label";
    if (file.size() <= prefix.size() + suffix.size() || file.compare(0, prefix.size(), prefix) != 0 ||
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string lang = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
    task.test[lang] = read_labelled((root / ("test." + lang)).string(), task.labels);
  }
  XLM_CHECK(!task.test.empty(), FormatError, "{}: no test.{{lg}}.label file", dir);
  return task;
}

}  // namespace xlm::tasks
