// See text/binarized.h. The header is encoded byte by byte (little-endian)
// so the file is the same on every host; the payload is read in place
// through the mapping, which is why the reader refuses big-endian hosts.
// Validation order: sizes before any payload access (no read past the
// mapping), then structure (offsets, separators, id range: the precise
// message), then the checksum (catches whatever structure cannot see).
#include "text/binarized.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fnv1a.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace xlm::text {

namespace {

void put_le(unsigned char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

uint64_t get_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

bool host_is_little_endian() {
  const uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

const char* dtype_name(TokenDType t) { return t == TokenDType::u16 ? "uint16" : "int32"; }

constexpr size_t kChecksumOffset = 56;

}  // namespace

size_t token_dtype_size(TokenDType t) { return t == TokenDType::u16 ? 2 : 4; }

TokenDType token_dtype_for(int64_t dictionary_size) {
  return dictionary_size < (int64_t{1} << 16) ? TokenDType::u16 : TokenDType::i32;
}

std::vector<unsigned char> encode_header(const BinarizedHeader& h) {
  std::vector<unsigned char> b(kBinarizedHeaderBytes, 0);
  std::memcpy(b.data(), kBinarizedMagic, 8);
  put_le(&b[8], kBinarizedVersion, 4);
  put_le(&b[12], static_cast<uint32_t>(h.dtype), 4);
  put_le(&b[16], h.n_sentences, 8);
  put_le(&b[24], h.n_tokens, 8);
  put_le(&b[32], h.dictionary_hash, 8);
  put_le(&b[40], h.dictionary_size, 8);
  put_le(&b[48], h.n_unknown, 8);
  put_le(&b[56], h.checksum, 8);
  return b;
}

// ---------------------------------------------------------------- writer

BinarizedWriter::BinarizedWriter(uint64_t dictionary_hash, int64_t dictionary_size)
    : dictionary_hash_(dictionary_hash), dictionary_size_(dictionary_size) {
  if (dictionary_size < kFirstWordIndex || dictionary_size >= (int64_t{1} << 31))
    throw ConfigError(fmt::format("binarized writer: dictionary size {} outside [{}, 2^31)", dictionary_size,
                                  kFirstWordIndex));
}

void BinarizedWriter::add_sentence(const std::vector<int64_t>& ids) {
  for (int64_t id : ids) {
    if (id < 0 || id >= dictionary_size_)
      throw IndexError(fmt::format("binarized writer: sentence {}: id {} outside the dictionary [0, {})",
                                   n_sentences(), id, dictionary_size_));
    if (id == kEosIndex)
      throw IndexError(fmt::format("binarized writer: sentence {}: contains </s> (id 1), the separator",
                                   n_sentences()));
    if (id == kUnkIndex) ++n_unknown_;
    tokens_.push_back(static_cast<int32_t>(id));
  }
  tokens_.push_back(static_cast<int32_t>(kEosIndex));
  offsets_.push_back(tokens_.size());
}

void BinarizedWriter::write(const std::string& path) const {
  BinarizedHeader h;
  h.dtype = token_dtype_for(dictionary_size_);
  h.n_sentences = n_sentences();
  h.n_tokens = n_tokens();
  h.dictionary_hash = dictionary_hash_;
  h.dictionary_size = static_cast<uint64_t>(dictionary_size_);
  h.n_unknown = n_unknown_;

  const size_t width = token_dtype_size(h.dtype);
  std::string payload(offsets_.size() * 8 + tokens_.size() * width, '\0');  // offsets (n+1), tokens (n_tokens)
  auto* p = reinterpret_cast<unsigned char*>(payload.data());
  for (uint64_t off : offsets_) {
    put_le(p, off, 8);
    p += 8;
  }
  for (int32_t t : tokens_) {
    put_le(p, static_cast<uint32_t>(t), static_cast<int>(width));
    p += width;
  }
  std::vector<unsigned char> header = encode_header(h);
  uint64_t sum = fnv1a64(header.data(), kChecksumOffset);
  h.checksum = fnv1a64(payload.data(), payload.size(), sum);
  header = encode_header(h);
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  });
}

// ---------------------------------------------------------------- reader

BinarizedFile::BinarizedFile(BinarizedFile&& other) noexcept { *this = std::move(other); }

