// Checkpoint folders: complete-marker semantics, a failing writer leaves
// nothing visible, numeric ordering, retention, replacement of a step.
#include "core/error.h"
#include "run_test_support.h"
#include "support.h"
#include "tasks/run/checkpoint_store.h"

#include <stdexcept>

using namespace xlm;
using namespace xlm::tasks;
namespace fs = std::filesystem;

namespace {

// A fill writing model.bin with `content` and a nested file.
std::function<void(const std::string&)> fill_with(const std::string& content) {
  return [content](const std::string& staging) {
    std::ofstream(staging + "/model.bin", std::ios::binary) << content;
    fs::create_directories(staging + "/optimizer");
    std::ofstream(staging + "/optimizer/state.json") << "{}";
  };
}

// Makes a folder that looks like a checkpoint, with or without the marker.
void fake_checkpoint(const std::string& path, bool complete) {
  fs::create_directories(path);
  std::ofstream(path + "/model.bin") << "fake";
  if (complete) std::ofstream(path + "/COMPLETE") << "0\n";
}

}  // namespace

TEST_CASE("checkpoints: write makes a complete folder", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  CHECK_FALSE(store.latest_complete().has_value());
  CHECK(store.complete().empty());
  const std::string path = store.write(100, fill_with("weights-100"));
  CHECK(path == dir.file("checkpoints/checkpoint-0000000100"));
  CHECK(store.latest_complete() == path);
  CHECK(test::read_all(path + "/model.bin") == "weights-100");
  CHECK(test::read_all(path + "/optimizer/state.json") == "{}");
  CHECK(test::read_all(path + "/COMPLETE") == "100\n");
  CHECK(test::list_names(store.dir()) == std::vector<std::string>{"checkpoint-0000000100"});
  CHECK(CheckpointStore::step_of(path) == 100);
}

TEST_CASE("checkpoints: a fill that throws leaves nothing visible", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string first = store.write(100, fill_with("weights-100"));
  CHECK_THROWS_WITH(store.write(200,
                                [](const std::string& staging) {
                                  const std::string name = fs::path(staging).filename().string();
                                  CHECK(name.front() == '.');
                                  CHECK(name.substr(name.size() - 4) == ".tmp");
                                  std::ofstream(staging + "/model.bin") << "half";
                                  throw std::runtime_error("disk full");
                                }),
                    "disk full");
  CHECK(store.latest_complete() == first);
  CHECK(test::list_names(store.dir()) == std::vector<std::string>{"checkpoint-0000000100"});
  CHECK(test::read_all(first + "/model.bin") == "weights-100");
  // The same for a failing replacement of the existing step.
  CHECK_THROWS(store.write(100, [](const std::string&) { throw std::runtime_error("oops"); }));
  CHECK(test::read_all(first + "/model.bin") == "weights-100");
  CHECK(test::list_names(store.dir()) == std::vector<std::string>{"checkpoint-0000000100"});
}

TEST_CASE("checkpoints: folders without COMPLETE are ignored", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string done = store.write(100, fill_with("a"));
  fake_checkpoint(dir.file("checkpoints/checkpoint-0000000300"), false);  // killed before the marker
  fake_checkpoint(dir.file("checkpoints/.checkpoint-0000000400.77.tmp"), true);  // staging leftover
  fake_checkpoint(dir.file("checkpoints/checkpoint-abc"), true);           // not a step
  CHECK(store.latest_complete() == done);
  CHECK(store.complete() == std::vector<std::string>{done});
}

TEST_CASE("checkpoints: steps sort numerically", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string c100 = store.write(100, fill_with("100"));
  const std::string c9 = store.write(9, fill_with("9"));
  const std::string c10 = store.write(10, fill_with("10"));
  const std::string c99 = dir.file("checkpoints/checkpoint-99");  // unpadded name, made by hand
  fake_checkpoint(c99, true);
  CHECK(store.complete() == std::vector<std::string>{c9, c10, c99, c100});
  CHECK(store.latest_complete() == c100);
  CHECK(CheckpointStore::step_of(c99) == 99);
  CHECK(CheckpointStore::step_of(c10 + "/") == 10);
  CHECK(CheckpointStore::folder_name(12345) == "checkpoint-0000012345");
  XLM_CHECK_THROWS(CheckpointStore::step_of(dir.file("checkpoints/model")), FormatError, "model",
                   "checkpoint-<step>");
  XLM_CHECK_THROWS(store.write(-1, fill_with("x")), ConfigError, "-1");
}

TEST_CASE("checkpoints: prune keeps the newest and the requested ones", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string c1 = store.write(1, fill_with("1"));
  const std::string c2 = store.write(2, fill_with("2"));
  const std::string c3 = store.write(3, fill_with("3"));
  const std::string c4 = store.write(4, fill_with("4"));
  fake_checkpoint(dir.file("checkpoints/checkpoint-0000000005"), false);
  fake_checkpoint(dir.file("checkpoints/.checkpoint-0000000006.123.tmp"), false);
  std::ofstream(dir.file("checkpoints/notes.txt")) << "user file";
  store.prune({c2});
  CHECK(test::list_names(store.dir()) ==
        std::vector<std::string>{"checkpoint-0000000002", "checkpoint-0000000004", "notes.txt"});
  CHECK(store.complete() == std::vector<std::string>{c2, c4});
  store.prune({});
  CHECK(store.complete() == std::vector<std::string>{c4});
  CHECK(test::read_all(c4 + "/model.bin") == "4");
  (void)c1;
  (void)c3;
  CheckpointStore empty(dir.file("nothing_here"));
  empty.prune({});  // no folder: nothing to do
  CHECK(empty.complete().empty());
}

TEST_CASE("checkpoints: rewriting a step replaces it once the new one is complete", "[run][checkpoint]") {
  test::RunScratchDir dir;
  CheckpointStore store(dir.file("checkpoints"));
  const std::string path = store.write(50, [](const std::string& staging) {
    std::ofstream(staging + "/old_only.bin") << "old";
    std::ofstream(staging + "/model.bin") << "old";
  });
  CHECK(store.write(50, fill_with("new")) == path);
  CHECK(test::read_all(path + "/model.bin") == "new");
  CHECK_FALSE(fs::exists(path + "/old_only.bin"));
  CHECK(test::read_all(path + "/COMPLETE") == "50\n");
  CHECK(test::list_names(store.dir()) == std::vector<std::string>{"checkpoint-0000000050"});
}
