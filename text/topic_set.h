// The cross-lingual topic-classification set (XNLI-like zero-shot test on
// real text): package description -> coarse topic of its archive section.
// English descriptions train and validate; every language, English
// included, is tested on descriptions of held-out packages. Held out by
// Description-md5 hash, so a test description is never training text, and
// the command keeps held-out descriptions out of pretraining text as well.
#pragma once

#include "text/debian_index.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace xlm::text {

struct TopicSetConfig {
  double test_fraction = 0.25;   // of labelled descriptions (by md5 hash) held out for test
  double valid_fraction = 0.05;  // next slice of the hash range: English valid
  size_t train_cap = 2000;       // per class
  size_t valid_cap = 200;        // per class
  size_t test_cap = 500;         // per class and language
};

struct TopicSet {
  // "topics/{train,valid}.en", "topics/test.{lg}", each with a parallel ".label" file.
  std::map<std::string, std::vector<std::string>> files;
  std::set<std::string> heldout_md5;  // md5s in the test slice: keep them out of pretraining
  std::set<std::string> test_lines;   // every test line, all languages
};

// `descs` maps language -> its descriptions (English under "en"), `sections`
// maps Description-md5 -> archive section. Lines are description_line(),
// deduplicated per file; a test line equal to an English train/valid line is
// dropped; classes are capped by hash so the choice is deterministic.
TopicSet build_topic_set(const std::map<std::string, std::vector<Description>>& descs,
                         const std::map<std::string, std::string>& sections, const TopicSetConfig& cfg);

}  // namespace xlm::text
