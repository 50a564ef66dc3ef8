// See core/safetensors.h. Validation follows the format's rules: header size
// within the file, valid JSON object, every entry with a known dtype, a
// shape, and data_offsets that match dtype x shape, lie in the data section
// and tile it without holes or overlaps, a header of at most 100 MB, no
// name twice, byte counts computed with overflow checks. Every failure names
// the file. The checks work on bytes in a Storage so that files (mmap'ed)
// and in-memory buffers (parse_safetensors, the fuzz target) share them.
#include "core/safetensors.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>

namespace xlm {

namespace {

struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kNames[] = {{DType::f64, "F64"}, {DType::f32, "F32"},  {DType::f16, "F16"}, {DType::bf16, "BF16"},
                                {DType::i64, "I64"}, {DType::i32, "I32"}, {DType::u8, "U8"}};

bool parse_st_dtype(const std::string& s, DType* out) {
  for (const auto& n : kNames)
    if (s == n.name) {
      *out = n.dtype;
      return true;
    }
  return false;
}

// Validates a whole file held by `storage`; tensors are views into it.
SafetensorsContents parse_safetensors_storage(std::shared_ptr<Storage> storage, const std::string& path);

}  // namespace

const char* safetensors_dtype_name(DType t) {
  for (const auto& n : kNames)
    if (n.dtype == t) return n.name;
  return "?";
}

std::string safetensors_bytes(const std::vector<std::pair<std::string, Tensor>>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  // Order: larger element size first (keeps every tensor aligned), then by name.
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i].second, "save_safetensors", tensors[i].first.c_str());
    for (size_t j = 0; j < i; ++j)
      XLM_CHECK(tensors[i].first != tensors[j].first, Error, "save_safetensors: duplicate tensor name '{}'",
                tensors[i].first);
    XLM_CHECK(tensors[i].first != "__metadata__", Error, "save_safetensors: '__metadata__' is reserved");
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const size_t sa = dtype_size(tensors[a].second.dtype()), sb = dtype_size(tensors[b].second.dtype());
    if (sa != sb) return sa > sb;
    return tensors[a].first < tensors[b].first;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  size_t offset = 0;
  for (size_t i : order) {
    const Tensor& t = tensors[i].second;
    nlohmann::ordered_json entry;
    entry["dtype"] = safetensors_dtype_name(t.dtype());
    entry["shape"] = t.shape();
    entry["data_offsets"] = {offset, offset + t.nbytes()};
    header[tensors[i].first] = entry;
    offset += t.nbytes();
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + json.size() + offset);
  const uint64_t n = json.size();
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
  out += json;
  for (size_t i : order) {
    const Tensor& t = tensors[i].second;
    const Tensor host = t.device() == Device::cpu() ? t : t.detach().to(Device::cpu());
    out.append(static_cast<const char*>(host.data_ptr()), host.nbytes());
  }
  return out;
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string bytes = safetensors_bytes(tensors, metadata);
  write_file_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

