// Shared by the fuzz targets whose parser reads a folder of files
// (fuzz_convert, fuzz_task_data) and by the test that keeps their committed
// seeds honest (tests/tasks/test_fuzz_seeds.cpp). One fuzz input carries all
// the files: after a first selector byte, the parts between separators are
// the files in a fixed order, so k separators give k + 1 files and a shorter
// input leaves the trailing files out. A separator rather than length
// prefixes because libFuzzer's mutations (byte flips, insertions, crossover
// of two inputs) keep a separated input meaningful, where a mutated length
// prefix would misframe everything after it. The files go to a scratch folder
// per process, since the readers take paths (the model readers map files).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace xlm::fuzz {

// Between two files of one input; unlikely inside any of the formats.
inline constexpr std::string_view kFileSeparator = "\n=file=\n";

// The parts of `bytes` between separators, in order.
inline std::vector<std::string> split_files(std::string_view bytes) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t at = bytes.find(kFileSeparator, start);
    parts.emplace_back(bytes.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + kFileSeparator.size();
  }
}

// The inverse, for writing seeds: selector byte, then the files.
inline std::string join_files(char selector, const std::vector<std::string>& files) {
  std::string out(1, selector);
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) out += kFileSeparator;
    out += files[i];
  }
  return out;
}

// $TMPDIR/xlm-fuzz-<tag>-<pid>/: emptied by fill(), removed at exit.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() / ("xlm-fuzz-" + tag + "-" + std::to_string(::getpid()))) {}
  ~ScratchFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  // Empties the folder's `src` subfolder, then writes files[i] as names[i]
  // there for every i both have; returns that subfolder.
  std::string fill(const std::vector<std::string>& names, const std::vector<std::string>& files) const {
    const std::filesystem::path src = path_ / "src";
    std::error_code ec;
    std::filesystem::remove_all(src, ec);
    std::filesystem::create_directories(src);
    for (size_t i = 0; i < names.size() && i < files.size(); ++i) {
      std::ofstream out(src / names[i], std::ios::binary);
      out.write(files[i].data(), static_cast<std::streamsize>(files[i].size()));
      if (!out) __builtin_trap();  // the scratch folder itself failed: not a parser fault
    }
    return src.string();
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace xlm::fuzz
