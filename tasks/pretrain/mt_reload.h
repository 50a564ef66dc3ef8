// Initialising a decoder from a pretrained model directory, as XLM's
// reload with strict=False: a pretrained encoder (an MLM) has every decoder
// parameter except the cross-attention (encoder_attn.*) and its LayerNorm
// (layer_norm15.*), which keep their random initialisation. Any other missing
// name, or an unexpected one, is still an error (the strict load reports it).
#pragma once

#include "core/tensor.h"
#include "nn/transformer.h"

#include <map>
#include <string>
#include <vector>

namespace xlm::tasks {

// True for the names a decoder has and an encoder lacks.
bool is_cross_attention_name(const std::string& name);

// Loads `weights` into `decoder`; the cross-attention names absent from
// `weights` keep the decoder's current values. Returns those names, in the
// decoder's state_dict order. FormatError naming `source` otherwise.
std::vector<std::string> load_decoder_weights(nn::TransformerModel& decoder, std::map<std::string, Tensor> weights,
                                              const std::string& source);

// A model directory's weights into `model` (a decoder accepts an encoder's
// directory as above), after checking that the shapes of the two configs
// agree; ConfigError naming `flag` and `dir` when they do not. Returns the
// names left at initialisation.
std::vector<std::string> reload_into(nn::TransformerModel& model, const std::string& dir, const std::string& flag);

}  // namespace xlm::tasks
