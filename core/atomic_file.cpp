// temp + fsync + rename + fsync(dir); see core/atomic_file.h.
#include "core/atomic_file.h"

#include "core/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace xlm {

namespace {

void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw FormatError(fmt::format("{}: cannot create ({})", tmp, std::strerror(errno)));
      write(out);
      out.flush();
      if (!out) throw FormatError(fmt::format("{}: write failed ({})", tmp, std::strerror(errno)));
    }
    fsync_path(tmp, O_RDONLY);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw FormatError(fmt::format("{}: cannot replace with {} ({})", path, tmp, std::strerror(errno)));
    fsync_path(parent_dir(path), O_RDONLY | O_DIRECTORY);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace xlm
