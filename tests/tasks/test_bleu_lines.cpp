// xlm bleu's readers (tasks/mt/bleu_lines.h): sacreBLEU's line splitting for
// references ("\n" only) and stdin (universal newlines), the one-line errors
// for invalid UTF-8 and unequal line counts, and the dictionary reader's
// stream form, which the fuzz targets call.
#include "core/error.h"
#include "support.h"
#include "tasks/mt/bleu_lines.h"
#include "tasks/wordemb/word_translation.h"

#include <sstream>

using namespace xlm;
using namespace xlm::tasks;
using Lines = std::vector<std::string>;

TEST_CASE("bleu lines: references split on LF only, stdin on universal newlines", "[bleu]") {
  CHECK(split_bleu_lines("a\r\nb\rc\n", false) == Lines{"a\r", "b\rc"});
  CHECK(split_bleu_lines("a\r\nb\rc\n", true) == Lines{"a", "b", "c"});
  CHECK(split_bleu_lines("a\n\nb", true) == Lines{"a", "", "b"});  // a final line without a break counts
  CHECK(split_bleu_lines("a\n", false) == Lines{"a"});              // a final break adds no line
  CHECK(split_bleu_lines("\r", true) == Lines{""});
  CHECK(split_bleu_lines("", true).empty());
}

TEST_CASE("bleu lines: read_bleu_input pairs lines and names the faulty file and line", "[bleu]") {
  const BleuInput ok = read_bleu_input("x y\r\nz\n", {{"r0", "x y\nz"}, {"r1", "x\nz z\n"}});
  CHECK(ok.hyps == Lines{"x y", "z"});
  REQUIRE(ok.refs.size() == 2);
  CHECK(ok.refs[1] == Lines{"x", "z z"});
  XLM_CHECK_THROWS(read_bleu_input("a\n", {{"r0.txt", "a\nb\n"}}), FormatError, "reference file r0.txt has 2 lines",
                   "stdin have 1");
  XLM_CHECK_THROWS(read_bleu_input("a\nb \xff\n", {{"r0", "a\nb\n"}}), FormatError,
                   "<stdin> line 2: invalid UTF-8 at byte 2");
  XLM_CHECK_THROWS(read_bleu_input("a\n", {{"r0", "\xc3"}}), FormatError, "r0 line 1: invalid UTF-8 at byte 0");
}

TEST_CASE("word translation: the dictionary reader's stream form", "[wordemb]") {
  std::istringstream in("chat\tcat\r\n\nchien\tdog\n");
  const auto pairs = read_bilingual_dictionary(in, "d.tsv");
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0].src == "chat");
  CHECK(pairs[0].tgt == "cat");
  CHECK(pairs[1].tgt == "dog");
  std::istringstream bad("chat\tcat\n\tdog\n");
  XLM_CHECK_THROWS(read_bilingual_dictionary(bad, "d.tsv"), FormatError, "d.tsv:2", "source<TAB>target");
}
