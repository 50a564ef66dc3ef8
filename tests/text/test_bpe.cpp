// BPE against goldens written by the real fastBPE (tests/fixtures/bpe/README.md
// says how): byte-exact codes, vocab and segmented text, single- and
// multi-threaded, plus round trips, fastBPE's counting conventions, and the
// errors that must name the file (and line) at fault.
#include "core/error.h"
#include "text/bpe.h"
#include "text/bpe_apply.h"
#include "text/bpe_files.h"
#include "text/bpe_learn.h"
#include "text/word_counts.h"

#include "support.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace xlm::text;

namespace {

std::string fixture(const std::string& name) { return xlm::test::source_path("tests/fixtures/bpe/" + name); }

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh file path in a per-test temporary directory.
struct TempDir {
  fs::path dir;
  TempDir() {
    dir = fs::temp_directory_path() / fs::path("xlm-test-bpe-" + std::to_string(::getpid()) + "-" +
                                                std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }
};

std::string remove_continuations(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, "@@ ") == 0) {
      i += 3;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

const std::vector<std::string> kCorpus = {fixture("en.txt"), fixture("fr.txt")};

}  // namespace

TEST_CASE("bpe symbols: one per UTF-8 character, </w> on the last, NUL ends the split", "[bpe]") {
  CHECK(split_into_symbols("été") == std::vector<std::string>{"é", "t", "é</w>"});
  CHECK(split_into_symbols("a") == std::vector<std::string>{"a</w>"});
  CHECK(split_into_symbols("x\tz") == std::vector<std::string>{"x", "\t", "z</w>"});
  // fastBPE stops at a NUL byte and keeps the rest as the last symbol.
  const std::string with_nul("ab\0cd", 5);
  CHECK(split_into_symbols(with_nul) == std::vector<std::string>{"a", std::string("b\0cd</w>", 8)});
}

TEST_CASE("bpe learnbpe equals fastBPE's codes byte for byte", "[bpe]") {
  const std::string golden = read_all(fixture("codes"));
  SECTION("one thread") {
    const auto counts = WordCounts::from_files(kCorpus, 1);
    CHECK(format_codes(learn_bpe(counts, 500)) == golden);
  }
  SECTION("four threads over small chunks") {
    const auto counts = WordCounts::from_files(kCorpus, 4, /*min_chunk_bytes=*/512);
    CHECK(format_codes(learn_bpe(counts, 500)) == golden);
  }
  SECTION("fewer merges give a prefix") {
    const auto counts = WordCounts::from_files(kCorpus, 2, 512);
    const std::string first_100 = format_codes(learn_bpe(counts, 100));
    CHECK(golden.compare(0, first_100.size(), first_100) == 0);
    CHECK(std::count(first_100.begin(), first_100.end(), '\n') == 100);
  }
}

TEST_CASE("bpe getvocab equals fastBPE's vocab byte for byte", "[bpe]") {
  const std::string golden = read_all(fixture("vocab"));
  CHECK(format_vocab(WordCounts::from_files(kCorpus, 1).by_decreasing_count()) == golden);
  CHECK(format_vocab(WordCounts::from_files(kCorpus, 3, 700).by_decreasing_count()) == golden);
  CHECK(format_vocab(WordCounts::from_files({fixture("en.bpe")}, 2, 512).by_decreasing_count()) ==
        read_all(fixture("vocab.en.bpe")));
}

TEST_CASE("bpe applybpe equals fastBPE's output byte for byte", "[bpe]") {
  TempDir tmp;
  const BpeApplier applier(read_bpe_codes(fixture("codes")));
  for (unsigned threads : {1u, 3u}) {
    for (const char* lang : {"en", "fr"}) {
      const std::string out = tmp.file(std::string(lang) + ".out");
      apply_bpe_file(out, fixture(std::string(lang) + ".txt"), applier, threads);
      INFO(lang << " with " << threads << " threads");
      CHECK(read_all(out) == read_all(fixture(std::string(lang) + ".bpe")));
    }
  }
}

TEST_CASE("bpe apply_line segments each word of a line as applybpe does", "[bpe]") {
  const BpeApplier applier(read_bpe_codes(fixture("codes")));
  // Every line of the fixture, segmented alone, equals fastBPE's line (its words are single-spaced).
  std::istringstream text(read_all(fixture("en.txt"))), golden(read_all(fixture("en.bpe")));
  std::string line, want;
  int checked = 0;
  while (std::getline(text, line) && std::getline(golden, want) && checked < 200) {
    if (line.find("  ") != std::string::npos || line.empty() || line.front() == ' ' || line.back() == ' ') continue;
    REQUIRE(applier.apply_line(line) == want);
    ++checked;
  }
  CHECK(checked > 20);
  CHECK(applier.apply_line("  ") == "");
  CHECK(applier.apply_line(" the  the ") == applier.apply_word("the") + " " + applier.apply_word("the"));
}

TEST_CASE("bpe applybpe with a vocabulary equals fastBPE's output byte for byte", "[bpe]") {
  TempDir tmp;
  const BpeApplier limited(read_bpe_codes(fixture("codes")), read_bpe_vocab(fixture("vocab.en.bpe")));
  const std::string out = tmp.file("fr.out");
  apply_bpe_file(out, fixture("fr.txt"), limited, 2);
  const std::string got = read_all(out);
  CHECK(got == read_all(fixture("fr.bpe.vocab-en")));
  // The restriction matters on this input: it splits more than plain applybpe.
  CHECK(got != read_all(fixture("fr.bpe")));
}

TEST_CASE("bpe round trip: removing \"@@ \" gives back the input", "[bpe]") {
  const BpeApplier plain(read_bpe_codes(fixture("codes")));
  const BpeApplier limited(read_bpe_codes(fixture("codes")), read_bpe_vocab(fixture("vocab.en.bpe")));
  for (const char* lang : {"en.txt", "fr.txt"}) {
    const std::string text = read_all(fixture(lang));
    CHECK(remove_continuations(plain.apply_text(text, 2)) == text);
    CHECK(remove_continuations(limited.apply_text(text, 1)) == text);
  }
}

TEST_CASE("bpe counts overlapping pairs at every position, like fastBPE", "[bpe]") {
  // "aaaa" = a a a a</w>: (a, a) occurs at two overlapping positions, so its
  // count is 2 per word although one merge consumes both ("aa a a</w>").
  // Then (aa, a) and (a, a</w>) tie at 3; a < aa in symbol order. Checked
  // against fastBPE's `fast learnbpe 3` on the same line.
  const auto counts = WordCounts::from_texts({"aaaa aaaa aaaa\n"}, 1);
  const auto merges = learn_bpe(counts, 10);
  // Nothing is left to merge after three: learning stops instead of repeating.
  REQUIRE(merges.size() == 3);
  CHECK(format_codes(merges) == "a a 6\na a</w> 3\naa aa</w> 3\n");
}

TEST_CASE("bpe applies the lowest-ranked pair first and merges left to right", "[bpe]") {
  BpeCodes codes = parse_bpe_codes("b c 9\na b 8\nbc d</w> 7\na a 6\naa a 5\n", "inline");
  const BpeApplier applier(codes);
  CHECK(applier.apply_word("abcd") == "a@@ bcd");
  CHECK(applier.apply_word("abz") == "ab@@ z");
  // a a a a</w> -> aa a a</w> (a a</w> is no (a, a) pair) -> aaa a</w>.
  CHECK(applier.apply_word("aaaa") == "aaa@@ a");
  CHECK(applier.apply_word("q") == "q");
  // Separators are copied as they are (same bytes as fastBPE on this line).
  CHECK(applier.apply_text("  abz\n\nabcd abz aaaa q\n", 2) == "  ab@@ z\n\na@@ bcd ab@@ z aaa@@ a q\n");
  // A final word without a separator is kept (fastBPE drops it: docs/bpe.md).
  CHECK(applier.apply_text("abz abz", 1) == "ab@@ z ab@@ z");
}

TEST_CASE("bpe vocabulary restriction splits subwords back along their merges", "[bpe]") {
  BpeCodes codes = parse_bpe_codes("a b 5\nab c</w> 4\n", "inline");
  // "abc" is one subword; a vocabulary without "abc" forces a split, and one
  // without "ab@@" splits further down to characters.
  CHECK(BpeApplier(codes).apply_word("abc") == "abc");
  CHECK(BpeApplier(codes, {{"ab@@", 1}, {"c", 1}}).apply_word("abc") == "ab@@ c");
  CHECK(BpeApplier(codes, {{"c", 1}}).apply_word("abc") == "a@@ b@@ c");
  CHECK(BpeApplier(codes, {{"abc", 1}}).apply_word("abc") == "abc");
}

TEST_CASE("bpe bad input: errors name the file and the line", "[bpe]") {
  TempDir tmp;
  const std::string missing = tmp.file("no-such-corpus.txt");
  try {
    WordCounts::from_files({fixture("en.txt"), missing}, 1);
    FAIL("expected FormatError");
  } catch (const xlm::FormatError& e) {
    CHECK_THAT(e.what(), Catch::Contains(missing));
  }
  CHECK_THROWS_WITH(read_bpe_codes(tmp.file("no-codes")), Catch::Contains(tmp.file("no-codes")));

  const std::string bad_codes = tmp.write("codes", "a b 10\nab c 7\n#version: 0.2\nx y 1\n");
  CHECK_THROWS_AS(read_bpe_codes(bad_codes), xlm::FormatError);
  CHECK_THROWS_WITH(read_bpe_codes(bad_codes), Catch::Contains(bad_codes + ":3:"));
  const std::string bad_count = tmp.write("codes2", "a b 10\nab c seven\n");
  CHECK_THROWS_WITH(read_bpe_codes(bad_count), Catch::Contains(bad_count + ":2:"));
  const std::string empty_line = tmp.write("codes3", "a b 10\n\nab c 7\n");
  CHECK_THROWS_WITH(read_bpe_codes(empty_line), Catch::Contains(empty_line + ":2:"));

  const std::string bad_vocab = tmp.write("vocab", "the 10\nof\n");
  CHECK_THROWS_WITH(read_bpe_vocab(bad_vocab), Catch::Contains(bad_vocab + ":2:"));
  const std::string twice = tmp.write("vocab2", "the 10\nof 3\nthe 1\n");
  CHECK_THROWS_WITH(read_bpe_vocab(twice), Catch::Contains(twice + ":3:"));

  const BpeApplier applier(read_bpe_codes(fixture("codes")));
  CHECK_THROWS_WITH(apply_bpe_file(tmp.file("out"), missing, applier, 1), Catch::Contains(missing));
  CHECK_THROWS_WITH(apply_bpe_file(tmp.file("no-dir/out"), fixture("en.txt"), applier, 1),
                    Catch::Contains(tmp.file("no-dir/out")));
}

TEST_CASE("bpe command line: fastBPE's positional arguments", "[bpe]") {
  TempDir tmp;
  const std::string xlm = XLM_BINARY;
  const std::string codes = tmp.file("codes");
  REQUIRE(std::system((xlm + " bpe learnbpe 500 " + fixture("en.txt") + " " + fixture("fr.txt") + " > " + codes).c_str()) == 0);
  CHECK(read_all(codes) == read_all(fixture("codes")));
  const std::string vocab = tmp.file("vocab");
  REQUIRE(std::system((xlm + " bpe getvocab " + fixture("en.txt") + " " + fixture("fr.txt") + " > " + vocab).c_str()) == 0);
  CHECK(read_all(vocab) == read_all(fixture("vocab")));
  const std::string out = tmp.file("fr.out");
  REQUIRE(std::system((xlm + " bpe applybpe " + out + " " + fixture("fr.txt") + " " + codes + " " +
                       fixture("vocab.en.bpe")).c_str()) == 0);
  CHECK(read_all(out) == read_all(fixture("fr.bpe.vocab-en")));

  const std::string bad = tmp.write("bad-codes", "a b 1\nc d\n");
  const std::string err = tmp.file("stderr");
  const int rc = std::system((xlm + " bpe applybpe " + out + " " + fixture("fr.txt") + " " + bad + " 2> " + err).c_str());
  CHECK(rc != 0);
  CHECK_THAT(read_all(err), Catch::Contains(bad + ":2:"));
}
