// See finetuner.h. The data is encoded once up front (tokenize + BPE +
// index), so epochs only shuffle indices. Evaluation batches go in file
// order; padding does not change a row's prediction (key-padding masks).
#include "tasks/classify/finetuner.h"

#include "core/atomic_file.h"
#include "core/autograd.h"
#include "core/error.h"
#include "nn/model_dir.h"
#include "nn/optimizer.h"
#include "tasks/classify/classify_encoder.h"
#include "tasks/classify/finetune_layers.h"
#include "tasks/classify/sentence_classifier.h"
#include "tasks/pretrain/train_config.h"
#include "tasks/run/run_dir.h"
#include "text/bpe_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <random>

namespace xlm::tasks {

namespace {

std::vector<const EncodedExample*> batch_rows(const std::vector<EncodedExample>& data, const std::vector<size_t>& order,
                                              size_t begin, size_t end) {
  std::vector<const EncodedExample*> rows;
  rows.reserve(end - begin);
  for (size_t k = begin; k < end; ++k) rows.push_back(&data[order[k]]);
  return rows;
}

double accuracy(SentenceClassifier& classifier, const std::vector<EncodedExample>& data, int64_t lang_id,
                int64_t batch_size) {
  std::vector<size_t> order(data.size());
  std::iota(order.begin(), order.end(), size_t{0});
  int64_t correct = 0;
  for (size_t begin = 0; begin < data.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(data.size(), begin + static_cast<size_t>(batch_size));
    const auto rows = batch_rows(data, order, begin, end);
    const std::vector<int64_t> predicted = classifier.predict(rows, lang_id);
    for (size_t r = 0; r < rows.size(); ++r) correct += predicted[r] == rows[r]->label ? 1 : 0;
  }
  return 100.0 * static_cast<double>(correct) / static_cast<double>(data.size());
}

struct LangData {
  int64_t lang_id = 0;
  std::vector<EncodedExample> examples;
};

// The language id of `lang` in the model, or nullopt when the model has
// language embeddings and not this one. A model without language embeddings
// takes any language (id 0).
std::optional<int64_t> model_lang_id(const nn::TransformerConfig& config, const std::string& lang) {
  if (!config.has_lang_embeddings()) return int64_t{0};
  const auto& ids = config.id2lang;
  const auto it = std::find(ids.begin(), ids.end(), lang);
  if (it == ids.end()) return std::nullopt;
  return static_cast<int64_t>(it - ids.begin());
}

std::optional<text::Language> tokenizer_language(const std::string& lang) {
  const auto& known = text::supported_languages();
  if (std::find(known.begin(), known.end(), lang) == known.end()) return std::nullopt;
  return text::parse_language(lang);
}

}  // namespace

nlohmann::json finetune_results_json(const std::vector<EpochScores>& epochs) {
  XLM_CHECK(!epochs.empty(), ConfigError, "no epoch to report");
  nlohmann::json list = nlohmann::json::array();
  size_t best = 0;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const EpochScores& e = epochs[i];
    nlohmann::json test = nlohmann::json::object();
    for (const auto& [lang, acc] : e.test_acc) test[lang] = acc;
    list.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"valid_en_acc", e.valid_en_acc},
                    {"test_acc", test}});
    if (e.valid_en_acc > epochs[best].valid_en_acc) best = i;
  }
  return {{"epochs", list}, {"best_epoch", epochs[best].epoch}, {"best", list[best]}};
}

std::string format_epoch_table(const EpochScores& scores) {
  std::string out = fmt::format("epoch {}  train loss {:.4f}\n", scores.epoch, scores.train_loss);
  out += fmt::format("  {:<6} {:<5} {:>8}\n", "split", "lang", "accuracy");
  out += fmt::format("  {:<6} {:<5} {:>8.1f}\n", "valid", "en", scores.valid_en_acc);
  for (const auto& [lang, acc] : scores.test_acc) out += fmt::format("  {:<6} {:<5} {:>8.1f}\n", "test", lang, acc);
  return out;
}

