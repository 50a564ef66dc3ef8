// safetensors (the Hugging Face format) for every dtype we have: an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape,
// data_offsets}, "__metadata__": {...}}, then the raw little-endian data.
// Reading mmaps the file (copy-on-write, so tensors are writable without
// touching the file) and returns CPU tensors that are views into the map.
// Writing follows the reference implementation's layout byte for byte
// (tensors ordered by dtype size, then name; compact JSON; header padded with
// spaces to 8 bytes) and is atomic.
#pragma once

#include "core/tensor.h"

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xlm {

struct SafetensorsContents {
  std::map<std::string, Tensor> tensors;            // CPU tensors (views of the mapping when aligned)
  std::map<std::string, std::string> metadata;      // "__metadata__", if present
};

// Throws FormatError naming the file on anything the format forbids.
SafetensorsContents load_safetensors(const std::string& path);
// The same checks on a whole file's bytes (copied); `name` labels errors.
SafetensorsContents parse_safetensors(std::string_view bytes, const std::string& name);

// The format's limit on the JSON header (the reference reader's).
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// Tensors on any device (copied to the host); names must be unique.
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Serialized bytes of a file (what save_safetensors writes), for tests and streaming.
std::string safetensors_bytes(const std::vector<std::pair<std::string, Tensor>>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

const char* safetensors_dtype_name(DType t);  // "F32", "BF16", ...

}  // namespace xlm
