// xlm convert (tasks/convert): the HF name/config/vocabulary rules one by one,
// ours -> HF -> ours bit for bit, a hand-written HF directory (only HF's keys,
// no tied duplicate, position_ids buffer, merges.txt with a header and no
// counts), and the released models' pitfalls with their one-line messages.
#include "core/error.h"
#include "core/safetensors.h"
#include "nn/model_dir.h"
#include "nn/tiny_model.h"
#include "support.h"
#include "tasks/convert/convert.h"
#include "tasks/convert/hf_layout.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace xlm;
using namespace xlm::tasks;

namespace {

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

// Words 14..19 of the tiny model's 20-word vocabulary.
const char* kVocab = "le@@ 9\ner 8\nthe 7\nc@@ 6\nat 5\ns 4\n";
const char* kCodes = "l e 9\nt h 8\nth e</w> 7\n";

std::string save_tiny(const nntest::TempDir& tmp, const std::string& name, const nn::TransformerConfig& config,
                      const std::string& vocab = kVocab) {
  write_file(tmp.file(name + ".vocab"), vocab);
  write_file(tmp.file(name + ".codes"), kCodes);
  nn::TransformerModel model(config, 7);
  const std::string dir = tmp.file(name);
  nn::save_model_dir(dir, model, tmp.file(name + ".vocab"), tmp.file(name + ".codes"));
  return dir;
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_doubles() == b.to_doubles();
}

}  // namespace

TEST_CASE("convert: HF parameter names", "[convert]") {
  CHECK(hf_param_name("embeddings.weight") == "transformer.embeddings.weight");
  CHECK(hf_param_name("attentions.1.q_lin.bias") == "transformer.attentions.1.q_lin.bias");
  CHECK(hf_param_name("pred_layer.proj.bias") == "pred_layer.proj.bias");
  CHECK(xlm_param_name("transformer.ffns.0.lin2.weight", "f") == "ffns.0.lin2.weight");
  CHECK(xlm_param_name("pred_layer.proj.weight", "f") == "pred_layer.proj.weight");
  CHECK(xlm_param_name("transformer.position_ids", "f").empty());
  XLM_CHECK_THROWS(xlm_param_name("sequence_summary.summary.weight", "m.safetensors"), FormatError, "m.safetensors",
                   "sequence_summary.summary.weight");
}

TEST_CASE("convert: vocabulary end-of-word convention", "[convert]") {
  CHECK(hf_token("le@@", 14) == "le");
  CHECK(hf_token("er", 15) == "er</w>");
  CHECK(hf_token("<special1>", 5) == "<special1>");
  CHECK(xlm_word("le", 14) == "le@@");
  CHECK(xlm_word("er</w>", 15) == "er");
  CHECK(xlm_word("</s>", 1) == "</s>");
  std::vector<std::string> words = {"<s>", "</s>", "<pad>", "<unk>"};
  for (int i = 0; i < 10; ++i) words.push_back("<special" + std::to_string(i) + ">");
  words.insert(words.end(), {"le@@", "er", "a"});
  const nlohmann::json j = hf_vocab_json(words);
  CHECK(j["le"] == 14);
  CHECK(j["er</w>"] == 15);
  CHECK(j["a</w>"] == 16);
  CHECK(j["<pad>"] == 2);
  CHECK(xlm_words_from_hf_vocab(j, "v") == words);
  nlohmann::json bad = j;
  bad.erase("<pad>");
  bad["<PAD>"] = 2;
  XLM_CHECK_THROWS(xlm_words_from_hf_vocab(bad, "vocab.json"), FormatError, "vocab.json", "id 2", "<pad>");
  nlohmann::json gap = j;
  gap["a</w>"] = 40;
  XLM_CHECK_THROWS(xlm_words_from_hf_vocab(gap, "vocab.json"), FormatError, "'a</w>' has id 40");
}

