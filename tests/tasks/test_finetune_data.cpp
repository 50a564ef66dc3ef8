// The readers of `xlm finetune` parse hand-written XNLI / MultiNLI rows and
// the committed topic set exactly and refuse malformed files with the file
// and line; --finetune_layers follows XLM's "i:j" syntax, with '_' for minus,
// and selects exactly the parameters XLM's get_parameters selects.
#include "core/error.h"
#include "support.h"
#include "tasks/classify/classify_data.h"
#include "tasks/classify/finetune_config.h"
#include "tasks/classify/finetune_layers.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using xlm::tasks::ClassifyExample;

// XNLI 1.0's 19 columns, in the file's order.
const char* kXnliHeader =
    "language\tgold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\t"
    "sentence1\tsentence2\tpromptID\tpairID\tgenre\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\t"
    "sentence1_tokenized\tsentence2_tokenized\tmatch\n";

std::string xnli_row(const std::string& lang, const std::string& label, const std::string& s1, const std::string& s2) {
  return lang + "\t" + label + "\t(bp1)\t(bp2)\t(p1)\t(p2)\t" + s1 + "\t" + s2 +
         "\t1\t2\tfiction\tneutral\t\t\t\t\ttok1\ttok2\tTrue\n";
}

// MultiNLI 1.0's 15 columns.
const char* kMnliHeader =
    "gold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\t"
    "sentence1\tsentence2\tpromptID\tpairID\tgenre\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\n";

std::string mnli_row(const std::string& label, const std::string& s1, const std::string& s2) {
  return label + "\t(bp1)\t(bp2)\t(p1)\t(p2)\t" + s1 + "\t" + s2 + "\t31193\t31193n\tgovernment\tneutral\t\t\t\t\n";
}

}  // namespace

TEST_CASE("XNLI TSV rows are read by column name, grouped by language", "[tasks][finetune]") {
  std::istringstream ok(std::string(kXnliHeader) +
                        xnli_row("en", "contradiction", "The cat sat.", "No cat \"sat\".") +
                        xnli_row("fr", "entailment", "Le chat dort.", "Un chat dort.") + "\r\n" +  // blank lines are skipped
                        xnli_row("en", "neutral", "A man walks.", "He is late."));
  const auto by_lang = xlm::tasks::read_xnli_tsv(ok, "xnli.dev.tsv");
  REQUIRE(by_lang.size() == 2);
  const auto& en = by_lang.at("en");
  REQUIRE(en.size() == 2);
  CHECK(en[0].sentence1 == "The cat sat.");
  CHECK(en[0].sentence2 == "No cat \"sat\".");
  CHECK(en[0].label == 0);  // contradiction
  CHECK(en[1].label == 1);  // neutral
  CHECK(en[1].sentence2 == "He is late.");
  REQUIRE(by_lang.at("fr").size() == 1);
  CHECK(by_lang.at("fr")[0].label == 2);  // entailment
  CHECK(by_lang.at("fr")[0].sentence1 == "Le chat dort.");
}

TEST_CASE("XNLI TSV errors name the file and line", "[tasks][finetune]") {
  std::istringstream bad_label(std::string(kXnliHeader) + xnli_row("en", "neutral", "a", "b") +
                               xnli_row("de", "contradictory", "a", "b"));
  XLM_CHECK_THROWS(xlm::tasks::read_xnli_tsv(bad_label, "t.tsv"), xlm::FormatError, "t.tsv:3",
                   "gold_label 'contradictory'");
  std::istringstream no_column("language\tgold_label\tsentence1\n");
  XLM_CHECK_THROWS(xlm::tasks::read_xnli_tsv(no_column, "t.tsv"), xlm::FormatError, "t.tsv:1",
                   "no column 'sentence2'");
  std::istringstream empty("");
  XLM_CHECK_THROWS(xlm::tasks::read_xnli_tsv(empty, "t.tsv"), xlm::FormatError, "t.tsv: empty file");
  XLM_CHECK_THROWS(xlm::tasks::read_xnli_tsv_file("/nonexistent/xnli.test.tsv"), xlm::FormatError,
                   "/nonexistent/xnli.test.tsv", "cannot open");
}

