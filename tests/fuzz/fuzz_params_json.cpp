// libFuzzer entry point for the model config reader: bytes are parsed as
// JSON (a parse failure is expected) and handed to
// nn::TransformerConfig::from_json, which must accept or throw xlm::Error.
// An accepted config must also pass validate() or throw xlm::Error, and
// survive a to_json round trip.
#include "core/error.h"
#include "nn/transformer_config.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const auto config = xlm::nn::TransformerConfig::from_json(j, "fuzz/params.json");
    config.validate();
    const auto again = xlm::nn::TransformerConfig::from_json(config.to_json(), "fuzz/round-trip");
    if (again.emb_dim != config.emb_dim || again.n_layers != config.n_layers) __builtin_trap();
  } catch (const xlm::Error&) {
  }
  return 0;
}
