// See word_counts.h. Each worker counts its chunk into its own WordTable and
// remembers the offset of each word's first occurrence; the tables are merged
// in chunk order so that the global first occurrence is the smallest offset.
#include "text/word_counts.h"

#include "text/bpe.h"
#include "text/word_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>
#include <unordered_map>

namespace xlm::text {

namespace {

struct ChunkCounts {
  WordTable table{1 << 14};
  std::vector<uint64_t> counts;  // by table index
  std::vector<uint64_t> first;   // offset of first occurrence, by table index
};

void count_chunk(std::string_view text, size_t begin, size_t end, uint64_t base, ChunkCounts& out) {
  const char* data = text.data();
  size_t start = begin;
  for (size_t i = begin; i <= end; ++i) {
    // A word also ends at the end of the buffer (fastBPE drops such a final
    // unterminated word; see docs/bpe.md, "Differences").
    if (i == end || is_word_separator(data[i])) {
      if (i > start) {
        bool inserted = false;
        const uint32_t idx = out.table.insert(std::string_view(data + start, i - start), &inserted);
        if (inserted) {
          out.counts.push_back(0);
          out.first.push_back(base + start);
        }
        ++out.counts[idx];
      }
      start = i + 1;
    }
  }
}

}  // namespace

std::vector<size_t> split_at_word_boundaries(std::string_view text, unsigned parts) {
  std::vector<size_t> bounds{0};
  if (parts == 0) parts = 1;
  for (unsigned p = 1; p < parts; ++p) {
    size_t pos = std::max(bounds.back(), text.size() * p / parts);
    while (pos < text.size() && !is_word_separator(text[pos])) ++pos;
    if (pos < text.size()) ++pos;  // just after the separator
    if (pos > bounds.back() && pos < text.size()) bounds.push_back(pos);
  }
  bounds.push_back(text.size());
  return bounds;
}

void WordCounts::count_buffer(std::string_view text, uint64_t base, unsigned threads, size_t min_chunk_bytes) {
  const size_t max_workers = std::max<size_t>(1, text.size() / std::max<size_t>(1, min_chunk_bytes));
  const unsigned workers = static_cast<unsigned>(std::min<size_t>(std::max(1u, threads), max_workers));
  const std::vector<size_t> bounds = split_at_word_boundaries(text, workers);
  std::vector<ChunkCounts> chunks(bounds.size() - 1);
  std::vector<std::thread> pool;
  for (size_t c = 0; c + 1 < chunks.size(); ++c) {
    pool.emplace_back([&, c] { count_chunk(text, bounds[c], bounds[c + 1], base, chunks[c]); });
  }
  count_chunk(text, bounds[chunks.size() - 1], bounds.back(), base, chunks.back());
  for (auto& t : pool) t.join();

  // Merge in chunk order into the running totals over all files.
  for (ChunkCounts& chunk : chunks) {
    const auto& keys = chunk.table.words();
    for (size_t i = 0; i < keys.size(); ++i) {
      bool inserted = false;
      const uint32_t idx = table_.insert(keys[i], &inserted);
      if (inserted) {
        words_.push_back({keys[i], 0});
        first_offset_.push_back(chunk.first[i]);
      }
      words_[idx].count += chunk.counts[i];
    }
  }
}

void WordCounts::finish() {
  // Order by first occurrence: chunks were merged in order but a word first
  // seen late in chunk 0 may precede one seen early in chunk 1 in the table.
  std::vector<size_t> order(words_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return first_offset_[a] < first_offset_[b]; });
  std::vector<WordCount> sorted;
  sorted.reserve(words_.size());
  for (size_t i : order) sorted.push_back(words_[i]);
  words_.swap(sorted);
  first_offset_.clear();
  first_offset_.shrink_to_fit();
  table_ = WordTable();
}

WordCounts WordCounts::from_files(const std::vector<std::string>& paths, unsigned threads,
                                  size_t min_chunk_bytes) {
  WordCounts wc;
  // Open every file first so that a missing one fails before any work.
  for (const auto& path : paths) wc.buffers_.push_back(std::make_shared<TextBuffer>(path));
  uint64_t base = 0;
  for (const auto& buffer : wc.buffers_) {
    wc.count_buffer(buffer->view(), base, threads, min_chunk_bytes);
    base += buffer->view().size() + 1;
  }
  wc.finish();
  return wc;
}

WordCounts WordCounts::from_texts(const std::vector<std::string>& texts, unsigned threads,
                                  size_t min_chunk_bytes) {
  WordCounts wc;
  wc.owned_texts_ = texts;
  uint64_t base = 0;
  for (const auto& text : wc.owned_texts_) {
    wc.count_buffer(text, base, threads, min_chunk_bytes);
    base += text.size() + 1;
  }
  wc.finish();
  return wc;
}

std::vector<WordCount> WordCounts::by_decreasing_count() const {
  std::vector<WordCount> out = words_;
  std::sort(out.begin(), out.end(), [](const WordCount& a, const WordCount& b) {
    if (a.count != b.count) return a.count > b.count;
    return a.word < b.word;
  });
  return out;
}

std::vector<WordCount> WordCounts::in_fastbpe_order() const {
  // Replaying the same insertions into the same container type reproduces
  // fastBPE's bucket layout, hence its iteration order. std::hash of a
  // string_view equals std::hash of the equal std::string (the standard
  // requires it), and the mapped type does not affect the layout.
  std::unordered_map<std::string_view, uint32_t> replay;
  for (uint32_t i = 0; i < words_.size(); ++i) replay.emplace(words_[i].word, i);
  std::vector<WordCount> out;
  out.reserve(words_.size());
  for (const auto& entry : replay) out.push_back(words_[entry.second]);
  return out;
}

uint64_t WordCounts::total_words() const {
  uint64_t total = 0;
  for (const auto& w : words_) total += w.count;
  return total;
}

std::string format_vocab(const std::vector<WordCount>& words) {
  std::string out;
  out.reserve(words.size() * 16);
  for (const auto& w : words) {
    out.append(w.word);
    out.push_back(' ');
    out.append(fmt::format_int(w.count).str());
    out.push_back('\n');
  }
  return out;
}

}  // namespace xlm::text
