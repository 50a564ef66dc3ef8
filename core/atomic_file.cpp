// temp + fsync + rename + fsync(dir); see core/atomic_file.h. fsync's result
// is checked: on file systems with delayed allocation a full disk may only be
// reported there, and a write we cannot make durable is a failed write.
#include "core/atomic_file.h"

#include "core/error.h"
#include "core/resource_error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace xlm {

namespace {

void fsync_or_throw(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw_write_error(path, "open for fsync", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Directories on some file systems refuse fsync (EINVAL): nothing to make durable there.
  if (rc != 0 && !((flags & O_DIRECTORY) && err == EINVAL)) throw_write_error(path, "fsync", err);
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void throw_write_error(const std::string& path, const std::string& action, int err) {
  if (err == ENOSPC || err == EDQUOT)
    throw ResourceError(fmt::format("{}: {} failed: {}: free disk space (or raise the quota) there, or write elsewhere "
                                    "(--dump_path)",
                                    path, action, std::strerror(err)));
  if (err == EFBIG)
    throw ResourceError(fmt::format("{}: {} failed: {}: the file-size limit was reached: raise it (ulimit -f) or "
                                    "write to a file system that allows larger files",
                                    path, action, std::strerror(err)));
  throw FormatError(fmt::format("{}: {} failed ({})", path, action, std::strerror(err)));
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      errno = 0;
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw_write_error(tmp, "create", errno);
      write(out);
      out.flush();
      // errno is that of the write(2) that failed: the stream stops writing after it.
      if (!out) throw_write_error(tmp, "write", errno != 0 ? errno : EIO);
      out.close();
      if (!out) throw_write_error(tmp, "close", errno != 0 ? errno : EIO);
    }
    fsync_or_throw(tmp, O_RDONLY);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw FormatError(fmt::format("{}: cannot replace with {} ({})", path, tmp, std::strerror(errno)));
    fsync_or_throw(parent_dir(path), O_RDONLY | O_DIRECTORY);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace xlm
