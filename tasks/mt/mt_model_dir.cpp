// See mt_model_dir.h. Each half is written by nn::save_model_dir into the
// temporary folder, then the folder replaces DIR by rename (the old DIR is
// moved aside first and removed after), as nn/model_dir.cpp does for one model.
#include "tasks/mt/mt_model_dir.h"

#include "core/error.h"

#include <unistd.h>

#include <filesystem>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

std::string sibling(const fs::path& dir, const char* tag) {
  static int counter = 0;
  return (dir.parent_path() / fmt::format(".{}.{}.{}.{}", dir.filename().string(), tag, ::getpid(), counter++))
      .string();
}

}  // namespace

void save_mt_model_dir(const std::string& dir, const nn::TransformerModel& encoder, const nn::TransformerModel& decoder,
                       const std::string& vocab_path, const std::string& codes_path) {
  XLM_CHECK(!encoder.config().is_decoder && decoder.config().is_decoder, ConfigError,
            "{}: an MT model directory needs an encoder (is_decoder false) and a decoder (is_decoder true)", dir);
  fs::path target(dir);
  if (target.filename().empty()) target = target.parent_path();
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    XLM_CHECK(!ec, FormatError, "{}: cannot create parent directory ({})", dir, ec.message());
  }
  const std::string tmp = sibling(target, "tmp");
  fs::create_directory(tmp, ec);
  XLM_CHECK(!ec, FormatError, "{}: cannot create temporary directory {} ({})", dir, tmp, ec.message());
  try {
    nn::save_model_dir(tmp + "/encoder", encoder, vocab_path, codes_path);
    nn::save_model_dir(tmp + "/decoder", decoder, vocab_path, codes_path);
    std::string old;
    if (fs::exists(target)) {
      old = sibling(target, "old");
      fs::rename(target, old);
    }
    fs::rename(tmp, target);
    if (!old.empty()) fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw FormatError(fmt::format("{}: cannot write MT model directory ({})", dir, e.what()));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

LoadedMtModel load_mt_model_dir(const std::string& dir, Device device) {
  XLM_CHECK(fs::is_directory(dir), FormatError, "{}: not an MT model directory (expected encoder/ and decoder/)", dir);
  const std::string enc_dir = (fs::path(dir) / "encoder").string();
  const std::string dec_dir = (fs::path(dir) / "decoder").string();
  XLM_CHECK(fs::is_directory(enc_dir), FormatError, "{}: missing (an MT model directory holds encoder/ and decoder/)",
            enc_dir);
  XLM_CHECK(fs::is_directory(dec_dir), FormatError, "{}: missing (an MT model directory holds encoder/ and decoder/)",
            dec_dir);
  LoadedMtModel out;
  out.encoder = nn::load_model_dir(enc_dir, device);
  out.decoder = nn::load_model_dir(dec_dir, device);
  const std::string enc_params = enc_dir + "/params.json", dec_params = dec_dir + "/params.json";
  XLM_CHECK(!out.encoder.config.is_decoder, FormatError, "{}: is_decoder is true, expected an encoder", enc_params);
  XLM_CHECK(out.decoder.config.is_decoder, FormatError, "{}: is_decoder is false, expected a decoder", dec_params);
  XLM_CHECK(out.decoder.config.emb_dim == out.encoder.config.emb_dim, FormatError,
            "{}: emb_dim {} differs from the encoder's {}", dec_params, out.decoder.config.emb_dim,
            out.encoder.config.emb_dim);
  XLM_CHECK(out.decoder.config.n_words == out.encoder.config.n_words, FormatError,
            "{}: n_words {} differs from the encoder's {}", dec_params, out.decoder.config.n_words,
            out.encoder.config.n_words);
  return out;
}

}  // namespace xlm::tasks
