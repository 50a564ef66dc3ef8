// `xlm finetune` end to end on the committed topic set: input layout
// (`</s> a </s> b </s>`, truncation), frozen layers receive no gradient, the
// results JSON names the best epoch, and a short fine-tune of a tiny model
// classifies the English valid set well above chance.
#include "core/error.h"
#include "core/host_reads.h"
#include "nn/model_dir.h"
#include "nn/transformer.h"
#include "pretrain_fixture.h"
#include "support.h"
#include "tasks/classify/classify_encoder.h"
#include "tasks/classify/finetune_layers.h"
#include "tasks/classify/finetuner.h"
#include "tasks/classify/sentence_classifier.h"
#include "text/bpe_files.h"
#include "text/dictionary.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

std::string scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("xlm-finetune-test-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(p);
  return p.string();
}

xlm::nn::TransformerConfig tiny_config(int64_t n_words) {
  xlm::nn::TransformerConfig config;
  config.n_words = n_words;
  config.emb_dim = 32;
  config.n_layers = 2;
  config.n_heads = 4;
  config.n_langs = 4;
  config.id2lang = {"de", "en", "es", "fr"};
  config.dropout = 0.1;
  config.attention_dropout = 0.1;
  return config;
}

}  // namespace

TEST_CASE("classification inputs are </s> a </s> b </s>, each sentence cut to max_len", "[tasks][finetune]") {
  const std::string data = xlm::test::pretrain_data_dir();
  const auto dictionary = xlm::text::Dictionary::from_vocab_file(data + "/vocab");
  const xlm::text::BpeApplier bpe(xlm::text::read_bpe_codes(data + "/codes"));
  xlm::tasks::EncodeOptions options;
  options.max_len = 6;
  const xlm::tasks::ClassifyEncoder encoder(dictionary, &bpe, options);
  using xlm::text::kEosIndex;

  // "the file ." tokenizes to three words, each in the fixture's vocabulary.
  const auto a = encoder.sentence_ids("the file.", xlm::text::Language::en);
  REQUIRE(a.size() == 5);
  CHECK(a.front() == kEosIndex);
  CHECK(a.back() == kEosIndex);
  CHECK(a[1] == dictionary.index("the"));
  CHECK(a[3] == dictionary.index("."));
  const auto b = encoder.sentence_ids("a", xlm::text::Language::en);
  REQUIRE(b.size() == 3);

  xlm::tasks::ClassifyExample pair{"the file.", "a", 2};
  const auto encoded = encoder.encode(pair, xlm::text::Language::en);
  CHECK(encoded.label == 2);
  const std::vector<int64_t> want = {kEosIndex, a[1], a[2], a[3], kEosIndex, b[1], kEosIndex};
  CHECK(encoded.ids == want);

  // Longer than max_len: the first max_len - 1 ids and a closing </s>.
  const auto cut = encoder.sentence_ids("the file the file the file", xlm::text::Language::en);
  REQUIRE(cut.size() == 6);
  CHECK(cut[3] == dictionary.index("the"));
  CHECK(cut[4] == dictionary.index("file"));
  CHECK(cut[5] == kEosIndex);

  // Lowercasing with accent removal is applied only when asked for.
  options.lowercase_and_remove_accent = true;
  options.max_len = 256;
  const xlm::tasks::ClassifyEncoder lower(dictionary, &bpe, options);
  CHECK(lower.sentence_ids("THE", xlm::text::Language::en)[1] == dictionary.index("the"));
  CHECK(encoder.sentence_ids("THE", xlm::text::Language::en)[1] != dictionary.index("the"));
}

