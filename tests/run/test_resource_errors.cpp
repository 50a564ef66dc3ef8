// Resource errors below the trainer: a save that hits a real file-size limit
// (RLIMIT_FSIZE, what `ulimit -f` sets; SIGXFSZ ignored as xlm's main does, so
// write() fails with EFBIG) is a one-line ResourceError saying what to change,
// names the checkpoint that stays intact, and leaves no staging folder; the
// out-of-memory wording the CUDA allocator uses; a failed host allocation.
#include "core/atomic_file.h"
#include "core/resource_error.h"
#include "core/storage.h"
#include "run_test_support.h"
#include "support.h"
#include "tasks/run/checkpoint_store.h"

#include <sys/resource.h>

#include <csignal>

using namespace xlm;
using namespace xlm::tasks;
namespace fs = std::filesystem;

namespace {

// Lowers the soft file-size limit to `bytes` and ignores SIGXFSZ until scope exit.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

std::function<void(const std::string&)> fill_bytes(size_t n, char c) {
  return [n, c](const std::string& staging) {
    write_file_atomically(staging + "/model.bin", [&](std::ostream& out) { out << std::string(n, c); });
  };
}

}  // namespace

TEST_CASE("a save over the file-size limit is a ResourceError and keeps the previous checkpoint",
          "[run][checkpoint][resource]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string first = store.write(1, fill_bytes(1000, 'a'));
  {
    FileSizeLimit limit(64 * 1024);
    XLM_CHECK_THROWS(store.write(2, fill_bytes(256 * 1024, 'b')), ResourceError, "model.bin", "File too large",
                     "ulimit -f", "checkpoint-0000000002 was not written",
                     fmt::format("the previous checkpoint {} is intact", first));
    // The same for the replacement path (a step that already exists).
    XLM_CHECK_THROWS(store.write(1, fill_bytes(256 * 1024, 'c')), ResourceError, "File too large");
  }
  CHECK(test::list_names(store.dir()) == std::vector<std::string>{"checkpoint-0000000001"});
  CHECK(CheckpointStore::verify(first) == 1);
  CHECK(test::read_all(first + "/model.bin") == std::string(1000, 'a'));
  // The message is one line.
  try {
    FileSizeLimit limit(4096);
    write_file_atomically(dir.file("big.bin"), [](std::ostream& out) { out << std::string(100000, 'x'); });
    FAIL("no error");
  } catch (const ResourceError& e) {
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
    CHECK(std::string(e.what()).find("big.bin.tmp") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir.file("big.bin")));
  CHECK(test::list_names(dir.path()) == std::vector<std::string>{"checkpoints"});  // no temporary left
}

TEST_CASE("out-of-memory messages say what to lower", "[resource]") {
  CHECK(out_of_memory_message(12u << 20, "cuda:1") ==
        "out of GPU memory allocating 12.0 MiB on cuda:1: lower --batch_size/--tokens_per_batch or --bptt");
  CHECK(out_of_memory_message(3u << 19, "cpu") ==
        "out of host memory allocating 1.5 MiB on cpu: lower --batch_size/--tokens_per_batch or --bptt");
  const std::string lost = device_lost_message("cuda:0", "cudaErrorDevicesUnavailable: all CUDA-capable devices "
                                               "are busy or unavailable", "cudaStreamSynchronize(s)", "x.cpp", 7);
  CHECK(lost.rfind("cuda:0 is no longer usable (cudaErrorDevicesUnavailable", 0) == 0);
  CHECK(lost.find("`cudaStreamSynchronize(s)` at x.cpp:7") != std::string::npos);
  CHECK(lost.find("resumes from the newest complete checkpoint") != std::string::npos);
#if defined(__SANITIZE_ADDRESS__)
  // ASan aborts on impossible allocations instead of returning null (allocator_may_return_null=0).
  WARN("host allocation failure not exercised under AddressSanitizer");
#else
  // 2^50 bytes (1 PiB): aligned_alloc returns null on any machine we run on.
  XLM_CHECK_THROWS(Storage::allocate(size_t(1) << 50, Device::cpu()), ResourceError,
                   "out of host memory allocating 1073741824.0 MiB on cpu", "--batch_size");
#endif
}
