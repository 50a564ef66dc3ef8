// libFuzzer entry point for the binarized corpus reader (text/binarized.h).
// The reader maps a path, so each input is written to one temporary file
// per process. Odd-length inputs get their checksum recomputed before the
// write, so mutations also reach the checks and reads behind the checksum
// (even-length ones exercise the checksum check itself). A file that opens
// must hand out every sentence inside the mapping (ASan checks the reads).
#include "core/error.h"
#include "core/fnv1a.h"
#include "text/binarized.h"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// The scratch file, removed when the fuzzer exits normally.
struct TempFile {
  std::string path;
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir ? dir : "/tmp") + "/xlm-fuzz-binarized-" + std::to_string(::getpid()) + ".bin";
  }
  ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const TempFile temp;
  const std::string& path = temp.path;
  std::vector<unsigned char> bytes(data, data + size);
  if (size >= xlm::text::kBinarizedHeaderBytes && size % 2 == 1) {
    uint64_t sum = xlm::fnv1a64(bytes.data(), 56);
    sum = xlm::fnv1a64(bytes.data() + 64, size - 64, sum);
    for (int b = 0; b < 8; ++b) bytes[56 + b] = static_cast<unsigned char>(sum >> (8 * b));
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size && std::fwrite(bytes.data(), 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  try {
    const auto file = xlm::text::BinarizedFile::open(path);
    int64_t total = 0;
    for (int64_t s = 0; s < file.n_sentences(); ++s)
      for (int64_t id : file.sentence(s)) total += id;
    if (total < 0) __builtin_trap();  // ids are validated non-negative
  } catch (const xlm::Error&) {
  }
  return 0;
}
