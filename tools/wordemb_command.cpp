// `xlm wordemb --reload_model DIR --dict FILE --src_lang en --tgt_lang fr`:
// word translation P@1/P@5 and translation-pair vs random-pair cosine and L2
// distance from the model's embedding table (tasks/wordemb). The table is
// read from the saved state dict on the CPU: no forward pass is involved.
#include "core/atomic_file.h"
#include "core/error.h"
#include "nn/model_dir.h"
#include "tasks/wordemb/word_translation.h"
#include "text/dictionary.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

namespace xlm::tools {

namespace {

struct WordembArgs {
  std::string model_dir;
  std::string dict;
  std::string src_lang = "en";
  std::string tgt_lang;
  std::string json;
  uint64_t seed = 0;
};

void check_language(const nn::TransformerConfig& config, const std::string& lang, const std::string& flag,
                    const std::string& model_dir) {
  if (config.id2lang.empty()) return;  // an unnamed model: nothing to check against
  XLM_CHECK(std::find(config.id2lang.begin(), config.id2lang.end(), lang) != config.id2lang.end(), ConfigError,
            "{} {}: not a language of the model {} ({})", flag, lang, model_dir, fmt::join(config.id2lang, ", "));
}

void run_wordemb(const WordembArgs& args) {
  nn::LoadedModel loaded = nn::load_model_dir(args.model_dir, Device::cpu());
  check_language(loaded.config, args.src_lang, "--src_lang", args.model_dir);
  check_language(loaded.config, args.tgt_lang, "--tgt_lang", args.model_dir);
  const text::Dictionary vocab = text::Dictionary::from_vocab_file(loaded.vocab_path);
  std::vector<float> table;
  for (const auto& [name, tensor] : loaded.model->state_dict()) {
    if (name == "embeddings.weight") table = tensor.to(Device::cpu()).to_vector<float>();
  }
  XLM_CHECK(!table.empty(), FormatError, "{}: no embeddings.weight", args.model_dir);
  const auto pairs = tasks::read_bilingual_dictionary(args.dict);
  const tasks::WordTranslationScores s =
      tasks::evaluate_word_translation(table, loaded.config.emb_dim, vocab, pairs, args.seed);
  const std::string dir = args.src_lang + "-" + args.tgt_lang;
  fmt::print("{}: {} dictionary pairs, {} scored ({:.1f}% coverage: both words single tokens), {} identical "
             "spellings skipped\n",
             dir, s.dictionary_pairs, s.covered_pairs, s.coverage(), s.identical_pairs);
  fmt::print("{}: {} queries, {} candidate {} words\n", dir, s.queries, s.candidates, args.tgt_lang);
  fmt::print("{}_p@1 {:.2f}\n{}_p@5 {:.2f}\n", dir, s.p_at_1, dir, s.p_at_5);
  fmt::print("{}_cos_pairs {:.4f}\n{}_cos_random {:.4f}\n", dir, s.mean_cos_pairs, dir, s.mean_cos_random);
  fmt::print("{}_l2_pairs {:.4f}\n{}_l2_random {:.4f}\n", dir, s.mean_l2_pairs, dir, s.mean_l2_random);
  if (args.json.empty()) return;
  const nlohmann::json out = {{"model", args.model_dir},
                              {"dict", args.dict},
                              {"src_lang", args.src_lang},
                              {"tgt_lang", args.tgt_lang},
                              {"seed", args.seed},
                              {"dictionary_pairs", s.dictionary_pairs},
                              {"covered_pairs", s.covered_pairs},
                              {"coverage", s.coverage()},
                              {"identical_pairs", s.identical_pairs},
                              {"queries", s.queries},
                              {"candidates", s.candidates},
                              {"p_at_1", s.p_at_1},
                              {"p_at_5", s.p_at_5},
                              {"mean_cos_pairs", s.mean_cos_pairs},
                              {"mean_cos_random", s.mean_cos_random},
                              {"mean_l2_pairs", s.mean_l2_pairs},
                              {"mean_l2_random", s.mean_l2_random}};
  write_file_atomically(args.json, [&](std::ostream& os) { os << out.dump(2) << '\n'; });
}

}  // namespace

void add_wordemb_command(CLI::App& app) {
  auto args = std::make_shared<WordembArgs>();
  CLI::App* cmd = app.add_subcommand("wordemb", "Word translation and translation-pair similarity from the embedding table");
  cmd->add_option("--reload_model", args->model_dir, "model directory")->required();
  cmd->add_option("--dict", args->dict, "bilingual dictionary, \"src<TAB>tgt\" per line (e.g. DATA/dict/en-fr.txt)")
      ->required();
  cmd->add_option("--src_lang", args->src_lang, "language of the first column")->capture_default_str();
  cmd->add_option("--tgt_lang", args->tgt_lang, "language of the second column")->required();
  cmd->add_option("--seed", args->seed, "seed of the random pairs")->capture_default_str();
  cmd->add_option("--json", args->json, "also write the scores to this JSON file");
  cmd->callback([args] { run_wordemb(*args); });
}

}  // namespace xlm::tools