TEST_CASE("MultiNLI rows without a gold label are dropped", "[tasks][finetune]") {
  std::istringstream in(std::string(kMnliHeader) + mnli_row("neutral", "Conceptually cream skimming.", "Product.") +
                        mnli_row("-", "Unclear.", "No majority.") + mnli_row("entailment", "you know", "yes"));
  const auto rows = xlm::tasks::read_multinli_tsv(in, "multinli_1.0_train.txt");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].sentence1 == "Conceptually cream skimming.");
  CHECK(rows[0].sentence2 == "Product.");
  CHECK(rows[0].label == 1);
  CHECK(rows[1].sentence1 == "you know");
  CHECK(rows[1].label == 2);

  std::istringstream short_row(std::string(kMnliHeader) + "neutral\tonly two\n");
  XLM_CHECK_THROWS(xlm::tasks::read_multinli_tsv(short_row, "m.txt"), xlm::FormatError, "m.txt:2",
                   "2 tab-separated fields, the header has 15");
}

TEST_CASE("the committed topic set reads with its 13 labels and 4 test languages", "[tasks][finetune]") {
  const auto task = xlm::tasks::read_topic_task(xlm::test::source_path("tests/fixtures/corpus/topics"));
  REQUIRE(task.labels.size() == 13);
  CHECK(task.labels[0] == "libs");
  CHECK(task.labels[12] == "utils");
  CHECK(task.train.size() == 52);
  CHECK(task.valid.size() == 52);
  REQUIRE(task.test.size() == 4);
  for (const char* lg : {"de", "en", "es", "fr"}) CHECK(task.test.at(lg).size() == 52);
  // Line 1 of train.en is the Rust `either` crate, labelled devel (label 1).
  CHECK(task.train[0].sentence1.rfind("Enum `Either`", 0) == 0);
  CHECK(task.train[0].sentence2.empty());
  CHECK(task.train[0].label == 1);
  XLM_CHECK_THROWS(xlm::tasks::read_topic_task("/nonexistent-topics"), xlm::ConfigError, "--data_path");
}

TEST_CASE("finetune_layers follows XLM's syntax and selection", "[tasks][finetune]") {
  using xlm::tasks::parse_finetune_layers;
  auto all = parse_finetune_layers("0:_1", 4);
  CHECK(all.first == 0);
  CHECK(all.last == 4);
  auto last_two = parse_finetune_layers("_2:_1", 4);
  CHECK(last_two.first == 3);
  CHECK(last_two.last == 4);
  auto minus = parse_finetune_layers("2:-1", 4);  // XLM only replaces '_' by '-': '-1' works too
  CHECK(minus.first == 2);
  CHECK(minus.last == 4);
  auto none = parse_finetune_layers("_1:0", 4);  // i > j: a frozen encoder
  CHECK_FALSE(none.includes_embeddings());
  for (int64_t l = 1; l <= 4; ++l) CHECK_FALSE(none.includes_layer(l));
  // _5 on 4 layers is 4 - 5 + 1 = 0: the embeddings.
  CHECK(parse_finetune_layers("_5:_5", 4).includes_embeddings());

  XLM_CHECK_THROWS(parse_finetune_layers("0-3", 4), xlm::ConfigError, "--finetune_layers 0-3", "first:last");
  XLM_CHECK_THROWS(parse_finetune_layers("0:5", 4), xlm::ConfigError, "'5' is outside");
  XLM_CHECK_THROWS(parse_finetune_layers("_6:_1", 4), xlm::ConfigError, "'_6' is outside");
  XLM_CHECK_THROWS(parse_finetune_layers("a:_1", 4), xlm::ConfigError, "'a' is not an integer");
  XLM_CHECK_THROWS(parse_finetune_layers(":1", 4), xlm::ConfigError, "'' is not an integer");
  XLM_CHECK_THROWS(parse_finetune_layers("0:1:2", 4), xlm::ConfigError, "first:last");

  // XLM's range(max(i - 1, 0), j): "1:2" and "0:2" both train layers 1-2, only "0:" the embeddings.
  using xlm::tasks::is_finetuned;
  const auto one_two = parse_finetune_layers("1:2", 4);
  CHECK_FALSE(is_finetuned("embeddings.weight", one_two));
  CHECK_FALSE(is_finetuned("layer_norm_emb.bias", one_two));
  CHECK(is_finetuned("attentions.0.q_lin.weight", one_two));
  CHECK(is_finetuned("layer_norm2.1.weight", one_two));
  CHECK_FALSE(is_finetuned("ffns.2.lin1.weight", one_two));
  const auto zero_two = parse_finetune_layers("0:2", 4);
  for (const char* name : {"embeddings.weight", "position_embeddings.weight", "lang_embeddings.weight",
                           "layer_norm_emb.weight", "attentions.1.out_lin.bias", "layer_norm1.0.bias", "ffns.1.lin2.weight"}) {
    INFO(name);
    CHECK(is_finetuned(name, zero_two));
  }
  CHECK_FALSE(is_finetuned("layer_norm1.2.weight", zero_two));
  CHECK_FALSE(is_finetuned("pred_layer.proj.bias", all));
  // Two-digit layer indices are read whole.
  CHECK(is_finetuned("attentions.11.k_lin.weight", parse_finetune_layers("12:12", 12)));
  CHECK_FALSE(is_finetuned("attentions.1.k_lin.weight", parse_finetune_layers("12:12", 12)));
}

