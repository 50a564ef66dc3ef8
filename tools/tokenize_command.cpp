// `xlm tokenize` and `xlm detokenize`: line filters from stdin to stdout, the C++
// replacement for XLM's tokenize.sh pipeline. Large stdio buffers and one output
// string per line keep them fast; a malformed line stops the run with its number.
#include "core/error.h"
#include "text/tokenizer.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace xlm::tools {

namespace {

struct TokenizeFlags {
  std::string lang;
  bool lowercase_and_remove_accent = false;
  bool no_normalize = false;
  bool no_protect = false;
  bool escape = false;
};

// Reads stdin line by line, writes transform(line) + '\n'; errors name the line.
template <typename Transform>
void filter_lines(const char* command, Transform transform) {
  std::ios::sync_with_stdio(false);
  static char out_buffer[1 << 16];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof(out_buffer));
  std::string line;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string result;
    try {
      result = transform(line);
    } catch (const FormatError& e) {
      throw FormatError(fmt::format("{}: stdin line {}: {}", command, line_number, e.what()));
    }
    result.push_back('\n');
    if (std::fwrite(result.data(), 1, result.size(), stdout) != result.size()) {
      throw FormatError(fmt::format("{}: cannot write to stdout", command));
    }
  }
  if (std::fflush(stdout) != 0) throw FormatError(fmt::format("{}: cannot write to stdout", command));
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto flags = std::make_shared<TokenizeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize", "Normalize punctuation and tokenize stdin to stdout, one line at a time (Moses rules)");
  cmd->add_option("--lang", flags->lang, "Language: en, fr, de, es, it")->required();
  cmd->add_flag("--lowercase_and_remove_accent", flags->lowercase_and_remove_accent,
                "Lowercase and strip accents after tokenizing (XLM-15 style)");
  cmd->add_flag("--no_normalize", flags->no_normalize, "Skip Moses' punctuation normalization");
  cmd->add_flag("--no_protect", flags->no_protect, "Tokenize inside URLs and e-mail addresses too");
  cmd->add_flag("--escape", flags->escape, "Apply Moses' XML escaping (&amp; &lt; ...)");
  cmd->callback([flags] {
    const text::Language lang = text::parse_language(flags->lang);
    text::TokenizeOptions options;
    options.lowercase_and_remove_accent = flags->lowercase_and_remove_accent;
    options.normalize_punctuation = !flags->no_normalize;
    options.protect_urls = !flags->no_protect;
    options.escape = flags->escape;
    filter_lines("tokenize", [&](const std::string& line) { return text::tokenize(line, lang, options); });
  });
}

void add_detokenize_command(CLI::App& app) {
  auto lang_code = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("detokenize", "Detokenize stdin to stdout, one line at a time (Moses rules)");
  cmd->add_option("--lang", *lang_code, "Language: en, fr, de, es, it")->required();
  cmd->callback([lang_code] {
    const text::Language lang = text::parse_language(*lang_code);
    filter_lines("detokenize", [&](const std::string& line) { return text::detokenize(line, lang); });
  });
}

}  // namespace xlm::tools
