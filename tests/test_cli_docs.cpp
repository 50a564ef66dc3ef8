// docs/cli.md is the CLI reference users' scripts are written against: every
// subcommand `xlm --help` lists (and theirs, recursively) must have a
// "## xlm <path>" heading there, and every long flag its --help prints must
// appear in that heading's section. Consecutive headings share the text
// after them (`xlm bpe learnbpe|applybpe|getvocab`). A flag added to a
// command without its line in the docs fails here.
#include "support.h"

#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace xlm;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The names under "Subcommands:" in a CLI11 help text.
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> names;
  bool in_list = false;
  const std::regex entry(R"(^  ([a-z][a-z0-9_-]*)\s)");
  for (const std::string& line : lines_of(help)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_list = true;
      continue;
    }
    std::smatch m;
    if (in_list && std::regex_search(line, m, entry)) names.push_back(m[1]);
  }
  return names;
}

// The long flags in a CLI11 help text's option lines (not --help).
std::set<std::string> long_flags_in(const std::string& help) {
  std::set<std::string> flags;
  const std::regex flag(R"((^|[\s,])(--[a-z][a-z0-9_-]*))");
  for (const std::string& line : lines_of(help)) {
    if (line.rfind("  -", 0) != 0) continue;  // option lines start with two spaces and a dash
    for (auto it = std::sregex_iterator(line.begin(), line.end(), flag); it != std::sregex_iterator(); ++it) {
      const std::string f = (*it)[2];
      if (f != "--help") flags.insert(f);
    }
  }
  return flags;
}

// Every command path under `prefix` (e.g. "bpe learnbpe"), with its help text.
void collect_commands(const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  const auto [status, help] = test::capture_xlm(prefix + " --help");
  INFO("xlm " << prefix << " --help");
  REQUIRE(status == 0);
  if (!prefix.empty()) out.emplace_back(prefix, help);
  for (const std::string& name : subcommands_in(help)) collect_commands(prefix.empty() ? name : prefix + " " + name, out);
}

// The text of docs/cli.md that documents `xlm <path>`: from its "## xlm <path>"
// heading through the body after it, up to the next heading after that body;
// empty when no heading names the path.
std::string section_of(const std::vector<std::string>& doc, const std::string& path) {
  const std::string heading = "## xlm " + path;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string& line = doc[i];
    if (line.rfind(heading, 0) != 0 || (line.size() > heading.size() && line[heading.size()] != ' ')) continue;
    std::string text;
    bool seen_body = false;
    for (size_t j = i; j < doc.size(); ++j) {
      const bool is_heading = doc[j].rfind("## ", 0) == 0;
      if (j > i && is_heading && seen_body) break;
      if (!is_heading && !doc[j].empty()) seen_body = true;
      text += doc[j] + "\n";
    }
    return text;
  }
  return "";
}

bool mentions_flag(const std::string& text, const std::string& flag) {
  for (size_t at = text.find(flag); at != std::string::npos; at = text.find(flag, at + 1)) {
    const size_t end = at + flag.size();
    const char next = end < text.size() ? text[end] : ' ';
    if (!(std::isalnum(static_cast<unsigned char>(next)) || next == '_' || next == '-')) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("cli docs: every subcommand and long flag of xlm is in docs/cli.md", "[cli][docs]") {
  std::ifstream in(test::source_path("docs/cli.md"));
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::vector<std::string> doc = lines_of(buffer.str());

  std::vector<std::pair<std::string, std::string>> commands;
  collect_commands("", commands);
  REQUIRE(commands.size() >= 19);  // today's commands; the list itself comes from --help
  int flags_checked = 0;
  for (const auto& [path, help] : commands) {
    if (!subcommands_in(help).empty()) continue;  // a group: its leaves carry the flags
    INFO("xlm " << path);
    const std::string section = section_of(doc, path);
    CHECK_FALSE(section.empty());
    for (const std::string& flag : long_flags_in(help)) {
      INFO(flag);
      CHECK(mentions_flag(section, flag));
      ++flags_checked;
    }
  }
  CHECK(flags_checked > 100);
}

TEST_CASE("cli docs: the help parsers find what CLI11 prints", "[cli][docs]") {
  const std::string help =
      "Usage: xlm bleu [OPTIONS] REF...\n\nOptions:\n"
      "  -h,--help                   Print this help message and exit\n"
      "  -w,--width INT:INT in [0 - 17]=2\n"
      "  -b,--score-only             Print the score alone\n"
      "  --tokenize TEXT             13a or none (see --lowercase)\n\n"
      "Subcommands:\n"
      "  learnbpe                    Learn N merge codes\n"
      "  get-vocab                   Word counts\n";
  CHECK(long_flags_in(help) == std::set<std::string>{"--width", "--score-only", "--tokenize", "--lowercase"});
  CHECK(subcommands_in(help) == std::vector<std::string>{"learnbpe", "get-vocab"});
  const std::vector<std::string> doc = {"## xlm a b [--x]", "## xlm a c", "", "Shared text: --y.", "",
                                        "## xlm a d", "text --z_long"};
  CHECK(mentions_flag(section_of(doc, "a b"), "--y"));  // shared body of consecutive headings
  CHECK(mentions_flag(section_of(doc, "a c"), "--y"));
  CHECK_FALSE(mentions_flag(section_of(doc, "a c"), "--z_long"));
  CHECK_FALSE(mentions_flag(section_of(doc, "a d"), "--z"));  // a prefix of another flag is not the flag
  CHECK(section_of(doc, "e").empty());
  CHECK(section_of({"## xlm ab --q"}, "a").empty());  // a longer command name is not the command
}
