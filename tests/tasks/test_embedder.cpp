// `xlm embed`: one row per line, the state at position 0, independent of how
// lines are batched and padded, and the same numbers through the command
// (a .npy on stdout) as through the library.
#include "core/error.h"
#include "core/npy.h"
#include "nn/model_dir.h"
#include "nn/transformer.h"
#include "pretrain_fixture.h"
#include "support.h"
#include "tasks/embed/sentence_embedder.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kLines = {
    "La bibliothèque ImportWizard",
    "Codes d'erreur :",
    "",
    "Ouvre une boîte de dialogue pour choisir un fichier et l'insérer dans le document actif .",
    "fichier",
};

// A freshly initialised two-language model saved with the fixture's vocab and codes.
std::string make_model_dir(const std::string& dir) {
  const std::string data = xlm::test::pretrain_data_dir();
  const auto dictionary = xlm::text::Dictionary::from_vocab_file(data + "/vocab");
  xlm::nn::TransformerConfig config;
  config.n_words = dictionary.size();
  config.emb_dim = 16;
  config.n_layers = 2;
  config.n_heads = 2;
  config.n_langs = 2;
  config.id2lang = {"en", "fr"};
  config.dropout = 0.1;  // must be off at inference
  xlm::nn::TransformerModel model(config, 7);
  xlm::nn::save_model_dir(dir, model, data + "/vocab", data + "/codes");
  return dir;
}

}  // namespace

TEST_CASE("sentence embeddings do not depend on batching", "[tasks][embed]") {
  const std::string dir = (fs::temp_directory_path() / ("xlm-embed-test-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  make_model_dir(dir);
  xlm::tasks::SentenceEmbedder embedder(dir, "", xlm::Device::cpu());
  REQUIRE(embedder.dim() == 16);
  const auto one = embedder.embed(kLines, "fr", 1);
  const auto all = embedder.embed(kLines, "fr", 32);
  const auto pairs = embedder.embed(kLines, "fr", 2);
  REQUIRE(one.size() == kLines.size() * 16);
  for (size_t i = 0; i < one.size(); ++i) {
    INFO(i);
    REQUIRE(std::isfinite(one[i]));
    CHECK(std::abs(one[i] - all[i]) <= 1e-5f);
    CHECK(std::abs(one[i] - pairs[i]) <= 1e-5f);
  }
  // Different sentences give different vectors; the language embedding matters.
  CHECK(std::abs(one[0] - one[16]) > 1e-4f);
  const auto en = embedder.embed(kLines, "en", 32);
  CHECK(std::abs(en[0] - all[0]) > 1e-6f);
  XLM_CHECK_THROWS(embedder.embed(kLines, "de", 4), xlm::ConfigError, "--lang de");

  // The command writes the same numbers as a (N, D) float32 .npy on stdout.
  const std::string input = dir + "-in.txt", output = dir + "-out.npy";
  {
    std::ofstream in(input);
    for (const auto& l : kLines) in << l << "\n";
  }
  const std::string cmd = std::string(XLM_BINARY) + " embed --reload_model " + dir + " --lang fr --device cpu < " +
                          input + " > " + output;
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto npy = xlm::read_npy_f32(output);
  REQUIRE(npy.rows == static_cast<int64_t>(kLines.size()));
  REQUIRE(npy.cols == 16);
  for (size_t i = 0; i < one.size(); ++i) CHECK(std::abs(npy.values[i] - all[i]) <= 1e-5f);
  fs::remove_all(dir);
  fs::remove(input);
  fs::remove(output);
}
