// See text/data_cursor.h.
#include "text/data_cursor.h"

#include "core/error.h"

#include <fmt/format.h>

namespace xlm::text {

nlohmann::json DataCursor::to_json() const {
  return nlohmann::json{{"kind", kind}, {"epoch", epoch}, {"step", step}, {"config", config}};
}

DataCursor DataCursor::from_json(const nlohmann::json& j) {
  DataCursor c;
  auto need = [&](const char* key) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(key))
      throw FormatError(fmt::format("data cursor: missing field \"{}\"", key));
    return j.at(key);
  };
  const auto& kind = need("kind");
  const auto& epoch = need("epoch");
  const auto& step = need("step");
  const auto& config = need("config");
  if (!kind.is_string()) throw FormatError("data cursor: field \"kind\" must be a string");
  if (!epoch.is_number_integer() || epoch.get<int64_t>() < 0)
    throw FormatError("data cursor: field \"epoch\" must be a non-negative integer");
  if (!step.is_number_integer() || step.get<int64_t>() < 0)
    throw FormatError("data cursor: field \"step\" must be a non-negative integer");
  if (!config.is_object()) throw FormatError("data cursor: field \"config\" must be an object");
  c.kind = kind.get<std::string>();
  c.epoch = epoch.get<int64_t>();
  c.step = step.get<int64_t>();
  c.config = config;
  return c;
}

void check_cursor_matches(const DataCursor& saved, const std::string& kind, const nlohmann::json& config) {
  if (saved.kind != kind)
    throw ConfigError(fmt::format("data cursor of a {} loader cannot resume a {} loader", saved.kind, kind));
  if (saved.config != config)
    throw ConfigError(fmt::format("data cursor was saved with {} but this {} loader has {}", saved.config.dump(),
                                  kind, config.dump()));
}

}  // namespace xlm::text
