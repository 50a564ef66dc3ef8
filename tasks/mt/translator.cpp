// See translator.h. Lines are sorted by source length and a batch takes
// lines of a single length (up to batch_size): there is no padding to waste
// work on, and max_len = int(1.5 * length + 10) is each sentence's own
// (XLM's translate.py takes it from the longest line of a batch of
// consecutive lines, so a capped translation there depends on its
// neighbours; here the output of a line never depends on the batching).
#include "tasks/mt/translator.h"

#include "core/autograd.h"
#include "core/error.h"
#include "text/bpe_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

namespace xlm::tasks {

namespace {

int64_t lang_id(const nn::TransformerConfig& config, const std::string& lang, const char* flag, const char* half) {
  const auto it = std::find(config.id2lang.begin(), config.id2lang.end(), lang);
  XLM_CHECK(it != config.id2lang.end(), ConfigError, "{} {}: the {} knows only {}", flag, lang, half,
            fmt::join(config.id2lang, ", "));
  return it - config.id2lang.begin();
}

}  // namespace

std::string remove_bpe_joins(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "@@ ") == 0) {
      i += 2;
      continue;
    }
    if (i + 2 == text.size() && text.compare(i, 2, "@@") == 0) break;
    out += text[i];
  }
  return out;
}

Translator::Translator(const std::string& model_dir, const std::string& codes_path, Device device) : device_(device) {
  XLM_CHECK(std::filesystem::is_directory(model_dir), ConfigError, "--reload_model {}: no such folder", model_dir);
  model_ = load_mt_model_dir(model_dir, device);
  model_.encoder.model->set_training(false);
  model_.decoder.model->set_training(false);
  dictionary_ = std::make_unique<text::Dictionary>(text::Dictionary::from_vocab_file(model_.encoder.vocab_path));
  std::string codes = codes_path.empty() ? model_.encoder.codes_path : codes_path;
  if (!codes.empty()) {
    XLM_CHECK(std::filesystem::is_regular_file(codes), ConfigError, "--codes {}: no such file", codes);
    bpe_ = std::make_unique<text::BpeApplier>(text::read_bpe_codes(codes));
  }
}

std::vector<int64_t> Translator::source_ids(const std::string& line, size_t line_number) const {
  std::vector<int64_t> ids{text::kEosIndex};
  text::IndexStats stats;
  dictionary_->index_line(bpe_ ? bpe_->apply_line(line) : line, ids, stats);
  ids.push_back(text::kEosIndex);
  XLM_CHECK(static_cast<int64_t>(ids.size()) <= model_.encoder.config.max_positions, ConfigError,
            "input line {}: {} tokens, more than the encoder's {} positions", line_number, ids.size(),
            model_.encoder.config.max_positions);
  return ids;
}

std::string Translator::target_text(const int64_t* ids, int64_t length) const {
  std::string text;
  for (int64_t t = 1; t + 1 < length; ++t) {  // between the two </s>
    if (t > 1) text += ' ';
    text += dictionary_->word(ids[t]);
  }
  return remove_bpe_joins(text);
}

std::vector<std::string> Translator::translate(const std::vector<std::string>& lines, const std::string& src_lang,
                                               const std::string& tgt_lang, int64_t batch_size,
                                               const GenerationOptions& options) {
  XLM_CHECK(batch_size >= 1, ConfigError, "--batch_size {}: expected a positive integer", batch_size);
  XLM_CHECK(options.beam_size >= 1, ConfigError, "--beam_size {}: expected a positive integer", options.beam_size);
  const int64_t src_id = lang_id(model_.encoder.config, src_lang, "--src_lang", "encoder");
  const int64_t tgt_id = lang_id(model_.decoder.config, tgt_lang, "--tgt_lang", "decoder");
  const bool src_langs = model_.encoder.config.has_lang_embeddings();

  std::vector<std::vector<int64_t>> ids(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) ids[i] = source_ids(lines[i], i + 1);
  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });

  std::vector<std::string> out(lines.size());
  autograd::NoGradGuard no_grad;
  for (size_t begin = 0, end = 0; begin < order.size(); begin = end) {
    // A batch holds lines of one token length only: no padding, and every
    // line's max_len is its own, so outputs do not depend on the batching.
    end = begin + 1;
    while (end < order.size() && end - begin < static_cast<size_t>(batch_size) &&
           ids[order[end]].size() == ids[order[begin]].size())
      ++end;
    const int64_t b = static_cast<int64_t>(end - begin);
    int64_t s = 0;
    for (size_t k = begin; k < end; ++k) s = std::max<int64_t>(s, static_cast<int64_t>(ids[order[k]].size()));
    std::vector<int64_t> words(static_cast<size_t>(b * s), text::kPadIndex);  // (B, S)
    std::vector<int64_t> lengths(static_cast<size_t>(b));                     // (B)
    for (int64_t r = 0; r < b; ++r) {
      const auto& row = ids[order[begin + static_cast<size_t>(r)]];
      std::copy(row.begin(), row.end(), words.begin() + r * s);
      lengths[static_cast<size_t>(r)] = static_cast<int64_t>(row.size());
    }
    nn::ForwardArgs args;
    args.words = Tensor::from_vector(words, {b, s}, device_);
    args.lengths = Tensor::from_vector(lengths, {b}, device_);
    if (src_langs) args.langs = Tensor::full({b, s}, static_cast<double>(src_id), DType::i64, device_);
    const Tensor src_enc = model_.encoder.model->forward(args);  // (B, S, D)
    const int64_t max_len = static_cast<int64_t>(1.5 * static_cast<double>(s) + 10);
    const Generated g = options.beam_size == 1
                            ? generate_greedy(*model_.decoder.model, src_enc, args.lengths, tgt_id, max_len)
                            : generate_beam(*model_.decoder.model, src_enc, args.lengths, tgt_id, max_len, options);
    const std::vector<int64_t> gen_words = g.words.to_vector<int64_t>();  // (B, L)
    const std::vector<int64_t> gen_lengths = g.lengths.to_vector<int64_t>();
    const int64_t L = g.words.size(1);
    for (int64_t r = 0; r < b; ++r)
      out[order[begin + static_cast<size_t>(r)]] =
          target_text(gen_words.data() + r * L, gen_lengths[static_cast<size_t>(r)]);
  }
  return out;
}

}  // namespace xlm::tasks
