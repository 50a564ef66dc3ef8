// The binarized format: round trips through both token widths, the exact
// header bytes, one FormatError (naming the file) per kind of damage, the
// dictionary check, and `xlm preprocess` end to end.
#include "core/error.h"
#include "core/fnv1a.h"
#include "text/binarized.h"
#include "text/preprocess.h"
#include "text_fixtures.h"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <sstream>

namespace xlm::tools {
void add_preprocess_command(CLI::App& app);
}

using namespace xlm;
using namespace xlm::text;
using xlm::test::read_bytes;
using xlm::test::ScratchDir;
using xlm::test::write_text;

namespace {

Dictionary small_vocab() {
  std::istringstream in("the 10\ncat 5\nsat 3\n. 2\n");
  return Dictionary::from_vocab_stream(in, "vocab", -1, 0);
}

void put_u64(std::string& bytes, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>(v >> (8 * i));
}

std::string open_error(const std::string& path) {
  try {
    BinarizedFile::open(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no FormatError)";
}

}  // namespace

TEST_CASE("binarized: uint16 round trip with empty sentences", "[text]") {
  ScratchDir dir;
  const Dictionary d = small_vocab();
  BinarizedWriter w(d);
  w.add_sentence({14, 15, 16, 17});
  w.add_sentence({});
  w.add_sentence({3, 14});
  const std::string path = dir.file("train.en.xbin");
  w.write(path);
  // header + 4 offsets + 9 uint16 tokens
  CHECK(std::filesystem::file_size(path) == 64 + 4 * 8 + 9 * 2);

  const BinarizedFile f = BinarizedFile::open(path);
  CHECK(f.header().dtype == TokenDType::u16);
  CHECK(f.n_sentences() == 3);
  CHECK(f.n_tokens() == 9);
  CHECK(f.header().n_unknown == 1);
  CHECK(f.header().dictionary_size == 18);
  CHECK(f.header().dictionary_hash == d.hash());
  CHECK(f.sentence(0) == std::vector<int64_t>{14, 15, 16, 17});
  CHECK(f.sentence(1).empty());
  CHECK(f.sentence(2) == std::vector<int64_t>{3, 14});
  CHECK(f.sentence_length(1) == 0);
  std::vector<int64_t> all;
  for (uint64_t i = 0; i < 9; ++i) all.push_back(f.token(i));
  CHECK(all == std::vector<int64_t>{14, 15, 16, 17, 1, 1, 3, 14, 1});  // XLM's `sentences` array
  CHECK_NOTHROW(f.check_dictionary(d));
  CHECK_THROWS_AS(f.sentence(3), IndexError);
}

TEST_CASE("binarized: int32 tokens when the dictionary has 65536 words or more", "[text]") {
  CHECK(token_dtype_for(65535) == TokenDType::u16);
  CHECK(token_dtype_for(65536) == TokenDType::i32);
  ScratchDir dir;
  BinarizedWriter w(0x1234, 70000);
  w.add_sentence({69999, 65535, 65536, 14});
  w.add_sentence({20});
  const std::string path = dir.file("big.xbin");
  w.write(path);
  CHECK(std::filesystem::file_size(path) == 64 + 3 * 8 + 7 * 4);
  const BinarizedFile f = BinarizedFile::open(path);
  CHECK(f.header().dtype == TokenDType::i32);
  CHECK(f.header().dictionary_hash == 0x1234);
  CHECK(f.sentence(0) == std::vector<int64_t>{69999, 65535, 65536, 14});
  CHECK(f.sentence(1) == std::vector<int64_t>{20});
  CHECK_THROWS_AS(w.add_sentence({70000}), IndexError);
  CHECK_THROWS_AS(w.add_sentence({-1}), IndexError);
  CHECK_THROWS_AS(w.add_sentence({1}), IndexError);  // </s> is the separator
}

TEST_CASE("binarized: golden header bytes", "[text]") {
  BinarizedHeader h;
  h.dtype = TokenDType::i32;
  h.n_sentences = 0x0102;
  h.n_tokens = 0x030405;
  h.dictionary_hash = 0x1122334455667788ull;
  h.dictionary_size = 70000;  // 0x011170
  h.n_unknown = 9;
  h.checksum = 0xa1b2c3d4e5f60718ull;
  const std::vector<unsigned char> want = {
      'X', 'L', 'M', 'B', 'I', 'N', '\r', '\n',          // magic
      1, 0, 0, 0,                                        // version
      2, 0, 0, 0,                                        // token dtype: int32
      0x02, 0x01, 0, 0, 0, 0, 0, 0,                      // sentences
      0x05, 0x04, 0x03, 0, 0, 0, 0, 0,                   // tokens
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,    // dictionary hash
      0x70, 0x11, 0x01, 0, 0, 0, 0, 0,                   // dictionary size
      9, 0, 0, 0, 0, 0, 0, 0,                            // unknown words
      0x18, 0x07, 0xf6, 0xe5, 0xd4, 0xc3, 0xb2, 0xa1};   // checksum
  CHECK(encode_header(h) == want);

  // A written file starts with its header, and the checksum covers the rest.
  ScratchDir dir;
  BinarizedWriter w(0x42, 20);
  w.add_sentence({14, 19});
  const std::string path = dir.file("g.xbin");
  w.write(path);
  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() == 64 + 16 + 6);
  BinarizedHeader written;
  written.n_sentences = 1;
  written.n_tokens = 3;
  written.dictionary_hash = 0x42;
  written.dictionary_size = 20;
  uint64_t sum = fnv1a64(encode_header(written).data(), 56);
  sum = fnv1a64(bytes.data() + 64, bytes.size() - 64, sum);
  written.checksum = sum;
  CHECK(sum == 0x84bfb03fe6431f85ull);  // computed independently (docs/formats.md example)
  const auto header = encode_header(written);
  CHECK(std::memcmp(bytes.data(), header.data(), 64) == 0);
  const std::string payload = bytes.substr(64);
  const std::string want_payload("\0\0\0\0\0\0\0\0\3\0\0\0\0\0\0\0\x0e\0\x13\0\x01\0", 22);
  CHECK(payload == want_payload);
}

