// See train_bench_config.h. The presets follow XLM's published models
// (README, "Pretrained models"): mlm_enfr_1024 and mlm_tlm_xnli15_1024, with
// the 64 x 256 batch the performance issue fixes; XLM's 95k xnli15 vocabulary
// is 95000 here. Dropout 0.1 on both, as XLM's pretraining commands.
#include "tasks/bench/train_bench_config.h"

#include "core/error.h"
#include "objectives/masking.h"
#include "tasks/pretrain/train_config.h"
#include "text/dictionary.h"

#include <fmt/format.h>

#include <algorithm>

namespace xlm::tasks {

TrainBenchConfig train_bench_preset(const std::string& name) {
  TrainBenchConfig c;
  c.shape = name;
  if (name == "tiny") return c;
  if (name == "enfr" || name == "xnli15") {
    c.emb_dim = 1024;
    c.n_heads = 8;
    c.batch_size = 64;
    c.bptt = 256;
    if (name == "enfr") {
      c.n_layers = 6;
      c.n_words = 64000;
      c.n_langs = 2;
    } else {
      c.n_layers = 12;
      c.n_words = 95000;
      c.n_langs = 15;
      c.tlm = true;
    }
    return c;
  }
  throw ConfigError(fmt::format("--shape {}: expected enfr, xnli15 or tiny", name));
}

void TrainBenchConfig::validate() const {
  XLM_CHECK(n_words > text::kFirstWordIndex, ConfigError, "--n_words {}: expected more than {} (the special words)",
            n_words, text::kFirstWordIndex);
  XLM_CHECK(n_langs >= 1, ConfigError, "--n_langs {}: expected at least 1", n_langs);
  XLM_CHECK(!tlm || n_langs >= 2, ConfigError, "--tlm true needs --n_langs of at least 2 (got {})", n_langs);
  XLM_CHECK(batch_size >= 1, ConfigError, "--batch_size {}: expected at least 1", batch_size);
  XLM_CHECK(bptt >= 2, ConfigError, "--bptt {}: expected at least 2", bptt);
  XLM_CHECK(!tlm || bptt >= 6, ConfigError, "--bptt {}: a TLM pair needs at least 6 tokens (two sentences)", bptt);
  XLM_CHECK(steps >= 1, ConfigError, "--steps {}: expected at least 1", steps);
  XLM_CHECK(warmup >= 0, ConfigError, "--warmup {}: expected 0 or more", warmup);
  XLM_CHECK(profile >= 0, ConfigError, "--profile {}: expected 0 or more steps", profile);
  XLM_CHECK(profile == 0 || !overlap, ConfigError, "--profile {}: not with --overlap (profile one rank)", profile);
  XLM_CHECK(is_device_flag(device), ConfigError, "--device {}: expected cpu or cuda", device);
  XLM_CHECK(bucket_mb > 0, ConfigError, "--bucket_mb {}: must be positive", bucket_mb);
  XLM_CHECK(word_pred > 0 && word_pred <= 1, ConfigError, "--word_pred {}: expected a fraction in (0, 1]", word_pred);
  objectives::parse_mask_keep_rand(word_mask_keep_rand);
  model_config().validate();
}

nn::TransformerConfig TrainBenchConfig::model_config() const {
  nn::TransformerConfig m;
  m.n_words = n_words;
  m.emb_dim = emb_dim;
  m.n_layers = n_layers;
  m.n_heads = n_heads;
  m.n_langs = n_langs;
  for (int64_t i = 0; i < n_langs; ++i) m.id2lang.push_back(fmt::format("l{}", i));
  m.dropout = dropout;
  m.attention_dropout = attention_dropout;
  m.gelu_activation = gelu_activation;
  m.use_lang_emb = use_lang_emb;
  m.max_positions = std::max<int64_t>(512, bptt);
  return m;
}

}  // namespace xlm::tasks
