// xlm convert on hostile configs (found by tests/fuzz/fuzz_convert.cpp): a
// params.json or config.json of a few bytes could ask for a model far larger
// than its model.safetensors (n_layers 10^12, max_positions 2^40), and the
// converter built that TransformerModel, allocating and initialising every
// parameter, before load_state_dict compared shapes. It must be a one-line
// FormatError instead, for both layouts and for load_model_dir, and a model
// that fits must still load.
#include "core/error.h"
#include "nn/model_dir.h"
#include "nn/tiny_model.h"
#include "support.h"
#include "tasks/convert/convert.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace xlm;
using namespace xlm::tasks;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spill(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The tiny model (20 words, emb_dim 8, 2 layers) saved as our model directory.
std::string save_tiny_dir(const nntest::TempDir& tmp, const std::string& name) {
  spill(tmp.file(name + ".vocab"), "le@@ 9\ner 8\nthe 7\nc@@ 6\nat 5\ns 4\n");
  nn::TransformerModel model(nntest::tiny_config(), 7);
  const std::string dir = tmp.file(name);
  nn::save_model_dir(dir, model, tmp.file(name + ".vocab"), "");
  return dir;
}

void set_field(const std::string& json_path, const std::string& key, int64_t value) {
  nlohmann::json j = nlohmann::json::parse(slurp(json_path));
  j[key] = value;
  spill(json_path, j.dump());
}

}  // namespace

TEST_CASE("convert limits: a config larger than its tensors is refused before allocation", "[convert]") {
  nntest::TempDir tmp;
  SECTION("our layout, n_layers 10^12") {
    const std::string src = save_tiny_dir(tmp, "layers");
    set_field(src + "/params.json", "n_layers", 1000000000000);
    XLM_CHECK_THROWS(convert_to_xlm(src, tmp.file("out")), FormatError, "params.json", "at least",
                     "model.safetensors holds only");
  }
  SECTION("our layout, max_positions 2^40") {
    const std::string src = save_tiny_dir(tmp, "positions");
    set_field(src + "/params.json", "max_positions", int64_t{1} << 40);
    XLM_CHECK_THROWS(convert_to_xlm(src, tmp.file("out")), FormatError, "params.json", "at least",
                     "holds only");
  }
  SECTION("HF layout, n_layers 10^12") {
    const std::string src = save_tiny_dir(tmp, "hfsrc");
    const std::string hf = tmp.file("hf");
    convert_to_hf(src, hf);
    set_field(hf + "/config.json", "n_layers", 1000000000000);
    XLM_CHECK_THROWS(convert_to_xlm(hf, tmp.file("out")), FormatError, "config.json", "at least", "holds only");
  }
  SECTION("the bound is a lower bound: the tiny model itself still converts") {
    const std::string src = save_tiny_dir(tmp, "fits");
    convert_to_xlm(src, tmp.file("out"));
    const nn::LoadedModel loaded = nn::load_model_dir(tmp.file("out"), Device::cpu());
    CHECK(loaded.config.n_layers == 2);
    CHECK(loaded.config.emb_dim == 8);
    CHECK(loaded.config.n_words == 20);
  }
}

TEST_CASE("load_model_dir refuses a params.json larger than its tensors before building the model", "[convert]") {
  // Every command that loads a model (eval, translate, finetune, embed,
  // convert --to hf) goes through load_model_dir: the same bound applies.
  nntest::TempDir tmp;
  const std::string dir = save_tiny_dir(tmp, "loadme");
  set_field(dir + "/params.json", "n_layers", 1000000000000);
  XLM_CHECK_THROWS(nn::load_model_dir(dir, Device::cpu()), FormatError, "params.json", "at least",
                   "model.safetensors holds only");
  XLM_CHECK_THROWS(convert_to_hf(dir, tmp.file("hf")), FormatError, "params.json", "at least");
  set_field(dir + "/params.json", "n_layers", 2);
  CHECK(nn::load_model_dir(dir, Device::cpu()).config.n_layers == 2);
}
