// NumPy .npy output for `xlm embed` (sentence vectors, token states or
// logits), so the arrays load with a bare `numpy.load`. Only what we need: float32,
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

using NpyShape = std::vector<int64_t>;  // numpy's shape tuple, 1 to 8 axes

// The float32 array read back from a .npy file.
struct NpyArray {
  NpyShape shape;
  std::vector<float> values;  // row-major over `shape`
};

// Magic, version 1.0, header length and the padded header dict (ends in '\n').
// ShapeError for an empty shape, more than 8 axes or a negative size.
std::string npy_header_f32(const NpyShape& shape);

// Writes header + data to `out` (e.g. stdout opened in binary mode).
// `values` holds prod(shape) floats, row-major.
void write_npy_f32(std::ostream& out, const float* values, const NpyShape& shape);

// Writes `path` atomically (core/atomic_file.h). ShapeError if values.size() != prod(shape).
void write_npy_f32(const std::string& path, const std::vector<float>& values, const NpyShape& shape);

// Reads a file written as above; FormatError naming `path` for anything else
// (bad magic, other version/dtype/order/rank, truncated or trailing data).
NpyArray read_npy_f32(const std::string& path);

}  // namespace xlm
