// Consistency checks and the JSON form of TrainConfig. The JSON keeps XLM's
// names so that config.json in a run folder reads like XLM's params.pkl.
#include "tasks/pretrain/train_config.h"

#include "tasks/pretrain/train_precision.h"

#include "core/device.h"
#include "core/error.h"
#include "text/data_paths.h"
#include "xlm/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

namespace xlm::tasks {

namespace {

void check_probability(double p, const char* flag, bool allow_one) {
  const bool ok = p >= 0.0 && (allow_one ? p <= 1.0 : p < 1.0);
  XLM_CHECK(ok, ConfigError, "{} {}: expected a probability in [0, 1{}", flag, p, allow_one ? "]" : ")");
}

void check_positive(int64_t v, const char* flag) {
  XLM_CHECK(v >= 1, ConfigError, "{} {}: expected a positive integer", flag, v);
}

// "_valid_en_mlm_ppl,10" -> metric and patience; ConfigError naming the flag.
void check_stopping_criterion(const std::string& text) {
  if (text.empty()) return;
  const size_t comma = text.find(',');
  XLM_CHECK(comma != std::string::npos && comma > 0 && comma + 1 < text.size(), ConfigError,
            "--stopping_criterion '{}': expected METRIC,PATIENCE (e.g. _valid_en_mlm_ppl,10)", text);
  const std::string patience = text.substr(comma + 1);
  XLM_CHECK(patience.find_first_not_of("0123456789") == std::string::npos && std::stoll(patience) > 0,
            ConfigError, "--stopping_criterion '{}': the patience '{}' is not a positive integer", text, patience);
}

}  // namespace

std::vector<std::string> TrainConfig::languages() const {
  std::vector<std::string> langs;
  std::stringstream in(lgs);
  std::string lang;
  while (std::getline(in, lang, '-')) langs.push_back(lang);
  std::sort(langs.begin(), langs.end());
  return langs;
}

void TrainConfig::validate() const {
  XLM_CHECK(!exp_name.empty(), ConfigError, "--exp_name is required (the run folder is DUMP_PATH/EXP_NAME/EXP_ID)");
  XLM_CHECK(!data_path.empty(), ConfigError, "--data_path is required (a folder of binarized train/valid/test files)");
  XLM_CHECK(std::filesystem::is_directory(data_path), ConfigError, "--data_path {}: no such directory", data_path);
  XLM_CHECK(!lgs.empty(), ConfigError, "--lgs is required (languages separated by '-', e.g. en-fr)");
  std::set<std::string> seen;
  for (const std::string& lang : languages()) {
    try {
      text::check_language(lang);
    } catch (const ConfigError&) {
      throw ConfigError(fmt::format("--lgs {}: '{}' is not a language code", lgs, lang));
    }
    XLM_CHECK(seen.insert(lang).second, ConfigError, "--lgs {}: '{}' appears twice", lgs, lang);
  }
  XLM_CHECK(!clm_steps.empty() || !mlm_steps.empty() || !mt_steps.empty() || !ae_steps.empty() || !bt_steps.empty(),
            ConfigError,
            "nothing to train: give --clm_steps, --mlm_steps, or (with --encoder_only false) --mt_steps, --ae_steps, "
            "--bt_steps");
  if (encoder_only) {
    for (const auto& [flag, value] : {std::pair<const char*, const std::string*>{"--mt_steps", &mt_steps},
                                      {"--ae_steps", &ae_steps},
                                      {"--bt_steps", &bt_steps}})
      XLM_CHECK(value->empty(), ConfigError, "{} {}: needs --encoder_only false (an encoder and a decoder)", flag,
                *value);
    XLM_CHECK(!eval_bleu, ConfigError, "--eval_bleu true: needs --encoder_only false and --mt_steps or --bt_steps");
  }
  XLM_CHECK(word_shuffle == 0 || word_shuffle > 1, ConfigError,
            "--word_shuffle {}: expected 0 (off) or a maximum shift > 1", word_shuffle);
  check_probability(word_dropout, "--word_dropout", false);
  check_probability(word_blank, "--word_blank", false);
  check_positive(beam_size, "--beam_size");

  check_positive(emb_dim, "--emb_dim");
  check_positive(n_layers, "--n_layers");
  check_positive(n_heads, "--n_heads");
  XLM_CHECK(emb_dim % n_heads == 0, ConfigError, "--emb_dim {} is not a multiple of --n_heads {}", emb_dim, n_heads);
  check_probability(dropout, "--dropout", false);
  check_probability(attention_dropout, "--attention_dropout", false);
  XLM_CHECK(share_inout_emb, ConfigError,
            "--share_inout_emb false: only the tied output layer (XLM's default) is implemented");

  XLM_CHECK(word_pred > 0.0 && word_pred < 1.0, ConfigError, "--word_pred {}: expected a probability in (0, 1)",
            word_pred);
  XLM_CHECK(sample_alpha >= 0.0, ConfigError, "--sample_alpha {}: expected a value >= 0", sample_alpha);
  XLM_CHECK(lg_sampling_factor == -1 || lg_sampling_factor > 0, ConfigError,
            "--lg_sampling_factor {}: expected -1 (off) or a positive exponent", lg_sampling_factor);
  XLM_CHECK(bptt >= 2, ConfigError, "--bptt {}: expected at least 2 tokens", bptt);
  XLM_CHECK(max_len == -1 || max_len >= 1, ConfigError, "--max_len {}: expected -1 or a positive length", max_len);
  check_positive(batch_size, "--batch_size");
  XLM_CHECK(tokens_per_batch == -1 || tokens_per_batch >= 1, ConfigError,
            "--tokens_per_batch {}: expected -1 or a positive count", tokens_per_batch);

  XLM_CHECK(clip_grad_norm >= 0.0, ConfigError, "--clip_grad_norm {}: expected >= 0 (0 = off)", clip_grad_norm);
  check_positive(epoch_size, "--epoch_size");
  check_positive(max_epoch, "--max_epoch");
  check_positive(accumulate_gradients, "--accumulate_gradients");
  check_positive(log_every, "--log_every");
  XLM_CHECK(bucket_mb > 0, ConfigError, "--bucket_mb {}: expected a positive size in MB", bucket_mb);
  XLM_CHECK(comm_timeout >= 0, ConfigError, "--comm_timeout {}: expected seconds >= 0 (0 = wait forever)",
            comm_timeout);
  XLM_CHECK(check_weights_every >= 0, ConfigError, "--check_weights_every {}: expected >= 0 (0 = off)",
            check_weights_every);
  XLM_CHECK(save_periodic >= 0, ConfigError, "--save_periodic {}: expected >= 0", save_periodic);
  check_stopping_criterion(stopping_criterion);

  XLM_CHECK(reload_model.empty() || reload_checkpoint.empty(), ConfigError,
            "--reload_model and --reload_checkpoint are exclusive: a checkpoint already holds the model");
  XLM_CHECK(!eval_only || !reload_model.empty() || !reload_checkpoint.empty(), ConfigError,
            "--eval_only true needs --reload_model or --reload_checkpoint");
  resolve_train_precision(*this, Device::parse(resolve_device(device)));
}

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json j{
      {"dump_path", dump_path},
      {"exp_name", exp_name},
      {"exp_id", exp_id},
      {"save_periodic", save_periodic},
      {"fp16", fp16},
      {"amp", amp},
      {"emb_dim", emb_dim},
      {"n_layers", n_layers},
      {"n_heads", n_heads},
      {"dropout", dropout},
      {"attention_dropout", attention_dropout},
      {"gelu_activation", gelu_activation},
      {"share_inout_emb", share_inout_emb},
      {"sinusoidal_embeddings", sinusoidal_embeddings},
      {"use_lang_emb", use_lang_emb},
      {"word_pred", word_pred},
      {"sample_alpha", sample_alpha},
      {"word_mask_keep_rand", word_mask_keep_rand},
      {"data_path", data_path},
      {"lgs", lgs},
      {"lg_sampling_factor", lg_sampling_factor},
      {"bptt", bptt},
      {"max_len", max_len},
      {"group_by_size", group_by_size},
      {"batch_size", batch_size},
      {"tokens_per_batch", tokens_per_batch},
      {"optimizer", optimizer},
      {"clip_grad_norm", clip_grad_norm},
      {"epoch_size", epoch_size},
      {"max_epoch", max_epoch},
      {"stopping_criterion", stopping_criterion},
      {"validation_metrics", validation_metrics},
      {"accumulate_gradients", accumulate_gradients},
      {"lambda_mlm", lambda_mlm},
      {"lambda_clm", lambda_clm},
      {"clm_steps", clm_steps},
      {"mlm_steps", mlm_steps},
      {"reload_model", reload_model},
      {"reload_checkpoint", reload_checkpoint},
      {"eval_only", eval_only},
      {"device", device},
      {"seed", seed},
      {"log_every", log_every},
      {"bucket_mb", bucket_mb},
      {"zero1", zero1},
      {"comm_timeout", comm_timeout},
      {"check_weights_every", check_weights_every},
  };
  // The precision settings only when one is given, so that a run that gives
  // none keeps the configuration (and default exp_id) it had before them.
  if (!precision.empty() || !loss_scale.empty() || init_loss_scale != 65536.0 || loss_scale_window != 2000 ||
      !precision_test.empty()) {
    const nlohmann::json p{
        {"precision", precision},
        {"loss_scale", loss_scale},
        {"init_loss_scale", init_loss_scale},
        {"loss_scale_window", loss_scale_window},
        {"precision_test", precision_test},
    };
    j.update(p);
  }
  // The encoder-decoder settings only when they are used, so that an
  // encoder-only run keeps the configuration (and default exp_id) it had.
  if (!encoder_only) {
    const nlohmann::json mt{
        {"encoder_only", encoder_only},
        {"mt_steps", mt_steps},
        {"ae_steps", ae_steps},
        {"bt_steps", bt_steps},
        {"lambda_mt", lambda_mt},
        {"lambda_ae", lambda_ae},
        {"lambda_bt", lambda_bt},
        {"word_shuffle", word_shuffle},
        {"word_dropout", word_dropout},
        {"word_blank", word_blank},
        {"eval_bleu", eval_bleu},
        {"beam_size", beam_size},
        {"length_penalty", length_penalty},
        {"early_stopping", early_stopping},
    };
    j.update(mt);
  }
  return j;
}

bool is_device_flag(const std::string& flag) {
  return flag.empty() || flag == "cpu" || flag == "cuda" || flag == "cpu:1";
}

std::string resolve_device(const std::string& requested) {
  XLM_CHECK(is_device_flag(requested), ConfigError, "--device {}: expected cpu or cuda", requested);
  if (requested == "cpu" || requested == "cpu:1") return requested;  // cpu:1: the CPU stand-in (core/device.h)
  const bool have_gpu = cuda_available();
  if (requested.empty()) return have_gpu ? "cuda" : "cpu";
  XLM_CHECK(have_gpu, ConfigError, "--device cuda: {}",
            XLM_WITH_CUDA ? "no GPU is visible" : "this build has no CUDA backend (rebuild with the CUDA toolkit)");
  return "cuda";
}

}  // namespace xlm::tasks
