// See sentence_embedder.h. Lines are sorted by length before batching (as
// XLM's embedder does) so that padding stays small; results are written back
// in input order.
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

std::vector<float> SentenceEmbedder::embed(const std::vector<std::string>& lines, const std::string& lang,
                                           int64_t batch_size) {
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
  for (size_t i = 0; i < lines.size(); ++i) {
    ids[i].push_back(text::kEosIndex);
    dictionary_->index_line(bpe_ ? bpe_->apply_line(lines[i]) : lines[i], ids[i], stats);
    ids[i].push_back(text::kEosIndex);
    XLM_CHECK(static_cast<int64_t>(ids[i].size()) <= model_.config.max_positions, ConfigError,
              "input line {}: {} tokens, more than the model's {} positions", i + 1, ids[i].size(),
              model_.config.max_positions);
  }

  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });

  const int64_t d = dim();
  std::vector<float> out(lines.size() * static_cast<size_t>(d));
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
    const Tensor hidden = model_.model->forward(args);                       // (B, T, D)
    const Tensor first = gather_rows(hidden.reshape({b * t, d}), Tensor::from_vector(first_rows, {b}, device_));
    const std::vector<double> values = first.to_doubles();                    // (B, D)
    for (int64_t r = 0; r < b; ++r) {
      const size_t dst = order[begin + static_cast<size_t>(r)] * static_cast<size_t>(d);
      for (int64_t c = 0; c < d; ++c) out[dst + static_cast<size_t>(c)] = static_cast<float>(values[r * d + c]);
    }
  }
  return out;
}

}  // namespace xlm::tasks
