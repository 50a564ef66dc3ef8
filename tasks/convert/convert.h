// `xlm convert`: moving a model between our model directory (docs/model.md),
// a Hugging Face XLM directory, and (through a Python helper, since only
// torch reads its pickle) an original XLM `.pth`. Every path goes through
// one checked step that builds our TransformerModel from the tensors, so a
// converted model is one we can load, and the released models' pitfalls
// (vocab files longer than n_words, n_langs, models without language
// embeddings) are caught in one place with a one-line message.
#pragma once

#include <string>
#include <vector>

namespace xlm::tasks {

enum class ModelLayout { xlm_dir, hf_dir, pth };

// Our directory (params.json + model.safetensors), a HF directory
// (config.json), or a file ending in .pth. FormatError naming `src` otherwise.
ModelLayout detect_model_layout(const std::string& src);

struct ConvertReport {
  std::vector<std::string> notes;  // one line each: what was adjusted (vocab truncated, counts invented, ...)
};

// Our directory or a HF directory -> our model directory `dst` (replaced atomically).
// A HF directory with only pytorch_model.bin (a torch pickle) needs `helper`
// (as for convert_pth_to_xlm); without one it is a FormatError.
ConvertReport convert_to_xlm(const std::string& src, const std::string& dst, const std::string& helper = "");

// Our model directory -> a HF directory `dst` (config.json, model.safetensors,
// vocab.json, merges.txt when the model has codes, xlm_vocab: our vocab with
// its counts, which vocab.json cannot hold). ConfigError for a decoder.
ConvertReport convert_to_hf(const std::string& src, const std::string& dst);

// An original XLM .pth -> our model directory: runs
// `python3 HELPER PTH TMPDIR [--codes CODES]` (tools/convert/pth_to_safetensors.py), which
// writes an unchecked our-format directory, then convert_to_xlm(TMPDIR, dst).
// A .pth holds no BPE codes: `codes` ("" = none) is copied in.
// The interpreter is $XLM_PYTHON, default python3. ConfigError with one
// line when it or its torch is missing.
ConvertReport convert_pth_to_xlm(const std::string& pth, const std::string& dst, const std::string& helper,
                                 const std::string& codes = "");

}  // namespace xlm::tasks
