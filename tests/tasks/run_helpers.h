// Helpers shared by the end-to-end training tests: a scratch dump folder per
// test process, whole-file reads, the `xlm` binary run with its output in a
// log, and the training records of a run's metrics.jsonl without the
// wall-clock fields (what two runs must agree on bit for bit).
#pragma once

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace xlm::test {

// A fresh (emptied) folder under the temp directory, unique to this process and `name`.
inline std::string scratch_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() / ("xlm-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `xlm ARGS > log 2>&1`; returns the shell's status.
inline int run_xlm(const std::string& args, const std::string& log) {
  const std::string cmd = std::string(XLM_BINARY) + " " + args + " > " + log + " 2>&1";
  return std::system(cmd.c_str());
}

// The "train" records of RUN/metrics.jsonl without the timing and memory fields.
inline std::vector<nlohmann::json> train_records(const std::string& run_dir) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run_dir + "/metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.at("split") != "train") continue;
    for (const char* k : {"time", "ms_per_step", "tokens_per_s", "mfu", "mem_mib"}) j.erase(k);
    out.push_back(j);
  }
  return out;
}

// The last checkpoint folder of a run (names sort by step: checkpoint-<step>, zero-padded).
inline std::string last_checkpoint(const std::string& run) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(run + "/checkpoints")) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names.back();
}

}  // namespace xlm::test
