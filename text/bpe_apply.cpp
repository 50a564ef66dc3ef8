// See bpe_apply.h. Symbols are interned to integer ids so that the inner loop
// (find the lowest-ranked adjacent pair, merge it) hashes integers instead of
// building strings; a subword is a byte range of word+"</w>", since merges
// only ever join neighbours. The vocabulary restriction works on strings,
// exactly as fastBPE's limitVocab/decompose do.
#include "text/bpe_apply.h"

#include "core/error.h"
#include "text/bpe.h"
#include "text/text_buffer.h"
#include "text/word_counts.h"
#include "text/word_table.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace xlm::text {

namespace {
constexpr uint32_t kUnknown = UINT32_MAX;  // a symbol no code names: never merges

inline uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t(a) << 32) | b; }

// fastBPE strips the end-of-word marker with substr(0, size - 4).
std::string strip_end_of_word(const std::string& s) {
  return s.size() >= kEndOfWord.size() ? s.substr(0, s.size() - kEndOfWord.size()) : s;
}

// Runs fn(i) for i in [0, n) on `threads` threads, in blocks.
template <typename Fn>
void parallel_for(size_t n, unsigned threads, Fn fn) {
  constexpr size_t kBlock = 256;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      const size_t begin = next.fetch_add(kBlock);
      if (begin >= n) return;
      const size_t end = std::min(n, begin + kBlock);
      for (size_t i = begin; i < end; ++i) fn(i);
    }
  };
  const unsigned extra = static_cast<unsigned>(std::min<size_t>(threads > 0 ? threads - 1 : 0, n / kBlock));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < extra; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace

BpeApplier::BpeApplier(const BpeCodes& codes, BpeVocab vocab) : vocab_(std::move(vocab)) {
  auto intern = [&](const std::string& s) -> uint32_t {
    auto it = symbol_ids_.find(s);
    if (it != symbol_ids_.end()) return it->second;
    symbol_names_.push_back(s);
    const uint32_t id = static_cast<uint32_t>(symbol_names_.size() - 1);
    symbol_ids_.emplace(symbol_names_.back(), id);
    return id;
  };
  for (size_t rank = 0; rank < codes.merges.size(); ++rank) {
    const auto& [left, right] = codes.merges[rank];
    const uint32_t l = intern(left);
    const uint32_t r = intern(right);
    const uint32_t m = intern(left + right);
    // A repeated pair or spelling keeps its first (lowest-ranked) code.
    merges_.try_emplace(pair_key(l, r), MergeInfo{static_cast<uint32_t>(rank), m});
    split_of_.try_emplace(left + right, left, right);
  }
}

std::vector<std::string> BpeApplier::subwords(std::string_view word) const {
  std::string full(word);
  full.append(kEndOfWord);
  struct Piece {
    uint32_t id;
    size_t end;  // byte offset in `full`; begins where the previous piece ends
  };
  std::vector<Piece> pieces;
  size_t begin = 0;
  const std::vector<size_t> ends = symbol_ends(word);
  for (size_t k = 0; k < ends.size(); ++k) {
    const size_t end = k + 1 == ends.size() ? full.size() : ends[k];
    auto it = symbol_ids_.find(std::string_view(full).substr(begin, end - begin));
    pieces.push_back({it == symbol_ids_.end() ? kUnknown : it->second, end});
    begin = end;
  }
  std::vector<Piece> next;
  while (pieces.size() > 1) {
    const MergeInfo* best = nullptr;
    uint32_t best_left = 0, best_right = 0;
    for (size_t i = 0; i + 1 < pieces.size(); ++i) {
      if (pieces[i].id == kUnknown || pieces[i + 1].id == kUnknown) continue;
      auto it = merges_.find(pair_key(pieces[i].id, pieces[i + 1].id));
      if (it != merges_.end() && (best == nullptr || it->second.rank < best->rank)) {
        best = &it->second;
        best_left = pieces[i].id;
        best_right = pieces[i + 1].id;
      }
    }
    if (best == nullptr) break;
    next.clear();
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (i + 1 < pieces.size() && pieces[i].id == best_left && pieces[i + 1].id == best_right) {
        next.push_back({best->merged, pieces[i + 1].end});
        ++i;
      } else {
        next.push_back(pieces[i]);
      }
    }
    pieces.swap(next);
  }
  std::vector<std::string> out;
  out.reserve(pieces.size());
  begin = 0;
  for (const Piece& p : pieces) {
    out.push_back(full.substr(begin, p.end - begin));
    begin = p.end;
  }
  return out;
}

bool BpeApplier::in_vocab(const std::string& subword, bool is_final) const {
  const std::string query = is_final ? strip_end_of_word(subword) : subword + std::string(kContinuation);
  return vocab_.count(query) != 0;
}

