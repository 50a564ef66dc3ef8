// docs/architecture.md is the map of the code that readers study the engine
// from: every header of the library's layers (core, kernels, text, nn,
// objectives, tasks, tools) must be named there, its file name without the
// extension as a whole word (`bpe_learn`, `bpe_learn.h/.cpp`). A file added
// without its place on the map fails here. The file list comes from the
// source tree itself (the layers' folders), not from a list kept here.
#include "support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace xlm;

namespace {

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `word` occurs in `text` with no identifier character on either side.
bool names_word(const std::string& text, const std::string& word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !is_identifier_char(text[at - 1]);
    const size_t end = at + word.size();
    const bool right = end >= text.size() || !is_identifier_char(text[end]);
    if (left && right) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("architecture map: whole-word matching", "[docs]") {
  CHECK(names_word("| bpe_learn.h/.cpp | learns |", "bpe_learn"));
  CHECK(names_word("see `loss_scaler`", "loss_scaler"));
  CHECK(names_word("nn/sinusoidal.h", "sinusoidal"));
  CHECK_FALSE(names_word("| bpe_learn.h |", "bpe"));  // a prefix of another name
  CHECK_FALSE(names_word("the grad_finite_x check", "grad_finite"));
  CHECK_FALSE(names_word("xbpe", "bpe"));
}

TEST_CASE("architecture map: every library header is named in docs/architecture.md", "[docs]") {
  namespace fs = std::filesystem;
  std::ifstream in(test::source_path("docs/architecture.md"));
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string map = buffer.str();

  std::vector<std::string> missing;
  int headers = 0;
  for (const char* layer : {"core", "kernels", "text", "nn", "objectives", "tasks", "tools"}) {
    const fs::path root = fs::path(test::source_path(layer));
    REQUIRE(fs::is_directory(root));
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const fs::path& p = entry.path();
      if (!entry.is_regular_file() || (p.extension() != ".h" && p.extension() != ".cuh")) continue;
      ++headers;
      if (!names_word(map, p.stem().string())) missing.push_back(fs::relative(p, test::source_path("")).string());
    }
  }
  std::sort(missing.begin(), missing.end());
  std::string list;
  for (const std::string& m : missing) list += " " + m;
  INFO("headers not on the map:" << list);
  CHECK(missing.empty());
  CHECK(headers > 150);  // the walk did find the tree
}
