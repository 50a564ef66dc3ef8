// BLEU against two kinds of truth: sacreBLEU 2.x's own numbers on the committed
// cases in tests/fixtures/bleu (scripts/reference/bleu_goldens.py wrote them), and
// small cases worked out by hand below, so a shared misreading of sacreBLEU would
// still be caught. Also the `xlm bleu` command: output line, flags, one-line errors.
#include "support.h"

#include "core/error.h"
#include "tasks/mt/bleu.h"
#include "tasks/mt/python_lower.h"
#include "text/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

using xlm::tasks::BleuOptions;
using xlm::tasks::BleuScore;
using xlm::tasks::corpus_bleu;

namespace {

std::string fixture(const std::string& name) { return xlm::test::source_path("tests/fixtures/bleu/" + name); }

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

nlohmann::json expected() {
  std::ifstream in(fixture("expected.json"));
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

BleuOptions none_tok() {
  BleuOptions o;
  o.tokenize = "none";
  return o;
}


}  // namespace

TEST_CASE("bleu: equals sacreBLEU on the committed golden cases", "[bleu]") {
  const nlohmann::json all = expected();
  REQUIRE(all["cases"].size() >= 10);
  for (const auto& [name, c] : all["cases"].items()) {
    INFO("case " << name);
    const std::vector<std::string> hyps = read_lines(fixture(c["hyp"].get<std::string>()));
    std::vector<std::vector<std::string>> refs;
    for (const auto& r : c["refs"]) refs.push_back(read_lines(fixture(r.get<std::string>())));
    BleuOptions opts;
    opts.tokenize = c["tokenize"].get<std::string>();
    opts.lowercase = c["lowercase"].get<bool>();
    const BleuScore s = corpus_bleu(hyps, refs, opts);
    CHECK(std::abs(s.score - c["score"].get<double>()) <= 1e-9);
    CHECK(std::abs(s.bp - c["bp"].get<double>()) <= 1e-12);
    CHECK(std::abs(s.ratio - c["ratio"].get<double>()) <= 1e-12);
    for (int n = 0; n < 4; ++n) {
      CHECK(std::abs(s.precisions[n] - c["precisions"][n].get<double>()) <= 1e-9);
      CHECK(s.correct[n] == c["correct"][n].get<int64_t>());
      CHECK(s.total[n] == c["total"][n].get<int64_t>());
    }
    CHECK(s.hyp_len == c["hyp_len"].get<int64_t>());
    CHECK(s.ref_len == c["ref_len"].get<int64_t>());
    CHECK(s.format() == c["line"].get<std::string>());
  }
}

TEST_CASE("bleu: tokenize_13a and str.lower() equal sacreBLEU's on every golden line", "[bleu]") {
  const nlohmann::json all = expected();
  size_t checked = 0;
  for (const auto& [name, c] : all["cases"].items()) {
    for (size_t i = 0; i < c["sources_13a"].size(); ++i) {
      const std::string src = c["sources_13a"][i].get<std::string>();
      INFO("case " << name << " line '" << src << "'");
      CHECK(xlm::tasks::tokenize_13a(src) == c["tokenized_13a"][i].get<std::string>());
      const std::u32string lowered = xlm::tasks::python_lower(xlm::text::utf8_decode(src));
      CHECK(xlm::text::utf8_encode(lowered) == c["lowered"][i].get<std::string>());
      ++checked;
    }
  }
  CHECK(checked > 40);
}

TEST_CASE("bleu: 13a tokenizer rules one by one", "[bleu]") {
  using xlm::tasks::tokenize_13a;
  CHECK(tokenize_13a("Hello, world.") == "Hello , world .");
  CHECK(tokenize_13a("3,5 and 1.000.000") == "3,5 and 1.000.000");        // digit.digit stays
  CHECK(tokenize_13a("in 2019. Then") == "in 2019 . Then");               // period after a digit, before space
  CHECK(tokenize_13a("10-20 well-known") == "10 - 20 well-known");        // dash only after a digit
  CHECK(tokenize_13a("don't (x) [y] {z} a/b") == "don't ( x ) [ y ] { z } a / b");
  CHECK(tokenize_13a("&quot;q&quot; &amp;lt;") == "\" q \" <");             // entity passes run in sequence
  CHECK(tokenize_13a("a<skipped>b") == "ab");
  CHECK(tokenize_13a("a\u00a0b") == "a b");                               // NBSP is Python whitespace
  CHECK(tokenize_13a("") == "");
  XLM_CHECK_THROWS(tokenize_13a(std::string("a\xff")), xlm::FormatError, "invalid UTF-8");
}

TEST_CASE("bleu: python_lower handles final sigma and multi-code-point lowercase", "[bleu]") {
  const auto lower = [](const std::string& s) {
    return xlm::text::utf8_encode(xlm::tasks::python_lower(xlm::text::utf8_decode(s)));
  };
  CHECK(lower("ΟΔΟΣ") == "οδος");       // final capital sigma -> ς
  CHECK(lower("ΣΑ") == "σα");           // initial: no cased letter before it
  CHECK(lower("Σ") == "σ");             // alone
  CHECK(lower("ΑΣ'Σ") == "ασ'ς");        // apostrophe is case-ignorable: first Σ is followed by cased Σ -> σ
  CHECK(lower("İ") == "i\u0307");       // U+0130 lowers to two code points
  CHECK(lower("ǅ ÉTÉ Straße") == "ǆ été straße");
}

// Hand-computed cases (tokenize none, so tokens are the space-separated letters).
TEST_CASE("bleu: hand-computed precisions, geometric mean and brevity penalty", "[bleu]") {
  SECTION("one substitution") {
    // hyp a b c d e f / ref a b c d x f:
    //   1-grams 5/6 (all but e), 2-grams 3/5 (ab bc cd), 3-grams 2/4 (abc bcd), 4-grams 1/3 (abcd)
    //   BLEU = 100 * (5/6 * 3/5 * 2/4 * 1/3)^(1/4) = 100 * (1/12)^(1/4) = 53.7284965911771..., BP = 1
    const BleuScore s = corpus_bleu({"a b c d e f"}, {{"a b c d x f"}}, none_tok());
    CHECK(s.correct == std::array<int64_t, 4>{5, 3, 2, 1});
    CHECK(s.total == std::array<int64_t, 4>{6, 5, 4, 3});
    CHECK(s.score == Approx(100.0 * std::pow(1.0 / 12.0, 0.25)).epsilon(1e-12));
    CHECK(s.score == Approx(53.7284965911771).epsilon(1e-12));
    CHECK(s.bp == 1.0);
    CHECK(s.format() == "BLEU = 53.73 83.3/60.0/50.0/33.3 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)");
  }
  SECTION("exp smoothing and brevity penalty") {
    // hyp a b c d / ref a b x d z z:
    //   1-grams 3/4 (a b d), 2-grams 1/3 (ab), 3-grams 0/2, 4-grams 0/1.
    //   exp smoothing: first zero order -> 100/(2*2) = 25%, second -> 100/(4*1) = 25%.
    //   mean = (3/4 * 1/3 * 1/4 * 1/4)^(1/4) = (1/64)^(1/4) = 1/(2*sqrt 2) = 0.35355339...
    //   BP = exp(1 - 6/4) = exp(-0.5) = 0.60653066; BLEU = 100 * 0.35355339 * 0.60653066 = 21.4441...
    const BleuScore s = corpus_bleu({"a b c d"}, {{"a b x d z z"}}, none_tok());
    CHECK(s.correct == std::array<int64_t, 4>{3, 1, 0, 0});
    CHECK(s.total == std::array<int64_t, 4>{4, 3, 2, 1});
    CHECK(s.precisions[2] == Approx(25.0).epsilon(1e-15));
    CHECK(s.precisions[3] == Approx(25.0).epsilon(1e-15));
    CHECK(s.bp == Approx(std::exp(-0.5)).epsilon(1e-15));
    CHECK(s.score == Approx(100.0 * std::exp(-0.5) / (2.0 * std::sqrt(2.0))).epsilon(1e-12));
    CHECK(s.hyp_len == 4);
    CHECK(s.ref_len == 6);
  }
  SECTION("clipping against the per-n-gram maximum over references, closest length") {
    // hyp the the the the / refs "the cat" and "the the dog":
    //   1-grams: 'the' x4 clipped to max(1, 2) = 2 -> 2/4; 2-grams 'the the' x3 clipped to 1 -> 1/3;
    //   3-grams 0/2 -> 25%, 4-grams 0/1 -> 25% (exp smoothing); mean = (1/2*1/3*1/4*1/4)^(1/4) = 96^(-1/4).
    //   Reference lengths 2 and 3: |4-3| < |4-2| -> ref_len 3; hyp longer -> BP = 1, ratio 4/3.
    const BleuScore s = corpus_bleu({"the the the the"}, {{"the cat"}, {"the the dog"}}, none_tok());
    CHECK(s.correct == std::array<int64_t, 4>{2, 1, 0, 0});
    CHECK(s.score == Approx(100.0 * std::pow(96.0, -0.25)).epsilon(1e-12));
    CHECK(s.ref_len == 3);
    CHECK(s.ratio == Approx(4.0 / 3.0).epsilon(1e-15));
  }
  SECTION("equal distance to two reference lengths takes the shorter") {
    const BleuScore s = corpus_bleu({"a b c d e f"}, {{"a b c d e"}, {"a b c d e f g"}}, none_tok());
    CHECK(s.ref_len == 5);
    CHECK(s.score == Approx(100.0).epsilon(1e-15));
  }
  SECTION("no n-gram matched, or no 4-gram in the corpus, gives 0") {
    CHECK(corpus_bleu({"x y z w"}, {{"a b c d"}}, none_tok()).score == 0.0);
    // 3 unigrams, 1 bigram, no 3- or 4-gram at all: sacreBLEU stops at total 0 and floors log(0).
    const BleuScore s = corpus_bleu({"a b", "c"}, {{"a b", "c"}}, none_tok());
    CHECK(s.score == 0.0);
    CHECK(s.precisions[0] == 100.0);
    CHECK(s.precisions[2] == 0.0);
  }
  SECTION("corpus statistics are sums over lines, not a mean of sentence scores") {
    // line 1 identical (4 tokens), line 2 hyp "p q" vs ref "p r": corpus 1-grams 5/6, 2-grams 3/4,
    // 3-grams 2/2, 4-grams 1/1 -> 100 * (5/6 * 3/4)^(1/4) = 100 * (5/8)^(1/4).
    const BleuScore s = corpus_bleu({"a b c d", "p q"}, {{"a b c d", "p r"}}, none_tok());
    CHECK(s.correct == std::array<int64_t, 4>{5, 3, 2, 1});
    CHECK(s.total == std::array<int64_t, 4>{6, 4, 2, 1});
    CHECK(s.score == Approx(100.0 * std::pow(5.0 / 8.0, 0.25)).epsilon(1e-12));
  }
}

TEST_CASE("bleu: 13a vs none, lowercase, and argument errors", "[bleu]") {
  // 13a splits the comma and period off; none keeps "world." as one token.
  CHECK(corpus_bleu({"Hello, world."}, {{"Hello , world ."}}, BleuOptions{}).score == Approx(100.0));
  CHECK(corpus_bleu({"Hello, world."}, {{"Hello , world ."}}, none_tok()).score == 0.0);
  BleuOptions lc;
  lc.lowercase = true;
  CHECK(corpus_bleu({"THE CAT SAT DOWN"}, {{"the cat sat down"}}, lc).score == Approx(100.0));
  CHECK(corpus_bleu({"THE CAT SAT DOWN"}, {{"the cat sat down"}}, BleuOptions{}).score == 0.0);
  BleuOptions bad;
  bad.tokenize = "intl";
  XLM_CHECK_THROWS(corpus_bleu({"a"}, {{"a"}}, bad), xlm::ConfigError, "intl", "13a or none");
  XLM_CHECK_THROWS(corpus_bleu({"a"}, {}, BleuOptions{}), xlm::ConfigError, "reference");
  XLM_CHECK_THROWS(corpus_bleu({"a", "b"}, {{"a"}}, BleuOptions{}), xlm::ShapeError, "reference set 1", "1 lines",
                   "2 hypotheses");
  XLM_CHECK_THROWS(corpus_bleu({std::string("a\xc3")}, {{"a"}}, BleuOptions{}), xlm::FormatError, "hypothesis line 1",
                   "invalid UTF-8");
}

TEST_CASE("bleu: xlm bleu prints sacreBLEU's line and fails in one line", "[bleu][cli]") {
  const nlohmann::json all = expected();
  const auto& mr = all["cases"]["multiple_refs"];
  const std::string refs = fixture("multiple_refs.ref0") + " " + fixture("multiple_refs.ref1") + " " +
                           fixture("multiple_refs.ref2");
  {
    auto [code, out] = xlm::test::capture_xlm("bleu " + refs + " < " + fixture("multiple_refs.hyp"));
    CHECK(code == 0);
    CHECK(out == mr["line"].get<std::string>() + "\n");
  }
  {
    const auto& lcase = all["cases"]["tokenize_none_lowercase"];
    auto [code, out] = xlm::test::capture_xlm("bleu " + fixture("tokenize_none_lowercase.ref0") + " --tokenize none -lc < " +
                               fixture("tokenize_none_lowercase.hyp"));
    CHECK(code == 0);
    CHECK(out == lcase["line"].get<std::string>() + "\n");
  }
  {
    auto [code, out] = xlm::test::capture_xlm("bleu " + refs + " -b -w 1 < " + fixture("multiple_refs.hyp"));
    CHECK(code == 0);
    CHECK(out == fmt::format("{:.1f}\n", mr["score"].get<double>()));
  }
  {
    // partial.ref0 has 2 lines, closest_ref_tie.hyp has 1.
    auto [code, out] = xlm::test::capture_xlm("bleu " + fixture("partial.ref0") + " < " + fixture("closest_ref_tie.hyp"));
    CHECK(code == 1);
    CHECK_THAT(out, Catch::Contains("partial.ref0") && Catch::Contains("has 2 lines") &&
                        Catch::Contains("stdin have 1"));
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  }
  {
    const std::filesystem::path bad =
        std::filesystem::temp_directory_path() / fmt::format("xlm-bleu-bad-utf8-{}.txt", static_cast<long>(getpid()));
    std::ofstream(bad, std::ios::binary) << "ok\nbad \xff\n";
    auto [code, out] = xlm::test::capture_xlm("bleu " + bad.string() + " < " + fixture("partial.hyp"));
    std::filesystem::remove(bad);
    CHECK(code == 1);
    CHECK_THAT(out, Catch::Contains("line 2: invalid UTF-8 at byte 4"));
  }
}
