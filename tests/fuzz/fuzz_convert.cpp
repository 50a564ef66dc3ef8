// libFuzzer entry point for the converter's input checks (tasks/convert):
// `xlm convert` builds our TransformerModel from a model folder in one checked
// step, convert_to_xlm, and an original .pth reaches the same step as an
// our-layout folder written by the Python helper. So the input is a folder:
//   byte 0, bit 0: the layout, 0 = ours, 1 = Hugging Face;
//   then the files, separated by "\n=file=\n" (tests/fuzz/framing.h), in order
//     ours: params.json, model.safetensors, vocab, codes
//     HF:   config.json, model.safetensors, vocab.json, merges.txt, xlm_vocab
//   fewer parts leave the trailing files out (codes, merges.txt and xlm_vocab
//   are optional; a missing required one must be an error).
// The files are written to a scratch folder per process and converted into
// another; the readers map files, so feeding them from memory would need a
// second API. Bad input must end in an xlm::Error. An accepted input must
// give a folder nn::load_model_dir loads, since that is the converter's
// promise; an error there escapes and counts as a crash.
#include "core/device.h"
#include "core/error.h"
#include "framing.h"
#include "nn/model_dir.h"
#include "tasks/convert/convert.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const xlm::fuzz::ScratchFolder scratch("convert");
  static const std::vector<std::string> ours = {"params.json", "model.safetensors", "vocab", "codes"};
  static const std::vector<std::string> hf = {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                                              "xlm_vocab"};
  if (size < 1) return 0;
  const bool hf_layout = (data[0] & 1) != 0;
  const std::vector<std::string> files =
      xlm::fuzz::split_files(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const std::string src = scratch.fill(hf_layout ? hf : ours, files);
  const std::string dst = scratch.file("out");
  try {
    xlm::tasks::convert_to_xlm(src, dst);
  } catch (const xlm::Error&) {
    return 0;
  }
  const xlm::nn::LoadedModel loaded = xlm::nn::load_model_dir(dst, xlm::Device::cpu());
  if (loaded.model == nullptr) __builtin_trap();
  return 0;
}
