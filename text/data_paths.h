// File names inside a --data_path directory, as XLM names them
// (src/data/loader.py): monolingual `{split}.{lg}`, parallel
// `{split}.{l1}-{l2}.{lg}` with l1 < l2 so each pair has exactly one name.
// Binarized files add kBinarizedSuffix to the text file's name (XLM adds
// `.pth`; ours is a different format, so a different suffix).
#pragma once

#include <string>

namespace xlm::text {

constexpr const char* kBinarizedSuffix = ".xbin";

// Throws ConfigError unless split is train, valid or test.
void check_split(const std::string& split);
// Throws ConfigError unless `lang` is a non-empty code of [A-Za-z0-9_] characters.
void check_language(const std::string& lang);

struct LanguagePair {
  std::string l1, l2;  // l1 < l2
};
// "en-fr" -> {en, fr}; ConfigError for a bad shape, a bad code, or l1 >= l2.
LanguagePair parse_language_pair(const std::string& pair);

// "train.en"
std::string mono_file_name(const std::string& split, const std::string& lang);
// "train.de-en.de"; ConfigError unless l1 < l2 and lang is l1 or l2.
std::string para_file_name(const std::string& split, const std::string& l1, const std::string& l2,
                           const std::string& lang);
// "train.en" -> "train.en.xbin"
std::string binarized_name(const std::string& text_path);
// dir + "/" + name (no separator doubled).
std::string join_path(const std::string& dir, const std::string& name);

}  // namespace xlm::text
