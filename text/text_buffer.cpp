// See text_buffer.h: mmap for files, a plain read for stdin.
#include "text/text_buffer.h"

#include "core/error.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>

namespace xlm::text {

TextBuffer::TextBuffer(const std::string& path) : path_(path) {
  if (path == "-") {
    owned_.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    data_ = owned_.data();
    size_ = owned_.size();
    return;
  }
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw FormatError(fmt::format("{}: cannot open for reading ({})", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    throw FormatError(fmt::format("{}: not a regular file ({})", path, err ? std::strerror(err) : "unsupported type"));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw FormatError(fmt::format("{}: cannot map for reading ({})", path, std::strerror(err)));
    }
    ::madvise(m, size_, MADV_SEQUENTIAL);
    mapping_ = m;
    data_ = static_cast<const char*>(m);
  }
  ::close(fd);
}

TextBuffer::~TextBuffer() {
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
}

}  // namespace xlm::text
