// `xlm checkpoints PATH`: lists the complete checkpoints of a run and checks
// each against its MANIFEST (sizes and CRC-32C of every file), the check a
// resume runs before loading. PATH is a run folder, its checkpoints/ folder,
// or one checkpoint folder. Useful before copying a run elsewhere, after a
// crash, and for the crash-consistency trials (scripts/crash-trials), which
// need a verdict from outside the trainer. Exits non-zero with a one-line
// error naming the first damaged file.
#include "core/error.h"
#include "tasks/run/checkpoint_store.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

namespace xlm::tools {

namespace {

namespace fs = std::filesystem;

// The complete checkpoint folders PATH designates, oldest first.
std::vector<std::string> checkpoints_at(const std::string& path) {
  XLM_CHECK(fs::is_directory(path), ConfigError, "{}: no such folder (expected a run folder, its checkpoints/ "
            "folder or a checkpoint-<step> folder)", path);
  if (fs::exists(fs::path(path) / "COMPLETE")) return {path};
  const fs::path store = fs::is_directory(fs::path(path) / "checkpoints") ? fs::path(path) / "checkpoints" : fs::path(path);
  return tasks::CheckpointStore(store.string()).complete();
}

void run_checkpoints(const std::string& path, bool newest_only) {
  std::vector<std::string> found = checkpoints_at(path);
  XLM_CHECK(!found.empty(), FormatError, "{}: no complete checkpoint here", path);
  if (newest_only) found.erase(found.begin(), found.end() - 1);
  for (const std::string& checkpoint : found) {
    const int64_t files = tasks::CheckpointStore::verify(checkpoint);
    fmt::print("{} step {}: {} files verified\n", checkpoint, tasks::CheckpointStore::step_of(checkpoint), files);
  }
}

}  // namespace

void add_checkpoints_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("checkpoints", "List a run's complete checkpoints and verify each file's checksum");
  auto path = std::make_shared<std::string>();
  auto newest = std::make_shared<bool>(false);
  cmd->add_option("path", *path, "A run folder, its checkpoints/ folder, or one checkpoint-<step> folder")->required();
  cmd->add_flag("--newest", *newest, "Verify only the newest complete checkpoint (the one a resume loads)");
  cmd->callback([path, newest] { run_checkpoints(*path, *newest); });
}

}  // namespace xlm::tools
