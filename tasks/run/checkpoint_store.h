// Training checkpoints as folders, so the trainer can put any number of files
// in one (model, optimizer moments, a JSON of step/RNG/data cursors) and the
// whole set still appears atomically: files are written into a hidden staging
// folder, fsync'ed, the folder renamed to checkpoint-<step> and only then a
// COMPLETE marker written. Readers trust a checkpoint only when the marker is
// there, so a run killed at any instant resumes from the newest checkpoint
// that was finished, never from a torn one. A MANIFEST (CRC-32C and size of
// every file) is written before the marker, so that a checkpoint damaged
// after it was finished (a bad disk, a copy cut short) is refused on load with
// the file named, instead of training on from garbage. Old checkpoints are
// renamed to a staging name before they are deleted, so a kill during pruning
// never leaves a marked folder with files missing.
//
// Layout (under the store's folder, normally run_dir/checkpoints):
//   checkpoint-0000001200/        10-digit zero-padded step
//     <files written by the trainer>
//     MANIFEST                    "<crc32c hex> <bytes> <relative path>" per file
//     COMPLETE                    "<step>\n", written last
//   .checkpoint-0000001400.<pid>.tmp/   staging (or leftovers of a crash)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xlm::tasks {

class CheckpointStore {
 public:
  explicit CheckpointStore(std::string dir);
  const std::string& dir() const { return dir_; }

  // Writes a checkpoint: `fill(staging_dir)` writes the files into a fresh staging
  // folder (name starting with "." and ending ".tmp"); then every file and the folder
  // are listed in MANIFEST and fsync'ed, the folder renamed to its final name, the COMPLETE marker written
  // and fsync'ed, the parent fsync'ed. If `fill` throws, the staging folder is removed
  // and the exception propagates; nothing visible changes. An existing checkpoint of
  // the same step is replaced only after the new one is complete (the two folders are
  // swapped atomically). Returns the final path. ConfigError for a negative step,
  // FormatError naming the path on I/O failure, ResourceError (naming the newest
  // complete checkpoint, which is intact) when the disk or the file-size limit is full.
  // XLM_TEST_SLOW_SAVE_MS=<ms> sleeps that long after each file is made durable and
  // before the rename and the marker, so that crash tests can kill inside a save.
  std::string write(int64_t step, const std::function<void(const std::string&)>& fill);

  // The highest-step checkpoint holding COMPLETE, if any.
  std::optional<std::string> latest_complete() const;
  // Every checkpoint holding COMPLETE, sorted by step (ascending).
  std::vector<std::string> complete() const;

  // Checks a checkpoint folder against its MANIFEST: the COMPLETE marker names the
  // folder's step, every listed file exists with the recorded size and CRC-32C, and
  // no other file is there. Returns the number of files checked. FormatError naming
  // the first bad file (and saying to remove the folder to fall back to the previous
  // checkpoint) otherwise.
  static int64_t verify(const std::string& path);

  // Removes complete checkpoints except the newest and those in `keep` (paths as
  // returned by write/complete; compared by step), and leftover staging folders and
  // checkpoint folders without COMPLETE. Other files in the folder are left alone.
  void prune(const std::set<std::string>& keep);

  // The step in a checkpoint folder's name ("checkpoint-" then digits); FormatError otherwise.
  static int64_t step_of(const std::string& path);
  // "checkpoint-" + the step on 10 digits.
  static std::string folder_name(int64_t step);

 private:
  std::string dir_;
};

}  // namespace xlm::tasks
