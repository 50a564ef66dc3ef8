// What `xlm bench train` measures: one model, one batch shape, one optimizer,
// as `xlm train` would build them from the same flags, fed random token
// streams instead of files so that the step alone is timed. Three presets
// name the shapes of the performance issue (docs/performance.md): XLM's enfr
// and xnli15 MLM(+TLM) models, and a tiny one that a CPU runs in seconds.
// Any model or batch flag given on the command line overrides its preset.
#pragma once

#include "nn/transformer_config.h"

#include <cstdint>
#include <string>

namespace xlm::tasks {

struct TrainBenchConfig {
  std::string shape = "tiny";    // the preset the other fields started from
  // model (xlm train's names)
  int64_t n_words = 8000;        // vocabulary size (--n_words: random ids in [14, n_words))
  int64_t emb_dim = 256;
  int64_t n_layers = 2;
  int64_t n_heads = 4;
  int64_t n_langs = 1;           // languages of the model (lang embeddings when > 1 and use_lang_emb)
  double dropout = 0.1;
  double attention_dropout = 0.1;
  bool gelu_activation = true;
  bool use_lang_emb = true;
  // batch
  int64_t batch_size = 16;       // streams (MLM) or sentence pairs (TLM) per step
  int64_t bptt = 128;            // tokens per stream; a TLM pair is two sentences of bptt/2 tokens
  bool tlm = false;              // alternate MLM and TLM steps (xnli15), else MLM only
  double word_pred = 0.15;
  std::string word_mask_keep_rand = "0.8,0.1,0.1";
  // optimizer
  std::string optimizer = "adam,lr=0.0001";
  double clip_grad_norm = 5.0;
  // run
  std::string device;            // "cpu", "cuda" or "" (cuda when a GPU is visible)
  std::string precision;         // "fp32", "bf16", "fp16" or "" (the device's default)
  int64_t steps = 10;            // timed steps
  int64_t warmup = 3;            // untimed steps before them
  uint64_t seed = 0;
  std::string dump_start;        // directory: the initial model and the batches (start_dump.h), or ""
  int64_t profile = 0;           // steps profiled after the timed ones (core/op_profile.h), 0 = none
  // data parallelism (several ranks from the launcher): time the steps with
  // and without the gradient reduction and the reduction alone (overlap)
  bool overlap = false;
  double bucket_mb = 25;         // gradient bucket size (xlm train's --bucket_mb)

  // ConfigError naming the flag of the first bad field.
  void validate() const;
  // The model these fields describe (n_langs languages named l0, l1, ...).
  nn::TransformerConfig model_config() const;
};

// The preset `name` (enfr, xnli15, tiny); ConfigError naming --shape otherwise.
//   enfr:   6 layers, 1024 dims, 8 heads, 64k words, 2 languages, 64 x 256, MLM
//   xnli15: 12 layers, 1024 dims, 8 heads, 95k words, 15 languages, 64 x 256, MLM + TLM
//   tiny:   2 layers, 256 dims, 4 heads, 8k words, 1 language, 16 x 128, MLM
TrainBenchConfig train_bench_preset(const std::string& name);

}  // namespace xlm::tasks
