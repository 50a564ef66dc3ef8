// The safetensors rules that hostile headers probe (issue 11, found or
// guarded by the fuzz target tests/fuzz/fuzz_safetensors.cpp): byte counts
// that overflow, repeated names, oversized headers; and parse_safetensors,
// the in-memory entry the fuzzer uses, agreeing with load_safetensors.
#include "core/error.h"
#include "core/safetensors.h"
#include "support.h"

#include <cstdio>
#include <fstream>

using namespace xlm;

namespace {
std::string le64(uint64_t n) {
  std::string s;
  for (int b = 0; b < 8; ++b) s.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
  return s;
}
std::string file_with(const std::string& json, const std::string& data) { return le64(json.size()) + json + data; }
}  // namespace

TEST_CASE("safetensors: parse_safetensors reads what load_safetensors reads", "[core][safetensors]") {
  const std::string bytes = safetensors_bytes(
      {{"w", Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2})}, {"i", Tensor::from_vector<int64_t>({7, -7}, {2})}},
      {{"format", "pt"}});
  const auto parsed = parse_safetensors(bytes, "mem");
  const std::string path = "xlm_test_parse_vs_load.safetensors";
  std::ofstream(path, std::ios::binary) << bytes;
  const auto loaded = load_safetensors(path);
  std::remove(path.c_str());
  REQUIRE(parsed.tensors.size() == 2);
  CHECK(parsed.metadata.at("format") == "pt");
  CHECK(parsed.tensors.at("w").shape() == Shape{2, 2});
  CHECK(parsed.tensors.at("w").to_vector<float>() == loaded.tensors.at("w").to_vector<float>());
  CHECK(parsed.tensors.at("i").to_vector<int64_t>() == std::vector<int64_t>{7, -7});
  XLM_CHECK_THROWS(parse_safetensors(bytes.substr(0, 7), "mem.st"), FormatError, "mem.st", "truncated");
}

TEST_CASE("safetensors: hostile headers are format errors, not overflows", "[core][safetensors][errors]") {
  SECTION("a shape whose byte count wraps around to 0") {
    // 2^62 x 4 F32 elements = 2^66 bytes: it used to wrap to 0 and match data_offsets [0, 0].
    const std::string json = R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})";
    XLM_CHECK_THROWS(parse_safetensors(file_with(json, ""), "h.st"), FormatError, "h.st", "tensor 'a'",
                     "overflows the byte count");
  }
  SECTION("a dimension beyond int64") {
    const std::string json = R"({"a":{"dtype":"U8","shape":[18446744073709551615,0],"data_offsets":[0,0]}})";
    XLM_CHECK_THROWS(parse_safetensors(file_with(json, ""), "h.st"), FormatError, "overflows the byte count");
  }
  SECTION("a zero dimension after huge ones is still an empty tensor") {
    const std::string json = R"({"a":{"dtype":"F64","shape":[1000000,1000000,0],"data_offsets":[0,0]}})";
    const auto c = parse_safetensors(file_with(json, ""), "h.st");
    CHECK(c.tensors.at("a").numel() == 0);
  }
  SECTION("a name twice") {
    const std::string json =
        R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})";
    XLM_CHECK_THROWS(parse_safetensors(file_with(json, "xy"), "h.st"), FormatError, "names 'a' twice");
  }
  SECTION("the same key inside different entries is fine") {
    const std::string json =
        R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})";
    CHECK(parse_safetensors(file_with(json, "xy"), "h.st").tensors.size() == 2);
  }
  SECTION("a header over 100 MB") {
    XLM_CHECK_THROWS(parse_safetensors(le64(kMaxSafetensorsHeaderBytes + 1) + "{}", "h.st"), FormatError,
                     "exceeds the format's limit");
  }
  SECTION("a header that is not valid UTF-8") {
    const std::string json = "{\"\xff\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
    XLM_CHECK_THROWS(parse_safetensors(file_with(json, "x"), "h.st"), FormatError, "not valid JSON");
  }
}
