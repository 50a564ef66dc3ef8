// Consistency of the committed real-data sample (tests/fixtures/corpus),
// produced by `xlm data debian --max_per_source ...`: the manifest's counts and
// checksums match the files, pair files line up, every line is non-empty
// valid UTF-8, and held-out text never appears in training files.
#include "support.h"
#include "text/corpus_split.h"
#include "text/sha256.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string fixture(const std::string& rel) { return xlm::test::source_path("tests/fixtures/corpus/" + rel); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& content) {
  std::vector<std::string> out;
  std::istringstream in(content);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

nlohmann::json manifest() { return nlohmann::json::parse(slurp(fixture("manifest.json"))); }

}  // namespace

TEST_CASE("corpus fixture: manifest counts and sha256 match every file", "[text][corpora][fixture]") {
  const auto m = manifest();
  REQUIRE(m["files"].size() >= 30);
  for (const auto& [rel, info] : m["files"].items()) {
    INFO(rel);
    const std::string content = slurp(fixture(rel));
    CHECK(xlm::text::sha256_hex(content) == info["sha256"].get<std::string>());
    const auto lines = lines_of(content);
    CHECK(lines.size() == info["lines"].get<size_t>());
    CHECK((content.empty() || content.back() == '\n'));
    CHECK(xlm::text::is_valid_utf8(content));
    for (const auto& l : lines) {
      CHECK_FALSE(l.empty());
      CHECK(l.find('\r') == std::string::npos);
    }
  }
  for (const auto& src : m["sources"]) {
    CHECK(src["sha256"].get<std::string>().size() == 64);
    CHECK(src["bytes"].get<size_t>() > 0);
  }
}

TEST_CASE("corpus fixture: pair files line up and cover en-fr, de-en, en-es", "[text][corpora][fixture]") {
  const auto m = manifest();
  const auto& files = m["files"];
  for (const char* pair : {"en-fr", "de-en", "en-es"}) {
    const std::string p(pair);
    const std::string xx = p.substr(0, 2) == "en" ? p.substr(3) : p.substr(0, 2);
    size_t total = 0;
    for (const char* split : {"train", "valid", "test"}) {
      const std::string stem = "para/" + std::string(split) + "." + p;
      INFO(stem);
      REQUIRE(files.contains(stem + ".en"));
      REQUIRE(files.contains(stem + "." + xx));
      CHECK(files[stem + ".en"]["lines"] == files[stem + "." + xx]["lines"]);
      total += files[stem + ".en"]["lines"].get<size_t>();
    }
    CHECK(total >= 200);
  }
  for (const auto& [rel, info] : files.items()) {
    if (rel.rfind("topics/", 0) == 0 && rel.size() > 6 && rel.substr(rel.size() - 6) == ".label") {
      const std::string text_file = rel.substr(0, rel.size() - 6);
      INFO(rel);
      REQUIRE(files.contains(text_file));
      CHECK(files[text_file]["lines"] == info["lines"]);
      const auto labels = lines_of(slurp(fixture("topics/labels.txt")));
      const std::set<std::string> known(labels.begin(), labels.end());
      for (const auto& l : lines_of(slurp(fixture(rel)))) CHECK(known.count(l) == 1);
    }
  }
}

TEST_CASE("corpus fixture: held-out text is never training text", "[text][corpora][fixture]") {
  const auto m = manifest();
  std::map<std::string, std::set<std::string>> train, heldout;  // language -> lines
  for (const auto& [rel, info] : m["files"].items()) {
    if (rel.rfind("topics/", 0) == 0) continue;
    const std::string lang = rel.substr(rel.rfind('.') + 1);
    const bool is_train = rel.find("/train.") != std::string::npos;
    for (const auto& l : lines_of(slurp(fixture(rel)))) (is_train ? train : heldout)[lang].insert(l);
  }
  size_t overlap = 0, n_heldout = 0;
  for (const char* lg : {"en", "fr", "de", "es"}) {
    for (const auto& l : heldout[lg]) overlap += train[lg].count(l);
    n_heldout += heldout[lg].size();
    // Topic test descriptions are no pretraining text in any language.
    for (const auto& l : lines_of(slurp(fixture(std::string("topics/test.") + lg)))) {
      for (const auto& [other, lines] : train) CHECK(lines.count(l) == 0);
    }
  }
  CHECK(overlap == 0);
  CHECK(n_heldout > 100);
}
