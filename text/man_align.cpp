// See man_align.h. Alignment never guesses: a count mismatch drops the
// level (section or block) rather than pairing by position across a gap,
// because one shifted block would misalign everything after it.
#include "text/man_align.h"

#include "text/debian_index.h"

#include <cctype>

namespace xlm::text {

namespace {

// A letter: ASCII, or a UTF-8 lead byte of U+00C0..U+027F (accented Latin)
// or U+0380..U+053F (Greek, Cyrillic); bullets and dashes (U+2000 and up) are
// not letters.
bool has_letter(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalpha(u) || (u >= 0xC3 && u <= 0xC9) || (u >= 0xCE && u <= 0xD4)) return true;
  }
  return false;
}

size_t word_count(std::string_view s) {
  size_t n = 0;
  bool in_word = false;
  for (char c : s) {
    const bool space = c == ' ' || c == '\t';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

std::vector<std::string> sentences(const std::string& block) {
  auto out = split_sentences(block);
  if (out.empty()) out.push_back(block);
  return out;
}

}  // namespace

bool is_option_segment(std::string_view s) {
  if (!has_letter(s)) return true;
  if (s.empty() || (s[0] != '-' && s[0] != '+')) return false;
  return word_count(s) <= 4 && s.back() != '.';
}

bool is_prose_segment(std::string_view s) { return !s.empty() && !is_option_segment(s); }

std::vector<AlignedPair> align_man_pages(const ManPage& en, const ManPage& xx) {
  std::vector<AlignedPair> out;
  auto add = [&](const std::string& e, const std::string& x) {
    if (is_prose_segment(e) && is_prose_segment(x) && !is_untranslated(e, x)) out.push_back({e, x});
  };
  // manpages-l10n appends one section of its own (the translators' credits:
  // TRADUCTION, ÜBERSETZUNG, TRADUCCIÓN...) after the English page's last.
  const size_t n = en.sections.size();
  if (xx.sections.size() != n && xx.sections.size() != n + 1) return out;
  for (size_t s = 0; s < n; ++s) {
    const auto& se = en.sections[s];
    const auto& sx = xx.sections[s];
    add(se.heading, sx.heading);
    if (se.blocks.size() != sx.blocks.size()) continue;
    for (size_t b = 0; b < se.blocks.size(); ++b) {
      const auto te = sentences(se.blocks[b]);
      const auto tx = sentences(sx.blocks[b]);
      if (te.size() == tx.size()) {
        for (size_t k = 0; k < te.size(); ++k) add(te[k], tx[k]);
      } else {
        add(se.blocks[b], sx.blocks[b]);
      }
    }
  }
  return out;
}

bool is_l10n_credits_heading(std::string_view heading) {
  return heading == "TRADUCTION" || heading == "ÜBERSETZUNG" || heading == "TRADUCCIÓN" || heading == "TRADUZIONE";
}

std::vector<std::string> man_segments(const ManPage& page) {
  std::vector<std::string> out;
  for (const auto& sec : page.sections) {
    if (is_l10n_credits_heading(sec.heading)) continue;
    if (is_prose_segment(sec.heading)) out.push_back(sec.heading);
    for (const auto& block : sec.blocks) {
      for (auto& s : sentences(block)) {
        if (is_prose_segment(s)) out.push_back(std::move(s));
      }
    }
  }
  return out;
}

}  // namespace xlm::text
