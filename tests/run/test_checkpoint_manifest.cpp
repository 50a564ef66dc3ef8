// Checkpoint checksums: every file a save writes is listed in MANIFEST with
// its size and CRC-32C (values checked against an independent computation of
// the known CRC-32C check value), and verify() refuses a flipped byte, a
// truncated or missing file, an extra file, a missing manifest and a wrong
// marker, each time naming the file. Pruning leaves no half-deleted folder.
#include "core/error.h"
#include "run_test_support.h"
#include "support.h"
#include "tasks/run/checkpoint_store.h"

using namespace xlm;
using namespace xlm::tasks;
namespace fs = std::filesystem;

namespace {

std::function<void(const std::string&)> fill_known(const std::string& content) {
  return [content](const std::string& staging) {
    std::ofstream(staging + "/model.bin", std::ios::binary) << content;
    fs::create_directories(staging + "/model");
    std::ofstream(staging + "/model/params.json") << "{}";
  };
}

void overwrite(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("checkpoints: MANIFEST lists every file with size and CRC-32C", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string path = store.write(7, fill_known("123456789"));
  // crc32c("123456789") is the standard check value 0xE3069283; crc32c("{}") computed independently.
  CHECK(test::read_all(path + "/MANIFEST") ==
        "e3069283 9 model.bin\n" + fmt::format("{:08x} 2 model/params.json\n", crc32c("{}", 2)));
  CHECK(CheckpointStore::verify(path) == 2);
  CHECK(test::read_all(path + "/COMPLETE") == "7\n");
  // A replacement of the same step gets a fresh manifest.
  store.write(7, fill_known("abc"));
  CHECK(test::read_all(path + "/MANIFEST").rfind(fmt::format("{:08x} 3 model.bin\n", crc32c("abc", 3)), 0) == 0);
  CHECK(CheckpointStore::verify(path) == 2);
}

TEST_CASE("checkpoints: verify names the damaged file", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string path = store.write(3, fill_known("123456789"));
  const std::string model = path + "/model.bin";

  SECTION("a flipped byte") {
    overwrite(model, "123456780");
    XLM_CHECK_THROWS(CheckpointStore::verify(path), FormatError, model, "checksum mismatch", "e3069283",
                     "previous checkpoint");
  }
  SECTION("a truncated file") {
    overwrite(model, "1234");
    XLM_CHECK_THROWS(CheckpointStore::verify(path), FormatError, model, "4 bytes, MANIFEST says 9");
  }
  SECTION("a missing file") {
    fs::remove(path + "/model/params.json");
    XLM_CHECK_THROWS(CheckpointStore::verify(path), FormatError, "model/params.json", "missing");
  }
  SECTION("a file added afterwards") {
    std::ofstream(path + "/model/extra.bin") << "x";
    XLM_CHECK_THROWS(CheckpointStore::verify(path), FormatError, "model/extra.bin", "not in MANIFEST");
  }
  SECTION("no manifest") {
    fs::remove(path + "/MANIFEST");
    XLM_CHECK_THROWS(CheckpointStore::verify(path), FormatError, "MANIFEST", "missing");
  }
  SECTION("a malformed manifest line") {
    overwrite(path + "/MANIFEST", "zz 9 model.bin\n");
    XLM_CHECK_THROWS(CheckpointStore::verify(path), FormatError, "MANIFEST:1", "malformed");
  }
  SECTION("a marker for another step") {
    overwrite(path + "/COMPLETE", "4\n");
    XLM_CHECK_THROWS(CheckpointStore::verify(path), FormatError, "COMPLETE", "step 3");
  }
}

TEST_CASE("checkpoints: prune moves a folder aside before deleting it", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  store.write(1, fill_known("1"));
  const std::string c2 = store.write(2, fill_known("2"));
  // Leftover of a kill in the middle of an earlier prune: a renamed, half-deleted folder.
  fs::create_directories(dir.file("checkpoints/.checkpoint-0000000000.99.del.tmp"));
  std::ofstream(dir.file("checkpoints/.checkpoint-0000000000.99.del.tmp/COMPLETE")) << "0\n";
  store.prune({});
  CHECK(test::list_names(store.dir()) == std::vector<std::string>{"checkpoint-0000000002"});
  CHECK(CheckpointStore::verify(c2) == 2);
}
