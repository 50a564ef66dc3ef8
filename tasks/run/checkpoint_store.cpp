// Checkpoint folders with completion markers; see tasks/run/checkpoint_store.h.
// Replacing a checkpoint of the same step uses renameat2(RENAME_EXCHANGE) so the
// complete old folder is swapped for the complete new one in one step; on file
// systems without it, the old folder is moved aside just before the new one
// takes its name.
#include "tasks/run/checkpoint_store.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

constexpr char kPrefix[] = "checkpoint-";
constexpr char kMarker[] = "COMPLETE";
constexpr int64_t kMaxStep = 9999999999;  // 10 digits

bool parse_name(const std::string& name, int64_t* step) {
  const std::string prefix = kPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string digits = name.substr(prefix.size());
  if (digits.size() > 18) return false;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *step = v;
  return true;
}

bool is_staging_name(const std::string& name) {
  return name.size() > 5 && name[0] == '.' && name.compare(name.size() - 4, 4, ".tmp") == 0;
}

bool has_marker(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / kMarker, ec);
}

void fsync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) throw FormatError(fmt::format("{}: cannot open to fsync ({})", path.string(), std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw FormatError(fmt::format("{}: fsync failed ({})", path.string(), std::strerror(err)));
}

// Every file and folder under `root`, then `root` itself.
void fsync_tree(const fs::path& root) {
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) fsync_path(entry.path(), false);
    else if (entry.is_directory()) fsync_path(entry.path(), true);
  }
  fsync_path(root, true);
}

void write_marker(const fs::path& folder, int64_t step) {
  write_file_atomically((folder / kMarker).string(), [&](std::ostream& out) { out << step << '\n'; });
}

void remove_tree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw FormatError(fmt::format("{}: cannot remove ({})", path.string(), ec.message()));
}

void rename_or_throw(const fs::path& from, const fs::path& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw FormatError(fmt::format("{}: cannot rename to {} ({})", from.string(), to.string(), std::strerror(errno)));
}

// (step, path) of every complete checkpoint, sorted by step.
std::vector<std::pair<int64_t, std::string>> list_complete(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    int64_t step = 0;
    if (entry.is_directory() && parse_name(entry.path().filename().string(), &step) && has_marker(entry.path()))
      found.emplace_back(step, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

CheckpointStore::CheckpointStore(std::string dir) : dir_(std::move(dir)) {}

std::string CheckpointStore::folder_name(int64_t step) {
  XLM_CHECK(step >= 0 && step <= kMaxStep, ConfigError, "checkpoint step {} must be in [0, {}]", step, kMaxStep);
  return fmt::format("{}{:010d}", kPrefix, step);
}

int64_t CheckpointStore::step_of(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (name.empty()) name = fs::path(path).parent_path().filename().string();  // trailing '/'
  int64_t step = 0;
  if (!parse_name(name, &step))
    throw FormatError(fmt::format("{}: not a checkpoint folder (expected checkpoint-<step>)", path));
  return step;
}

std::string CheckpointStore::write(int64_t step, const std::function<void(const std::string&)>& fill) {
  const std::string name = folder_name(step);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw FormatError(fmt::format("{}: cannot create checkpoint folder ({})", dir_, ec.message()));
  const fs::path staging = fs::path(dir_) / fmt::format(".{}.{}.tmp", name, ::getpid());
  const fs::path final_path = fs::path(dir_) / name;
  remove_tree(staging);
  if (!fs::create_directory(staging, ec) || ec)
    throw FormatError(fmt::format("{}: cannot create staging folder ({})", staging.string(), ec.message()));
  try {
    fill(staging.string());
    if (!fs::exists(final_path)) {
      fsync_tree(staging);
      rename_or_throw(staging, final_path);
      write_marker(final_path, step);  // fsyncs final_path as well
      fsync_path(dir_, true);
      return final_path.string();
    }
    // Replacing: the new folder is made complete first, then swapped in.
    write_marker(staging, step);
    fsync_tree(staging);
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, final_path.c_str(), RENAME_EXCHANGE) != 0) {
      const fs::path old = fs::path(dir_) / fmt::format(".{}.{}.old.tmp", name, ::getpid());
      remove_tree(old);
      rename_or_throw(final_path, old);
      rename_or_throw(staging, final_path);
      fsync_path(dir_, true);
      remove_tree(old);
      return final_path.string();
    }
    fsync_path(dir_, true);
    remove_tree(staging);  // now holds the old checkpoint
    return final_path.string();
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
}

std::optional<std::string> CheckpointStore::latest_complete() const {
  const auto found = list_complete(dir_);
  if (found.empty()) return std::nullopt;
  return found.back().second;
}

std::vector<std::string> CheckpointStore::complete() const {
  std::vector<std::string> paths;
  for (const auto& entry : list_complete(dir_)) paths.push_back(entry.second);
  return paths;
}

void CheckpointStore::prune(const std::set<std::string>& keep) {
  std::set<int64_t> keep_steps;
  for (const auto& path : keep) keep_steps.insert(step_of(path));
  const auto found = list_complete(dir_);
  if (!found.empty()) keep_steps.insert(found.back().first);  // the newest
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return;
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    int64_t step = 0;
    if (is_staging_name(name)) doomed.push_back(entry.path());
    else if (parse_name(name, &step) && (!has_marker(entry.path()) || keep_steps.count(step) == 0))
      doomed.push_back(entry.path());
  }
  for (const auto& path : doomed) remove_tree(path);
  if (!doomed.empty()) fsync_path(dir_, true);
}

}  // namespace xlm::tasks