TEST_CASE("frozen layers receive no gradient, the head and fine-tuned layers do", "[tasks][finetune]") {
  xlm::nn::TransformerModel model(tiny_config(40), 3);
  const auto range = xlm::tasks::parse_finetune_layers("2:_1", 2);
  const auto trained = xlm::tasks::select_finetuned(model.parameters(), range);
  xlm::tasks::SentenceClassifier classifier(model, 3, 0.1, 5);
  const xlm::tasks::EncodedExample x{{1, 20, 21, 1, 22, 1}, 0}, y{{1, 30, 1}, 2};
  const xlm::Tensor loss = classifier.loss({&x, &y}, 1);
  REQUIRE(std::isfinite(loss.item()));
  loss.backward();
  size_t n_trained = 0;
  for (const auto& [name, tensor] : model.parameters()) {
    INFO(name);
    const bool layer2 = name.find(".1.") != std::string::npos;  // 0-based index 1 = layer 2
    if (name == "pred_layer.proj.bias" || !layer2) {
      CHECK_FALSE(tensor.requires_grad());
      CHECK_FALSE(tensor.grad().defined());
    } else {
      ++n_trained;
      REQUIRE(tensor.grad().defined());
      double norm = 0;
      for (double g : tensor.grad().to_doubles()) norm += g * g;
      CHECK(norm > 0);
    }
  }
  CHECK(n_trained == trained.size());
  CHECK(n_trained == 16);  // q,k,v,out (w, b) + 2 LayerNorms (w, b) + lin1, lin2 (w, b)
  for (const auto& [name, tensor] : classifier.head_parameters()) {
    INFO(name);
    REQUIRE(tensor.grad().defined());
  }
  // Eval mode: predictions are deterministic and do not depend on batching.
  classifier.set_training(false);
  const auto both = classifier.predict({&x, &y}, 1);
  CHECK(classifier.predict({&y}, 1)[0] == both[1]);
  CHECK(classifier.predict({&x}, 1)[0] == both[0]);
}

TEST_CASE("finetune results JSON names the best epoch by English valid accuracy", "[tasks][finetune]") {
  std::vector<xlm::tasks::EpochScores> epochs(3);
  for (int i = 0; i < 3; ++i) epochs[static_cast<size_t>(i)].epoch = i;
  epochs[0].valid_en_acc = 20;
  epochs[1].valid_en_acc = 35;
  epochs[2].valid_en_acc = 35;  // a tie keeps the earlier epoch
  epochs[1].test_acc = {{"de", 30.0}, {"fr", 25.5}};
  epochs[1].train_loss = 1.25;
  const auto j = xlm::tasks::finetune_results_json(epochs);
  REQUIRE(j.at("epochs").size() == 3);
  CHECK(j.at("best_epoch") == 1);
  CHECK(j.at("best").at("epoch") == 1);
  CHECK(j.at("best").at("valid_en_acc") == 35.0);
  CHECK(j.at("best").at("test_acc").at("fr") == 25.5);
  CHECK(j.at("best").at("train_loss") == 1.25);
  CHECK(j.at("epochs")[0].at("test_acc").empty());
  XLM_CHECK_THROWS(xlm::tasks::finetune_results_json({}), xlm::ConfigError, "no epoch");
  const std::string table = xlm::tasks::format_epoch_table(epochs[1]);
  CHECK(table.find("epoch 1  train loss 1.2500") == 0);
  CHECK(table.find("  valid  en        35.0\n") != std::string::npos);
  CHECK(table.find("  test   fr        25.5\n") != std::string::npos);
}

