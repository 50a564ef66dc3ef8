// See debian_indexes.h.
#include "tools/debian_indexes.h"

#include "core/error.h"
#include "text/sha256.h"
#include "tools/debian_fetch.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace xlm::tools {

namespace {

// The largest file in `dir` whose name contains `needle` (the release's main
// index rather than the small -updates / -security ones).
std::string find_index(const fs::path& dir, const std::string& needle) {
  std::string best;
  uintmax_t best_size = 0;
  if (!fs::is_directory(dir)) return best;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name.find(needle) == std::string::npos) continue;
    if (best.empty() || e.file_size() > best_size) {
      best = e.path().string();
      best_size = e.file_size();
    }
  }
  return best;
}

// "<host>_debian_dists_bookworm_main_i18n_Translation-fr.lz4" -> "bookworm/main/i18n/Translation-fr".
std::string host_free_label(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  const size_t dists = name.find("_dists_");
  if (dists != std::string::npos) name = name.substr(dists + 7);
  for (const char* ext : {".lz4", ".gz", ".xz", ".zst"}) {
    const std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) name.resize(name.size() - e.size());
  }
  for (auto& c : name) {
    if (c == '_') c = '/';
  }
  return name;
}

std::vector<std::string> needles(const std::vector<std::string>& langs) {
  std::vector<std::string> out = {"_main_binary-"};
  for (const auto& lg : langs) out.push_back("_main_i18n_Translation-" + lg);
  return out;
}

}  // namespace

std::vector<IndexFile> fetch_indexes(const std::vector<std::string>& langs, const std::string& cache_dir) {
  const fs::path lists = fs::path(cache_dir) / "lists";
  bool missing = false;
  for (const auto& n : needles(langs)) missing = missing || find_index(lists, n).empty();
  if (missing) {
    fs::create_directories(lists / "partial");
    // Ask for the languages already cached too: apt-get update deletes the lists it was not asked for.
    std::vector<std::string> wanted = langs;
    if (fs::is_directory(lists)) {
      for (const auto& e : fs::directory_iterator(lists)) {
        const std::string name = e.path().filename().string();
        const size_t at = name.find("_main_i18n_Translation-");
        if (at == std::string::npos) continue;
        std::string lg = name.substr(at + 23);
        lg = lg.substr(0, lg.find('.'));
        if (!lg.empty() && std::find(wanted.begin(), wanted.end(), lg) == wanted.end()) wanted.push_back(lg);
      }
    }
    std::string languages;
    for (const auto& lg : wanted) languages += (languages.empty() ? "" : ",") + lg;
    run_shell(fmt::format("apt-get update -q -o Dir::State::Lists={} -o Acquire::Languages={}",
                          shell_quote(fs::absolute(lists).string()), shell_quote(languages)));
  }
  std::vector<IndexFile> out;
  for (const auto& n : needles(langs)) {
    const std::string path = find_index(lists, n);
    if (path.empty())
      throw ConfigError(fmt::format("apt-get update gave no index matching '*{}*' in {}", n, lists.string()));
    IndexFile f;
    f.label = host_free_label(path);
    f.text = run_shell(fmt::format("/usr/lib/apt/apt-helper cat-file {}", shell_quote(path)), false);
    f.sha256 = text::sha256_hex(f.text);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace xlm::tools