TEST_CASE("convert: ours -> HF -> ours is bit-identical", "[convert]") {
  nntest::TempDir tmp;
  const std::string ours = save_tiny(tmp, "ours", nntest::tiny_config());
  const std::string hf = tmp.file("hf");
  convert_to_hf(ours, hf);
  CHECK(detect_model_layout(hf) == ModelLayout::hf_dir);

  const nlohmann::json config = nlohmann::json::parse(read_file(hf + "/config.json"));
  CHECK(config["model_type"] == "xlm");
  CHECK(config["architectures"][0] == "XLMWithLMHeadModel");
  CHECK(config["vocab_size"] == 20);
  CHECK(config["emb_dim"] == 8);
  CHECK(config["n_layers"] == 2);
  CHECK(config["n_heads"] == 2);
  CHECK(config["n_langs"] == 2);
  CHECK(config["max_position_embeddings"] == 16);
  CHECK(config["id2lang"]["1"] == "fr");
  CHECK(config["lang2id"]["en"] == 0);
  const auto hf_tensors = load_safetensors(hf + "/model.safetensors").tensors;
  const auto our_tensors = load_safetensors(ours + "/model.safetensors").tensors;
  CHECK(hf_tensors.size() == our_tensors.size());
  REQUIRE(hf_tensors.count("transformer.embeddings.weight") == 1);
  CHECK(same_tensor(hf_tensors.at("transformer.embeddings.weight"), our_tensors.at("embeddings.weight")));
  CHECK(same_tensor(hf_tensors.at("pred_layer.proj.bias"), our_tensors.at("pred_layer.proj.bias")));
  CHECK(hf_tensors.count("transformer.layer_norm2.1.bias") == 1);
  const nlohmann::json vocab = nlohmann::json::parse(read_file(hf + "/vocab.json"));
  CHECK(vocab.size() == 20);
  CHECK(vocab["le"] == 14);
  CHECK(vocab["er</w>"] == 15);
  CHECK(vocab["s</w>"] == 19);
  CHECK(read_file(hf + "/merges.txt") == kCodes);

  const std::string back = tmp.file("back");
  const ConvertReport report = convert_to_xlm(hf, back);
  CHECK(report.notes.empty());
  CHECK(read_file(back + "/model.safetensors") == read_file(ours + "/model.safetensors"));
  CHECK(read_file(back + "/params.json") == read_file(ours + "/params.json"));
  CHECK(read_file(back + "/vocab") == kVocab);
  CHECK(read_file(back + "/codes") == kCodes);
}

TEST_CASE("convert: a decoder has no HF layout", "[convert]") {
  nntest::TempDir tmp;
  const std::string ours = save_tiny(tmp, "dec", nntest::tiny_config(true));
  XLM_CHECK_THROWS(convert_to_hf(ours, tmp.file("hf")), ConfigError, "decoder");
}

TEST_CASE("convert: a hand-written HF directory loads", "[convert]") {
  nntest::TempDir tmp;
  nn::TransformerConfig c = nntest::tiny_config();
  c.n_langs = 1;
  c.id2lang = {};
  c.max_positions = 12;
  nn::TransformerModel source(c, 3);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, t] : source.state_dict())
    if (name != "pred_layer.proj.weight") tensors.emplace_back(hf_param_name(name), t);  // save_pretrained drops the tie
  tensors.emplace_back("transformer.position_ids", Tensor::from_vector(std::vector<int64_t>(12, 0), {1, 12}));
  const std::string hf = tmp.file("hf");
  std::filesystem::create_directories(hf);
  save_safetensors(hf + "/model.safetensors", tensors);
  // HF's keys only: vocab_size, n_layers/n_heads/emb_dim, no n_langs, no max_position_embeddings.
  write_file(hf + "/config.json",
             R"({"model_type": "xlm", "vocab_size": 20, "emb_dim": 8, "n_layers": 2, "n_heads": 2,
                 "dropout": 0.1, "attention_dropout": 0.1, "gelu_activation": true, "causal": false})");
  nlohmann::json vocab = {{"<s>", 0}, {"</s>", 1}, {"<pad>", 2}, {"<unk>", 3}};
  for (int i = 0; i < 10; ++i) vocab["<special" + std::to_string(i) + ">"] = 4 + i;
  for (auto [token, id] : std::vector<std::pair<std::string, int>>{
           {"le", 14}, {"er</w>", 15}, {"the</w>", 16}, {"c", 17}, {"at</w>", 18}, {"s</w>", 19}})
    vocab[token] = id;
  write_file(hf + "/vocab.json", vocab.dump());
  write_file(hf + "/merges.txt", "#version: 0.2\nl e\nt h 8\n");

  const std::string out = tmp.file("ours");
  const ConvertReport report = convert_to_xlm(hf, out);
  REQUIRE(report.notes.size() == 1);
  CHECK_THAT(report.notes[0], Catch::Contains("no counts"));
  CHECK(read_file(out + "/vocab") == "le@@ 6\ner 5\nthe 4\nc@@ 3\nat 2\ns 1\n");
  CHECK(read_file(out + "/codes") == "l e 0\nt h 8\n");
  const nn::LoadedModel loaded = nn::load_model_dir(out, Device::cpu());
  CHECK(loaded.config.max_positions == 12);
  CHECK(loaded.config.n_langs == 1);
  const auto got = loaded.model->state_dict();
  const auto want = source.state_dict();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(got[i].first);
    CHECK(got[i].first == want[i].first);
    CHECK(same_tensor(got[i].second, want[i].second));
  }
}

