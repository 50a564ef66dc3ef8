// The model directory, the unit users share (docs/model.md):
//   model.safetensors  XLM parameter names, state_dict order, tied duplicate included
//   params.json        TransformerConfig::to_json (XLM's params names)
//   vocab, codes       the dictionary and BPE codes the model was trained with
// Written into a temporary sibling folder, each file fsync'ed, then swapped in
// by rename, so an existing directory is replaced only once the new one is
// complete (a crash leaves the old directory or the new one, plus at most a
// stale temporary folder).
#pragma once

#include "core/device.h"
#include "nn/transformer.h"

#include <map>
#include <memory>
#include <string>

namespace xlm::nn {

void save_model_dir(const std::string& dir, const TransformerModel& model, const std::string& vocab_path,
                    const std::string& codes_path);  // codes may be ""

struct LoadedModel {
  TransformerConfig config;
  std::unique_ptr<TransformerModel> model;
  std::string vocab_path, codes_path;  // codes_path "" when the directory has no codes
};

// FormatError naming the file (and the field or parameter) on any problem.
// A params.json asking for more parameter values than model.safetensors holds
// is refused before the model is built (check_config_fits_tensors).
LoadedModel load_model_dir(const std::string& dir, Device device);

// The values a TransformerModel of `config` allocates, at least (word,
// position and language tables, 12 D^2 per layer, 16 D^2 for a decoder's);
// in double so that no product overflows.
double model_values_at_least(const TransformerConfig& config);

// load_state_dict wants every parameter from the weights with its exact
// shape, so a model that can load needs no more values than `tensors` hold.
// Checked before a model is built from a config read from a file, since the
// constructor allocates and initialises every parameter: a params.json of a
// few bytes saying n_layers 10^12 must be a one-line FormatError naming
// `config_source` and `tensors_source`, not terabytes of allocation.
void check_config_fits_tensors(const TransformerConfig& config, const std::map<std::string, Tensor>& tensors,
                               const std::string& config_source, const std::string& tensors_source);

}  // namespace xlm::nn
