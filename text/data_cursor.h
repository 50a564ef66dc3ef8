// Where a data loader stands, small enough to live in a checkpoint's JSON:
// the epoch, the next step inside it, and the configuration the position is
// relative to (options and data identity). Batch orders are pure functions
// of (seed, epoch), so this is all a resumed run needs to yield exactly the
// batches that remained; restoring under another configuration is refused.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace xlm::text {

struct DataCursor {
  std::string kind;         // "stream" or "parallel"
  int64_t epoch = 0;
  int64_t step = 0;         // index of the next batch in this epoch's order (this rank's list)
  nlohmann::json config;    // options + data identity; must match on restore

  nlohmann::json to_json() const;
  // FormatError naming the missing or mistyped field.
  static DataCursor from_json(const nlohmann::json& j);
};

// ConfigError unless `saved` was taken from a loader of the same kind and config.
void check_cursor_matches(const DataCursor& saved, const std::string& kind, const nlohmann::json& config);

}  // namespace xlm::text
