// See sentence_embedder.h. Lines are sorted by length before batching (as
// XLM's embedder does) so that padding stays small; results are written back
// in input order. Logits go through the model's own output layer (predict),
// the one training scores with.
#include "tasks/embed/sentence_embedder.h"

#include "core/autograd.h"
#include "core/error.h"
#include "kernels/gather_rows/gather_rows.h"
#include "text/bpe_files.h"
#include "text/data_paths.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

namespace xlm::tasks {

namespace {

// BPE on the words of `line`, leaving the dictionary's special words
// (<special1>, </s>, ...) whole: fastBPE would split them like any word.
std::string bpe_keeping_specials(const text::BpeApplier& bpe, const text::Dictionary& dictionary,
                                 const std::string& line) {
  std::string out, run;  // run: consecutive ordinary words, BPE'd together
  auto flush = [&] {
    if (run.empty()) return;
    if (!out.empty()) out += ' ';
    out += bpe.apply_line(run);
    run.clear();
  };
  size_t start = 0;
  while (start < line.size()) {
    const size_t end = std::min(line.find(' ', start), line.size());
    const std::string_view word(line.data() + start, end - start);
    if (!word.empty()) {
      if (dictionary.contains(word) && dictionary.index(word) < text::kFirstWordIndex) {
        flush();
        if (!out.empty()) out += ' ';
        out += word;
      } else {
        if (!run.empty()) run += ' ';
        run += word;
      }
    }
    start = end + 1;
  }
  flush();
  return out;
}

}  // namespace

SentenceEmbedder::SentenceEmbedder(const std::string& model_dir, const std::string& codes_path, Device device)
    : device_(device) {
  XLM_CHECK(std::filesystem::is_directory(model_dir), ConfigError, "--reload_model {}: no such folder", model_dir);
  model_ = nn::load_model_dir(model_dir, device);
  model_.model->set_training(false);
  dictionary_ = std::make_unique<text::Dictionary>(text::Dictionary::from_vocab_file(model_.vocab_path));
  std::string codes = codes_path;
  if (codes.empty()) codes = model_.codes_path;
  if (!codes.empty()) {
    XLM_CHECK(std::filesystem::is_regular_file(codes), ConfigError, "--codes {}: no such file", codes);
    bpe_ = std::make_unique<text::BpeApplier>(text::read_bpe_codes(codes));
  }
}

int64_t SentenceEmbedder::dim() const { return model_.config.emb_dim; }

EmbedOutput parse_embed_output(const std::string& text) {
  if (text == "sentence") return EmbedOutput::sentence;
  if (text == "tokens") return EmbedOutput::tokens;
  if (text == "logits") return EmbedOutput::logits;
  throw ConfigError(fmt::format("--output {}: expected sentence, tokens or logits", text));
}

EmbedResult SentenceEmbedder::embed(const std::vector<std::string>& lines, const std::string& lang,
                                    int64_t batch_size, EmbedOutput output) {
  XLM_CHECK(batch_size >= 1, ConfigError, "--batch_size {}: expected a positive integer", batch_size);
  const auto& id2lang = model_.config.id2lang;
  const auto lang_it = std::find(id2lang.begin(), id2lang.end(), lang);
  XLM_CHECK(lang_it != id2lang.end(), ConfigError, "--lang {}: the model knows only {}", lang,
            fmt::join(id2lang, ", "));
  const int64_t lang_id = lang_it - id2lang.begin();
  const bool with_langs = model_.config.use_lang_emb && model_.config.n_langs > 1;

  // Ids of every line: </s> w_1 .. w_n </s>.
  std::vector<std::vector<int64_t>> ids(lines.size());
  text::IndexStats stats;
  int64_t longest = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    ids[i].push_back(text::kEosIndex);
    dictionary_->index_line(bpe_ ? bpe_keeping_specials(*bpe_, *dictionary_, lines[i]) : lines[i], ids[i], stats,
                            text::Dictionary::SpecialWords::keep);
    ids[i].push_back(text::kEosIndex);
    XLM_CHECK(static_cast<int64_t>(ids[i].size()) <= model_.config.max_positions, ConfigError,
              "input line {}: {} tokens, more than the model's {} positions", i + 1, ids[i].size(),
              model_.config.max_positions);
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ids[i].size()));
  }

  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });

  const auto n = static_cast<int64_t>(lines.size());
  const int64_t d = dim();
  const int64_t width = output == EmbedOutput::logits ? model_.config.n_words : d;  // values per position
  EmbedResult result;
  result.shape = output == EmbedOutput::sentence ? std::vector<int64_t>{n, d} : std::vector<int64_t>{n, longest, width};
  const int64_t per_line = output == EmbedOutput::sentence ? d : longest * width;
  result.values.assign(static_cast<size_t>(n * per_line), 0.0f);
  autograd::NoGradGuard no_grad;
  for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_size));
    const int64_t b = static_cast<int64_t>(end - begin);
    int64_t t = 0;
    for (size_t k = begin; k < end; ++k) t = std::max<int64_t>(t, static_cast<int64_t>(ids[order[k]].size()));
    std::vector<int64_t> words(static_cast<size_t>(b * t), text::kPadIndex);  // (B, T)
    std::vector<int64_t> lengths(static_cast<size_t>(b));                     // (B)
    std::vector<int64_t> first_rows(static_cast<size_t>(b));                  // (B) flat index of position 0
    for (int64_t r = 0; r < b; ++r) {
      const auto& row = ids[order[begin + static_cast<size_t>(r)]];
      std::copy(row.begin(), row.end(), words.begin() + r * t);
      lengths[static_cast<size_t>(r)] = static_cast<int64_t>(row.size());
      first_rows[static_cast<size_t>(r)] = r * t;
    }
    nn::ForwardArgs args;
    args.words = Tensor::from_vector(words, {b, t}, device_);
    args.lengths = Tensor::from_vector(lengths, {b}, device_);
    if (with_langs) args.langs = Tensor::full({b, t}, static_cast<double>(lang_id), DType::i64, device_);
    const Tensor hidden = model_.model->forward(args).reshape({b * t, d});  // (B*T, D)
    if (output == EmbedOutput::sentence) {
      const Tensor first = gather_rows(hidden, Tensor::from_vector(first_rows, {b}, device_));  // (B, D)
      const std::vector<double> values = first.to_doubles();
      for (int64_t r = 0; r < b; ++r) {
        float* dst = result.values.data() + order[begin + static_cast<size_t>(r)] * static_cast<size_t>(d);
        for (int64_t c = 0; c < d; ++c) dst[c] = static_cast<float>(values[static_cast<size_t>(r * d + c)]);
      }
      continue;
    }
    const Tensor per_position = output == EmbedOutput::logits ? model_.model->predict(hidden) : hidden;  // (B*T, width)
    const std::vector<double> values = per_position.to_doubles();
    for (int64_t r = 0; r < b; ++r) {
      float* dst = result.values.data() + order[begin + static_cast<size_t>(r)] * static_cast<size_t>(per_line);
      const int64_t len = lengths[static_cast<size_t>(r)];  // positions past len stay 0
      for (int64_t p = 0; p < len; ++p)
        for (int64_t c = 0; c < width; ++c)
          dst[p * width + c] = static_cast<float>(values[static_cast<size_t>((r * t + p) * width + c)]);
    }
  }
  return result;
}

}  // namespace xlm::tasks
