// .npy output: golden bytes (checked against numpy.save), header alignment for
// odd shapes, round trip, rejection of anything else, and when numpy is
// installed, numpy itself loading our file.
#include "core/error.h"
#include "core/npy.h"
#include "run_test_support.h"
#include "support.h"

#include <sstream>

using namespace xlm;

namespace {

std::string to_hex(const std::string& bytes) {
  std::string out;
  for (char c : bytes) out += fmt::format("{:02x}", uint8_t(c));
  return out;
}

std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

const std::vector<float> kValues = {0.0f, 1.0f, -2.0f, 0.5f, 3.25f, 1e-3f};  // (2, 3)

}  // namespace

TEST_CASE("npy: golden bytes of a 2x3 float32 array", "[run][npy]") {
  std::ostringstream out;
  write_npy_f32(out, kValues.data(), {2, 3});
  // numpy 2.x np.save of the same array: 10-byte prefix, header length 0x76 = 118.
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string want = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict + std::string(58, ' ') + "\n" +
                           unhex("000000000000803f000000c00000003f000050406f12833a");
  CHECK(out.str().size() == 128 + 24);
  CHECK(to_hex(out.str()) == to_hex(want));
}

TEST_CASE("npy: data starts on a 64-byte boundary for any shape", "[run][npy]") {
  const std::vector<std::pair<NpyShape, std::string>> shapes = {
      {{0, 0}, "(0, 0)"},          {{1, 768}, "(1, 768)"},
      {{7, 1}, "(7, 1)"},          {{12345678901, 5}, "(12345678901, 5)"},
      {{999999999999999, 123456789}, "(999999999999999, 123456789)"},
      {{5}, "(5,)"},               {{2, 3, 4}, "(2, 3, 4)"},
      {{1, 2, 3, 4, 5, 6, 7, 8}, "(1, 2, 3, 4, 5, 6, 7, 8)"}};
  for (const auto& [shape, repr] : shapes) {
    const std::string h = npy_header_f32(shape);
    INFO(repr);
    CHECK(h.size() % 64 == 0);
    CHECK(h.back() == '\n');
    CHECK(size_t(uint8_t(h[8]) | (uint8_t(h[9]) << 8)) == h.size() - 10);
    CHECK(h.find(fmt::format("'shape': {}, }}", repr)) != std::string::npos);
  }
  XLM_CHECK_THROWS(npy_header_f32({-1, 3}), ShapeError, "(-1, 3)");
  XLM_CHECK_THROWS(npy_header_f32({}), ShapeError, "0 axes");
  XLM_CHECK_THROWS(npy_header_f32({1, 1, 1, 1, 1, 1, 1, 1, 1}), ShapeError, "9 axes");
}

TEST_CASE("npy: path variant round-trips and checks the element count", "[run][npy]") {
  test::RunScratchDir dir;
  const std::string path = dir.file("emb.npy");
  write_npy_f32(path, kValues, {2, 3});
  const NpyArray a = read_npy_f32(path);
  CHECK(a.shape == NpyShape{2, 3});
  CHECK(a.values == kValues);
  write_npy_f32(path, kValues, {1, 3, 2});
  CHECK(read_npy_f32(path).shape == NpyShape{1, 3, 2});
  write_npy_f32(path, kValues, {6});
  CHECK(read_npy_f32(path).shape == NpyShape{6});
  write_npy_f32(path, {}, {0, 4});
  const NpyArray empty = read_npy_f32(path);
  CHECK(empty.shape == NpyShape{0, 4});
  CHECK(empty.values.empty());
  XLM_CHECK_THROWS(write_npy_f32(path, kValues, {3, 3}), ShapeError, "emb.npy", "6 values", "(3, 3)");
  CHECK(read_npy_f32(path).shape == NpyShape{0, 4});  // the failed write left the old file
}

TEST_CASE("npy: the reader rejects other layouts naming the file", "[run][npy]") {
  test::RunScratchDir dir;
  std::ostringstream good;
  write_npy_f32(good, kValues.data(), {2, 3});
  const std::string bytes = good.str();
  auto check_bad = [&](const std::string& content, const std::string& why) {
    const std::string path = dir.file("bad.npy");
    std::ofstream(path, std::ios::binary) << content;
    XLM_CHECK_THROWS(read_npy_f32(path), FormatError, "bad.npy", why);
  };
  check_bad("not numpy at all", "bad magic");
  std::string v2 = bytes;
  v2[6] = '\x02';
  check_bad(v2, "version 2.0");
  std::string f8 = bytes;
  f8.replace(f8.find("<f4"), 3, "<f8");
  check_bad(f8, "descr '<f8'");
  std::string fortran = bytes;
  fortran.replace(fortran.find("False"), 5, "True ");
  check_bad(fortran, "fortran_order");
  std::string rank0 = bytes;
  rank0.replace(rank0.find("(2, 3), "), 8, "(),     ");
  check_bad(rank0, "expected 1 to 8 axes");
  std::string word = bytes;
  word.replace(word.find("(2, 3), "), 8, "(2, x), ");
  check_bad(word, "shape (2,x)");
  check_bad(bytes.substr(0, bytes.size() - 1), "23 data bytes");
  check_bad(bytes + "x", "25 data bytes");
  XLM_CHECK_THROWS(read_npy_f32(dir.file("missing.npy")), FormatError, "missing.npy");
}

TEST_CASE("npy: numpy loads our file and writes the same bytes", "[run][npy][numpy]") {
  if (!test::python_has("numpy")) {
    std::printf("XLM-SKIP: python3 cannot import numpy, skipping the numpy interoperability test\n");
    return;
  }
  test::RunScratchDir dir;
  const std::string ours = dir.file("ours.npy");
  const std::string theirs = dir.file("theirs.npy");
  write_npy_f32(ours, kValues, {2, 3});
  const std::string out = test::run_capture(
      "python3 -c \"import numpy as np, sys; a = np.load(sys.argv[1]); "
      "print(a.dtype, a.shape, a.tolist()); np.save(sys.argv[2], a)\" '" + ours + "' '" + theirs + "'");
  CHECK(out == "float32 (2, 3) [[0.0, 1.0, -2.0], [0.5, 3.25, 0.0010000000474974513]]\n");
  CHECK(test::read_all(theirs) == test::read_all(ours));
}
