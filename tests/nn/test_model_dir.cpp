// Parameter names (exactly XLM's state_dict for a config), the model
// directory round trip (bit-identical parameters, identical params.json), and
// the errors a damaged directory produces (FormatError naming file + field).
#include "tiny_model.h"

#include "core/error.h"
#include "core/safetensors.h"
#include "nn/model_dir.h"
#include "support.h"

#include <cstring>
#include <fstream>
#include <sstream>

using namespace xlm;
using namespace xlm::nn;

namespace {

std::vector<std::string> names_of(const NamedTensors& tensors) {
  std::vector<std::string> out;
  for (const auto& [name, t] : tensors) out.push_back(name);
  return out;
}

std::vector<std::string> layer_names(const std::string& prefix, int64_t layers, const std::vector<std::string>& parts) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < layers; ++i)
    for (const auto& part : parts) out.push_back(prefix + "." + std::to_string(i) + "." + part);
  return out;
}

std::vector<std::string> cat(std::vector<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const std::vector<std::string> kAttn = {"q_lin.weight", "q_lin.bias", "k_lin.weight", "k_lin.bias",
                                        "v_lin.weight", "v_lin.bias", "out_lin.weight", "out_lin.bias"};
const std::vector<std::string> kLn = {"weight", "bias"};
const std::vector<std::string> kFfn = {"lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias"};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

}  // namespace

TEST_CASE("nn: state_dict names and order are XLM's (encoder)", "[nn][state]") {
  TransformerModel model(nntest::tiny_config(), 1);
  const auto expected = cat({{"position_embeddings.weight", "lang_embeddings.weight", "embeddings.weight",
                              "layer_norm_emb.weight", "layer_norm_emb.bias"},
                             layer_names("attentions", 2, kAttn), layer_names("layer_norm1", 2, kLn),
                             layer_names("ffns", 2, kFfn), layer_names("layer_norm2", 2, kLn),
                             {"pred_layer.proj.weight", "pred_layer.proj.bias"}});
  CHECK(names_of(model.state_dict()) == expected);
  // parameters(): the same without the tied duplicate, every one a leaf needing a gradient.
  std::vector<std::string> unique = expected;
  unique.erase(std::find(unique.begin(), unique.end(), "pred_layer.proj.weight"));
  const NamedTensors params = model.parameters();
  CHECK(names_of(params) == unique);
  for (const auto& [name, t] : params) {
    INFO(name);
    CHECK(t.requires_grad());
    CHECK(t.is_leaf());
  }
  // The tied weight is the same tensor, not a copy.
  const NamedTensors sd = model.state_dict();
  CHECK(sd[2].second.same_data(sd[sd.size() - 2].second));
  CHECK(sd[2].second.shape() == Shape{20, 8});
  CHECK(sd[0].second.shape() == Shape{16, 8});
  CHECK(sd[5].second.shape() == Shape{8, 8});  // attentions.0.q_lin.weight (out, in)
}

TEST_CASE("nn: state_dict of a decoder, one language, sinusoidal positions", "[nn][state]") {
  TransformerConfig c = nntest::tiny_config(true);
  c.n_layers = 1;
  c.n_langs = 1;
  c.id2lang = {"en"};
  c.sinusoidal_embeddings = true;
  TransformerModel model(c, 1);
  const auto expected = cat({{"position_embeddings.weight", "embeddings.weight", "layer_norm_emb.weight",
                              "layer_norm_emb.bias"},
                             layer_names("attentions", 1, kAttn), layer_names("layer_norm1", 1, kLn),
                             layer_names("ffns", 1, kFfn), layer_names("layer_norm2", 1, kLn),
                             layer_names("layer_norm15", 1, kLn), layer_names("encoder_attn", 1, kAttn),
                             {"pred_layer.proj.weight", "pred_layer.proj.bias"}});
  CHECK(names_of(model.state_dict()) == expected);
  // The frozen sinusoidal table is saved but is no trainable parameter.
  const NamedTensors params = model.parameters();
  CHECK(names_of(params).front() == "embeddings.weight");
  const Tensor table = model.state_dict().front().second;
  CHECK_FALSE(table.requires_grad());
  const std::vector<double> v = table.to_doubles();  // (16, 8)
  CHECK(v[0] == 0.0);                                  // sin(0)
  CHECK(v[1] == 1.0);                                  // cos(0)
  CHECK(v[3 * 8 + 2] == Approx(std::sin(3.0 / std::pow(10000.0, 2.0 / 8))).epsilon(1e-6));
  CHECK(v[3 * 8 + 5] == Approx(std::cos(3.0 / std::pow(10000.0, 4.0 / 8))).epsilon(1e-6));
}

