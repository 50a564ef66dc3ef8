// The archive's index files (Packages, Translation-xx) for corpus builds.
// They are fetched by `apt-get update` into a private lists folder under the
// cache (Dir::State::Lists), never into the system's, so the machine's apt
// state is untouched and a rebuild reuses them; they are read (lz4 or plain)
// with apt's own `apt-helper cat-file`.
#pragma once

#include <string>
#include <vector>

namespace xlm::tools {

struct IndexFile {
  std::string label;   // host-free name, e.g. "bookworm/main/i18n/Translation-fr"
  std::string sha256;  // of the decompressed text
  std::string text;    // decompressed content
};

// Ensures <cache>/lists holds the main Packages index and the Translation
// index of every language in `langs` (running apt-get update once if one is
// missing), then returns them: first the Packages index, then one
// Translation index per language, in `langs` order. Throws ConfigError if
// apt cannot provide one.
std::vector<IndexFile> fetch_indexes(const std::vector<std::string>& langs, const std::string& cache_dir);

}  // namespace xlm::tools
