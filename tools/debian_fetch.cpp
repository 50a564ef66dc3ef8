// See debian_fetch.h. Extraction goes to a temporary folder renamed into
// place, so an interrupted run never leaves a half-extracted package that a
// later run would trust.
#include "tools/debian_fetch.h"

#include "core/error.h"
#include "text/sha256.h"

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace xlm::tools {

namespace {

bool valid_package_name(std::string_view s) {
  if (s.empty() || !(std::islower(static_cast<unsigned char>(s[0])) || std::isdigit(static_cast<unsigned char>(s[0]))))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '+' ||
           c == '-' || c == '.';
  });
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// The newest .deb of `package` in `dir` (apt names them <name>_<version>_<arch>.deb).
std::string find_deb(const fs::path& dir, const std::string& package) {
  std::string best;
  fs::file_time_type best_time{};
  if (!fs::exists(dir)) return best;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name.rfind(package + "_", 0) != 0 || e.path().extension() != ".deb") continue;
    const auto t = e.last_write_time();
    if (best.empty() || t > best_time) {
      best = name;
      best_time = t;
    }
  }
  return best;
}

}  // namespace

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  out += "'";
  return out;
}

std::string run_shell(const std::string& command, bool with_stderr) {
  FILE* pipe = ::popen((with_stderr ? command + " 2>&1" : command).c_str(), "r");
  if (!pipe) throw ConfigError(fmt::format("cannot start shell for: {}", command));
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, got);
  const int status = ::pclose(pipe);
  if (status != 0) {
    std::string tail = out.size() > 400 ? out.substr(out.size() - 400) : out;
    std::replace(tail.begin(), tail.end(), '\n', ' ');
    throw ConfigError(fmt::format("command failed (status {}): {} -- {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                                  command, trim(tail)));
  }
  return out;
}

DebPackage fetch_and_extract(const std::string& package, const std::string& cache_dir) {
  if (!valid_package_name(package)) throw ConfigError(fmt::format("invalid Debian package name '{}'", package));
  const fs::path debs = fs::path(cache_dir) / "debs";
  fs::create_directories(debs);
  std::string deb = find_deb(debs, package);
  if (deb.empty()) {
    run_shell(fmt::format("cd {} && apt-get download -q {}", shell_quote(debs.string()), shell_quote(package)));
    deb = find_deb(debs, package);
    if (deb.empty()) throw ConfigError(fmt::format("apt-get download {} left no .deb in the cache", package));
  }
  DebPackage p;
  p.name = package;
  p.deb_file = deb;
  const std::string deb_path = (debs / deb).string();
  p.bytes = fs::file_size(deb_path);
  p.sha256 = text::sha256_file_hex(deb_path);
  // dpkg-deb -f prints the control field; stderr goes into the pipe too, so keep the last line.
  std::string version = trim(run_shell(fmt::format("dpkg-deb -f {} Version", shell_quote(deb_path))));
  if (const auto nl = version.rfind('\n'); nl != std::string::npos) version = version.substr(nl + 1);
  p.version = version;
  const fs::path extract = fs::path(cache_dir) / "extract" / (package + "_" + p.sha256.substr(0, 16));
  if (!fs::exists(extract)) {
    const fs::path tmp = extract.string() + ".tmp";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    run_shell(fmt::format("dpkg-deb -x {} {}", shell_quote(deb_path), shell_quote(tmp.string())));
    fs::rename(tmp, extract);
  }
  p.root = extract.string();
  return p;
}

}  // namespace xlm::tools
