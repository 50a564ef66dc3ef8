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
LoadedModel load_model_dir(const std::string& dir, Device device);

}  // namespace xlm::nn