void BpeApplier::decompose(const std::string& s, bool is_final, std::vector<std::string>& out) const {
  auto it = split_of_.find(s);
  if (it == split_of_.end()) {  // a single symbol: kept even when out of vocabulary
    out.push_back(s);
    return;
  }
  const auto& [left, right] = it->second;
  if (in_vocab(left, false)) {
    out.push_back(left);
  } else {
    decompose(left, false, out);
  }
  if (in_vocab(right, is_final)) {
    out.push_back(right);
  } else {
    decompose(right, is_final, out);
  }
}

void BpeApplier::limit_to_vocab(const std::vector<std::string>& in, std::vector<std::string>& out) const {
  for (size_t i = 0; i < in.size(); ++i) {
    const bool is_final = i + 1 == in.size();
    if (in_vocab(in[i], is_final)) {
      out.push_back(in[i]);
    } else {
      decompose(in[i], is_final, out);
    }
  }
}

std::string BpeApplier::apply_line(std::string_view line) const {
  std::string out;
  size_t start = 0;
  while (start < line.size()) {
    const size_t end = std::min(line.find(' ', start), line.size());
    if (end > start) {
      if (!out.empty()) out.push_back(' ');
      out += apply_word(line.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

std::string BpeApplier::apply_word(std::string_view word) const {
  std::vector<std::string> parts = subwords(word);
  if (!vocab_.empty()) {
    std::vector<std::string> limited;
    limit_to_vocab(parts, limited);
    parts.swap(limited);
  }
  // Every subword gets "@@ ", then "</w>@@ " is cut from the end (fastBPE).
  std::string result;
  for (const auto& p : parts) {
    result.append(p);
    result.append(kContinuation);
    result.push_back(' ');
  }
  const size_t cut = kEndOfWord.size() + kContinuation.size() + 1;
  result.resize(result.size() >= cut ? result.size() - cut : 0);
  return result;
}

std::vector<std::string> BpeApplier::apply_chunks(std::string_view text, unsigned threads) const {
  threads = std::max(1u, threads);
  // 1. Distinct words, in one table (chunks counted in parallel, merged in order).
  const std::vector<size_t> bounds = split_at_word_boundaries(text, threads);
  const size_t num_chunks = bounds.size() - 1;
  std::vector<WordTable> chunk_words(num_chunks, WordTable(1 << 12));
  auto collect = [&](size_t c) {
    size_t start = bounds[c];
    for (size_t i = bounds[c]; i <= bounds[c + 1]; ++i) {
      if (i == bounds[c + 1] || is_word_separator(text[i])) {
        if (i > start) chunk_words[c].insert(text.substr(start, i - start));
        start = i + 1;
      }
    }
  };
  {
    std::vector<std::thread> pool;
    for (size_t c = 1; c < num_chunks; ++c) pool.emplace_back(collect, c);
    collect(0);
    for (auto& t : pool) t.join();
  }
  WordTable all(chunk_words[0].size() * 2);
  for (const WordTable& t : chunk_words) {
    for (std::string_view w : t.words()) all.insert(w);
  }
  chunk_words.clear();

  // 2. Segment each distinct word once.
  std::vector<std::string> segmented(all.size());
  parallel_for(all.size(), threads, [&](size_t i) { segmented[i] = apply_word(all.words()[i]); });

  // 3. Rewrite each chunk: separators copied, words replaced.
  std::vector<std::string> out(num_chunks);
  auto rewrite = [&](size_t c) {
    std::string& o = out[c];
    o.reserve((bounds[c + 1] - bounds[c]) * 5 / 4);
    size_t start = bounds[c];
    for (size_t i = bounds[c]; i <= bounds[c + 1]; ++i) {
      const bool at_end = i == bounds[c + 1];
      if (at_end || is_word_separator(text[i])) {
        if (i > start) o.append(segmented[static_cast<size_t>(all.find(text.substr(start, i - start)))]);
        if (!at_end) o.push_back(text[i]);
        start = i + 1;
      }
    }
  };
  {
    std::vector<std::thread> pool;
    for (size_t c = 1; c < num_chunks; ++c) pool.emplace_back(rewrite, c);
    rewrite(0);
    for (auto& t : pool) t.join();
  }
  return out;
}

std::string BpeApplier::apply_text(std::string_view text, unsigned threads) const {
  std::string result;
  for (const std::string& chunk : apply_chunks(text, threads)) result.append(chunk);
  return result;
}

void apply_bpe_file(const std::string& output_path, const std::string& input_path, const BpeApplier& applier,
                    unsigned threads) {
  TextBuffer input(input_path);
  const std::vector<std::string> chunks = applier.apply_chunks(input.view(), threads);
  std::FILE* f = std::fopen(output_path.c_str(), "wb");
  if (f == nullptr) {
    throw FormatError(fmt::format("{}: cannot open for writing ({})", output_path, std::strerror(errno)));
  }
  bool ok = true;
  for (const std::string& chunk : chunks) {
    if (!chunk.empty() && std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size()) ok = false;
  }
  const int err = errno;
  if (std::fclose(f) != 0) ok = false;
  if (!ok) throw FormatError(fmt::format("{}: write failed ({})", output_path, std::strerror(err)));
}

}  // namespace xlm::text