TEST_CASE("binarized: every corruption is a FormatError naming the file", "[text]") {
  ScratchDir dir;
  BinarizedWriter w(small_vocab());
  w.add_sentence({14, 15, 16});
  w.add_sentence({17});
  w.add_sentence({});
  const std::string good_path = dir.file("good.xbin");
  w.write(good_path);
  const std::string good = read_bytes(good_path);
  // Layout: header [0, 64), offsets [64, 96) = 0 4 6 7, tokens [96, 110).
  REQUIRE(good.size() == 110);
  REQUIRE(BinarizedFile::open(good_path).n_tokens() == 7);

  struct Case {
    const char* name;
    std::function<void(std::string&)> damage;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"empty", [](std::string& b) { b.clear(); }, "truncated: 0 bytes"},
      {"short header", [](std::string& b) { b.resize(30); }, "truncated: 30 bytes"},
      {"header only", [](std::string& b) { b.resize(64); }, "truncated"},
      {"last byte cut", [](std::string& b) { b.pop_back(); }, "truncated: 109 bytes"},
      {"trailing", [](std::string& b) { b += "xx"; }, "2 trailing bytes"},
      {"magic", [](std::string& b) { b[0] = 'Y'; }, "bad magic"},
      {"version", [](std::string& b) { b[8] = 2; }, "unsupported format version 2"},
      {"dtype code", [](std::string& b) { b[12] = 7; }, "unknown token dtype code 7"},
      {"dtype vs size", [](std::string& b) { b[12] = 2; }, "token dtype int32 does not match"},
      {"huge count", [](std::string& b) { put_u64(b, 16, 1ull << 62); }, "truncated or corrupted"},
      {"dictionary too small", [](std::string& b) { put_u64(b, 40, 3); }, "dictionary size 3"},
      {"first offset", [](std::string& b) { put_u64(b, 64, 1); }, "sentence offset 0 is 1"},
      {"offsets decrease", [](std::string& b) { put_u64(b, 72, 8); }, "not increasing"},
      {"last offset", [](std::string& b) { put_u64(b, 88, 6); }, "not increasing"},
      {"token range", [](std::string& b) { b[96] = 40; }, "token 40 at position 0 outside the dictionary"},
      {"missing eos", [](std::string& b) { b[102] = 14; }, "sentence 0: does not end with </s>"},
      {"eos inside", [](std::string& b) { b[98] = 1; }, "unexpected </s> inside"},
      {"token swap", [](std::string& b) { b[96] = 15; }, "checksum mismatch"},
      {"unknown count", [](std::string& b) { b[48] = 5; }, "checksum mismatch"},
      {"dictionary hash", [](std::string& b) { b[33] ^= 1; }, "checksum mismatch"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    std::string bytes = good;
    c.damage(bytes);
    const std::string path = dir.file(std::string("bad-") + std::to_string(&c - cases.data()) + ".xbin");
    write_text(path, bytes);
    const std::string msg = open_error(path);
    CHECK_THAT(msg, Catch::StartsWith(path + ": ") && Catch::Contains(c.expect));
  }
  CHECK_THAT(open_error(dir.file("missing.xbin")), Catch::Contains("missing.xbin: cannot open"));

  // A bit flip in every byte (bit at % 8) and every truncation is detected
  // (FNV-1a steps are bijections, so one changed byte always changes the sum).
  const std::string path = dir.file("flip.xbin");
  int undetected = 0;
  for (size_t at = 0; at < good.size(); ++at) {
    std::string bytes = good;
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << (at % 8)));
    write_text(path, bytes);
    if (open_error(path).rfind(path + ": ", 0) != 0) ++undetected;
    write_text(path, good.substr(0, at));
    if (open_error(path).rfind(path + ": ", 0) != 0) ++undetected;
  }
  CHECK(undetected == 0);
}

