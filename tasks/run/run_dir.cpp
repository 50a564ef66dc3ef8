// Run folder naming, resolved config, stdout copy; see tasks/run/run_dir.h.
#include "tasks/run/run_dir.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fnv1a.h"
#include "text/dictionary.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

void check_component(const std::string& flag, const std::string& value, bool allow_slash) {
  XLM_CHECK(!value.empty(), ConfigError, "{} must not be empty", flag);
  XLM_CHECK(value != "." && value != "..", ConfigError, "{} '{}' must name a folder", flag, value);
  XLM_CHECK(allow_slash || value.find('/') == std::string::npos, ConfigError,
            "{} '{}' must be a single folder name (no '/')", flag, value);
}

}  // namespace

const std::vector<std::string>& exp_id_ignored_keys() {
  static const std::vector<std::string> keys = {"dump_path",     "exp_name",     "exp_id",     "reload_checkpoint",
                                                "max_epoch",     "save_periodic", "log_every", "local_rank",
                                                "master_port",   "command",       "bucket_mb",  "zero1",
                                                "comm_timeout",  "check_weights_every"};
  return keys;
}

std::string default_exp_id(const nlohmann::json& config) {
  XLM_CHECK(config.is_object(), ConfigError, "default_exp_id: the configuration must be a JSON object, got {}",
            config.type_name());
  nlohmann::json relevant = config;  // nlohmann::json keeps keys sorted, so dump() is canonical
  for (const auto& key : exp_id_ignored_keys()) relevant.erase(key);
  const std::string text = relevant.dump();
  const uint64_t hash = fnv1a64(text.data(), text.size());
  return fmt::format("{:016x}", hash).substr(0, 10);
}

std::string make_run_dir(const std::string& dump_path, const std::string& exp_name, const std::string& exp_id) {
  check_component("--dump_path", dump_path, true);
  check_component("--exp_name", exp_name, false);
  check_component("--exp_id", exp_id, false);
  const fs::path dir = fs::path(dump_path) / exp_name / exp_id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw ConfigError(fmt::format("--dump_path: cannot create the run folder {} ({})", dir.string(),
                                  ec ? ec.message() : "not a directory"));
  return dir.string();
}

std::string run_config_path(const std::string& run_dir) { return (fs::path(run_dir) / "config.json").string(); }
std::string run_log_path(const std::string& run_dir) { return (fs::path(run_dir) / "train.log").string(); }
std::string checkpoints_dir(const std::string& run_dir) { return (fs::path(run_dir) / "checkpoints").string(); }

void write_resolved_config(const std::string& run_dir, const nlohmann::json& config) {
  write_file_atomically(run_config_path(run_dir), [&](std::ostream& out) { out << config.dump(2) << '\n'; });
}

std::optional<nlohmann::json> read_resolved_config(const std::string& run_dir) {
  const std::string path = run_config_path(run_dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
}

Tee::Tee(const std::string& path) : Tee(path, std::cout) {}

Tee::Tee(const std::string& path, std::ostream& stream)
    : stream_(stream), file_(path, std::ios::binary | std::ios::app), original_(stream.rdbuf()),
      buffer_(original_, &file_) {
  if (!file_) throw FormatError(fmt::format("{}: cannot open the log for appending ({})", path, std::strerror(errno)));
  stream_.flush();
  stream_.rdbuf(&buffer_);
}

Tee::~Tee() {
  stream_.flush();
  stream_.rdbuf(original_);
  file_.flush();
}

Tee::Buffer::int_type Tee::Buffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
}

std::streamsize Tee::Buffer::xsputn(const char* s, std::streamsize n) {
  const std::streamsize written = first_->sputn(s, n);
  file_->write(s, n);
  if (std::char_traits<char>::find(s, static_cast<size_t>(n), '\n') != nullptr) file_->flush();
  return written;
}

int Tee::Buffer::sync() {
  file_->flush();
  return first_->pubsync();
}

}  // namespace xlm::tasks
