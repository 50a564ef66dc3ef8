// Byte-pair encoding compatible with fastBPE (github.com/glample/fastBPE):
// the same word splitting, symbol splitting, `</w>` marker and `@@ `
// continuation, so that codes, vocab and segmented text written here are
// byte-identical to fastBPE's and files written by fastBPE load here.
// This header holds the conventions shared by learning and applying;
// word_counts.h, bpe_learn.h and bpe_apply.h hold the three jobs.
// docs/bpe.md describes the formats and the tie-breaking rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xlm::text {

// Appended to the last symbol of every word while learning and applying.
inline constexpr std::string_view kEndOfWord = "</w>";
// Written after every subword that is not the last of its word.
inline constexpr std::string_view kContinuation = "@@";

// True for the two bytes that separate words (fastBPE splits on these only:
// tabs and carriage returns belong to words).
inline bool is_word_separator(char c) { return c == ' ' || c == '\n'; }

// Splits a word into its initial symbols: one per UTF-8 character (a symbol
// starts at every byte that is not a continuation byte 10xxxxxx), the last one
// with kEndOfWord appended. As in fastBPE, splitting stops at the first NUL
// byte: everything from the start of the current symbol to the end of the
// word becomes the last symbol.
std::vector<std::string> split_into_symbols(std::string_view word);

// Same split, returning the byte offsets where each symbol ends within
// `word` (the last one is word.size(); kEndOfWord is implied).
std::vector<size_t> symbol_ends(std::string_view word);

}  // namespace xlm::text