TEST_CASE("topic folders with unknown labels or uneven label files are refused", "[tasks][finetune]") {
  namespace fs = std::filesystem;
  const std::string dir = (fs::temp_directory_path() / ("xlm-finetune-topics-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir + "/" + name) << text; };
  write("labels.txt", "games\nnet\n");
  write("train.en", "a chess engine\na web server\n");
  write("train.en.label", "games\nnet\n");
  write("valid.en", "tetris\nftp client\n");
  write("valid.en.label", "games\nnet\n");
  write("test.fr", "jeu d'échecs\n");
  write("test.fr.label", "games\n");
  const auto ok = xlm::tasks::read_topic_task(dir);
  CHECK(ok.labels == std::vector<std::string>{"games", "net"});
  REQUIRE(ok.train.size() == 2);
  CHECK(ok.train[1].sentence1 == "a web server");
  CHECK(ok.train[1].label == 1);
  REQUIRE(ok.test.size() == 1);
  CHECK(ok.test.at("fr")[0].sentence1 == "jeu d'échecs");

  write("valid.en.label", "games\nsound\n");
  XLM_CHECK_THROWS(xlm::tasks::read_topic_task(dir), xlm::FormatError, "valid.en.label:2", "label 'sound'");
  write("valid.en.label", "games\n");
  XLM_CHECK_THROWS(xlm::tasks::read_topic_task(dir), xlm::FormatError, "valid.en.label: 1 lines", "has 2");
  write("valid.en.label", "games\nnet\n");
  write("labels.txt", "games\ngames\n");
  XLM_CHECK_THROWS(xlm::tasks::read_topic_task(dir), xlm::FormatError, "labels.txt:2", "repeated label");
  fs::remove_all(dir);
}

TEST_CASE("finetune flags are checked before anything is read", "[tasks][finetune]") {
  xlm::tasks::FinetuneConfig c;
  c.model_path = "m";
  c.data_path = "d";
  c.validate();
  auto bad = c;
  bad.optimizer_p = "adam,lr=0.001,momentum=3";
  XLM_CHECK_THROWS(bad.validate(), xlm::ConfigError, "--optimizer_p: adam has no key \"momentum\"");
  bad = c;
  bad.task = "glue";
  XLM_CHECK_THROWS(bad.validate(), xlm::ConfigError, "--task glue");
  bad = c;
  bad.epoch_size = 0;
  XLM_CHECK_THROWS(bad.validate(), xlm::ConfigError, "--epoch_size 0");
  bad = c;
  bad.dropout = 1;
  XLM_CHECK_THROWS(bad.validate(), xlm::ConfigError, "--dropout 1");
  bad = c;
  bad.model_path.clear();
  XLM_CHECK_THROWS(bad.validate(), xlm::ConfigError, "--model_path");
  CHECK(c.to_json().at("finetune_layers") == "0:_1");
  CHECK(c.to_json().at("optimizer_e") == "adam,lr=0.0001");
}
