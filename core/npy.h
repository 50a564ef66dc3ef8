// NumPy .npy output for `xlm embed` (one float32 row per input line), so the
// embeddings load with a bare `numpy.load`. Only what we need: 2-D, float32,
// little-endian, C order, format version 1.0. The header is padded exactly as
// numpy does it (data starts on a 64-byte boundary) so our files are
// byte-identical with `numpy.save` of the same array. The reader exists for
// tests and tools that check our own output; it accepts only that layout.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace xlm {

// The 2-D float32 array read back from a .npy file.
struct NpyArray {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;  // (rows, cols) row-major
};

// Magic, version 1.0, header length and the padded header dict (ends in '\n').
std::string npy_header_f32(int64_t rows, int64_t cols);

// Writes header + data to `out` (e.g. stdout opened in binary mode).
// `values` holds rows*cols floats, row-major (rows, cols). ShapeError for negative sizes.
void write_npy_f32(std::ostream& out, const float* values, int64_t rows, int64_t cols);

// Writes `path` atomically (core/atomic_file.h). ShapeError if values.size() != rows*cols.
void write_npy_f32(const std::string& path, const std::vector<float>& values, int64_t rows, int64_t cols);

// Reads a file written as above; FormatError naming `path` for anything else
// (bad magic, other version/dtype/order/rank, truncated or trailing data).
NpyArray read_npy_f32(const std::string& path);

}  // namespace xlm
