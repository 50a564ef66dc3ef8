// JSONL + TensorBoard + stdout line; see tasks/run/metrics_log.h.
#include "tasks/run/metrics_log.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

// The train line's non-loss keys, in print order.
const std::vector<std::string>& train_unit_keys() {
  static const std::vector<std::string> keys = {"lr",          "gnorm",        "loss_scale", "overflows", "skipped_steps",
                                                "ms_per_step", "tokens_per_s", "mfu",        "mem_mib"};
  return keys;
}

std::string format_unit_field(const std::string& key, double v) {
  if (key == "lr") return fmt::format("lr {:.2e}", v);
  if (key == "gnorm") return fmt::format("gnorm {:.3f}", v);
  if (key == "loss_scale") return fmt::format("scale {:g}", v);
  if (key == "overflows") return fmt::format("overflows {:.0f}", v);
  if (key == "skipped_steps") return fmt::format("skipped {:.0f}", v);
  if (key == "ms_per_step") return fmt::format("{:.1f} ms/step", v);
  if (key == "tokens_per_s") return fmt::format("{:.0f} tok/s", v);
  if (key == "mfu") return fmt::format("mfu {:.1f}%", 100.0 * v);
  return fmt::format("mem {:.0f} MiB", v);  // mem_mib
}

bool is_plain_name(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

}  // namespace

std::string format_train_line(int64_t step, const Scalars& scalars) {
  const auto& unit_keys = train_unit_keys();
  std::string line = fmt::format("step {}", step);
  for (const auto& [name, value] : scalars)
    if (std::find(unit_keys.begin(), unit_keys.end(), name) == unit_keys.end())
      line += fmt::format(" | {} {:.4f}", name, value);
  for (const auto& key : unit_keys)
    for (const auto& [name, value] : scalars)
      if (name == key) line += " | " + format_unit_field(key, value);
  return line + "\n";
}

std::string format_eval_line(int64_t step, const Scalars& scalars) {
  std::string line = fmt::format("step {}", step);
  for (const auto& [name, value] : scalars)
    if (name == "epoch") line = fmt::format("epoch {:.0f}", value);
  for (const auto& [name, value] : scalars)
    if (name != "epoch") line += fmt::format(" | {} {:.2f}", name, value);
  return line + "\n";
}

double resident_memory_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    double kib = 0;
    std::string unit;
    if (fields >> kib >> unit && unit == "kB") return kib / 1024.0;
    return 0.0;
  }
  return 0.0;
}

MetricsLog::MetricsLog(std::string run_dir, bool echo_to_stdout)
    : run_dir_(std::move(run_dir)), echo_(echo_to_stdout) {
  open_jsonl();
}

std::string MetricsLog::metrics_path() const { return (fs::path(run_dir_) / "metrics.jsonl").string(); }

std::string MetricsLog::tensorboard_dir(const std::string& split) const {
  return (fs::path(run_dir_) / "tensorboard" / split).string();
}

void MetricsLog::open_jsonl() {
  jsonl_.close();
  jsonl_.clear();
  jsonl_.open(metrics_path(), std::ios::binary | std::ios::app);
  if (!jsonl_) throw FormatError(fmt::format("{}: cannot open for appending ({})", metrics_path(), std::strerror(errno)));
}

void MetricsLog::log(const std::string& split, int64_t step, const Scalars& scalars) {
  XLM_CHECK(is_plain_name(split), ConfigError, "metrics split '{}' must be a plain folder name ([A-Za-z0-9_.-])",
            split);
  std::set<std::string> seen = {"split", "step", "time"};
  for (const auto& kv : scalars)
    XLM_CHECK(seen.insert(kv.first).second, ConfigError,
              "metrics scalar '{}' of split '{}' is reserved or given twice", kv.first, split);

  const double now = unix_time_now();
  nlohmann::ordered_json record;
  record["split"] = split;
  record["step"] = step;
  record["time"] = now;
  for (const auto& [name, value] : scalars) record[name] = value;  // NaN/inf dump as null
  jsonl_ << record.dump() << '\n';
  jsonl_.flush();
  if (!jsonl_) throw FormatError(fmt::format("{}: write failed ({})", metrics_path(), std::strerror(errno)));

  auto& writer = writers_[split];
  if (!writer) {
    writer = std::make_unique<TensorBoardWriter>(tensorboard_dir(split), now);
    if (restart_step_) writer->add_session_start(*restart_step_, now);
  }
  for (const auto& [name, value] : scalars) writer->add_scalar(name, step, static_cast<float>(value), now);

  if (echo_) std::cout << (split == "train" ? format_train_line(step, scalars) : format_eval_line(step, scalars))
                       << std::flush;
}

void MetricsLog::truncate_after(int64_t step) {
  restart_step_ = step + 1;
  for (auto& [split, writer] : writers_) writer->add_session_start(step + 1);
  jsonl_.close();
  std::vector<std::string> kept;
  {
    std::ifstream in(metrics_path(), std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) continue;
      if (j["step"].get<int64_t>() <= step) kept.push_back(line);
    }
  }
  try {
    write_file_atomically(metrics_path(), [&](std::ostream& out) {
      for (const auto& line : kept) out << line << '\n';
    });
  } catch (...) {
    open_jsonl();  // keep logging into the untouched file
    throw;
  }
  open_jsonl();
}

}  // namespace xlm::tasks
