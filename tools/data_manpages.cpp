// See data_manpages.h. The gunzipped copy of each package's man folder is
// made in a temporary folder renamed into place, like the extraction itself,
// so an interrupted run never leaves a half-decompressed tree a later run
// would trust.
#include "tools/data_manpages.h"

#include "core/error.h"
#include "tools/command_io.h"
#include "text/corpus_split.h"
#include "text/man_align.h"
#include "text/roff.h"
#include "tools/debian_fetch.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace fs = std::filesystem;

namespace xlm::tools {

namespace {

// Packages shipping the English originals of the translated pages, plus
// packages that ship their own translations (dpkg, apt, man-db...). Chosen by
// `dpkg -S` on a full system for every page of manpages-{fr,de,es}{,-dev},
// then by name for the pages still unmatched (systemd-*, sane, grub, nfs...);
// docs/data.md gives the coverage measured with this list.
const std::vector<std::string>& english_packages() {
  static const std::vector<std::string> kList = {
      "manpages",       "manpages-dev",    "coreutils",   "util-linux",   "systemd",        "e2fsprogs",
      "gettext",        "gettext-base",    "uuid-dev",    "gzip",         "openssh-client", "bsdutils",
      "bsdextrautils",  "diffutils",       "mount",       "bash",         "bzip2",          "tar",
      "grep",           "findutils",       "sed",         "less",         "procps",         "psmisc",
      "passwd",         "login",           "dpkg",        "dpkg-dev",     "apt",            "man-db",
      "debianutils",    "adduser",         "base-passwd", "sensible-utils", "xz-utils",     "net-tools",
      "fakeroot",       "libc-bin",        "init-system-helpers", "systemd-sysv", "util-linux-extra", "zstd",
      "time",           "make",            "hostname",    "file",         "ncurses-bin",    "groff-base",
      "libsane-common", "udev",            "fdisk",       "kmod",         "cron",           "anacron",
      "openssh-server", "grub-common",     "grub2-common", "kbd",         "locales",        "ed",
      "cpio",           "eject",           "info",        "install-info", "systemd-timesyncd", "systemd-resolved",
      "systemd-homed",  "systemd-boot",    "systemd-container", "systemd-coredump", "systemd-journal-remote",
      "systemd-oomd",   "libpam-systemd",  "libnss-systemd", "libnss-myhostname", "libnss-resolve", "nfs-common",
      "dosfstools",     "parted",          "usbutils",    "uuid-runtime", "texinfo",        "wget",
      "libc-dev-bin",   "libc-devtools",   "libcrypt-dev", "openssl",     "at",             "mutt",
      "nano",           "sysstat"};
  return kList;
}

// key ("manN/file") -> page text for one language under one root.
std::vector<std::pair<std::string, fs::path>> page_files(const fs::path& root, const std::string& lang) {
  std::vector<std::pair<std::string, fs::path>> out;
  const fs::path dir = lang == "en" ? root / "usr/share/man" : root / "usr/share/man" / lang;
  if (!fs::is_directory(dir)) return out;
  for (const auto& sec : fs::directory_iterator(dir)) {
    const std::string secname = sec.path().filename().string();
    if (!sec.is_directory() || secname.rfind("man", 0) != 0) continue;
    for (const auto& e : fs::directory_iterator(sec.path())) {
      if (e.is_symlink() || !e.is_regular_file()) continue;
      const std::string name = e.path().filename().string();
      if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) continue;  // not decompressed: skip
      out.emplace_back(secname + "/" + name, e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The gunzipped copy of a package's man pages: <cache>/man/<name>_<sha16>.
std::string unpack_man_pages(const DebPackage& pkg, const std::string& cache_dir) {
  const fs::path dst = fs::path(cache_dir) / "man" / (pkg.name + "_" + pkg.sha256.substr(0, 16));
  if (fs::exists(dst)) return dst.string();
  const fs::path tmp = dst.string() + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp / "usr/share");
  const fs::path src = fs::path(pkg.root) / "usr/share/man";
  if (fs::is_directory(src)) {
    run_shell(fmt::format("cp -a {} {} && find {} -type f -name '*.gz' -exec gzip -d {{}} +",
                          shell_quote(src.string()), shell_quote((tmp / "usr/share").string()),
                          shell_quote((tmp / "usr/share/man").string())));
  }
  fs::rename(tmp, dst);
  return dst.string();
}

}  // namespace

std::vector<std::string> man_packages(const std::vector<std::string>& langs) {
  std::vector<std::string> out = english_packages();
  for (const auto& lg : langs) {
    if (lg == "en") continue;
    out.push_back("manpages-" + lg);
    out.push_back("manpages-" + lg + "-dev");
  }
  return out;
}

ManCorpus man_corpus_from_roots(const std::vector<std::string>& roots, const std::vector<std::string>& langs,
                                size_t max_per_source) {
  ManCorpus out;
  std::map<std::string, std::map<std::string, text::ManPage>> pages;  // lang -> key -> page
  for (const auto& lg : langs) {
    auto& mine = pages[lg];
    for (const auto& root : roots) {
      for (const auto& [key, path] : page_files(root, lg)) {
        if (mine.count(key)) continue;
        const std::string roff = read_whole_file(path.string());
        if (!text::is_valid_utf8(roff)) continue;
        text::ManPage page = text::parse_man(roff);
        if (!page.so_target.empty() || page.sections.empty()) continue;
        mine.emplace(key, std::move(page));
      }
    }
    out.pages[lg] = mine.size();
  }
  const auto& en = pages.at("en");
  std::unordered_set<std::string> english_segments;
  for (const auto& [key, page] : en) {
    for (auto& s : text::man_segments(page)) english_segments.insert(std::move(s));
  }
  const auto pair_key = [](const text::AlignedPair& p) { return p.en + "\t" + p.xx; };
  const auto mono_key = [](const text::MonoLine& m) { return m.text; };
  for (const auto& lg : langs) {
    std::vector<text::MonoLine> mono;
    std::vector<text::AlignedPair> pairs;
    size_t paired = 0;
    for (const auto& [key, page] : pages.at(lg)) {
      std::unordered_map<std::string, std::string> english_of;  // xx segment -> en counterpart
      if (lg != "en") {
        const auto it = en.find(key);
        if (it != en.end()) {
          ++paired;
          for (auto& p : text::align_man_pages(it->second, page)) {
            english_of.emplace(p.xx, p.en);
            pairs.push_back(std::move(p));
          }
        }
      }
      for (auto& s : text::man_segments(page)) {
        if (lg != "en" && english_segments.count(s)) continue;  // left in English
        const auto e = english_of.find(s);
        std::string split_key = e == english_of.end() ? s : e->second;
        mono.push_back({std::move(s), std::move(split_key)});
      }
    }
    out.mono[lg] = text::keep_sample(text::dedup_mono(std::move(mono)), max_per_source, 2, mono_key);
    if (lg != "en") {
      out.paired_pages[lg] = paired;
      out.para[lg] = text::keep_sample(text::dedup_pairs(std::move(pairs)), max_per_source, 1, pair_key);
    }
  }
  return out;
}

ManCorpus build_man_corpus(const std::vector<std::string>& langs, const std::string& cache_dir,
                           size_t max_per_source) {
  std::vector<std::string> roots;
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& name : man_packages(langs)) {
    const DebPackage pkg = fetch_and_extract(name, cache_dir);
    roots.push_back(unpack_man_pages(pkg, cache_dir));
    const bool l10n = name.rfind("manpages-", 0) == 0 && name != "manpages-dev";
    sources.push_back({{"package", pkg.name},
                       {"version", pkg.version},
                       {"deb", pkg.deb_file},
                       {"sha256", pkg.sha256},
                       {"bytes", pkg.bytes},
                       {"licence", l10n ? "GPL-3+ (manpages-l10n translations)"
                                        : "the package's own licence (Debian main: DFSG-free)"},
                       {"used_for", l10n ? "translated man pages: parallel (page, section, block) and mono"
                                         : "man pages: English originals (and translations it ships)"}});
  }
  ManCorpus out = man_corpus_from_roots(roots, langs, max_per_source);
  out.sources = std::move(sources);
  return out;
}

}  // namespace xlm::tools
