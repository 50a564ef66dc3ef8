// See tools/command_io.h.
#include "tools/command_io.h"

#include "core/error.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace xlm::tools {

std::unique_ptr<std::istream, void (*)(std::istream*)> open_input(const std::string& path) {
  if (path == "-") return {&std::cin, [](std::istream*) {}};
  auto* in = new std::ifstream(path, std::ios::binary);
  if (!*in) {
    const std::string reason = std::strerror(errno);
    delete in;
    throw FormatError(fmt::format("{}: cannot open for reading ({})", path, reason));
  }
  return {in, [](std::istream* p) { delete p; }};
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open for reading ({})", path, std::strerror(errno)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace xlm::tools
