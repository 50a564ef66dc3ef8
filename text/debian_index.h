// Debian package descriptions as text: the archive's translation indexes
// (Translation-xx, one deb822 stanza per description, keyed by
// Description-md5 of the English original) and the Packages index (which
// gives each description's section). Parsing, sentence pairing and the
// section -> topic mapping are pure functions, unit-tested on inline stanzas;
// reading the files (lz4) is the command's job.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "text/corpus_layout.h"

namespace xlm::text {

struct Description {
  std::string package;
  std::string md5;                      // Description-md5: the join key across languages
  std::string synopsis;                 // the one-line short description
  std::vector<std::string> paragraphs;  // long description blocks, whitespace-collapsed
};

// Stanzas of a Translation-<lang> index that carry a Description-<lang> field.
// Long-description rules (Debian Policy 5.6.13): continuation lines start with
// a space, " ." separates paragraphs; lines starting with two spaces
// (verbatim) or a list bullet (" * ", " - ", " + ", " o ") start a new block.
std::vector<Description> parse_translation_index(std::string_view text, std::string_view lang);

// Description-md5 -> section (without any "contrib/"-style area prefix) from
// a Packages index; the first package seen for an md5 wins.
std::map<std::string, std::string> parse_package_sections(std::string_view text);

// Coarse topic of an archive section ("libs", "devel", "admin", "net",
// "science", "text", "doc", "games", "multimedia", "graphics", "web",
// "desktop", "utils"), or "" for sections too vague to label (misc, tasks...).
std::string coarse_topic(std::string_view section);

// All labels coarse_topic can return, in a fixed order.
const std::vector<std::string>& topic_labels();

// Splits a paragraph after '.', '!' or '?' followed by a space and a
// character that is not a lower-case ASCII letter or digit ("e.g. foo",
// "v1. 2" stay whole).
std::vector<std::string> split_sentences(std::string_view paragraph);

// Aligned pairs from an English description and its translation: synopses
// always; long descriptions block by block when both have the same number of
// blocks, and within a block sentence by sentence when the sentence counts
// agree (else the whole block). Untranslated pieces are dropped.
std::vector<AlignedPair> align_descriptions(const Description& en, const Description& xx);

// The description as one line: synopsis then blocks, joined by spaces.
std::string description_line(const Description& d);

}  // namespace xlm::text
