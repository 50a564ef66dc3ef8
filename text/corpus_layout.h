// From keyed segments of each language to the files of an XLM data folder:
// alignment by key, untranslated-segment dropping, dedup and hash splits.
// Pure functions over in-memory strings (the command does the I/O), so the
// rules that decide what is training text are unit-tested.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace xlm::text {

// A segment with its alignment key, e.g. "text/shared/01/foo.html#par_id123".
struct KeyedText {
  std::string key;
  std::string text;
};

struct AlignedPair {
  std::string en;
  std::string xx;
};

// True if `xx` is the English text left untranslated: equal to `en` up to
// ASCII case and whitespace.
bool is_untranslated(std::string_view en, std::string_view xx);

// Pairs (en text, xx text) for every key present on both sides, in the order
// of `xx`; untranslated segments and keys missing from `en` are dropped.
std::vector<AlignedPair> align_by_key(const std::vector<KeyedText>& en, const std::vector<KeyedText>& xx);

struct MonoLine {
  std::string text;
  std::string split_key;  // decides the split: the English counterpart when there is one
};

// Monolingual lines of one language. With `english` (for a non-English
// language), segments whose key has an English counterpart take that English
// text as split key, and untranslated ones are dropped; without it (English
// itself) each line is its own split key.
std::vector<MonoLine> mono_lines(const std::vector<KeyedText>& segs, const std::vector<KeyedText>* english);

// Exact duplicates removed, first occurrence kept (pairs: same en and xx;
// mono: same text). Used before sampling so a sample of n has n distinct items.
std::vector<AlignedPair> dedup_pairs(std::vector<AlignedPair> pairs);
std::vector<MonoLine> dedup_mono(std::vector<MonoLine> lines);

// XLM's pair name: the two codes in alphabetical order, "de-en", "en-fr".
std::string para_name(std::string_view a, std::string_view b);

// Relative path -> lines for mono/{split}.{lg} and para/{split}.{l1}-{l2}.{lg}.
// `para` maps xx -> en-xx pairs, `mono` maps lang -> lines. Exact duplicates
// (same pair / same line) are removed keeping the first. Splits go by
// connected component: texts linked by a pair, or a mono line and its split
// key, share one split (split_of of the component's smallest member), so no
// held-out text of any language is also in a train file. Every split file of
// every language and pair is present, possibly empty.
std::map<std::string, std::vector<std::string>> layout_corpus(
    const std::map<std::string, std::vector<AlignedPair>>& para,
    const std::map<std::string, std::vector<MonoLine>>& mono, double heldout_fraction);

}  // namespace xlm::text
