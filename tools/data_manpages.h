// The translated man page source of `xlm data debian`: the manpages-l10n
// packages (manpages-fr, -de, -es, -it and their -dev) give the translations,
// and a fixed list of packages gives the English originals (and some ship
// translations of their own, e.g. dpkg, apt, man-db). The base image may
// exclude /usr/share/man, and the archive's Contents index is not fetched by
// a plain apt setup, so the English pages come from .debs like every other
// source, never from the machine. Pages are gunzipped once into the cache
// with the system's gzip (no zlib dependency), so reading is plain file I/O.
#pragma once

#include "text/corpus_layout.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace xlm::tools {

struct ManCorpus {
  std::map<std::string, std::vector<text::AlignedPair>> para;  // xx -> en-xx pairs
  std::map<std::string, std::vector<text::MonoLine>> mono;     // lang -> lines
  nlohmann::json sources = nlohmann::json::array();            // manifest entries of the .debs read
  std::map<std::string, size_t> pages;                         // lang -> pages parsed (en: all English pages)
  std::map<std::string, size_t> paired_pages;                  // xx -> pages that also exist in English
};

// The packages read for `langs`: the English list first, then the
// translations of each non-English language, in `langs` order.
std::vector<std::string> man_packages(const std::vector<std::string>& langs);

// Builds the corpus from folders each holding an unpacked `usr/share/man`
// with uncompressed pages: English pages under usr/share/man/manN/, a
// language's under usr/share/man/<lang>/manN/. A page is keyed by
// "manN/<file name>"; the first root that has a key wins. Symbolic links,
// `.so` alias pages and pages that are not valid UTF-8 are skipped. Non-English
// mono lines that occur as English segments (untranslated leftovers) are
// dropped. `max_per_source` caps pairs per direction and lines per language
// (0 = no cap).
ManCorpus man_corpus_from_roots(const std::vector<std::string>& roots, const std::vector<std::string>& langs,
                                size_t max_per_source);

// Fetches man_packages(langs) into the cache, unpacks and gunzips their man
// pages (<cache>/man/<package>_<sha prefix>), and runs man_corpus_from_roots
// over them; records each .deb in `sources`.
ManCorpus build_man_corpus(const std::vector<std::string>& langs, const std::string& cache_dir,
                           size_t max_per_source);

}  // namespace xlm::tools
