// Fetching and unpacking Debian packages for corpus builds, through the
// system's own tools (`apt-get download`, `dpkg-deb`) run via the shell: no
// root, no install, no network access beyond the configured archive. Both
// steps are cached under a cache folder so that a rebuild does no download
// and no extraction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace xlm::tools {

struct DebPackage {
  std::string name;     // e.g. "libreoffice-help-fr"
  std::string version;  // from the .deb control file
  std::string deb_file; // file name of the .deb inside the cache (no folder)
  std::string sha256;   // of the .deb
  uint64_t bytes = 0;   // size of the .deb
  std::string root;     // folder the package was extracted into
};

// Single-quotes `s` for /bin/sh.
std::string shell_quote(std::string_view s);

// Runs `command` through /bin/sh, returns its stdout (and stderr too when
// `with_stderr`); throws ConfigError quoting the command and its output tail
// if it exits non-zero.
std::string run_shell(const std::string& command, bool with_stderr = true);

// Downloads `package` into <cache>/debs (unless a .deb of it is already
// there) and extracts it into <cache>/extract/<name>_<sha prefix> (unless
// already done). Throws ConfigError on a bad package name or a failed tool.
DebPackage fetch_and_extract(const std::string& package, const std::string& cache_dir);

}  // namespace xlm::tools
