// The package-description source of `xlm data debian`: parallel sentences
// from the archive's translated descriptions, monolingual description text,
// and the topic-classification set. Kept apart from data_command.cpp so each
// file has one source to deal with.
#pragma once

#include "text/corpus_layout.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace xlm::tools {

struct DescriptionCorpus {
  std::map<std::string, std::vector<text::AlignedPair>> para;  // xx -> en-xx pairs
  std::map<std::string, std::vector<text::MonoLine>> mono;     // lang -> lines
  std::map<std::string, std::vector<std::string>> topics;      // "topics/..." -> lines
  std::set<std::string> topic_test_lines;                      // to keep out of pretraining
  nlohmann::json sources = nlohmann::json::array();            // manifest entries of the indexes read
};

// Reads the Packages and Translation indexes (fetched into <cache>/lists) and
// builds everything above; descriptions held out for topic testing give no
// pretraining text. `max_per_source` caps pairs per direction and lines per
// language (0 = no cap), and topic classes at max_per_source / 26 each.
DescriptionCorpus build_description_corpus(const std::vector<std::string>& langs, const std::string& cache_dir,
                                           size_t max_per_source);

}  // namespace xlm::tools
