// Word-translation metrics on hand-built embedding tables: planted
// translations are retrieved perfectly and are closer than random pairs, and
// a four-pair 2-D case gives the hand-computed P@1, P@5, mean cosine and
// mean L2; coverage rules (single tokens only, identical spellings skipped);
// the command prints the library's numbers for a saved model.
#include "core/error.h"
#include "nn/model_dir.h"
#include "nn/transformer.h"
#include "support.h"
#include "tasks/wordemb/word_translation.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

using xlm::tasks::DictionaryPair;

xlm::text::Dictionary vocab_of(const std::vector<std::string>& words) {
  std::string text;
  int64_t count = 1000;
  for (const auto& w : words) text += fmt::format("{} {}\n", w, count--);
  std::istringstream in(text);
  return xlm::text::Dictionary::from_vocab_stream(in, "test vocab");
}

void set_row(std::vector<float>& table, const xlm::text::Dictionary& vocab, const std::string& word,
             std::vector<float> v) {
  const int64_t id = vocab.index(word);
  REQUIRE(id >= xlm::text::kFirstWordIndex);
  std::copy(v.begin(), v.end(), table.begin() + id * static_cast<int64_t>(v.size()));
}

double cosine(const std::vector<float>& t, int64_t a, int64_t b, int64_t dim) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < dim; ++i) {
    ab += double(t[a * dim + i]) * t[b * dim + i];
    aa += double(t[a * dim + i]) * t[a * dim + i];
    bb += double(t[b * dim + i]) * t[b * dim + i];
  }
  return ab / std::sqrt(aa * bb);
}

}  // namespace

TEST_CASE("planted translations are retrieved and closer than random pairs", "[tasks][wordemb]") {
  constexpr int64_t kPairs = 40, kDim = 16;
  std::vector<std::string> words;
  for (int64_t i = 0; i < kPairs; ++i) {
    words.push_back(fmt::format("src{}", i));
    words.push_back(fmt::format("tgt{}", i));
  }
  const auto vocab = vocab_of(words);
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> table(static_cast<size_t>(vocab.size() * kDim));
  std::vector<DictionaryPair> pairs;
  for (int64_t i = 0; i < kPairs; ++i) {
    std::vector<float> src(kDim), tgt(kDim);
    for (int64_t d = 0; d < kDim; ++d) {
      src[d] = normal(gen);
      tgt[d] = src[d] + 0.05f * normal(gen);  // the translation sits right next to its source
    }
    set_row(table, vocab, words[2 * i], src);
    set_row(table, vocab, words[2 * i + 1], tgt);
    pairs.push_back({words[2 * i], words[2 * i + 1]});
  }
  const auto s = xlm::tasks::evaluate_word_translation(table, kDim, vocab, pairs, 1);
  CHECK(s.covered_pairs == kPairs);
  CHECK(s.coverage() == 100.0);
  CHECK(s.p_at_1 == 100.0);
  CHECK(s.p_at_5 == 100.0);
  CHECK(s.mean_cos_pairs > 0.99);
  CHECK(std::abs(s.mean_cos_random) < 0.3);
  CHECK(s.mean_cos_pairs > s.mean_cos_random + 0.5);
  CHECK(s.mean_l2_pairs < 0.5 * s.mean_l2_random);

  // Random pairs: as many as the pairs, never a gold pair, fixed by the seed.
  REQUIRE(s.random_pairs.size() == static_cast<size_t>(kPairs));
  double cos_sum = 0;
  for (const auto& r : s.random_pairs) {
    CHECK(r.src.rfind("src", 0) == 0);
    CHECK(r.tgt.rfind("tgt", 0) == 0);
    CHECK(r.src.substr(3) != r.tgt.substr(3));
    cos_sum += cosine(table, vocab.index(r.src), vocab.index(r.tgt), kDim);
  }
  CHECK(s.mean_cos_random == Approx(cos_sum / kPairs).epsilon(1e-12));
  const auto again = xlm::tasks::evaluate_word_translation(table, kDim, vocab, pairs, 1);
  CHECK(again.mean_cos_random == s.mean_cos_random);
  const auto other = xlm::tasks::evaluate_word_translation(table, kDim, vocab, pairs, 2);
  CHECK(other.mean_cos_random != s.mean_cos_random);

  // Scrambling the targets destroys retrieval.
  std::vector<DictionaryPair> wrong;
  for (int64_t i = 0; i < kPairs; ++i) wrong.push_back({words[2 * i], words[2 * ((i + 1) % kPairs) + 1]});
  CHECK(xlm::tasks::evaluate_word_translation(table, kDim, vocab, wrong, 1).p_at_1 < 10.0);
}

