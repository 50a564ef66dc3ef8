// See word_translation.h. Cosines are computed in double from the float rows
// (norms once per word); the queries x candidates cosine matrix is never
// stored, one query's row at a time is enough to rank it.
#include "tasks/wordemb/word_translation.h"

#include "core/error.h"
#include "text/shuffle.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <set>

namespace xlm::tasks {

namespace {

// Id of `word` when it is a whole-word entry of the vocabulary, else -1.
int64_t single_token(const text::Dictionary& vocab, const std::string& word) {
  if (word.empty() || (word.size() >= 2 && word.compare(word.size() - 2, 2, "@@") == 0)) return -1;
  if (!vocab.contains(word)) return -1;
  const int64_t id = vocab.index(word);
  return id >= text::kFirstWordIndex ? id : -1;
}

struct Row {
  const float* v;
  double norm;
};

double dot(const Row& a, const Row& b, int64_t dim) {
  double s = 0;
  for (int64_t i = 0; i < dim; ++i) s += static_cast<double>(a.v[i]) * static_cast<double>(b.v[i]);
  return s;
}

double cosine(const Row& a, const Row& b, int64_t dim) {
  return a.norm > 0 && b.norm > 0 ? dot(a, b, dim) / (a.norm * b.norm) : 0.0;
}

double l2(const Row& a, const Row& b, int64_t dim) {
  double s = 0;
  for (int64_t i = 0; i < dim; ++i) {
    const double d = static_cast<double>(a.v[i]) - static_cast<double>(b.v[i]);
    s += d * d;
  }
  return std::sqrt(s);
}

}  // namespace

std::vector<DictionaryPair> read_bilingual_dictionary(std::istream& in, const std::string& name) {
  std::vector<DictionaryPair> pairs;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    XLM_CHECK(tab != std::string::npos && tab > 0 && tab + 1 < line.size() && line.find('\t', tab + 1) == std::string::npos,
              FormatError, "{}:{}: expected \"source<TAB>target\"", name, n);
    pairs.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return pairs;
}

std::vector<DictionaryPair> read_bilingual_dictionary(const std::string& path) {
  std::ifstream in(path);
  XLM_CHECK(in.good(), ConfigError, "--dict {}: cannot open", path);
  return read_bilingual_dictionary(in, path);
}

WordTranslationScores evaluate_word_translation(const std::vector<float>& embeddings, int64_t dim,
                                                const text::Dictionary& vocab, const std::vector<DictionaryPair>& pairs,
                                                uint64_t seed) {
  XLM_CHECK(dim > 0 && static_cast<int64_t>(embeddings.size()) == vocab.size() * dim, ConfigError,
            "embedding table of {} floats is not ({} words, {} dims)", embeddings.size(), vocab.size(), dim);
  auto row = [&](int64_t id) {
    const float* v = embeddings.data() + id * dim;
    Row r{v, 0.0};
    r.norm = std::sqrt(dot(r, r, dim));
    return r;
  };

  WordTranslationScores s;
  s.dictionary_pairs = static_cast<int64_t>(pairs.size());
  std::vector<int64_t> queries, candidates;          // token ids, first-appearance order
  std::map<int64_t, size_t> query_pos, candidate_pos;
  std::map<int64_t, std::set<int64_t>> gold;         // query id -> gold candidate ids
  std::vector<std::pair<int64_t, int64_t>> covered;  // (src id, tgt id), deduplicated
  for (const DictionaryPair& p : pairs) {
    const int64_t src = single_token(vocab, p.src), tgt = single_token(vocab, p.tgt);
    if (src < 0 || tgt < 0) continue;
    if (src == tgt) {
      ++s.identical_pairs;
      continue;
    }
    if (!gold[src].insert(tgt).second) continue;
    covered.push_back({src, tgt});
    if (query_pos.emplace(src, queries.size()).second) queries.push_back(src);
    if (candidate_pos.emplace(tgt, candidates.size()).second) candidates.push_back(tgt);
  }
  s.covered_pairs = static_cast<int64_t>(covered.size());
  s.queries = static_cast<int64_t>(queries.size());
  s.candidates = static_cast<int64_t>(candidates.size());
  XLM_CHECK(!covered.empty(), ConfigError,
            "none of the {} dictionary pairs has both words as single tokens of the model's vocabulary",
            pairs.size());

  // ---- retrieval
  std::vector<Row> cand_rows;  // (candidates)
  for (int64_t c : candidates) cand_rows.push_back(row(c));
  int64_t hits1 = 0, hits5 = 0;
  std::vector<std::pair<double, size_t>> ranked;  // (cosine, candidate position)
  for (int64_t q : queries) {
    const Row qr = row(q);
    ranked.clear();
    for (size_t j = 0; j < candidates.size(); ++j) {
      if (candidates[j] != q) ranked.push_back({cosine(qr, cand_rows[j], dim), j});
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    const std::set<int64_t>& g = gold.at(q);
    for (size_t k = 0; k < ranked.size() && k < 5; ++k) {
      if (!g.count(candidates[ranked[k].second])) continue;
      if (k == 0) ++hits1;
      ++hits5;
      break;
    }
  }
  s.p_at_1 = 100.0 * static_cast<double>(hits1) / static_cast<double>(queries.size());
  s.p_at_5 = 100.0 * static_cast<double>(hits5) / static_cast<double>(queries.size());

  // ---- translation pairs vs random pairs
  for (const auto& [src, tgt] : covered) {
    const Row a = row(src), b = row(tgt);
    s.mean_cos_pairs += cosine(a, b, dim);
    s.mean_l2_pairs += l2(a, b, dim);
  }
  s.mean_cos_pairs /= static_cast<double>(covered.size());
  s.mean_l2_pairs /= static_cast<double>(covered.size());

  int64_t admissible = 0;  // (query, candidate) pairs that are neither gold nor the query itself
  for (int64_t q : queries) {
    admissible += s.candidates - static_cast<int64_t>(gold.at(q).size()) - (candidate_pos.count(q) ? 1 : 0);
  }
  if (admissible == 0) {
    s.mean_cos_random = s.mean_l2_random = std::numeric_limits<double>::quiet_NaN();
    return s;
  }
  text::SplitMix64 rng(seed);
  for (size_t i = 0; i < covered.size(); ++i) {
    int64_t q = 0, c = 0;
    do {
      q = queries[rng.below(queries.size())];
      c = candidates[rng.below(candidates.size())];
    } while (c == q || gold.at(q).count(c));
    const Row a = row(q), b = row(c);
    s.mean_cos_random += cosine(a, b, dim);
    s.mean_l2_random += l2(a, b, dim);
    s.random_pairs.push_back({vocab.word(q), vocab.word(c)});
  }
  s.mean_cos_random /= static_cast<double>(covered.size());
  s.mean_l2_random /= static_cast<double>(covered.size());
  return s;
}

}  // namespace xlm::tasks
