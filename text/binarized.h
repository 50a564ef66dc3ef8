// Our binarized corpus format (the counterpart of XLM's .pth files): one
// little-endian file that is mmap'ed read-only and used in place, so a
// multi-gigabyte training set costs no parse time and no private memory.
// Layout (docs/formats.md has it byte by byte): a 64-byte header (magic,
// version, token dtype, counts, dictionary hash and size, a checksum), then
// n+1 uint64 sentence offsets, then the token array. As in XLM's .pth,
// every sentence is stored followed by </s>, so the token array is exactly
// XLM's `sentences` array and the stream dataset reads it without copying.
// The reader checks everything before handing out a pointer: a truncated or
// corrupted file is a FormatError naming the file and the fault, never a crash.
#pragma once

#include "text/dictionary.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xlm::text {

constexpr char kBinarizedMagic[8] = {'X', 'L', 'M', 'B', 'I', 'N', '\r', '\n'};
constexpr uint32_t kBinarizedVersion = 1;
constexpr size_t kBinarizedHeaderBytes = 64;

enum class TokenDType : uint32_t { u16 = 1, i32 = 2 };
size_t token_dtype_size(TokenDType t);
// uint16 while every id fits (size < 65536), as XLM's preprocess.py chooses.
TokenDType token_dtype_for(int64_t dictionary_size);

struct BinarizedHeader {
  TokenDType dtype = TokenDType::u16;
  uint64_t n_sentences = 0;
  uint64_t n_tokens = 0;          // token array length: words + one </s> per sentence
  uint64_t dictionary_hash = 0;
  uint64_t dictionary_size = 0;
  uint64_t n_unknown = 0;         // <unk> occurrences (statistics only)
  uint64_t checksum = 0;          // FNV-1a 64 over header bytes [0, 56) then every byte after the header
};

// Collects sentences (ids without </s>) and writes the file atomically.
class BinarizedWriter {
 public:
  BinarizedWriter(uint64_t dictionary_hash, int64_t dictionary_size);
  explicit BinarizedWriter(const Dictionary& dictionary)
      : BinarizedWriter(dictionary.hash(), dictionary.size()) {}
  // Appends one sentence; ids must be in [0, dictionary_size) (IndexError otherwise).
  void add_sentence(const std::vector<int64_t>& ids);
  uint64_t n_sentences() const { return offsets_.size() - 1; }
  uint64_t n_tokens() const { return tokens_.size(); }
  // Writes via core/atomic_file.h; the writer can be reused afterwards.
  void write(const std::string& path) const;

 private:
  uint64_t dictionary_hash_;
  int64_t dictionary_size_;
  uint64_t n_unknown_ = 0;
  std::vector<uint64_t> offsets_{0};  // (n_sentences + 1)
  std::vector<int32_t> tokens_;       // (n_tokens)
};

// A read-only, validated, memory-mapped binarized file. Move-only.
class BinarizedFile {
 public:
  // Maps and validates `path` (magic, version, dtype, sizes, offsets,
  // trailing </s>, token ids < dictionary size, checksum); FormatError otherwise.
  static BinarizedFile open(const std::string& path);
  BinarizedFile(BinarizedFile&& other) noexcept;
  BinarizedFile& operator=(BinarizedFile&& other) noexcept;
  BinarizedFile(const BinarizedFile&) = delete;
  BinarizedFile& operator=(const BinarizedFile&) = delete;
  ~BinarizedFile();

  const std::string& path() const { return path_; }
  const BinarizedHeader& header() const { return header_; }
  int64_t n_sentences() const { return static_cast<int64_t>(header_.n_sentences); }
  int64_t n_tokens() const { return static_cast<int64_t>(header_.n_tokens); }
  // Throws FormatError naming the file when it was built with another dictionary.
  void check_dictionary(const Dictionary& dictionary) const;

  // Token `i` of the array (eos separators included), no bounds check.
  int64_t token(uint64_t i) const {
    return header_.dtype == TokenDType::u16 ? static_cast<int64_t>(u16_[i]) : static_cast<int64_t>(i32_[i]);
  }
  // Sentence `s` occupies tokens [begin(s), end(s)); token end(s) is its </s>.
  uint64_t sentence_begin(int64_t s) const { return offsets_[s]; }
  uint64_t sentence_end(int64_t s) const { return offsets_[s + 1] - 1; }
  int64_t sentence_length(int64_t s) const { return static_cast<int64_t>(offsets_[s + 1] - offsets_[s] - 1); }
  std::vector<int64_t> sentence(int64_t s) const;  // ids without </s>

 private:
  BinarizedFile() = default;
  void release();

  std::string path_;
  BinarizedHeader header_;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  const uint64_t* offsets_ = nullptr;  // (n_sentences + 1)
  const uint16_t* u16_ = nullptr;      // (n_tokens) when dtype == u16
  const int32_t* i32_ = nullptr;       // (n_tokens) when dtype == i32
};

// The 64 header bytes exactly as written (exposed for golden tests and tools).
std::vector<unsigned char> encode_header(const BinarizedHeader& h);

}  // namespace xlm::text
