// One place where training and evaluation figures go, in three forms that
// never disagree: a JSONL file for scripts (run_dir/metrics.jsonl), TensorBoard
// event files for curves (run_dir/tensorboard/<split>/), and for people one
// fixed-format line per call on stdout. The line has a fixed field order and
// fixed units so `grep '^step '` and awk work on logs, and never contains a
// carriage return (logs are often files, not terminals).
#pragma once

#include "tasks/run/tensorboard_writer.h"

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xlm::tasks {

using Scalars = std::vector<std::pair<std::string, double>>;

// Training line. Keys with a meaning of their own are printed last, in this order
// and with these units (absent ones skipped):
//   lr (%.2e), gnorm (%.3f), loss_scale ("scale %g"), overflows and skipped_steps
//   ("overflows N", "skipped N"; fp16 runs), ms_per_step ("%.1f ms/step"), tokens_per_s ("%.0f tok/s"),
//   mfu (a fraction, printed "%.1f%%" of it), mem_mib ("%.0f MiB").
// Every other key is a loss, printed first in the given order with 4 decimals:
//   step 200 | mlm_en 5.4321 | clm_fr 6.1000 | lr 1.00e-04 | gnorm 1.234 | 85.2 ms/step | 24012 tok/s | mfu 0.0% | mem 812 MiB
// Ends in '\n'.
std::string format_train_line(int64_t step, const Scalars& scalars);

// Evaluation line: "epoch N | " when an "epoch" key is present (else "step S | "),
// then every other key in the given order with 2 decimals:
//   epoch 3 | valid_en_mlm_ppl 123.40 | valid_en_mlm_acc 45.67
// Ends in '\n'.
std::string format_eval_line(int64_t step, const Scalars& scalars);

// Resident set size of this process in MiB (VmRSS of /proc/self/status); 0 when unavailable.
double resident_memory_mib();

class MetricsLog {
 public:
  // Opens (appending) run_dir/metrics.jsonl. FormatError naming the file if it cannot.
  MetricsLog(std::string run_dir, bool echo_to_stdout);

  // Appends {"split": .., "step": .., "time": unix seconds, name: value, ...} to
  // metrics.jsonl (flushed; non-finite values become null), adds each scalar to
  // run_dir/tensorboard/<split>/ (tag = name), and when echoing prints
  // format_train_line for split "train", format_eval_line otherwise, to std::cout.
  // ConfigError for a split that is not a plain folder name ([A-Za-z0-9_.-]) or a
  // scalar named "split", "step" or "time" or given twice.
  void log(const std::string& split, int64_t step, const Scalars& scalars);

  // For a resumed run: drops metrics.jsonl lines whose step is larger than `step`
  // (and lines that are not a JSON object with an integer step, such as a line cut
  // short by a crash), rewriting the file atomically. Event files are append-only:
  // each split's new events file starts with a SessionLog START at step + 1, on
  // which TensorBoard drops the older points from that step on.
  void truncate_after(int64_t step);

  std::string metrics_path() const;
  std::string tensorboard_dir(const std::string& split) const;

 private:
  void open_jsonl();

  std::string run_dir_;
  bool echo_;
  std::ofstream jsonl_;
  std::map<std::string, std::unique_ptr<TensorBoardWriter>> writers_;  // split -> writer
  std::optional<int64_t> restart_step_;  // first step after truncate_after
};

}  // namespace xlm::tasks
