// Pairing a man page with its translation. manpages-l10n translates a page
// message by message (po4a), keeping every macro, so the English page and the
// translation have the same sections and blocks unless the two come from
// different upstream versions; counts are the check: sections are paired in
// order only when both pages have as many (the translation may have one more,
// last section: the translators' credits, which is ignored), blocks within a section only when
// both sections have as many, sentences within a block only when both blocks
// split into as many (else the whole block). Pure functions, unit-tested on
// hand-written pages.
#pragma once

#include "text/corpus_layout.h"
#include "text/roff.h"

#include <string>
#include <string_view>
#include <vector>

namespace xlm::text {

// True for a segment that is only command-line syntax, e.g. "-a, --all",
// "--block-size=SIZE", "-f file": it starts with '-' or '+', has at most four
// words and does not end with '.', or it has no letter at all.
bool is_option_segment(std::string_view s);

// True if the segment is worth keeping as text: it has a letter and is not
// option syntax.
bool is_prose_segment(std::string_view s);

// Aligned (en, xx) pairs of two parsed pages (see the header comment); pieces
// that are not prose or are left untranslated are dropped.
std::vector<AlignedPair> align_man_pages(const ManPage& en, const ManPage& xx);

// Every prose segment of a page, in order: section headings, then each block
// split into sentences (split_sentences); the translators' credits section is left out.
std::vector<std::string> man_segments(const ManPage& page);
// True for the section manpages-l10n appends to every translated page (the
// translators' names and addresses: TRADUCTION, ÜBERSETZUNG, TRADUCCIÓN,
// TRADUZIONE); it has no English counterpart and is not running text.
bool is_l10n_credits_heading(std::string_view heading);

}  // namespace xlm::text
