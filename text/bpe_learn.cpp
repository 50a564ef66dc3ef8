// See bpe_learn.h. Symbols are integer ids: the initial symbols numbered in
// the order fastBPE meets them (words in its hash-map order, symbols left to
// right), merged symbols numbered in merge order. Among pairs of maximal count
// the smallest (left id, right id) wins, as in fastBPE. Two merged symbols
// may spell the same string yet keep distinct ids, again as in fastBPE.
#include "text/bpe_learn.h"

#include "text/bpe.h"

#include <fmt/format.h>

#include <algorithm>
#include <queue>
#include <unordered_map>

namespace xlm::text {

namespace {

using PairKey = uint64_t;  // (left id << 32) | right id: orders like (left, right)
inline PairKey make_key(uint32_t left, uint32_t right) { return (uint64_t(left) << 32) | right; }

struct PairStats {
  int64_t count = 0;
  std::vector<uint32_t> words;  // words that contain(ed) the pair; may hold stale entries
  size_t touched_at = SIZE_MAX;  // merge step that last changed the count
};

struct HeapEntry {
  int64_t count;
  PairKey key;
};
// std::priority_queue pops the "largest": higher count, then smaller key.
struct HeapOrder {
  bool operator()(const HeapEntry& a, const HeapEntry& b) const {
    return a.count != b.count ? a.count < b.count : a.key > b.key;
  }
};

}  // namespace

std::vector<BpeMerge> learn_bpe(const WordCounts& counts, size_t num_merges) {
  const std::vector<WordCount> words_in_order = counts.in_fastbpe_order();

  std::vector<std::string> symbols;  // by id
  std::unordered_map<std::string, uint32_t> initial_ids;
  std::vector<std::vector<uint32_t>> words;  // current segmentation of each word
  std::vector<int64_t> word_count;
  words.reserve(words_in_order.size());
  word_count.reserve(words_in_order.size());
  for (const WordCount& wc : words_in_order) {
    std::vector<uint32_t> ids;
    for (std::string& s : split_into_symbols(wc.word)) {
      auto [it, fresh] = initial_ids.try_emplace(s, static_cast<uint32_t>(symbols.size()));
      if (fresh) symbols.push_back(std::move(s));
      ids.push_back(it->second);
    }
    words.push_back(std::move(ids));
    word_count.push_back(static_cast<int64_t>(wc.count));
  }

  std::unordered_map<PairKey, PairStats> pairs;
  pairs.reserve(words.size() * 4);
  for (uint32_t wi = 0; wi < words.size(); ++wi) {
    const auto& w = words[wi];
    for (size_t i = 0; i + 1 < w.size(); ++i) {
      PairStats& p = pairs[make_key(w[i], w[i + 1])];
      p.count += word_count[wi];
      if (p.words.empty() || p.words.back() != wi) p.words.push_back(wi);
    }
  }
  std::vector<HeapEntry> initial;
  initial.reserve(pairs.size());
  for (const auto& [key, p] : pairs) initial.push_back({p.count, key});
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, HeapOrder> heap(HeapOrder{}, std::move(initial));

  std::vector<BpeMerge> merges;
  merges.reserve(num_merges);
  std::vector<size_t> word_seen_at(words.size(), SIZE_MAX);
  std::vector<PairKey> touched;
  for (size_t step = 0; step < num_merges; ++step) {
    // Pop stale entries: an entry is current when it carries the pair's count.
    PairKey best = 0;
    int64_t best_count = 0;
    while (!heap.empty()) {
      const HeapEntry top = heap.top();
      heap.pop();
      auto it = pairs.find(top.key);
      if (top.count > 0 && it->second.count == top.count) {
        best = top.key;
        best_count = top.count;
        break;
      }
    }
    if (best_count == 0) break;

    const uint32_t left = static_cast<uint32_t>(best >> 32);
    const uint32_t right = static_cast<uint32_t>(best & 0xFFFFFFFFu);
    merges.push_back({symbols[left], symbols[right], best_count});
    const uint32_t merged = static_cast<uint32_t>(symbols.size());
    symbols.push_back(symbols[left] + symbols[right]);

    touched.clear();
    auto change = [&](uint32_t a, uint32_t b, int64_t delta, uint32_t wi) {
      const PairKey key = make_key(a, b);
      PairStats& p = pairs[key];
      p.count += delta;
      if (delta > 0 && (p.words.empty() || p.words.back() != wi)) p.words.push_back(wi);
      if (p.touched_at != step) {
        p.touched_at = step;
        touched.push_back(key);
      }
    };

    const std::vector<uint32_t> where = std::move(pairs[best].words);
    for (uint32_t wi : where) {
      if (word_seen_at[wi] == step) continue;
      word_seen_at[wi] = step;
      std::vector<uint32_t>& w = words[wi];
      const int64_t c = word_count[wi];
      size_t out = 0;
      for (size_t i = 0; i < w.size();) {
        if (i + 1 < w.size() && w[i] == left && w[i + 1] == right) {
          if (out > 0) {
            change(w[out - 1], left, -c, wi);
            change(w[out - 1], merged, c, wi);
          }
          if (i + 2 < w.size()) {
            change(right, w[i + 2], -c, wi);
            change(merged, w[i + 2], c, wi);
          }
          w[out++] = merged;
          i += 2;
        } else {
          w[out++] = w[i++];
        }
      }
      w.resize(out);
    }
    PairStats& done = pairs[best];
    done.count = 0;
    done.words.clear();
    done.words.shrink_to_fit();
    for (PairKey key : touched) {
      const PairStats& p = pairs[key];
      if (p.count > 0 && key != best) heap.push({p.count, key});
    }
  }
  return merges;
}

std::string format_codes(const std::vector<BpeMerge>& merges) {
  std::string out;
  out.reserve(merges.size() * 16);
  for (const auto& m : merges) {
    out.append(m.left);
    out.push_back(' ');
    out.append(m.right);
    out.push_back(' ');
    out.append(fmt::format_int(m.count).str());
    out.push_back('\n');
  }
  return out;
}

}  // namespace xlm::text
