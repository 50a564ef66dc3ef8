// The translation model directory: DIR/encoder and DIR/decoder, each a model
// directory of nn/model_dir.h (model.safetensors, params.json, vocab, codes),
// the decoder's params.json with is_decoder true. Two ordinary model
// directories rather than one merged file, so each half loads with the same
// few lines of PyTorch as a pretrained model (XLM's train.py reloads an
// encoder and a decoder from separate state dicts too). Written as a whole
// into a temporary sibling and renamed over DIR.
#pragma once

#include "core/device.h"
#include "nn/model_dir.h"

#include <string>

namespace xlm::tasks {

void save_mt_model_dir(const std::string& dir, const nn::TransformerModel& encoder, const nn::TransformerModel& decoder,
                       const std::string& vocab_path, const std::string& codes_path);  // codes may be ""

struct LoadedMtModel {
  nn::LoadedModel encoder, decoder;
};

// FormatError naming the file on any problem, including an encoder marked
// is_decoder, a decoder not marked so, or halves with different emb_dim/n_words.
LoadedMtModel load_mt_model_dir(const std::string& dir, Device device);

}  // namespace xlm::tasks