TEST_CASE("word translation metrics on a hand-computed 2-D case", "[tasks][wordemb]") {
  const auto vocab = vocab_of({"cat", "chat", "dog", "chien", "sun", "soleil", "house", "maison", "taxi", "gra@@",
                               "grand"});
  std::vector<float> table(static_cast<size_t>(vocab.size() * 2));
  set_row(table, vocab, "cat", {2, 0});
  set_row(table, vocab, "chat", {1, 0});
  set_row(table, vocab, "dog", {0, 1});
  set_row(table, vocab, "chien", {0, 3});
  set_row(table, vocab, "sun", {1, 1});
  set_row(table, vocab, "soleil", {1, 2});
  set_row(table, vocab, "house", {1, -1});
  set_row(table, vocab, "maison", {-1, 0.5f});
  const std::vector<DictionaryPair> pairs = {
      {"cat", "chat"},   {"dog", "chien"},     {"sun", "soleil"},
      {"house", "maison"},
      {"cat", "chat"},   // duplicate: scored once
      {"taxi", "taxi"},  // one spelling, one row: skipped as identical
      {"big", "grand"},  // "big" is not in the vocabulary
      {"tall", "gra"},   // "gra" only exists as the continuation piece gra@@
  };
  const auto s = xlm::tasks::evaluate_word_translation(table, 2, vocab, pairs, 0);
  CHECK(s.dictionary_pairs == 8);
  CHECK(s.covered_pairs == 4);
  CHECK(s.identical_pairs == 1);
  CHECK(s.coverage() == 50.0);
  CHECK(s.queries == 4);
  CHECK(s.candidates == 4);
  // cat, dog, sun find their translation first (sun: soleil 0.949 > chat, chien 0.707);
  // house ranks chat 0.707, soleil -0.316, chien -0.707, maison -0.949: a hit at 5 only.
  CHECK(s.p_at_1 == 75.0);
  CHECK(s.p_at_5 == 100.0);
  // cosines 1, 1, 3/sqrt(10), -3/sqrt(10); L2 distances 1, 2, 1, 2.5.
  CHECK(s.mean_cos_pairs == Approx(0.5).epsilon(1e-12));
  CHECK(s.mean_l2_pairs == Approx(1.625).epsilon(1e-12));
  REQUIRE(s.random_pairs.size() == 4);

  REQUIRE_THROWS_AS(xlm::tasks::evaluate_word_translation(table, 2, vocab, {{"big", "grand"}}, 0), xlm::ConfigError);
  REQUIRE_THROWS_AS(xlm::tasks::evaluate_word_translation(table, 3, vocab, pairs, 0), xlm::ConfigError);
}

TEST_CASE("bilingual dictionary files are read and bad lines are named", "[tasks][wordemb]") {
  namespace fs = std::filesystem;
  const std::string path = (fs::temp_directory_path() / ("xlm-wordemb-dict-" + std::to_string(::getpid()))).string();
  {
    std::ofstream out(path);
    out << "cat\tchat\n\ndog\tchien\r\n";
  }
  const auto pairs = xlm::tasks::read_bilingual_dictionary(path);
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[1].src == "dog");
  CHECK(pairs[1].tgt == "chien");
  {
    std::ofstream out(path);
    out << "cat\tchat\ndog chien\n";
  }
  REQUIRE_THROWS_WITH(xlm::tasks::read_bilingual_dictionary(path), Catch::Contains(path + ":2"));
  fs::remove(path);
  REQUIRE_THROWS_WITH(xlm::tasks::read_bilingual_dictionary(path), Catch::Contains(path));
}

TEST_CASE("xlm wordemb reports the library's numbers for a model directory", "[tasks][wordemb]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("xlm-wordemb-cmd-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::string> words = {"cat", "chat", "dog", "chien", "sun", "soleil", "house", "maison"};
  {
    std::ofstream vocab(dir / "vocab");
    int64_t count = 100;
    for (const auto& w : words) vocab << w << ' ' << count-- << '\n';
    std::ofstream dict(dir / "en-fr.txt");
    dict << "cat\tchat\ndog\tchien\nsun\tsoleil\nhouse\tmaison\nbig\tgrand\n";
  }
  const auto vocab = xlm::text::Dictionary::from_vocab_file((dir / "vocab").string());
  xlm::nn::TransformerConfig config;
  config.n_words = vocab.size();
  config.emb_dim = 8;
  config.n_layers = 1;
  config.n_heads = 2;
  config.n_langs = 2;
  config.id2lang = {"en", "fr"};
  xlm::nn::TransformerModel model(config, 11);
  xlm::nn::save_model_dir((dir / "model").string(), model, (dir / "vocab").string(), "");
  std::vector<float> table;
  for (const auto& [name, t] : model.state_dict()) {
    if (name == "embeddings.weight") table = t.to_vector<float>();
  }
  const auto expected = xlm::tasks::evaluate_word_translation(
      table, 8, vocab, xlm::tasks::read_bilingual_dictionary((dir / "en-fr.txt").string()), 3);

  const std::string json = (dir / "out.json").string();
  const std::string cmd = fmt::format("{} wordemb --reload_model {} --dict {} --tgt_lang fr --seed 3 --json {} > {} 2>&1",
                                      XLM_BINARY, (dir / "model").string(), (dir / "en-fr.txt").string(), json,
                                      (dir / "log").string());
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  CHECK(j.at("dictionary_pairs") == 5);
  CHECK(j.at("covered_pairs") == 4);
  CHECK(j.at("coverage").get<double>() == 80.0);
  CHECK(j.at("p_at_1").get<double>() == expected.p_at_1);
  CHECK(j.at("p_at_5").get<double>() == expected.p_at_5);
  CHECK(j.at("mean_cos_pairs").get<double>() == expected.mean_cos_pairs);
  CHECK(j.at("mean_l2_random").get<double>() == expected.mean_l2_random);

  // A language the model does not know is refused, naming the flag.
  const std::string bad = fmt::format("{} wordemb --reload_model {} --dict {} --tgt_lang de > {} 2>&1", XLM_BINARY,
                                      (dir / "model").string(), (dir / "en-fr.txt").string(), (dir / "log").string());
  CHECK(std::system(bad.c_str()) != 0);
  std::ifstream log(dir / "log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text.find("--tgt_lang de") != std::string::npos);
  fs::remove_all(dir);
}
