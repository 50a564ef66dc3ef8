// Plumbing shared by subcommands: opening inputs and outputs by path with
// one-line errors that name the file ("-" means stdin/stdout).
#pragma once

#include <istream>
#include <memory>
#include <string>

namespace xlm::tools {

// Opens `path` for reading ("-" = stdin); throws FormatError naming the file.
std::unique_ptr<std::istream, void (*)(std::istream*)> open_input(const std::string& path);

// The whole file as bytes; throws FormatError naming the file.
std::string read_whole_file(const std::string& path);

}  // namespace xlm::tools