TEST_CASE("a short fine-tune learns the topic set through the command's whole path", "[tasks][finetune]") {
  // The corpus sample's topic set has 4 examples per class (13 classes), too few
  // for a tiny model to generalise reliably: held-out accuracy of such models,
  // and of a bag-of-words naive Bayes, is 8-25% (docs/tasks.md); held-out
  // accuracy is tested on the larger tests/fixtures/topics instead
  // (test_finetune_heldout.cpp). What this short run must show is that the
  // path from text to labels is right: fine-tuning a fresh model fits the
  // English training examples, scored through the evaluation path (a folder
  // whose valid set is the training set), far above the 7.7% chance of 13
  // balanced classes; with a label or row misaligned anywhere
  // (reader, encoder, batching, head, argmax) it would stay at chance.
  const std::string topics = xlm::test::source_path("tests/fixtures/corpus/topics");
  const std::string folder = scratch("topics");
  fs::create_directories(folder);
  for (const char* f : {"labels.txt", "train.en", "train.en.label", "test.en", "test.en.label", "test.fr",
                        "test.fr.label", "test.de", "test.de.label"}) {
    fs::copy_file(topics + "/" + f, folder + "/" + f);
  }
  fs::copy_file(topics + "/train.en", folder + "/valid.en");
  fs::copy_file(topics + "/train.en.label", folder + "/valid.en.label");

  const std::string data = xlm::test::pretrain_data_dir();
  const auto dictionary = xlm::text::Dictionary::from_vocab_file(data + "/vocab");
  const std::string model_dir = scratch("model");
  auto model_config = tiny_config(dictionary.size());
  model_config.n_layers = 1;
  model_config.dropout = 0;
  model_config.attention_dropout = 0;
  model_config.id2lang = {"en", "fr"};  // de is skipped: the model has no such language
  model_config.n_langs = 2;
  xlm::nn::TransformerModel model(model_config, 11);
  xlm::nn::save_model_dir(model_dir, model, data + "/vocab", data + "/codes");

  xlm::tasks::FinetuneConfig config;
  config.model_path = model_dir;
  config.task = "topics";
  config.data_path = folder;
  config.dump_path = scratch("dump");
  config.exp_name = "topics";
  config.optimizer_e = "adam,lr=0.003";
  config.optimizer_p = "adam,lr=0.01";
  config.dropout = 0;
  config.batch_size = 8;
  config.n_epochs = 8;
  config.max_len = 24;
  config.device = xlm::test::task_device();
  config.seed = 1;
  const std::string run_dir = xlm::tasks::run_finetune_command(config);

  std::ifstream in(run_dir + "/results.json");
  REQUIRE(in.good());
  const auto results = nlohmann::json::parse(in);
  const auto& epochs = results.at("epochs");
  REQUIRE(epochs.size() == 8);
  const auto& best = results.at("best");
  CHECK(best == epochs[results.at("best_epoch").get<size_t>()]);
  CHECK(best.at("valid_en_acc").get<double>() >= 80.0);
  CHECK(epochs[0].at("valid_en_acc").get<double>() < 30.0);  // it is learned, not there from the start
  CHECK(epochs.back().at("train_loss").get<double>() < 0.5 * epochs.front().at("train_loss").get<double>());
  const auto& test = best.at("test_acc");
  CHECK(test.size() == 2);
  CHECK(test.contains("en"));
  CHECK(test.contains("fr"));
  for (const auto& [lang, acc] : test.items()) {
    INFO(lang);
    CHECK(acc.get<double>() >= 0.0);
    CHECK(acc.get<double>() <= 100.0);
  }
  std::ifstream txt(run_dir + "/results.txt");
  std::stringstream table;
  table << txt.rdbuf();
  CHECK(table.str().find("best epoch " + std::to_string(results.at("best_epoch").get<int64_t>())) !=
        std::string::npos);
  std::ifstream log_file(run_dir + "/train.log");
  std::stringstream log;
  log << log_file.rdbuf();
  CHECK(log.str().find("skipping test language de: the model has no such language") != std::string::npos);
  CHECK(log.str().find("  valid  en ") != std::string::npos);
  CHECK(fs::exists(run_dir + "/config.json"));

  // The command refuses bad flags with one line naming the flag.
  const std::string out = scratch("cli.log");
  const std::string cmd = std::string(XLM_BINARY) + " finetune --model_path " + model_dir + " --data_path " + folder +
                          " --dump_path " + config.dump_path + " --task glue --device cpu > " + out + " 2>&1";
  CHECK(std::system(cmd.c_str()) != 0);
  std::ifstream cli(out);
  std::stringstream cli_text;
  cli_text << cli.rdbuf();
  CHECK(cli_text.str().find("--task glue: expected topics or xnli") != std::string::npos);

  fs::remove_all(folder);
  fs::remove_all(model_dir);
  fs::remove_all(config.dump_path);
  fs::remove(out);
}

