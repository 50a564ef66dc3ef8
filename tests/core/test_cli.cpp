// The `xlm` binary itself: --version reports the build, unknown input fails cleanly.
#include "support.h"

#include <array>
#include <cstdio>
#include <string>

namespace {
std::pair<int, std::string> run(const std::string& args) {
  std::string cmd = std::string(XLM_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}
}  // namespace

TEST_CASE("cli: xlm --version reports version, build options and GPUs", "[cli]") {
  auto [code, out] = run("--version");
  CHECK(code == 0);
  CHECK_THAT(out, Catch::StartsWith("xlm 0."));
  for (const char* line : {"build type: ", "CUDA: ", "cuBLASLt: ", "cuDNN: ", "NCCL: ", "BLAS: ", "MPI: ", "GPUs: "})
    CHECK_THAT(out, Catch::Contains(line));
  if (!xlm::cuda_available()) CHECK_THAT(out, Catch::Contains("GPUs: no GPU"));
}

TEST_CASE("cli: an unknown subcommand fails with a message", "[cli]") {
  auto [code, out] = run("no-such-command");
  CHECK(code != 0);
  CHECK_THAT(out, Catch::Contains("no-such-command"));
}
