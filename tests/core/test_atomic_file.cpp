// Atomic writes: a failed write leaves the previous file intact and no
// temporary behind.
#include "core/atomic_file.h"
#include "core/error.h"
#include "support.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace xlm;

TEST_CASE("atomic file: success replaces, failure keeps the old file", "[core][io]") {
  const std::string path = "xlm_test_atomic.txt";
  write_file_atomically(path, [](std::ostream& out) { out << "first"; });
  write_file_atomically(path, [](std::ostream& out) { out << "second"; });
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  CHECK(s.str() == "second");
  CHECK_THROWS_AS(write_file_atomically(path,
                                        [](std::ostream& out) {
                                          out << "partial";
                                          throw Error("disk full");
                                        }),
                  Error);
  std::stringstream again;
  again << std::ifstream(path).rdbuf();
  CHECK(again.str() == "second");
  for (const auto& entry : std::filesystem::directory_iterator("."))
    CHECK(entry.path().filename().string().find("xlm_test_atomic.txt.tmp") == std::string::npos);
  XLM_CHECK_THROWS(write_file_atomically("no_such_dir/f.txt", [](std::ostream&) {}), FormatError,
                       "no_such_dir/f.txt.tmp");
  std::remove(path.c_str());
}
