// The converter's fuzz seeds (tests/fuzz/corpus/convert), made by our own
// code rather than by hand so the valid ones stay valid: a 1-layer, 8-dim
// model (18 words, f16 weights to keep each seed a few KB) in both layouts,
// plus invalid variants. This test builds them, checks every one converts or
// fails as its name says (valid_*: converts; bad_*: an xlm::Error), and
// checks the committed files the same way, so a format change that breaks
// the seeds is caught here and not by a fuzzer that quietly stops reaching
// the model. XLM_WRITE_FUZZ_SEEDS=DIR writes the fresh seeds to DIR.
#include "core/error.h"
#include "core/safetensors.h"
#include "kernels/cast/cast.h"
#include "nn/transformer.h"
#include "support.h"
#include "tasks/convert/convert.h"
#include "tasks/convert/hf_layout.h"
#include "tests/fuzz/framing.h"
#include "text/dictionary.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace xlm;

namespace {

const char* kSeedVocab = "le@@ 9\ner 8\nthe 7\ns 4\n";
const char* kSeedCodes = "l e 9\nt h 8\nth e</w> 7\n";

nn::TransformerConfig seed_config() {
  nn::TransformerConfig c;
  c.n_words = 18;  // 14 specials + 4 words
  c.emb_dim = 8;
  c.n_layers = 1;
  c.n_heads = 2;
  c.n_langs = 1;
  c.max_positions = 4;
  return c;
}

// The model's tensors as f16 under `rename`'s names, tied duplicate left out.
std::string weights(const nn::TransformerModel& model, std::string (*rename)(const std::string&)) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, t] : model.state_dict())
    if (name != "pred_layer.proj.weight") out.emplace_back(rename(name), cast(t, DType::f16));
  return safetensors_bytes(out, {});
}

std::string same_name(const std::string& n) { return n; }

std::vector<std::string> seed_words() {
  std::istringstream in(kSeedVocab);
  const text::Dictionary d = text::Dictionary::from_vocab_stream(in, "seed vocab");
  std::vector<std::string> words;
  for (int64_t id = 0; id < d.size(); ++id) words.push_back(d.word(id));
  return words;
}

// name -> framed seed.
std::map<std::string, std::string> make_convert_seeds() {
  const nn::TransformerConfig c = seed_config();
  const nn::TransformerModel model(c, 3);
  const std::string params = c.to_json().dump();
  const std::string ours_weights = weights(model, same_name);
  std::map<std::string, std::string> seeds;
  seeds["valid_ours"] = fuzz::join_files(0, {params, ours_weights, kSeedVocab, kSeedCodes});
  seeds["valid_ours_no_codes"] = fuzz::join_files(0, {params, ours_weights, kSeedVocab});

  const std::vector<std::string> words = seed_words();
  std::string xlm_vocab;
  for (size_t id = text::kFirstWordIndex; id < words.size(); ++id)
    xlm_vocab += words[id] + " " + std::to_string(words.size() - id) + "\n";
  const std::string config = tasks::hf_config_json(c).dump();
  const std::string hf_weights = weights(model, tasks::hf_param_name);
  const std::string vocab_json = tasks::hf_vocab_json(words).dump();
  seeds["valid_hf"] = fuzz::join_files(1, {config, hf_weights, vocab_json, "#version: 0.2\nl e\nt h\n", xlm_vocab});
  seeds["valid_hf_no_merges"] = fuzz::join_files(1, {config, hf_weights, vocab_json});

  nlohmann::json huge = c.to_json();
  huge["n_layers"] = 1000000000000;
  seeds["bad_ours_huge_layers"] = fuzz::join_files(0, {huge.dump(), ours_weights, kSeedVocab});
  nlohmann::json wide = c.to_json();
  wide["max_positions"] = int64_t{1} << 40;
  seeds["bad_ours_huge_positions"] = fuzz::join_files(0, {wide.dump(), ours_weights, kSeedVocab});
  seeds["bad_ours_short_vocab"] = fuzz::join_files(0, {params, ours_weights, "le@@ 9\n"});
  // fuzz_convert's first crash: a count of a digit then non-digits overflowed (text/dictionary.cpp).
  seeds["bad_ours_vocab_count"] =
      fuzz::join_files(0, {params, ours_weights, "le@@ 9\ner 8\nthe 7\ns 4\x8a" + std::string(35, '\x18') + "\n"});
  seeds["bad_ours_truncated_weights"] =
      fuzz::join_files(0, {params, ours_weights.substr(0, ours_weights.size() / 2), kSeedVocab});
  seeds["bad_ours_no_vocab"] = fuzz::join_files(0, {params, ours_weights});
  nlohmann::json gap = nlohmann::json::parse(vocab_json);
  gap["s</w>"] = 40;
  seeds["bad_hf_vocab_gap"] = fuzz::join_files(1, {config, hf_weights, gap.dump()});
  seeds["bad_hf_merges"] = fuzz::join_files(1, {config, hf_weights, vocab_json, "l e 9 extra\n"});
  return seeds;
}

// Converts one framed seed as fuzz_convert does; "" when accepted, else the error.
std::string convert_seed(const fuzz::ScratchFolder& scratch, const std::string& framed) {
  static const std::vector<std::string> ours = {"params.json", "model.safetensors", "vocab", "codes"};
  static const std::vector<std::string> hf = {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                                              "xlm_vocab"};
  const bool hf_layout = !framed.empty() && (framed[0] & 1) != 0;
  const std::string src =
      scratch.fill(hf_layout ? hf : ours, fuzz::split_files(std::string_view(framed).substr(framed.empty() ? 0 : 1)));
  try {
    tasks::convert_to_xlm(src, scratch.file("out"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void check_seed(const fuzz::ScratchFolder& scratch, const std::string& name, const std::string& framed) {
  INFO("seed " << name << " (" << framed.size() << " bytes)");
  CHECK(framed.size() < 6000);
  const std::string error = convert_seed(scratch, framed);
  if (name.rfind("valid", 0) == 0) {
    CHECK(error.empty());
  } else {
    CHECK_FALSE(error.empty());
  }
}

}  // namespace

TEST_CASE("fuzz seeds: the converter's seeds convert or fail as named", "[convert][fuzz]") {
  const fuzz::ScratchFolder scratch("seeds-test");
  const std::map<std::string, std::string> seeds = make_convert_seeds();
  for (const auto& [name, framed] : seeds) check_seed(scratch, name, framed);
  SECTION("the huge configs fail on the size check, before any allocation") {
    CHECK_THAT(convert_seed(scratch, seeds.at("bad_ours_huge_layers")), Catch::Contains("at least"));
    CHECK_THAT(convert_seed(scratch, seeds.at("bad_ours_huge_positions")), Catch::Contains("at least"));
  }
  SECTION("the committed seeds") {
    const std::filesystem::path dir = test::source_path("tests/fuzz/corpus/convert");
    int committed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      check_seed(scratch, entry.path().filename().string(), ss.str());
      ++committed;
    }
    CHECK(committed == static_cast<int>(seeds.size()));
  }
  if (const char* out = std::getenv("XLM_WRITE_FUZZ_SEEDS")) {
    std::filesystem::create_directories(out);
    for (const auto& [name, framed] : seeds) std::ofstream(std::filesystem::path(out) / name, std::ios::binary) << framed;
  }
}