TEST_CASE("convert: released-model pitfalls", "[convert]") {
  nntest::TempDir tmp;
  SECTION("a vocab longer than n_words is truncated as --max_vocab does") {
    const std::string src = save_tiny(tmp, "long", nntest::tiny_config(), std::string(kVocab) + "extra 3\nmore 2\n");
    const ConvertReport report = convert_to_xlm(src, tmp.file("out"));
    REQUIRE(report.notes.size() == 1);
    CHECK_THAT(report.notes[0], Catch::Contains("22 entries for n_words 20"));
    CHECK(read_file(tmp.file("out") + "/vocab") == kVocab);
  }
  SECTION("a vocab shorter than n_words is an error") {
    const std::string src = save_tiny(tmp, "short", nntest::tiny_config(), "le@@ 9\n");
    XLM_CHECK_THROWS(convert_to_xlm(src, tmp.file("out")), FormatError, "15 entries, fewer than n_words 20");
  }
  SECTION("use_lang_emb false: no language table expected") {
    nn::TransformerConfig c = nntest::tiny_config();
    c.use_lang_emb = false;
    const std::string src = save_tiny(tmp, "nolang", c);
    convert_to_xlm(src, tmp.file("out"));
    const nn::LoadedModel loaded = nn::load_model_dir(tmp.file("out"), Device::cpu());
    CHECK(loaded.config.n_langs == 2);
    CHECK_FALSE(loaded.config.use_lang_emb);
  }
  SECTION("a language table the params do not allow") {
    const std::string src = save_tiny(tmp, "lang", nntest::tiny_config());
    nlohmann::json params = nlohmann::json::parse(read_file(src + "/params.json"));
    params["use_lang_emb"] = false;
    write_file(src + "/params.json", params.dump());
    XLM_CHECK_THROWS(convert_to_xlm(src, tmp.file("out")), FormatError, "lang_embeddings.weight",
                     "use_lang_emb false");
  }
  SECTION("n_langs comes from the params and must match the table") {
    const std::string src = save_tiny(tmp, "lang3", nntest::tiny_config());
    nlohmann::json params = nlohmann::json::parse(read_file(src + "/params.json"));
    params["n_langs"] = 3;
    params["id2lang"] = {"en", "fr", "de"};
    params.erase("lang2id");
    write_file(src + "/params.json", params.dump());
    XLM_CHECK_THROWS(convert_to_xlm(src, tmp.file("out")), FormatError, "shape [2, 8] but n_langs is 3");
  }
  SECTION("a missing language table with use_lang_emb true") {
    nn::TransformerConfig c = nntest::tiny_config();
    c.use_lang_emb = false;
    const std::string src = save_tiny(tmp, "miss", c);
    nlohmann::json params = nlohmann::json::parse(read_file(src + "/params.json"));
    params["use_lang_emb"] = true;
    write_file(src + "/params.json", params.dump());
    XLM_CHECK_THROWS(convert_to_xlm(src, tmp.file("out")), FormatError, "no 'lang_embeddings.weight'",
                     "needs use_lang_emb false");
  }
  SECTION("layout detection") {
    XLM_CHECK_THROWS(detect_model_layout(tmp.file("nothing")), FormatError, "not a model");
    std::filesystem::create_directories(tmp.file("empty"));
    XLM_CHECK_THROWS(detect_model_layout(tmp.file("empty")), FormatError, "neither params.json");
    write_file(tmp.file("m.pth"), "x");
    CHECK(detect_model_layout(tmp.file("m.pth")) == ModelLayout::pth);
  }
}