nlohmann::json run_finetune(const FinetuneConfig& config, const ClassifyTask& task, std::ostream& log) {
  config.validate();
  const Device device = Device::parse(resolve_device(config.device));
  nn::LoadedModel loaded = nn::load_model_dir(config.model_path, device);
  nn::TransformerModel& model = *loaded.model;
  const LayerRange range = parse_finetune_layers(config.finetune_layers, loaded.config.n_layers);
  const auto dictionary = text::Dictionary::from_vocab_file(loaded.vocab_path);
  std::unique_ptr<text::BpeApplier> bpe;
  if (!loaded.codes_path.empty()) bpe = std::make_unique<text::BpeApplier>(text::read_bpe_codes(loaded.codes_path));
  EncodeOptions encode_options;
  encode_options.max_len = config.max_len;
  encode_options.lowercase_and_remove_accent = config.lowercase_and_remove_accent;
  const ClassifyEncoder encoder(dictionary, bpe.get(), encode_options);

  // English must be known to the model; other test languages are optional.
  const std::optional<int64_t> en_id = model_lang_id(loaded.config, "en");
  XLM_CHECK(en_id.has_value(), ConfigError, "--model_path {}: the model has no 'en' language (it knows {})",
            config.model_path, fmt::join(loaded.config.id2lang, ", "));
  LangData train{*en_id, encoder.encode_all(task.train, text::Language::en)};
  LangData valid{*en_id, encoder.encode_all(task.valid, text::Language::en)};
  std::map<std::string, LangData> test;
  for (const auto& [lang, examples] : task.test) {
    const auto lang_id = model_lang_id(loaded.config, lang);
    const auto tok_lang = tokenizer_language(lang);
    if (!lang_id || !tok_lang) {
      log << fmt::format("skipping test language {}: {}\n", lang,
                         !lang_id ? "the model has no such language" : "no tokenizer rules for it");
      continue;
    }
    test[lang] = LangData{*lang_id, encoder.encode_all(examples, *tok_lang)};
  }
  log << fmt::format("data: train {} valid {} examples, {} labels, test {}; {} of {} words unknown\n",
                     train.examples.size(), valid.examples.size(), task.labels.size(), test.size(),
                     encoder.stats().unknown, encoder.stats().words);

  const nn::NamedTensors encoder_params = select_finetuned(model.parameters(), range);
  SentenceClassifier classifier(model, static_cast<int64_t>(task.labels.size()), config.dropout, config.seed);
  std::optional<nn::Optimizer> optimizer_e;
  if (!encoder_params.empty()) optimizer_e.emplace(nn::parse_optimizer_spec(config.optimizer_e), encoder_params);
  nn::Optimizer optimizer_p(nn::parse_optimizer_spec(config.optimizer_p), classifier.head_parameters());
  int64_t n_elements = 0;
  for (const auto& p : encoder_params) n_elements += p.second.numel();
  log << fmt::format("fine-tuning {} encoder tensors ({} elements; --finetune_layers {}) and the {}-class head\n",
                     encoder_params.size(), n_elements, config.finetune_layers, task.labels.size());

  std::mt19937_64 rng(config.seed);
  std::vector<EpochScores> epochs;
  for (int64_t epoch = 0; epoch < config.n_epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    classifier.set_training(true);
    std::vector<size_t> order(train.examples.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<Tensor> losses;  // one device scalar per step, read at the epoch end: no step waits for the device
    int64_t n_batches = 0, n_sentences = 0;
    for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(config.batch_size)) {
      const size_t end = std::min(order.size(), begin + static_cast<size_t>(config.batch_size));
      const Tensor loss = classifier.loss(batch_rows(train.examples, order, begin, end), train.lang_id);
      if (optimizer_e) optimizer_e->zero_grad();
      optimizer_p.zero_grad();
      loss.backward();
      if (optimizer_e) optimizer_e->step();
      optimizer_p.step();
      losses.push_back(loss.detach());
      ++n_batches;
      n_sentences += static_cast<int64_t>(end - begin);
      if (config.epoch_size != -1 && n_sentences >= config.epoch_size) break;
    }
    double loss_sum = 0;
    for (const Tensor& loss : losses) loss_sum += loss.item();  // in step order, as when read at each step
    classifier.set_training(false);
    EpochScores scores;
    scores.epoch = epoch;
    scores.train_loss = loss_sum / static_cast<double>(n_batches);
    scores.valid_en_acc = accuracy(classifier, valid.examples, valid.lang_id, config.batch_size);
    for (const auto& [lang, data] : test) {
      scores.test_acc[lang] = accuracy(classifier, data.examples, data.lang_id, config.batch_size);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    log << format_epoch_table(scores) << fmt::format("  ({} sentences, {:.1f} s)\n", n_sentences, seconds);
    epochs.push_back(scores);
  }
  nlohmann::json results = finetune_results_json(epochs);
  log << fmt::format("best epoch {} (valid en {:.1f})\n", results["best_epoch"].get<int64_t>(),
                     results["best"]["valid_en_acc"].get<double>());
  log.flush();
  return results;
}

std::string run_finetune_command(FinetuneConfig config) {
  config.validate();
  const ClassifyTask task = config.task == "xnli" ? read_xnli_task(config.data_path) : read_topic_task(config.data_path);
  nlohmann::json resolved = config.to_json();
  if (config.exp_id.empty()) config.exp_id = default_exp_id(resolved);
  resolved["exp_id"] = config.exp_id;
  const std::string run_dir = make_run_dir(config.dump_path, config.exp_name, config.exp_id);
  write_resolved_config(run_dir, resolved);
  nlohmann::json results;
  {
    Tee tee(run_log_path(run_dir));
    std::cout << fmt::format("run folder {}\n", run_dir);
    results = run_finetune(config, task, std::cout);
  }
  write_file_atomically(run_dir + "/results.json", [&](std::ostream& out) { out << results.dump(2) << "\n"; });
  write_file_atomically(run_dir + "/results.txt", [&](std::ostream& out) {
    for (const auto& e : results["epochs"]) {
      EpochScores s;
      s.epoch = e["epoch"].get<int64_t>();
      s.train_loss = e["train_loss"].get<double>();
      s.valid_en_acc = e["valid_en_acc"].get<double>();
      for (const auto& [lang, acc] : e["test_acc"].items()) s.test_acc[lang] = acc.get<double>();
      out << format_epoch_table(s);
    }
    out << fmt::format("best epoch {} (valid en {:.1f})\n", results["best_epoch"].get<int64_t>(),
                       results["best"]["valid_en_acc"].get<double>());
  });
  return run_dir;
}

}  // namespace xlm::tasks