TEST_CASE("the XNLI task folder: MultiNLI train, English dev rows as valid, every language's test", "[tasks][finetune]") {
  const std::string folder = scratch("xnli");
  fs::create_directories(folder);
  const char* labels[] = {"contradiction", "neutral", "entailment"};
  {
    std::ofstream m(folder + "/multinli_1.0_train.txt");
    m << "gold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\t"
         "sentence1\tsentence2\tpromptID\tpairID\tgenre\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\n";
    for (int i = 0; i < 30; ++i) {  // rows 0, 7, 14, 21, 28 have no gold label: 25 remain
      m << (i % 7 == 0 ? "-" : labels[i % 3]) << "\tb\tb\tp\tp\tThe file " << i << " is open.\tThe file is "
        << (i % 3 == 0 ? "closed" : "open") << ".\t1\t1n\tfiction\tx\t\t\t\t\n";
    }
  }
  for (const char* name : {"xnli.dev.tsv", "xnli.test.tsv"}) {
    std::ofstream x(folder + "/" + name);
    x << "language\tgold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\t"
         "sentence1\tsentence2\tpromptID\tpairID\tgenre\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\t"
         "sentence1_tokenized\tsentence2_tokenized\tmatch\n";
    for (const char* lg : {"en", "fr", "zh"}) {
      for (int i = 0; i < 6; ++i) {
        x << lg << "\t" << labels[i % 3] << "\tb\tb\tp\tp\tLe fichier " << i << " est ouvert.\tIl est ouvert.\t1\t2\tg"
          << "\tx\t\t\t\t\tt\tt\tTrue\n";
      }
    }
  }
  const auto task = xlm::tasks::read_xnli_task(folder);
  CHECK(task.labels == xlm::tasks::nli_labels());
  REQUIRE(task.train.size() == 25);
  CHECK(task.train[0].sentence1 == "The file 1 is open.");
  CHECK(task.train[0].label == 1);
  CHECK(task.valid.size() == 6);
  CHECK(task.test.size() == 3);

  const std::string data = xlm::test::pretrain_data_dir();
  const auto dictionary = xlm::text::Dictionary::from_vocab_file(data + "/vocab");
  const std::string model_dir = scratch("xnli-model");
  xlm::nn::TransformerModel model(tiny_config(dictionary.size()), 5);
  xlm::nn::save_model_dir(model_dir, model, data + "/vocab", data + "/codes");
  xlm::tasks::FinetuneConfig config;
  config.model_path = model_dir;
  config.task = "xnli";
  config.data_path = folder;
  config.batch_size = 4;
  config.n_epochs = 2;
  config.epoch_size = 8;
  config.finetune_layers = "_1:0";  // head only
  config.device = xlm::test::task_device();
  std::ostringstream log;
  const auto results = xlm::tasks::run_finetune(config, task, log);
  INFO(log.str());
  CHECK(log.str().find("data: train 25 valid 6 examples, 3 labels, test 2") != std::string::npos);
  CHECK(log.str().find("skipping test language zh: the model has no such language") != std::string::npos);
  CHECK(log.str().find("fine-tuning 0 encoder tensors (0 elements; --finetune_layers _1:0)") != std::string::npos);
  CHECK(log.str().find("(8 sentences,") != std::string::npos);  // --epoch_size 8 = two batches of 4
  REQUIRE(results.at("epochs").size() == 2);
  const auto& test = results.at("epochs")[1].at("test_acc");
  CHECK(test.size() == 2);
  CHECK(test.contains("en"));
  CHECK(test.contains("fr"));

  // A fine-tuning step on the stand-in device cpu:1 (every copy back counts,
  // as on a GPU) reads back only its loss, kept on the device until the epoch
  // end: two one-epoch runs 3 steps apart differ by 3 reads and 3 transfers
  // (the labels are scanned on the host; before, each step copied them back).
  const auto counts = [&](int64_t sentences) {
    xlm::tasks::FinetuneConfig c = config;
    c.device = "cpu:1";
    c.n_epochs = 1;
    c.epoch_size = sentences;
    c.finetune_layers = "0:_1";  // the encoder's optimizer too
    std::ostringstream quiet;
    const int64_t reads = xlm::host_read_count(), transfers = xlm::host_transfer_count();
    xlm::tasks::run_finetune(c, task, quiet);
    return std::pair{xlm::host_read_count() - reads, xlm::host_transfer_count() - transfers};
  };
  const auto two = counts(8), five = counts(20);  // 2 and 5 batches of 4
  CHECK((five.first - two.first) / 3 == 1);
  CHECK((five.second - two.second) / 3 == 1);
  CHECK((five.second - two.second) % 3 == 0);
  fs::remove_all(folder);
  fs::remove_all(model_dir);
}
