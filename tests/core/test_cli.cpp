// The `xlm` binary itself: --version reports the build, unknown input fails cleanly.
#include "support.h"

#include <string>

TEST_CASE("cli: xlm --version reports version, build options and GPUs", "[cli]") {
  auto [code, out] = xlm::test::capture_xlm("--version");
  CHECK(code == 0);
  CHECK_THAT(out, Catch::StartsWith("xlm 0."));
  for (const char* line : {"build type: ", "CUDA: ", "cuBLASLt: ", "cuDNN: ", "NCCL: ", "BLAS: ", "MPI: ", "GPUs: "})
    CHECK_THAT(out, Catch::Contains(line));
  if (!xlm::cuda_available()) CHECK_THAT(out, Catch::Contains("GPUs: no GPU"));
}

TEST_CASE("cli: an unknown subcommand fails with a message", "[cli]") {
  auto [code, out] = xlm::test::capture_xlm("no-such-command");
  CHECK(code != 0);
  CHECK_THAT(out, Catch::Contains("no-such-command"));
}