TEST_CASE("nn: model directory round trip is bit-exact", "[nn][model_dir]") {
  nntest::TempDir tmp;
  write_file(tmp.file("vocab.txt"), "hello 10\nworld 5\n");
  write_file(tmp.file("codes.txt"), "h e 3\n");
  TransformerModel model(nntest::tiny_config(), 21);
  const std::string dir = tmp.file("model");
  save_model_dir(dir, model, tmp.file("vocab.txt"), tmp.file("codes.txt"));
  const LoadedModel loaded = load_model_dir(dir, Device::cpu());
  CHECK(loaded.vocab_path == dir + "/vocab");
  CHECK(loaded.codes_path == dir + "/codes");
  CHECK(read_file(loaded.vocab_path) == "hello 10\nworld 5\n");
  CHECK(read_file(loaded.codes_path) == "h e 3\n");
  CHECK(loaded.config.to_json() == model.config().to_json());
  const NamedTensors a = model.state_dict(), b = loaded.model->state_dict();
  REQUIRE(names_of(a) == names_of(b));
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(same_bytes(a[i].second, b[i].second));
  }
  // The loaded model keeps the tie (one tensor under two names).
  CHECK(b[2].second.same_data(b[b.size() - 2].second));
  // Saving the loaded model again (over the old directory, from its own vocab) gives the same files.
  const std::string first_params = read_file(dir + "/params.json");
  const std::string first_weights = read_file(dir + "/model.safetensors");
  save_model_dir(dir, *loaded.model, loaded.vocab_path, "");
  CHECK(read_file(dir + "/params.json") == first_params);
  CHECK(read_file(dir + "/model.safetensors") == first_weights);
  CHECK(read_file(dir + "/vocab") == "hello 10\nworld 5\n");
  CHECK(load_model_dir(dir, Device::cpu()).codes_path.empty());
  // params.json carries XLM's field names.
  const auto j = nlohmann::json::parse(first_params);
  for (const char* field : {"emb_dim", "n_layers", "n_heads", "n_langs", "id2lang", "lang2id", "n_words", "dropout",
                            "attention_dropout", "gelu_activation", "sinusoidal_embeddings", "use_lang_emb",
                            "share_inout_emb", "causal", "pad_index", "eos_index", "mask_index"}) {
    INFO(field);
    CHECK(j.contains(field));
  }
  CHECK(j["id2lang"] == nlohmann::json{{"0", "en"}, {"1", "fr"}});
  CHECK(j["lang2id"] == nlohmann::json{{"en", 0}, {"fr", 1}});
}

