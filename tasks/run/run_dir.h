// The run folder dump_path/exp_name/exp_id holds everything one training run
// produces: config.json (the resolved configuration), train.log (a copy of
// stdout), metrics.jsonl, tensorboard/, checkpoints/. XLM draws a random
// exp_id, which would make "rerun the same command to resume" impossible, so
// the default id here is a hash of the configuration: the same command lands
// in the same folder, a different model or data lands in a new one.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <iosfwd>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

namespace xlm::tasks {

// Keys left out of default_exp_id's hash: where the run lives and how long or how
// verbosely it goes, none of which changes what is trained:
// dump_path, exp_name, exp_id, reload_checkpoint, max_epoch, save_periodic,
// log_every, local_rank, master_port, command.
const std::vector<std::string>& exp_id_ignored_keys();

// 10 lowercase hex digits: FNV-1a 64 of the config's compact JSON (keys sorted)
// without exp_id_ignored_keys(). ConfigError if `config` is not an object.
std::string default_exp_id(const nlohmann::json& config);

// Creates dump_path/exp_name/exp_id (and parents) and returns it. ConfigError naming
// --dump_path, --exp_name or --exp_id when one is empty, "." / "..", or (names) holds
// a '/', and naming --dump_path with the reason when the folder cannot be created.
std::string make_run_dir(const std::string& dump_path, const std::string& exp_name, const std::string& exp_id);

std::string run_config_path(const std::string& run_dir);   // run_dir/config.json
std::string run_log_path(const std::string& run_dir);      // run_dir/train.log
std::string checkpoints_dir(const std::string& run_dir);   // run_dir/checkpoints

// Writes run_dir/config.json atomically (2-space indented, final newline).
void write_resolved_config(const std::string& run_dir, const nlohmann::json& config);
// The config.json of an earlier run in run_dir, if there is one; FormatError naming
// the file if it is not JSON.
std::optional<nlohmann::json> read_resolved_config(const std::string& run_dir);

// While alive, everything written to `stream` (std::cout by default) is also
// appended to the file at `path` (flushed at each newline); the destructor puts the
// stream back. Only output through the stream is copied (printf/fmt::print to the
// stdout FILE* are not), so the trainer prints its lines with std::cout.
// FormatError naming the file if it cannot be opened.
class Tee {
 public:
  explicit Tee(const std::string& path, std::ostream& stream);
  explicit Tee(const std::string& path);
  ~Tee();
  Tee(const Tee&) = delete;
  Tee& operator=(const Tee&) = delete;

 private:
  class Buffer : public std::streambuf {
   public:
    Buffer(std::streambuf* first, std::ofstream* file) : first_(first), file_(file) {}

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

   private:
    std::streambuf* first_;
    std::ofstream* file_;
  };

  std::ostream& stream_;
  std::ofstream file_;
  std::streambuf* original_;
  Buffer buffer_;
};

}  // namespace xlm::tasks