SafetensorsContents load_safetensors(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw FormatError(fmt::format("{}: cannot open safetensors file ({})", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw FormatError(fmt::format("{}: cannot stat ({})", path, std::strerror(errno)));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw FormatError(fmt::format("{}: truncated safetensors file: {} bytes, need at least 8 for the header size",
                                  path, size));
  }
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw FormatError(fmt::format("{}: mmap failed ({})", path, std::strerror(errno)));
  return parse_safetensors_storage(Storage::wrap(map, size, Device::cpu(), [map, size] { ::munmap(map, size); }), path);
}

SafetensorsContents parse_safetensors(std::string_view bytes, const std::string& name) {
  XLM_CHECK(bytes.size() >= 8, FormatError,
            "{}: truncated safetensors file: {} bytes, need at least 8 for the header size", name, bytes.size());
  auto storage = Storage::allocate(bytes.size(), Device::cpu());
  std::memcpy(storage->data(), bytes.data(), bytes.size());
  return parse_safetensors_storage(std::move(storage), name);
}

namespace {

SafetensorsContents parse_safetensors_storage(std::shared_ptr<Storage> storage, const std::string& path) {
  const size_t size = storage->bytes();
  const auto* bytes = static_cast<const unsigned char*>(storage->data());
  uint64_t header_len = 0;
  for (int b = 0; b < 8; ++b) header_len |= static_cast<uint64_t>(bytes[b]) << (8 * b);
  XLM_CHECK(header_len <= kMaxSafetensorsHeaderBytes, FormatError,
            "{}: safetensors header of {} bytes exceeds the format's limit of {} bytes", path, header_len,
            kMaxSafetensorsHeaderBytes);
  XLM_CHECK(header_len <= size - 8, FormatError, "{}: truncated safetensors file: header of {} bytes but only {} follow",
            path, header_len, size - 8);
  // Top-level keys are collected while parsing: nlohmann keeps only the last
  // of repeated keys, and the format forbids duplicate tensor names.
  std::set<std::string> seen;
  std::string duplicate;
  const auto reject_duplicates = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key && duplicate.empty()) {
      const std::string key = parsed.get<std::string>();
      if (!seen.insert(key).second) duplicate = key;
    }
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(bytes + 8),
                                   reinterpret_cast<const char*>(bytes + 8 + header_len), reject_duplicates);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: safetensors header is not valid JSON ({})", path, e.what()));
  }
  XLM_CHECK(duplicate.empty(), FormatError, "{}: safetensors header names '{}' twice", path, duplicate);
  XLM_CHECK(header.is_object(), FormatError, "{}: safetensors header must be a JSON object", path);

  const size_t data_start = 8 + header_len;
  const size_t data_size = size - data_start;
  SafetensorsContents out;
  std::vector<std::pair<size_t, size_t>> spans;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      XLM_CHECK(entry.is_object(), FormatError, "{}: __metadata__ must be an object of strings", path);
      for (const auto& [k, v] : entry.items()) {
        XLM_CHECK(v.is_string(), FormatError, "{}: __metadata__ value of '{}' must be a string", path, k);
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const bool well_formed = entry.is_object() && entry.contains("dtype") && entry["dtype"].is_string() &&
                             entry.contains("shape") && entry["shape"].is_array() && entry.contains("data_offsets") &&
                             entry["data_offsets"].is_array() && entry["data_offsets"].size() == 2;
    XLM_CHECK(well_formed, FormatError, "{}: tensor '{}': entry needs dtype, shape and data_offsets [begin, end]", path,
              name);
    DType dtype;
    XLM_CHECK(parse_st_dtype(entry["dtype"].get<std::string>(), &dtype), FormatError,
              "{}: tensor '{}': unsupported dtype {} (supported: F64 F32 F16 BF16 I64 I32 U8)", path, name,
              entry["dtype"].dump());
    Shape shape;
    // need = numel x dtype size, computed with overflow checks: a huge shape
    // in a hostile header must be an error, not a wrapped-around size.
    size_t need = dtype_size(dtype);
    bool overflow = false;
    for (const auto& d : entry["shape"]) {
      XLM_CHECK(d.is_number_unsigned(), FormatError, "{}: tensor '{}': shape must hold non-negative integers", path,
                name);
      const uint64_t dim = d.get<uint64_t>();
      overflow = overflow || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
                 __builtin_mul_overflow(need, static_cast<size_t>(dim), &need);
      shape.push_back(static_cast<int64_t>(dim));
    }
    XLM_CHECK(!overflow, FormatError, "{}: tensor '{}': shape {} overflows the byte count", path, name,
              entry["shape"].dump());
    XLM_CHECK(entry["data_offsets"][0].is_number_unsigned() && entry["data_offsets"][1].is_number_unsigned(),
              FormatError, "{}: tensor '{}': data_offsets must be non-negative integers", path, name);
    const size_t begin = entry["data_offsets"][0].get<size_t>(), end = entry["data_offsets"][1].get<size_t>();
    XLM_CHECK(begin <= end && end <= data_size, FormatError,
              "{}: tensor '{}': data_offsets [{}, {}] outside the {}-byte data section (truncated file?)", path, name,
              begin, end, data_size);
    XLM_CHECK(end - begin == need, FormatError, "{}: tensor '{}': {} {} needs {} bytes but data_offsets span {}", path,
              name, entry["dtype"].get<std::string>(), shape_str(shape), need, end - begin);
    spans.emplace_back(begin, end);
    const size_t absolute = data_start + begin;
    if (absolute % dtype_size(dtype) == 0) {
      out.tensors[name] = Tensor::from_storage(storage, absolute, shape, dtype);
    } else {  // a foreign file with unaligned data: copy rather than hand out a misaligned view
      Tensor t = Tensor::empty(shape, dtype);
      std::memcpy(t.data_ptr(), bytes + absolute, need);
      out.tensors[name] = t;
    }
  }
  std::sort(spans.begin(), spans.end());
  size_t cursor = 0;
  for (const auto& [b, e] : spans) {
    XLM_CHECK(b == cursor, FormatError, "{}: tensor data has a hole or an overlap at byte {} of the data section", path,
              std::min(b, cursor));
    cursor = e;
  }
  XLM_CHECK(cursor == data_size, FormatError, "{}: {} trailing bytes after the last tensor", path, data_size - cursor);
  return out;
}

}  // namespace

}  // namespace xlm
