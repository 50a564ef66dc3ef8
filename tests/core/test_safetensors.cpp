// safetensors: round trips of every dtype, the exact byte layout of a small
// file (checked against bytes spelled out from the format's specification),
// and clear errors for truncated or malformed files.
#include "core/error.h"
#include "core/safetensors.h"
#include "support.h"

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace xlm;

namespace {
std::string temp_path(const std::string& name) { return "xlm_test_" + name + ".safetensors"; }
void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
std::string le64(uint64_t n) {
  std::string s;
  for (int b = 0; b < 8; ++b) s.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
  return s;
}
}  // namespace

TEST_CASE("safetensors: every dtype round-trips through a file", "[core][safetensors]") {
  std::vector<std::pair<std::string, Tensor>> tensors;
  const std::vector<double> values{0, 1, -2, 3.5, 100, 7};
  for (DType d : {DType::f32, DType::f64, DType::bf16, DType::f16, DType::i32, DType::i64, DType::u8}) {
    std::vector<double> v = values;
    if (d == DType::u8) v[2] = 2;
    if (!is_floating(d)) v[3] = 3;
    tensors.emplace_back(std::string("t_") + dtype_name(d), Tensor::from_doubles(v, {2, 3}, d));
  }
  tensors.emplace_back("scalar", Tensor::from_doubles({4}, {}, DType::f32));
  tensors.emplace_back("empty", Tensor::zeros({0, 5}, DType::f32));
  const std::string path = temp_path("roundtrip");
  save_safetensors(path, tensors, {{"format", "pt"}});
  const auto loaded = load_safetensors(path);
  CHECK(loaded.metadata.at("format") == "pt");
  REQUIRE(loaded.tensors.size() == tensors.size());
  for (const auto& [name, t] : tensors) {
    INFO(name);
    const Tensor& l = loaded.tensors.at(name);
    CHECK(l.dtype() == t.dtype());
    CHECK(l.shape() == t.shape());
    CHECK(l.to_doubles() == t.to_doubles());
  }
  // Views of the mapping are writable (copy-on-write) and never change the file.
  loaded.tensors.at("t_f32").data<float>()[0] = 99;
  CHECK(load_safetensors(path).tensors.at("t_f32").to_doubles()[0] == 0);
  std::remove(path.c_str());
}

TEST_CASE("safetensors: byte layout follows the specification exactly", "[core][safetensors]") {
  // Two tensors: "b" f32 [2] = {1, 2} and "a" u8 [3] = {7, 8, 9}. F32 (4-byte) data comes first,
  // then U8; the JSON header is compact, metadata first, padded with spaces to a multiple of 8.
  const std::string bytes = safetensors_bytes(
      {{"a", Tensor::from_vector<uint8_t>({7, 8, 9}, {3})}, {"b", Tensor::from_vector<float>({1, 2}, {2})}},
      {{"k", "v"}});
  std::string json =
      R"({"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}})";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string expected = le64(json.size()) + json;
  const unsigned char data[] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 7, 8, 9};
  expected.append(reinterpret_cast<const char*>(data), sizeof data);
  CHECK(bytes == expected);
  CHECK(json.size() % 8 == 0);
}

TEST_CASE("safetensors: truncated and malformed files give errors naming the file", "[core][safetensors][errors]") {
  const std::string good = safetensors_bytes({{"w", Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2})}});
  const std::string path = temp_path("bad");
  SECTION("shorter than the size field") {
    write_raw(path, good.substr(0, 5));
    XLM_CHECK_THROWS(load_safetensors(path), FormatError, path, "truncated");
  }
  SECTION("header cut off") {
    write_raw(path, good.substr(0, 20));
    XLM_CHECK_THROWS(load_safetensors(path), FormatError, "header of");
  }
  SECTION("data cut off") {
    write_raw(path, good.substr(0, good.size() - 3));
    XLM_CHECK_THROWS(load_safetensors(path), FormatError,
                         "tensor 'w'", "outside the");
  }
  SECTION("header is not JSON") {
    write_raw(path, le64(8) + "{not js}");
    XLM_CHECK_THROWS(load_safetensors(path), FormatError, "not valid JSON");
  }
  SECTION("unknown dtype") {
    std::string json = R"({"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})";
    write_raw(path, le64(json.size()) + json + "x");
    XLM_CHECK_THROWS(load_safetensors(path), FormatError, "unsupported dtype \"F8\"");
  }
  SECTION("size mismatch") {
    std::string json = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})";
    write_raw(path, le64(json.size()) + json + "abcd");
    XLM_CHECK_THROWS(load_safetensors(path), FormatError, "needs 8 bytes but data_offsets span 4");
  }
  SECTION("hole in the data") {
    std::string json = R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})";
    write_raw(path, le64(json.size()) + json + "ab");
    XLM_CHECK_THROWS(load_safetensors(path), FormatError, "hole or an overlap");
  }
  SECTION("missing file") {
    XLM_CHECK_THROWS(load_safetensors("no_such_dir/x.safetensors"), FormatError,
                         "no_such_dir/x.safetensors: cannot open");
  }
  std::remove(path.c_str());
}

TEST_CASE("safetensors: unaligned foreign data is copied, not viewed", "[core][safetensors]") {
  // One U8 tensor then an F32 tensor at odd offset 1: legal in the format, misaligned in memory.
  std::string json = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})";
  json.append((8 - json.size() % 8) % 8, ' ');
  const float one = 1.0f;
  std::string bytes = le64(json.size()) + json + std::string(1, '\x05') + std::string(reinterpret_cast<const char*>(&one), 4);
  const std::string path = temp_path("unaligned");
  write_raw(path, bytes);
  const auto loaded = load_safetensors(path);
  CHECK(loaded.tensors.at("b").item() == 1.0);
  CHECK(reinterpret_cast<uintptr_t>(loaded.tensors.at("b").data_ptr()) % 4 == 0);
  std::remove(path.c_str());
}
