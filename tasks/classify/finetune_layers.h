// --finetune_layers as XLM spells it (src/model/embedder.py, get_parameters):
// "i:j" with '_' for a minus sign, 0 = the embeddings (word, position,
// language, layer_norm_emb), k = the k-th Transformer layer (1-based),
// negative k counting from the end (_1 = the last layer, i.e. n_layers).
// Both ends are inclusive; i > j selects nothing (a frozen encoder). XLM's
// rule, kept exactly: layers max(i, 1)..j are fine-tuned, so "0:2" and "1:2"
// both train layers 1 and 2 and differ only in the embeddings.
// Frozen parameters get requires_grad = false, so the backward pass does not
// even compute their gradients (XLM merely leaves them out of the optimizer).
#pragma once

#include "nn/named_tensors.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace xlm::tasks {

struct LayerRange {
  int64_t first = 0;  // 0 = embeddings, 1..n_layers
  int64_t last = 0;   // inclusive; first > last = nothing
  bool includes_embeddings() const { return first == 0 && last >= 0; }
  bool includes_layer(int64_t layer) const {  // layer 1-based
    return first <= last && layer >= std::max<int64_t>(first, 1) && layer <= last;
  }
};

// ConfigError naming --finetune_layers for a malformed spec or an end outside
// [-(n_layers + 1), n_layers].
LayerRange parse_finetune_layers(const std::string& text, int64_t n_layers);

// Whether the model parameter `name` (XLM's names, nn/transformer.h) is
// fine-tuned under `range`. pred_layer.* (unused by a classifier) never is.
bool is_finetuned(const std::string& name, const LayerRange& range);

// Marks each of `params` trainable or frozen (requires_grad) by is_finetuned and
// returns the trainable ones, in model order: the encoder optimizer's list.
nn::NamedTensors select_finetuned(const nn::NamedTensors& params, const LayerRange& range);

}  // namespace xlm::tasks
