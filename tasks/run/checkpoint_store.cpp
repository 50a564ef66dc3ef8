// Checkpoint folders with completion markers; see tasks/run/checkpoint_store.h.
// Replacing a checkpoint of the same step uses renameat2(RENAME_EXCHANGE) so the
// complete old folder is swapped for the complete new one in one step; on file
// systems without it, the old folder is moved aside just before the new one
// takes its name. Checksums are computed from the staged files as they lie on
// disk (not from the writer's buffers), so the manifest certifies what a later
// reader will see.
#include "tasks/run/checkpoint_store.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/resource_error.h"
#include "tasks/run/crc32c.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

constexpr char kPrefix[] = "checkpoint-";
constexpr char kMarker[] = "COMPLETE";
constexpr char kManifest[] = "MANIFEST";
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
  if (fd < 0) throw_write_error(path.string(), "open for fsync", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_write_error(path.string(), "fsync", err);
}

// XLM_TEST_SLOW_SAVE_MS: a pause at each step of a save, for the crash tests.
void slow_save_pause() {
  static const long ms = [] {
    const char* v = std::getenv("XLM_TEST_SLOW_SAVE_MS");
    return v != nullptr ? std::max(0L, std::strtol(v, nullptr, 10)) : 0L;
  }();
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// Every file and folder under `root`, then `root` itself.
void fsync_tree(const fs::path& root) {
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      fsync_path(entry.path(), false);
      slow_save_pause();
    } else if (entry.is_directory()) {
      fsync_path(entry.path(), true);
    }
  }
  fsync_path(root, true);
}

struct FileSum {
  uint32_t crc = 0;
  uint64_t bytes = 0;
};

// CRC-32C and size of a file, read in 1 MiB blocks; nullopt if it cannot be opened.
std::optional<FileSum> sum_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  FileSum sum;
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<size_t>(in.gcount());
    sum.crc = crc32c(block.data(), got, sum.crc);
    sum.bytes += got;
  }
  if (in.bad()) return std::nullopt;
  return sum;
}

// Relative path (with '/') of every regular file under `root` but the marker and
// the manifest, sorted.
std::vector<std::string> checkpoint_files(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = entry.path().lexically_relative(root).generic_string();
    if (rel != kMarker && rel != kManifest) files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  return files;
}

void write_manifest(const fs::path& folder) {
  std::string text;
  for (const std::string& rel : checkpoint_files(folder)) {
    const auto sum = sum_file(folder / rel);
    if (!sum) throw FormatError(fmt::format("{}: cannot read back to checksum it", (folder / rel).string()));
    text += fmt::format("{:08x} {} {}\n", sum->crc, sum->bytes, rel);
  }
  write_file_atomically((folder / kManifest).string(), [&](std::ostream& out) { out << text; });
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
    write_manifest(staging);
    if (!fs::exists(final_path)) {
      fsync_tree(staging);
      slow_save_pause();
      rename_or_throw(staging, final_path);
      slow_save_pause();
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
  } catch (const ResourceError& e) {
    fs::remove_all(staging, ec);
    const auto previous = latest_complete();
    throw ResourceError(fmt::format("{}; {} was not written, {}", e.what(), name,
                                    previous ? fmt::format("the previous checkpoint {} is intact", *previous)
                                             : std::string("no earlier checkpoint exists")));
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
}

int64_t CheckpointStore::verify(const std::string& path) {
  const fs::path folder(path);
  const int64_t step = step_of(path);
  const std::string fallback = "remove the folder to resume from the previous checkpoint";
  std::ifstream marker(folder / kMarker);
  int64_t marked = -1;
  if (!(marker >> marked) || marked != step)
    throw FormatError(fmt::format("{}: missing or wrong COMPLETE marker (expected step {}): {}",
                                  (folder / kMarker).string(), step, fallback));
  const fs::path manifest_path = folder / kManifest;
  std::ifstream manifest(manifest_path);
  if (!manifest)
    throw FormatError(fmt::format("{}: missing: the checkpoint cannot be verified: {}", manifest_path.string(), fallback));
  std::map<std::string, FileSum> listed;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(manifest, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::string crc_hex, rel;
    FileSum sum;
    fields >> crc_hex >> sum.bytes;
    fields.get();  // the single space before the path
    std::getline(fields, rel);
    char* end = nullptr;
    const unsigned long crc = std::strtoul(crc_hex.c_str(), &end, 16);
    if (crc_hex.size() != 8 || end != crc_hex.c_str() + 8 || !fields.eof() || rel.empty() ||
        !listed.emplace(rel, FileSum{static_cast<uint32_t>(crc), sum.bytes}).second)
      throw FormatError(fmt::format("{}:{}: malformed entry '{}': {}", manifest_path.string(), line_no, line, fallback));
  }
  for (const auto& [rel, expected] : listed) {
    const fs::path file = folder / rel;
    const auto found = sum_file(file);
    if (!found || !fs::is_regular_file(file))
      throw FormatError(fmt::format("{}: listed in MANIFEST but missing or unreadable: {}", file.string(), fallback));
    if (found->bytes != expected.bytes)
      throw FormatError(fmt::format("{}: {} bytes, MANIFEST says {} (truncated or overwritten): {}", file.string(),
                                    found->bytes, expected.bytes, fallback));
    if (found->crc != expected.crc)
      throw FormatError(fmt::format("{}: checksum mismatch (crc32c {:08x}, MANIFEST says {:08x}): the file is corrupt: {}",
                                    file.string(), found->crc, expected.crc, fallback));
  }
  for (const std::string& rel : checkpoint_files(folder))
    if (listed.count(rel) == 0)
      throw FormatError(fmt::format("{}: not in MANIFEST (the checkpoint was changed after it was written): {}",
                                    (folder / rel).string(), fallback));
  return static_cast<int64_t>(listed.size());
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
  // A marked folder is first renamed to a staging name (atomic), so a kill in the
  // middle of the deletion leaves a leftover that is ignored and pruned later,
  // never a marked folder with files missing.
  for (const auto& path : doomed) {
    const std::string name = path.filename().string();
    if (is_staging_name(name)) {
      remove_tree(path);
      continue;
    }
    const fs::path aside = path.parent_path() / fmt::format(".{}.{}.del.tmp", name, ::getpid());
    remove_tree(aside);
    rename_or_throw(path, aside);
    remove_tree(aside);
  }
  if (!doomed.empty()) fsync_path(dir_, true);
}

}  // namespace xlm::tasks
