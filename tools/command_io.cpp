// See tools/command_io.h.
#include "tools/command_io.h"

#include "core/error.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

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

}  // namespace xlm::tools
