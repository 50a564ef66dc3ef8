// `xlm data debian`: real multilingual corpora from Debian packages only (no
// other network access), written in XLM's file layout. The steps are split
// so that everything that decides content is a tested pure function in
// text/ (extraction, alignment, dedup, splits); this file does the I/O:
// fetch packages, walk the help pages (package descriptions and topics: see
// data_descriptions.cpp; man pages: data_manpages.cpp), write files and a manifest that
// records exactly which package versions and bytes produced which outputs.
#include "core/atomic_file.h"
#include "core/error.h"
#include "tools/command_io.h"
#include "text/corpus_html.h"
#include "text/corpus_layout.h"
#include "text/corpus_split.h"
#include "text/debian_index.h"
#include "text/sha256.h"
#include "tools/data_descriptions.h"
#include "tools/data_dictionaries.h"
#include "tools/data_manpages.h"
#include "tools/debian_fetch.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace xlm::tools {

namespace {

struct DebianOptions {
  std::string langs;
  std::string out;
  std::string cache;
  std::string sources = "help,descriptions,man";
  size_t max_per_source = 0;
  double heldout_fraction = 0.03;
};

const char* kSources[] = {"help", "descriptions", "man", "dict"};

// Language code -> (LibreOffice help package, folder name under help/).
const std::map<std::string, std::pair<std::string, std::string>>& help_packages() {
  static const std::map<std::string, std::pair<std::string, std::string>> kMap = {
      {"en", {"libreoffice-help-en-us", "en-US"}}, {"fr", {"libreoffice-help-fr", "fr"}},
      {"de", {"libreoffice-help-de", "de"}},       {"es", {"libreoffice-help-es", "es"}},
      {"it", {"libreoffice-help-it", "it"}}};
  return kMap;
}

std::vector<std::string> parse_langs(const std::string& spec) {
  std::vector<std::string> langs;
  std::stringstream ss(spec);
  std::string lg;
  while (std::getline(ss, lg, ',')) {
    if (lg.empty()) continue;
    if (!help_packages().count(lg))
      throw ConfigError(fmt::format("--langs: unsupported language '{}' (expected some of en,fr,de,es,it)", lg));
    if (std::find(langs.begin(), langs.end(), lg) == langs.end()) langs.push_back(lg);
  }
  if (std::find(langs.begin(), langs.end(), "en") == langs.end() || langs.size() < 2)
    throw ConfigError(fmt::format("--langs '{}': expected en and at least one other language", spec));
  return langs;
}

// Segments of every help page of one language, keyed "<page path>#<id>".
std::vector<text::KeyedText> help_segments(const DebPackage& pkg, const std::string& folder) {
  const fs::path base = fs::path(pkg.root) / "usr/share/libreoffice/help" / folder;
  const fs::path root = base / "text";
  if (!fs::is_directory(root))
    throw FormatError(fmt::format("{} {}: no help pages under usr/share/libreoffice/help/{}/text", pkg.name,
                                  pkg.version, folder));
  std::vector<fs::path> pages;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".html") pages.push_back(e.path());
  }
  std::sort(pages.begin(), pages.end());
  std::vector<text::KeyedText> out;
  for (const auto& page : pages) {
    const std::string rel = fs::relative(page, base).generic_string();
    for (auto& seg : text::extract_segments(read_whole_file(page.string()))) out.push_back({rel + "#" + seg.id, std::move(seg.text)});
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> split_list(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  return out;
}

template <typename T>
void append(std::map<std::string, std::vector<T>>& to, std::map<std::string, std::vector<T>>&& from) {
  for (auto& [k, v] : from) {
    auto& dst = to[k];
    dst.insert(dst.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  }
}

// LibreOffice help: pairs aligned by (page, element id), mono from every page.
void add_help_source(const std::vector<std::string>& langs, const DebianOptions& opt, const std::string& cache,
                     std::map<std::string, std::vector<text::AlignedPair>>& para,
                     std::map<std::string, std::vector<text::MonoLine>>& mono, nlohmann::json& sources,
                     std::chrono::steady_clock::time_point t0) {
  std::map<std::string, std::vector<text::KeyedText>> segs;  // lang -> help segments
  for (const auto& lg : langs) {
    const auto& [package, folder] = help_packages().at(lg);
    const DebPackage pkg = fetch_and_extract(package, cache);
    segs[lg] = help_segments(pkg, folder);
    fmt::print(stderr, "xlm data debian: {} {} -> {} segments ({:.1f}s)\n", pkg.name, pkg.version, segs[lg].size(),
               seconds_since(t0));
    sources.push_back({{"package", pkg.name},
                       {"version", pkg.version},
                       {"deb", pkg.deb_file},
                       {"sha256", pkg.sha256},
                       {"bytes", pkg.bytes},
                       {"licence", "MPL-2.0"},
                       {"used_for", "LibreOffice help pages: parallel (aligned by page and element id) and mono"}});
  }
  const auto& en = segs.at("en");
  const auto pair_key = [](const text::AlignedPair& p) { return p.en + "\t" + p.xx; };
  const auto mono_key = [](const text::MonoLine& m) { return m.text; };
  for (const auto& lg : langs) {
    if (lg == "en") {
      mono[lg] = text::keep_sample(text::dedup_mono(text::mono_lines(en, nullptr)), opt.max_per_source, 2, mono_key);
      continue;
    }
    para[lg] = text::keep_sample(text::dedup_pairs(text::align_by_key(en, segs.at(lg))), opt.max_per_source, 1, pair_key);
    mono[lg] = text::keep_sample(text::dedup_mono(text::mono_lines(segs.at(lg), &en)), opt.max_per_source, 2, mono_key);
  }
}

void run_debian(const DebianOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto langs = parse_langs(opt.langs);
  const auto source_list = split_list(opt.sources);
  for (const auto& s : source_list) {
    if (std::none_of(std::begin(kSources), std::end(kSources), [&](const char* k) { return s == k; }))
      throw ConfigError(fmt::format("--sources: unknown source '{}' (expected help, descriptions, man, dict)", s));
  }
  if (source_list.empty()) throw ConfigError("--sources: expected at least one of help, descriptions, man, dict");
  const auto use = [&](const char* s) { return std::find(source_list.begin(), source_list.end(), s) != source_list.end(); };
  if (!(opt.heldout_fraction >= 0.0 && opt.heldout_fraction <= 0.5))
    throw ConfigError(fmt::format("--heldout {}: expected a fraction in [0, 0.5]", opt.heldout_fraction));
  const std::string cache = opt.cache.empty() ? (fs::path(opt.out) / ".cache").string() : opt.cache;

  nlohmann::json sources = nlohmann::json::array();
  std::map<std::string, std::vector<text::AlignedPair>> para;
  std::map<std::string, std::vector<text::MonoLine>> mono;
  std::map<std::string, std::vector<std::string>> topics;
  std::set<std::string> topic_test_lines;
  if (use("help")) {
    std::map<std::string, std::vector<text::AlignedPair>> p;
    std::map<std::string, std::vector<text::MonoLine>> m;
    add_help_source(langs, opt, cache, p, m, sources, t0);
    append(para, std::move(p));
    append(mono, std::move(m));
  }
  if (use("man")) {
    ManCorpus m = build_man_corpus(langs, cache, opt.max_per_source);
    for (const auto& [lg, n] : m.pages) {
      fmt::print(stderr, "xlm data debian: man pages {}: {} pages{}\n", lg, n,
                 lg == "en" ? std::string() : fmt::format(", {} with an English original, {} pairs", m.paired_pages[lg],
                                                          m.para[lg].size()));
    }
    fmt::print(stderr, "xlm data debian: man pages read ({:.1f}s)\n", seconds_since(t0));
    append(para, std::move(m.para));
    append(mono, std::move(m.mono));
    for (auto& s : m.sources) sources.push_back(std::move(s));
  }
  if (use("descriptions")) {
    DescriptionCorpus d = build_description_corpus(langs, cache, opt.max_per_source);
    fmt::print(stderr, "xlm data debian: package descriptions read ({:.1f}s)\n", seconds_since(t0));
    append(para, std::move(d.para));
    append(mono, std::move(d.mono));
    for (auto& s : d.sources) sources.push_back(std::move(s));
    topics = std::move(d.topics);
    topic_test_lines = std::move(d.topic_test_lines);
  }
  DictCorpus dictionaries;
  if (use("dict")) {
    dictionaries = build_dict_corpus(langs, cache);
    for (auto& s : dictionaries.sources) sources.push_back(std::move(s));
  }
  // No topic test description may be pretraining text.
  for (auto& [lg, pairs] : para) {
    pairs.erase(std::remove_if(pairs.begin(), pairs.end(),
                               [&](const text::AlignedPair& p) {
                                 return topic_test_lines.count(p.en) || topic_test_lines.count(p.xx);
                               }),
                pairs.end());
  }
  for (auto& [lg, lines] : mono) {
    lines.erase(std::remove_if(lines.begin(), lines.end(),
                               [&](const text::MonoLine& m) { return topic_test_lines.count(m.text) > 0; }),
                lines.end());
  }

  auto files = text::layout_corpus(para, mono, opt.heldout_fraction);
  for (auto& [rel, lines] : topics) files[rel] = std::move(lines);
  if (!topics.empty()) files["topics/labels.txt"] = text::topic_labels();
  for (auto& [rel, lines] : dictionaries.files) files[rel] = std::move(lines);
  nlohmann::json file_info = nlohmann::json::object();
  for (const auto& [rel, lines] : files) {
    std::string content;
    for (const auto& l : lines) {
      content += l;
      content += '\n';
    }
    const fs::path path = fs::path(opt.out) / rel;
    fs::create_directories(path.parent_path());
    write_file_atomically(path.string(), [&](std::ostream& os) { os << content; });
    file_info[rel] = {{"lines", lines.size()}, {"sha256", text::sha256_hex(content)}};
  }

  nlohmann::json manifest = {
      {"command", "xlm data debian"},
      {"langs", langs},
      {"sources_used", source_list},
      {"max_per_source", opt.max_per_source},
      {"heldout_fraction", opt.heldout_fraction},
      {"split_rule", "hash of the English side (mono: English counterpart if any) < f: test, < 2f: valid"},
      {"sources", sources},
      {"files", file_info}};
  write_file_atomically((fs::path(opt.out) / "manifest.json").string(),
                        [&](std::ostream& os) { os << manifest.dump(2) << '\n'; });
  for (const auto& [rel, info] : file_info.items()) fmt::print("{:>8} {}\n", info["lines"].get<size_t>(), rel);
  fmt::print(stderr, "xlm data debian: wrote {} files to {} in {:.1f}s\n", file_info.size(), opt.out,
             seconds_since(t0));
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Build training corpora");
  data->require_subcommand(1);
  auto opt = std::make_shared<DebianOptions>();
  auto* deb = data->add_subcommand(
      "debian", "Parallel, monolingual and topic-classification text from Debian packages, in XLM's layout");
  deb->add_option("--langs", opt->langs, "Comma-separated languages, en plus some of fr,de,es,it")->required();
  deb->add_option("--out", opt->out, "Output folder (mono/, para/, topics/, dict/, manifest.json)")->required();
  deb->add_option("--cache", opt->cache, "Where downloaded and extracted packages are kept (default OUT/.cache)");
  deb->add_option("--sources", opt->sources, "Comma-separated sources: help (LibreOffice help), descriptions, man (translated man pages), dict (FreeDict "
                  "bilingual dictionaries, dict/en-xx.txt; not in the default)")
      ->capture_default_str();
  deb->add_option("--max_per_source", opt->max_per_source,
                  "Keep at most N pairs per direction and N lines per language from each source, chosen by hash "
                  "(0 = all); used to cut the committed fixture");
  deb->add_option("--heldout", opt->heldout_fraction, "Fraction of keys sent to each of valid and test")
      ->capture_default_str();
  deb->callback([opt] { run_debian(*opt); });
}

}  // namespace xlm::tools