TEST_CASE("nn: a damaged model directory is a FormatError naming the file and what is wrong", "[nn][model_dir]") {
  nntest::TempDir tmp;
  write_file(tmp.file("vocab.txt"), "a 1\n");
  TransformerModel model(nntest::tiny_config(), 22);
  const std::string dir = tmp.file("model");
  save_model_dir(dir, model, tmp.file("vocab.txt"), "");
  const std::string weights = dir + "/model.safetensors", params = dir + "/params.json";
  const std::string good_params = read_file(params);

  SECTION("missing tensor") {
    NamedTensors sd = model.state_dict();
    sd.erase(std::find_if(sd.begin(), sd.end(), [](const auto& p) { return p.first == "ffns.1.lin2.bias"; }));
    save_safetensors(weights, sd);
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "model.safetensors", "missing parameter",
                     "ffns.1.lin2.bias");
  }
  SECTION("mis-shaped tensor") {
    NamedTensors sd = model.state_dict();
    for (auto& p : sd)
      if (p.first == "layer_norm1.0.weight") p.second = Tensor::zeros({7}, DType::f32);
    save_safetensors(weights, sd);
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "model.safetensors", "layer_norm1.0.weight",
                     "[7]", "[8]");
  }
  SECTION("unexpected tensor") {
    NamedTensors sd = model.state_dict();
    sd.emplace_back("encoder_attn.0.q_lin.weight", Tensor::zeros({8, 8}, DType::f32));
    save_safetensors(weights, sd);
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "model.safetensors", "unexpected",
                     "encoder_attn.0.q_lin.weight");
  }
  SECTION("tied copies differ") {
    NamedTensors sd = model.state_dict();
    for (auto& p : sd)
      if (p.first == "pred_layer.proj.weight") p.second = Tensor::zeros({20, 8}, DType::f32);
    save_safetensors(weights, sd);
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "pred_layer.proj.weight", "tied");
  }
  SECTION("f64 weights are converted") {
    NamedTensors sd = model.state_dict();
    NamedTensors wide;
    for (auto& p : sd) wide.emplace_back(p.first, Tensor::from_doubles(p.second.to_doubles(), p.second.shape(), DType::f64));
    save_safetensors(weights, wide);
    const LoadedModel loaded = load_model_dir(dir, Device::cpu());
    CHECK(same_bytes(loaded.model->state_dict()[2].second, sd[2].second));
  }
  SECTION("params.json: wrong type") {
    auto j = nlohmann::json::parse(good_params);
    j["n_heads"] = "two";
    write_file(params, j.dump());
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "params.json", "n_heads", "integer");
  }
  SECTION("params.json: missing field") {
    auto j = nlohmann::json::parse(good_params);
    j.erase("emb_dim");
    write_file(params, j.dump());
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "params.json", "emb_dim", "missing");
  }
  SECTION("params.json: invalid value") {
    auto j = nlohmann::json::parse(good_params);
    j["n_heads"] = 3;
    write_file(params, j.dump());
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "params.json", "n_heads", "divide");
  }
  SECTION("params.json: lang2id disagrees") {
    auto j = nlohmann::json::parse(good_params);
    j["lang2id"] = {{"en", 1}, {"fr", 0}};
    write_file(params, j.dump());
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "params.json", "lang2id");
  }
  SECTION("params.json: not JSON") {
    write_file(params, "{\"emb_dim\": ");
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "params.json", "JSON");
  }
  SECTION("no vocab") {
    std::filesystem::remove(dir + "/vocab");
    XLM_CHECK_THROWS(load_model_dir(dir, Device::cpu()), FormatError, "vocab", "missing");
  }
  SECTION("not a directory") {
    XLM_CHECK_THROWS(load_model_dir(tmp.file("nothing"), Device::cpu()), FormatError, "nothing", "model directory");
  }
}

TEST_CASE("nn: a failed save leaves the existing directory intact", "[nn][model_dir]") {
  nntest::TempDir tmp;
  write_file(tmp.file("vocab.txt"), "a 1\n");
  TransformerModel model(nntest::tiny_config(), 23);
  const std::string dir = tmp.file("model");
  save_model_dir(dir, model, tmp.file("vocab.txt"), "");
  const std::string before = read_file(dir + "/model.safetensors");
  TransformerModel other(nntest::tiny_config(), 24);
  XLM_CHECK_THROWS(save_model_dir(dir, other, tmp.file("no-such-vocab"), ""), FormatError, "no-such-vocab");
  CHECK(read_file(dir + "/model.safetensors") == before);
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.file(""))) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 2);  // vocab.txt and model/: no temporary folder left behind
}

TEST_CASE("nn: config JSON round trip, list-form id2lang, validation messages", "[nn][config]") {
  const TransformerConfig c = nntest::tiny_config(true);
  const TransformerConfig back = TransformerConfig::from_json(c.to_json(), "p.json");
  CHECK(back.to_json() == c.to_json());
  CHECK(back.lang2id() == std::map<std::string, int64_t>{{"en", 0}, {"fr", 1}});
  auto j = c.to_json();
  j["id2lang"] = {"de", "en"};
  j.erase("lang2id");
  CHECK(TransformerConfig::from_json(j, "p.json").id2lang == std::vector<std::string>{"de", "en"});
  j.erase("id2lang");
  j["lang2id"] = {{"de", 1}, {"en", 0}};
  CHECK(TransformerConfig::from_json(j, "p.json").id2lang == std::vector<std::string>{"en", "de"});

  TransformerConfig bad = c;
  bad.share_inout_emb = false;
  XLM_CHECK_THROWS(bad.validate(), ConfigError, "share_inout_emb");
  bad = c;
  bad.mask_index = 20;
  XLM_CHECK_THROWS(bad.validate(), ConfigError, "mask_index");
  bad = c;
  bad.id2lang = {"en"};
  XLM_CHECK_THROWS(bad.validate(), ConfigError, "id2lang");
  bad = c;
  bad.dropout = 1.0;
  XLM_CHECK_THROWS(bad.validate(), ConfigError, "dropout");
  XLM_CHECK_THROWS(TransformerModel(bad, 1), ConfigError, "dropout");
}