TEST_CASE("binarized: a file built with another dictionary is refused", "[text]") {
  ScratchDir dir;
  const Dictionary d = small_vocab();
  BinarizedWriter w(d);
  w.add_sentence({14});
  const std::string path = dir.file("a.xbin");
  w.write(path);
  std::istringstream other_text("the 10\ncat 5\nsat 3\n, 2\n");
  const Dictionary other = Dictionary::from_vocab_stream(other_text, "other");
  REQUIRE(other.size() == d.size());
  const BinarizedFile f = BinarizedFile::open(path);
  CHECK_NOTHROW(f.check_dictionary(d));
  CHECK_THROWS_WITH(f.check_dictionary(other),
                    Catch::StartsWith(path + ": built with another dictionary"));
}

TEST_CASE("preprocess: text to binarized, empty lines kept, bad UTF-8 refused", "[text]") {
  ScratchDir dir;
  const Dictionary d = small_vocab();
  const std::string txt = dir.file("train.en");
  write_text(txt, "the cat sat .\n\nthe dog <s> sat\nthe");
  const PreprocessStats stats = binarize_text_file(d, txt, txt + ".xbin");
  CHECK(stats.sentences == 4);
  CHECK(stats.empty_sentences == 1);
  CHECK(stats.words == 8);
  CHECK(stats.unknown == 1);
  CHECK(stats.specials_dropped == 1);
  CHECK(stats.unknown_percent() == Approx(12.5));
  const BinarizedFile f = BinarizedFile::open(txt + ".xbin");
  CHECK(f.n_sentences() == 4);
  CHECK(f.sentence(0) == std::vector<int64_t>{14, 15, 16, 17});
  CHECK(f.sentence(1).empty());
  CHECK(f.sentence(2) == std::vector<int64_t>{14, 3, 16});
  CHECK(f.sentence(3) == std::vector<int64_t>{14});

  const std::string bad = dir.file("bad.en");
  write_text(bad, "the cat\nthe \xe9t\xe9\n");
  CHECK_THROWS_WITH(binarize_text_file(d, bad, bad + ".xbin"),
                    Catch::StartsWith(bad + ":2: invalid UTF-8 at byte 5"));
  CHECK_FALSE(std::filesystem::exists(bad + ".xbin"));
}

TEST_CASE("preprocess: the xlm subcommand writes TXT.xbin", "[text]") {
  ScratchDir dir;
  const std::string vocab = dir.file("vocab");
  const std::string txt = dir.file("valid.fr");
  write_text(vocab, "le 9\nchat 4\nnoir 2\n");
  write_text(txt, "le chat\nle chien noir\n");
  CLI::App app;
  xlm::tools::add_preprocess_command(app);
  app.parse("preprocess " + vocab + " " + txt + " --max_vocab 16", false);
  const BinarizedFile f = BinarizedFile::open(txt + ".xbin");
  CHECK(f.header().dictionary_size == 16);
  CHECK(f.sentence(0) == std::vector<int64_t>{14, 15});
  CHECK(f.sentence(1) == std::vector<int64_t>{14, 3, 3});  // "noir" is cut by --max_vocab
  CHECK(f.header().n_unknown == 2);
}
