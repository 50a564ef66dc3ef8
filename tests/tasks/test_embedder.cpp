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

#include <algorithm>
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
  xlm::tasks::SentenceEmbedder embedder(dir, "", xlm::Device::parse(xlm::test::task_device()));
  REQUIRE(embedder.dim() == 16);
  const auto one = embedder.embed(kLines, "fr", 1).values;
  const auto all = embedder.embed(kLines, "fr", 32).values;
  const auto pairs = embedder.embed(kLines, "fr", 2).values;
  REQUIRE(one.size() == kLines.size() * 16);
  for (size_t i = 0; i < one.size(); ++i) {
    INFO(i);
    REQUIRE(std::isfinite(one[i]));
    CHECK(std::abs(one[i] - all[i]) <= 1e-5f);
    CHECK(std::abs(one[i] - pairs[i]) <= 1e-5f);
  }
  // Different sentences give different vectors; the language embedding matters.
  CHECK(std::abs(one[0] - one[16]) > 1e-4f);
  const auto en = embedder.embed(kLines, "en", 32).values;
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
  REQUIRE(npy.shape == xlm::NpyShape{static_cast<int64_t>(kLines.size()), 16});
  for (size_t i = 0; i < one.size(); ++i) CHECK(std::abs(npy.values[i] - all[i]) <= 1e-5f);
  fs::remove_all(dir);
  fs::remove(input);
  fs::remove(output);
}

TEST_CASE("token states and logits: every position, batch-independent, the model's output layer", "[tasks][embed]") {
  const std::string dir = (fs::temp_directory_path() / ("xlm-embed-tok-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  make_model_dir(dir);
  using xlm::tasks::EmbedOutput;
  xlm::tasks::SentenceEmbedder embedder(dir, "", xlm::Device::parse(xlm::test::task_device()));
  const auto sentence = embedder.embed(kLines, "fr", 32);
  const auto tokens = embedder.embed(kLines, "fr", 2, EmbedOutput::tokens);
  const auto tokens_all = embedder.embed(kLines, "fr", 32, EmbedOutput::tokens);
  const auto logits = embedder.embed(kLines, "fr", 3, EmbedOutput::logits);
  const int64_t n = static_cast<int64_t>(kLines.size()), d = 16;
  REQUIRE(tokens.shape.size() == 3);
  const int64_t t = tokens.shape[1];
  CHECK(tokens.shape == std::vector<int64_t>{n, t, d});
  REQUIRE(t >= 3);  // the longest line has words between its two </s>
  auto loaded = xlm::nn::load_model_dir(dir, xlm::Device::cpu());
  const int64_t v = loaded.config.n_words;
  CHECK(logits.shape == std::vector<int64_t>{n, t, v});
  for (int64_t i = 0; i < n * t * d; ++i) CHECK(std::abs(tokens.values[i] - tokens_all.values[i]) <= 1e-5f);
  for (int64_t i = 0; i < n; ++i)  // position 0 is the sentence vector
    for (int64_t c = 0; c < d; ++c) CHECK(std::abs(tokens.values[(i * t) * d + c] - sentence.values[i * d + c]) <= 1e-6f);
  // The empty line is `</s> </s>`: positions 2.. are padding, written as 0.
  for (int64_t p = 2; p < t; ++p)
    for (int64_t c = 0; c < d; ++c) CHECK(tokens.values[(2 * t + p) * d + c] == 0.0f);
  for (int64_t p = 2; p < t; ++p) CHECK(logits.values[(2 * t + p) * v] == 0.0f);
  // Logits are the tied output layer applied to the token states.
  std::vector<float> rows(tokens.values.begin() + 3 * t * d, tokens.values.begin() + 4 * t * d);  // line 3, (T, D)
  const auto want = loaded.model->predict(xlm::Tensor::from_vector(rows, {t, d})).to_doubles();    // (T, V)
  // Line 3 is the longest, so all its T positions are real tokens.
  CHECK(std::any_of(rows.end() - d, rows.end(), [](float x) { return x != 0.0f; }));
  for (int64_t p = 0; p < t; ++p)
    for (int64_t c = 0; c < v; ++c)
      CHECK(std::abs(logits.values[(3 * t + p) * v + c] - static_cast<float>(want[p * v + c])) <= 1e-4f);
  XLM_CHECK_THROWS(xlm::tasks::parse_embed_output("vectors"), xlm::ConfigError, "--output vectors");
  // Special words survive BPE and indexing whole: `</s> <special1> </s>`, `</s> <unk> </s>`.
  CHECK(embedder.embed({"<special1>"}, "fr", 1, EmbedOutput::tokens).shape == std::vector<int64_t>{1, 3, d});
  CHECK(embedder.embed({"<unk>"}, "fr", 1, EmbedOutput::tokens).shape == std::vector<int64_t>{1, 3, d});

  // The command writes (N, T, n_words) for --output logits.
  const std::string input = dir + "-in.txt", output = dir + "-out.npy";
  {
    std::ofstream in(input);
    for (const auto& l : kLines) in << l << "\n";
  }
  const std::string cmd = std::string(XLM_BINARY) + " embed --reload_model " + dir +
                          " --lang fr --device cpu --output logits < " + input + " > " + output;
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto npy = xlm::read_npy_f32(output);
  REQUIRE(npy.shape == xlm::NpyShape{n, t, v});
  for (size_t i = 0; i < npy.values.size(); ++i) CHECK(std::abs(npy.values[i] - logits.values[i]) <= 1e-5f);
  fs::remove_all(dir);
  fs::remove(input);
  fs::remove(output);
}