namespace {

// The Python that reads a .pth: $XLM_PYTHON, else python3; "" when it lacks torch.
std::string python_with_torch() {
  const char* env = std::getenv("XLM_PYTHON");
  const std::string python = env != nullptr && *env != '\0' ? env : "python3";
  return std::system((python + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0 ? python : "";
}

// A tiny XLM training checkpoint as XLM saves it (multi-GPU `module.`
// prefixes, dico_*, params with extra training fields), plus its tensors as
// JSON (float32 values printed exactly) for the comparison.
const char* kMakePth = R"(import json, sys, torch
torch.manual_seed(0)
D, L, V = 8, 2, 20
sd = {}
def add(n, *shape): sd["module." + n] = torch.randn(*shape)
add("position_embeddings.weight", 16, D); add("lang_embeddings.weight", 2, D); add("embeddings.weight", V, D)
add("layer_norm_emb.weight", D); add("layer_norm_emb.bias", D)
for i in range(L):
    for p in ("q", "k", "v", "out"): add(f"attentions.{i}.{p}_lin.weight", D, D); add(f"attentions.{i}.{p}_lin.bias", D)
for i in range(L): add(f"layer_norm1.{i}.weight", D); add(f"layer_norm1.{i}.bias", D)
for i in range(L):
    add(f"ffns.{i}.lin1.weight", 4 * D, D); add(f"ffns.{i}.lin1.bias", 4 * D)
    add(f"ffns.{i}.lin2.weight", D, 4 * D); add(f"ffns.{i}.lin2.bias", D)
for i in range(L): add(f"layer_norm2.{i}.weight", D); add(f"layer_norm2.{i}.bias", D)
sd["module.pred_layer.proj.weight"] = sd["module.embeddings.weight"]
add("pred_layer.proj.bias", V)
words = ["<s>", "</s>", "<pad>", "<unk>"] + [f"<special{i}>" for i in range(10)] + ["le@@", "er", "the", "c@@", "at", "s"]
params = {"emb_dim": D, "n_layers": L, "n_heads": 2, "n_langs": 2, "id2lang": {0: "en", 1: "fr"},
          "lang2id": {"en": 0, "fr": 1}, "dropout": 0.1, "attention_dropout": 0.1, "gelu_activation": True,
          "sinusoidal_embeddings": False, "n_words": V, "pad_index": 2, "eos_index": 1, "mask_index": 5, "lgs": "en-fr"}
torch.save({"model": sd, "dico_id2word": dict(enumerate(words)), "dico_counts": {w: 100 - i for i, w in enumerate(words)},
            "params": params}, sys.argv[1])
json.dump({k[7:]: [float(x) for x in v.flatten().tolist()] for k, v in sd.items()}, open(sys.argv[2], "w"))
hf = {(k[7:] if k.startswith("module.pred_layer") else "transformer." + k[7:]): v for k, v in sd.items()}
hf["transformer.position_ids"] = torch.arange(16)[None]
torch.save(hf, sys.argv[3])
)";

}  // namespace

TEST_CASE("convert: an original .pth through the Python helper", "[convert][python]") {
  const std::string python = python_with_torch();
  if (python.empty()) {
    std::printf("XLM-SKIP: no python3 with torch (set XLM_PYTHON), skipping the .pth conversion test\n");
    return;
  }
  nntest::TempDir tmp;
  write_file(tmp.file("make.py"), kMakePth);
  std::filesystem::create_directories(tmp.file("hf"));
  REQUIRE(std::system((python + " " + tmp.file("make.py") + " " + tmp.file("m.pth") + " " + tmp.file("m.json") + " " +
                       tmp.file("hf/pytorch_model.bin"))
                          .c_str()) == 0);
  const std::string helper = test::source_path("tools/convert/pth_to_safetensors.py");
  const nlohmann::json want = nlohmann::json::parse(read_file(tmp.file("m.json")));
  auto check_values = [&](const nn::LoadedModel& loaded) {
    const auto got = loaded.model->state_dict();
    CHECK(got.size() == want.size());
    for (const auto& [name, t] : got) {
      INFO(name);
      REQUIRE(want.contains(name));
      CHECK(t.to_doubles() == want[name].get<std::vector<double>>());
    }
  };
  write_file(tmp.file("codes"), kCodes);
  const std::string out = tmp.file("out");
  convert_pth_to_xlm(tmp.file("m.pth"), out, helper, tmp.file("codes"));
  CHECK(read_file(out + "/vocab") == "le@@ 86\ner 85\nthe 84\nc@@ 83\nat 82\ns 81\n");
  CHECK(read_file(out + "/codes") == kCodes);
  const nn::LoadedModel loaded = nn::load_model_dir(out, Device::cpu());
  CHECK(loaded.config.n_words == 20);
  CHECK(loaded.config.max_positions == 16);
  CHECK(loaded.config.id2lang == std::vector<std::string>{"en", "fr"});
  check_values(loaded);

  // A HF directory holding only pytorch_model.bin: the helper rewrites it as safetensors.
  write_file(tmp.file("hf/config.json"), hf_config_json(loaded.config).dump());
  convert_to_hf(out, tmp.file("hf_full"));
  write_file(tmp.file("hf/vocab.json"), read_file(tmp.file("hf_full/vocab.json")));
  XLM_CHECK_THROWS(convert_to_xlm(tmp.file("hf"), tmp.file("from_bin")), FormatError, "only pytorch_model.bin");
  convert_to_xlm(tmp.file("hf"), tmp.file("from_bin"), helper);
  check_values(nn::load_model_dir(tmp.file("from_bin"), Device::cpu()));
  CHECK(read_file(tmp.file("from_bin") + "/params.json") == read_file(out + "/params.json"));

  write_file(tmp.file("not_xlm.pth"), "");
  XLM_CHECK_THROWS(convert_pth_to_xlm(tmp.file("not_xlm.pth"), out, helper), FormatError, "not_xlm.pth", "helper failed");
}
