// .npy v1.0 writer/reader for float32 arrays; see core/npy.h. Header layout
// follows numpy's format module: the dict repr, then spaces so a shape whose
// first axis grows to 21 digits would still fit, then spaces up to the 64-byte
// boundary and a final '\n' (numpy always adds 1..64 padding spaces).
#include "core/npy.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "core/npy.cpp writes '<f4' data straight from memory: little-endian hosts only"
#endif

namespace xlm {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kPrefixLen = kMagicLen + 2 + 2;  // magic, version, u16 header length
constexpr size_t kAlign = 64;                     // numpy's ARRAY_ALIGN
constexpr size_t kGrowthDigits = 21;              // numpy's GROWTH_AXIS_MAX_DIGITS

constexpr size_t kMaxAxes = 8;

// numpy's repr of a shape tuple: "(5,)", "(2, 3)", "(2, 3, 4)".
std::string shape_repr(const NpyShape& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

void check_npy_shape(const NpyShape& shape) {
  XLM_CHECK(!shape.empty() && shape.size() <= kMaxAxes, ShapeError,
            "write_npy_f32: {} axes (expected 1 to {})", shape.size(), kMaxAxes);
  for (int64_t d : shape)
    XLM_CHECK(d >= 0, ShapeError, "write_npy_f32: shape {} must be non-negative", shape_repr(shape));
}

// prod(shape) for data that is actually written (a header alone may describe more).
int64_t checked_numel(const NpyShape& shape) {
  check_npy_shape(shape);
  int64_t n = 1;
  for (int64_t d : shape)
    XLM_CHECK(!__builtin_mul_overflow(n, d, &n), ShapeError, "write_npy_f32: shape {} has too many elements",
              shape_repr(shape));
  return n;
}

// Splits "a,(b,c),d" at top-level commas.
std::vector<std::string> split_top_level(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

bool parse_int(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string npy_header_f32(const NpyShape& shape) {
  check_npy_shape(shape);
  std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", shape_repr(shape));
  const size_t first_axis_digits = std::to_string(shape[0]).size();
  if (first_axis_digits < kGrowthDigits) dict.append(kGrowthDigits - first_axis_digits, ' ');
  const size_t with_newline = dict.size() + 1;
  const size_t pad = kAlign - (kPrefixLen + with_newline) % kAlign;
  dict.append(pad, ' ');
  dict += '\n';
  XLM_CHECK(dict.size() <= 0xffff, ShapeError, "npy header of {} bytes does not fit format 1.0", dict.size());
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  return out + dict;
}

void write_npy_f32(std::ostream& out, const float* values, const NpyShape& shape) {
  const std::string header = npy_header_f32(shape);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  const int64_t n = checked_numel(shape);
  if (n > 0) out.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(n * sizeof(float)));
}

void write_npy_f32(const std::string& path, const std::vector<float>& values, const NpyShape& shape) {
  const int64_t n = checked_numel(shape);
  XLM_CHECK(static_cast<int64_t>(values.size()) == n, ShapeError, "{}: {} values for a {} array", path,
            values.size(), shape_repr(shape));
  write_file_atomically(path, [&](std::ostream& out) { write_npy_f32(out, values.data(), shape); });
}

NpyArray read_npy_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open .npy file", path));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fail = [&](const std::string& why) -> FormatError {
    return FormatError(fmt::format("{}: not a float32 .npy file written by xlm: {}", path, why));
  };
  if (bytes.size() < kPrefixLen || bytes.compare(0, kMagicLen, std::string(kMagic, kMagicLen)) != 0)
    throw fail("bad magic (expected \\x93NUMPY)");
  if (bytes[6] != '\x01' || bytes[7] != '\x00')
    throw fail(fmt::format("format version {}.{} (expected 1.0)", int(uint8_t(bytes[6])), int(uint8_t(bytes[7]))));
  const size_t header_len = uint8_t(bytes[8]) | (size_t(uint8_t(bytes[9])) << 8);
  if (bytes.size() < kPrefixLen + header_len) throw fail("truncated header");
  const std::string header = bytes.substr(kPrefixLen, header_len);
  if (header.empty() || header.back() != '\n') throw fail("header does not end in a newline");

  std::string compact;
  for (char c : header)
    if (c != ' ' && c != '\n') compact += c;
  if (compact.size() < 2 || compact.front() != '{' || compact.back() != '}') throw fail("header is not a dict");
  std::map<std::string, std::string> fields;
  for (const std::string& item : split_top_level(compact.substr(1, compact.size() - 2))) {
    if (item.empty()) continue;  // the trailing ", " numpy writes
    const auto colon = item.find(':');
    if (colon == std::string::npos) throw fail(fmt::format("header item '{}'", item));
    fields[item.substr(0, colon)] = item.substr(colon + 1);
  }
  if (fields.size() != 3) throw fail(fmt::format("header has {} keys (expected descr, fortran_order, shape)", fields.size()));
  if (fields["'descr'"] != "'<f4'") throw fail(fmt::format("descr {} (expected '<f4')", fields["'descr'"]));
  if (fields["'fortran_order'"] != "False") throw fail("fortran_order must be False");
  const std::string shape = fields["'shape'"];
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') throw fail(fmt::format("shape {}", shape));
  const std::string inner = shape.substr(1, shape.size() - 2);
  std::vector<std::string> dims;
  if (!inner.empty()) dims = split_top_level(inner);
  if (dims.size() == 2 && dims[1].empty()) dims.pop_back();  // "(5,)"
  NpyArray array;
  uint64_t numel = 1;
  for (const std::string& dim : dims) {
    int64_t d = 0;
    if (!parse_int(dim, &d)) throw fail(fmt::format("shape {}", shape));
    array.shape.push_back(d);
    numel *= static_cast<uint64_t>(d);
    if (numel > (uint64_t{1} << 60)) throw fail(fmt::format("shape {} is too large", shape));
  }
  if (array.shape.empty() || array.shape.size() > kMaxAxes)
    throw fail(fmt::format("shape {} (expected 1 to {} axes)", shape, kMaxAxes));

  const size_t data_bytes = static_cast<size_t>(numel) * sizeof(float);
  const size_t have = bytes.size() - kPrefixLen - header_len;
  if (have != data_bytes)
    throw fail(fmt::format("{} data bytes for shape {} (expected {})", have, shape, data_bytes));
  array.values.resize(static_cast<size_t>(numel));
  if (data_bytes > 0) std::memcpy(array.values.data(), bytes.data() + kPrefixLen + header_len, data_bytes);
  return array;
}

}  // namespace xlm
