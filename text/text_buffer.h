// Whole input files as one read-only byte range. Corpora for BPE are large
// and read once front to back by several threads, so files are memory-mapped
// (no copy, pages shared by the threads); stdin ("-") cannot be mapped and is
// read into memory instead.
#pragma once

#include <string>
#include <string_view>

namespace xlm::text {

class TextBuffer {
 public:
  // Maps `path` ("-" = all of stdin). Throws FormatError naming the file.
  explicit TextBuffer(const std::string& path);
  ~TextBuffer();
  TextBuffer(const TextBuffer&) = delete;
  TextBuffer& operator=(const TextBuffer&) = delete;

  std::string_view view() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string owned_;  // stdin contents; empty when mapped
  const char* data_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;
};

}  // namespace xlm::text
