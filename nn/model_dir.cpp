// Model directory save/load; see model_dir.h. Copies of vocab and codes are
// byte copies (they are fastBPE-format text files owned by text/).
#include "nn/model_dir.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/safetensors.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace xlm::nn {

namespace fs = std::filesystem;

namespace {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw FormatError(fmt::format("{}: read failed", path));
  return ss.str();
}

void copy_file_atomically(const std::string& from, const std::string& to) {
  const std::string bytes = read_whole_file(from);
  write_file_atomically(to, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

std::string temp_sibling(const fs::path& dir, const char* tag) {
  static int counter = 0;
  return (dir.parent_path() / fmt::format(".{}.{}.{}.{}", dir.filename().string(), tag, ::getpid(), counter++))
      .string();
}

}  // namespace

void save_model_dir(const std::string& dir, const TransformerModel& model, const std::string& vocab_path,
                    const std::string& codes_path) {
  fs::path target = fs::path(dir);
  if (target.filename().empty()) target = target.parent_path();  // "out/model/" -> "out/model"
  if (target.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    XLM_CHECK(!ec, FormatError, "{}: cannot create parent directory ({})", dir, ec.message());
  }
  const std::string tmp = temp_sibling(target, "tmp");
  std::error_code ec;
  fs::create_directory(tmp, ec);
  XLM_CHECK(!ec, FormatError, "{}: cannot create temporary directory {} ({})", dir, tmp, ec.message());
  try {
    save_safetensors(tmp + "/model.safetensors", model.state_dict(), {{"format", "pt"}});
    const std::string params = model.config().to_json().dump(2) + "\n";
    write_file_atomically(tmp + "/params.json", [&](std::ostream& out) { out << params; });
    copy_file_atomically(vocab_path, tmp + "/vocab");
    if (!codes_path.empty()) copy_file_atomically(codes_path, tmp + "/codes");
    std::string old;
    if (fs::exists(target)) {
      old = temp_sibling(target, "old");
      fs::rename(target, old);
    }
    fs::rename(tmp, target);
    if (!old.empty()) fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw FormatError(fmt::format("{}: cannot write model directory ({})", dir, e.what()));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

double model_values_at_least(const TransformerConfig& c) {
  const double d = static_cast<double>(c.emb_dim);
  const double per_layer = (c.is_decoder ? 16.0 : 12.0) * d * d;  // 4 D^2 attention, 8 D^2 FFN, 4 D^2 cross-attention
  double n = (static_cast<double>(c.n_words) + static_cast<double>(c.max_positions)) * d +
             static_cast<double>(c.n_layers) * per_layer;
  if (c.has_lang_embeddings()) n += static_cast<double>(c.n_langs) * d;
  return n;
}

void check_config_fits_tensors(const TransformerConfig& config, const std::map<std::string, Tensor>& tensors,
                               const std::string& config_source, const std::string& tensors_source) {
  double held = 0;
  for (const auto& [name, t] : tensors) held += static_cast<double>(t.numel());
  const double wanted = model_values_at_least(config);
  XLM_CHECK(wanted <= held, FormatError,
            "{}: the config describes a model of at least {:.0f} parameter values, but {} holds only {:.0f}",
            config_source, wanted, tensors_source, held);
}

LoadedModel load_model_dir(const std::string& dir, Device device) {
  XLM_CHECK(fs::is_directory(dir), FormatError, "{}: not a model directory (expected model.safetensors, params.json, vocab)",
            dir);
  const std::string params_path = (fs::path(dir) / "params.json").string();
  const std::string weights_path = (fs::path(dir) / "model.safetensors").string();
  const std::string vocab_path = (fs::path(dir) / "vocab").string();
  const std::string codes_path = (fs::path(dir) / "codes").string();

  nlohmann::json params;
  try {
    params = nlohmann::json::parse(read_whole_file(params_path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: not valid JSON ({})", params_path, e.what()));
  }
  LoadedModel loaded;
  loaded.config = TransformerConfig::from_json(params, params_path);
  XLM_CHECK(fs::is_regular_file(vocab_path), FormatError, "{}: missing (a model directory holds its vocab)", vocab_path);
  loaded.vocab_path = vocab_path;
  loaded.codes_path = fs::is_regular_file(codes_path) ? codes_path : "";
  const SafetensorsContents weights = load_safetensors(weights_path);
  check_config_fits_tensors(loaded.config, weights.tensors, params_path, weights_path);
  loaded.model = std::make_unique<TransformerModel>(loaded.config, 0, device);
  loaded.model->load_state_dict(weights.tensors, weights_path);
  return loaded;
}

}  // namespace xlm::nn