BinarizedFile& BinarizedFile::operator=(BinarizedFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    header_ = other.header_;
    map_ = other.map_;
    map_bytes_ = other.map_bytes_;
    offsets_ = other.offsets_;
    u16_ = other.u16_;
    i32_ = other.i32_;
    other.map_ = nullptr;
    other.map_bytes_ = 0;
    other.offsets_ = nullptr;
    other.u16_ = nullptr;
    other.i32_ = nullptr;
  }
  return *this;
}

BinarizedFile::~BinarizedFile() { release(); }

void BinarizedFile::release() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
  map_ = nullptr;
  map_bytes_ = 0;
}

BinarizedFile BinarizedFile::open(const std::string& path) {
  if (!host_is_little_endian())
    throw FormatError(fmt::format("{}: binarized files are little-endian and read in place; big-endian hosts "
                                  "are not supported",
                                  path));
  BinarizedFile f;
  f.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw FormatError(fmt::format("{}: cannot open ({}){}", path, std::strerror(err),
                                  err == EACCES ? ": make it readable for this user (chmod u+r) or copy the data "
                                                  "somewhere readable and point --data_path there"
                                                : ""));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    throw FormatError(fmt::format("{}: cannot stat ({})", path, reason));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FormatError(fmt::format("{}: not a regular file ({}): expected a binarized data file (xlm preprocess)",
                                  path, S_ISDIR(st.st_mode) ? "a directory" : "a device, pipe or socket"));
  }
  const uint64_t file_bytes = static_cast<uint64_t>(st.st_size);
  if (file_bytes < kBinarizedHeaderBytes) {
    ::close(fd);
    throw FormatError(fmt::format("{}: truncated: {} bytes, the header alone needs {}", path, file_bytes,
                                  kBinarizedHeaderBytes));
  }
  void* map = ::mmap(nullptr, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (map == MAP_FAILED) throw FormatError(fmt::format("{}: cannot mmap ({})", path, std::strerror(map_errno)));
  f.map_ = map;
  f.map_bytes_ = file_bytes;
  const auto* bytes = static_cast<const unsigned char*>(map);

  if (std::memcmp(bytes, kBinarizedMagic, 8) != 0)
    throw FormatError(fmt::format("{}: not an xlm binarized file (bad magic bytes)", path));
  const uint64_t version = get_le(bytes + 8, 4);
  if (version != kBinarizedVersion)
    throw FormatError(fmt::format("{}: unsupported format version {} (this build reads version {})", path,
                                  version, kBinarizedVersion));
  const uint64_t dtype_code = get_le(bytes + 12, 4);
  if (dtype_code != static_cast<uint32_t>(TokenDType::u16) && dtype_code != static_cast<uint32_t>(TokenDType::i32))
    throw FormatError(fmt::format("{}: unknown token dtype code {} (1 = uint16, 2 = int32)", path, dtype_code));
  BinarizedHeader& h = f.header_;
  h.dtype = static_cast<TokenDType>(dtype_code);
  h.n_sentences = get_le(bytes + 16, 8);
  h.n_tokens = get_le(bytes + 24, 8);
  h.dictionary_hash = get_le(bytes + 32, 8);
  h.dictionary_size = get_le(bytes + 40, 8);
  h.n_unknown = get_le(bytes + 48, 8);
  h.checksum = get_le(bytes + 56, 8);

  if (h.dictionary_size < static_cast<uint64_t>(kFirstWordIndex) || h.dictionary_size >= (uint64_t{1} << 31))
    throw FormatError(fmt::format("{}: dictionary size {} outside [{}, 2^31)", path, h.dictionary_size,
                                  kFirstWordIndex));
  if (token_dtype_for(static_cast<int64_t>(h.dictionary_size)) != h.dtype)
    throw FormatError(fmt::format("{}: token dtype {} does not match dictionary size {} (expected {})", path,
                                  dtype_name(h.dtype), h.dictionary_size,
                                  dtype_name(token_dtype_for(static_cast<int64_t>(h.dictionary_size)))));
  // Bound the counts by the file size before multiplying, so no overflow.
  const size_t width = token_dtype_size(h.dtype);
  if (h.n_sentences >= file_bytes / 8 || h.n_tokens > file_bytes / width)
    throw FormatError(fmt::format("{}: truncated or corrupted: header promises {} sentences and {} tokens but the "
                                  "file has {} bytes",
                                  path, h.n_sentences, h.n_tokens, file_bytes));
  const uint64_t expected = kBinarizedHeaderBytes + (h.n_sentences + 1) * 8 + h.n_tokens * width;
  if (file_bytes < expected)
    throw FormatError(fmt::format("{}: truncated: {} bytes, the header promises {}", path, file_bytes, expected));
  if (file_bytes > expected)
    throw FormatError(fmt::format("{}: {} trailing bytes after the token array", path, file_bytes - expected));
  if (h.n_tokens < h.n_sentences)
    throw FormatError(fmt::format("{}: {} tokens cannot hold {} sentences (each ends with </s>)", path,
                                  h.n_tokens, h.n_sentences));

  f.offsets_ = reinterpret_cast<const uint64_t*>(bytes + kBinarizedHeaderBytes);
  const unsigned char* token_bytes = bytes + kBinarizedHeaderBytes + (h.n_sentences + 1) * 8;
  if (h.dtype == TokenDType::u16) {
    f.u16_ = reinterpret_cast<const uint16_t*>(token_bytes);
  } else {
    f.i32_ = reinterpret_cast<const int32_t*>(token_bytes);
  }

  if (f.offsets_[0] != 0)
    throw FormatError(fmt::format("{}: sentence offset 0 is {}, expected 0", path, f.offsets_[0]));
  for (uint64_t s = 0; s < h.n_sentences; ++s) {
    const uint64_t a = f.offsets_[s], b = f.offsets_[s + 1];
    if (b <= a || b > h.n_tokens)
      throw FormatError(fmt::format("{}: sentence offsets not increasing within bounds: offset[{}] = {}, "
                                    "offset[{}] = {}, {} tokens",
                                    path, s, a, s + 1, b, h.n_tokens));
  }
  if (f.offsets_[h.n_sentences] != h.n_tokens)
    throw FormatError(fmt::format("{}: last sentence offset is {}, expected the token count {}", path,
                                  f.offsets_[h.n_sentences], h.n_tokens));
  uint64_t next_end = h.n_sentences > 0 ? f.offsets_[1] - 1 : h.n_tokens;
  uint64_t sentence = 0;
  for (uint64_t i = 0; i < h.n_tokens; ++i) {
    const int64_t t = f.token(i);
    if (t < 0 || static_cast<uint64_t>(t) >= h.dictionary_size)
      throw FormatError(fmt::format("{}: token {} at position {} outside the dictionary [0, {})", path, t, i,
                                    h.dictionary_size));
    const bool is_end = i == next_end;
    if (is_end != (t == kEosIndex))
      throw FormatError(fmt::format("{}: sentence {}: {} at token position {}", path, sentence,
                                    is_end ? "does not end with </s>" : "unexpected </s> inside the sentence", i));
    if (is_end) {
      ++sentence;
      next_end = sentence < h.n_sentences ? f.offsets_[sentence + 1] - 1 : h.n_tokens;
    }
  }
  uint64_t sum = fnv1a64(bytes, kChecksumOffset);
  sum = fnv1a64(bytes + kBinarizedHeaderBytes, file_bytes - kBinarizedHeaderBytes, sum);
  if (sum != h.checksum)
    throw FormatError(fmt::format("{}: checksum mismatch (stored {:016x}, computed {:016x}): the file is corrupted",
                                  path, h.checksum, sum));
  return f;
}

void BinarizedFile::check_dictionary(const Dictionary& dictionary) const {
  if (header_.dictionary_hash != dictionary.hash() ||
      header_.dictionary_size != static_cast<uint64_t>(dictionary.size()))
    throw FormatError(fmt::format("{}: built with another dictionary (hash {:016x}, {} words) than the one given "
                                  "(hash {:016x}, {} words); re-run `xlm preprocess` with this vocab",
                                  path_, header_.dictionary_hash, header_.dictionary_size, dictionary.hash(),
                                  dictionary.size()));
}

std::vector<int64_t> BinarizedFile::sentence(int64_t s) const {
  if (s < 0 || s >= n_sentences())
    throw IndexError(fmt::format("{}: sentence {} out of range [0, {})", path_, s, n_sentences()));
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(sentence_length(s)));
  for (uint64_t i = sentence_begin(s); i < sentence_end(s); ++i) ids.push_back(token(i));
  return ids;
}

}  // namespace xlm::text
