// Resource errors seen from the command line, on the real fixture corpus:
// `xlm train` under a real file-size limit (`ulimit -f` in the child shell),
// resuming from a checkpoint with a flipped byte, and a data file that is a
// directory (we run as root in CI, so chmod 000 would not stop a read). Each
// ends with exit status 1 and exactly one line on stderr that names the file
// and says what to change, and the previous checkpoint still verifies and
// resumes afterwards.
#include "pretrain_fixture.h"
#include "run_helpers.h"
#include "tasks/run/checkpoint_store.h"
#include "text/data_paths.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using xlm::test::slurp;

std::string train_args(const std::string& dump, const std::string& data, int max_epoch) {
  return fmt::format(
      "train --dump_path {} --exp_name res --exp_id run --data_path {} --lgs en-fr --mlm_steps en "
      "--emb_dim 16 --n_layers 1 --n_heads 2 --bptt 16 --batch_size 4 --optimizer adam,lr=0.002 "
      "--epoch_size 16 --log_every 1000 --device cpu --max_epoch {}",
      dump, data, max_epoch);
}

struct Outcome {
  int status = 0;
  std::string err;  // stderr
};

// Runs `[prefix;] xlm ARGS` through the shell, stdout to a log, stderr kept.
Outcome run(const std::string& dump, const std::string& args, const std::string& prefix = "") {
  const std::string err_path = dump + ".stderr";
  const std::string cmd = fmt::format("{}{} {} > {}.stdout 2> {}", prefix.empty() ? "" : prefix + "; ",
                                      XLM_BINARY, args, dump, err_path);
  const int raw = std::system(fmt::format("sh -c '{}'", cmd).c_str());
  return Outcome{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(err_path)};
}

bool one_line(const std::string& s) { return !s.empty() && std::count(s.begin(), s.end(), '\n') == 1; }

uintmax_t largest_file(const std::string& dir) {
  uintmax_t biggest = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) biggest = std::max(biggest, e.file_size());
  return biggest;
}

}  // namespace

TEST_CASE("xlm train: full disk, corrupt checkpoint: one line, previous checkpoint intact", "[tasks][train][resource]") {
  const std::string dump = xlm::test::scratch_dir("resource");
  const std::string data = xlm::test::pretrain_data_dir();
  REQUIRE(run(dump, train_args(dump, data, 1)).status == 0);
  xlm::tasks::CheckpointStore store(dump + "/res/run/checkpoints");
  const auto before = store.complete();
  REQUIRE(before.size() == 1);
  REQUIRE(xlm::tasks::CheckpointStore::verify(before[0]) > 0);

  SECTION("the file-size limit is reached while saving") {
    // Half the largest checkpoint file, in ulimit's 1024-byte blocks: the logs stay far below.
    const uintmax_t blocks = largest_file(before[0]) / 2 / 1024;
    REQUIRE(blocks >= 8);
    const Outcome o = run(dump, train_args(dump, data, 2), fmt::format("ulimit -f {}", blocks));
    INFO(o.err);
    CHECK(o.status == 1);
    CHECK(one_line(o.err));
    CHECK(o.err.find("File too large") != std::string::npos);
    CHECK(o.err.find("ulimit -f") != std::string::npos);
    CHECK(o.err.find(fmt::format("the previous checkpoint {} is intact", before[0])) != std::string::npos);
    CHECK(store.complete() == before);
    CHECK(xlm::tasks::CheckpointStore::verify(before[0]) > 0);
    // Without the limit the same command resumes from it and finishes.
    REQUIRE(run(dump, train_args(dump, data, 2)).status == 0);
    CHECK(slurp(dump + ".stdout").find("resuming from " + before[0]) != std::string::npos);
    CHECK(store.complete().size() == 1);
  }
  SECTION("a checkpoint file with a flipped byte") {
    std::string victim;
    for (const auto& e : fs::recursive_directory_iterator(before[0]))
      if (e.path().extension() == ".safetensors") victim = e.path().string();
    REQUIRE(!victim.empty());
    std::string bytes = slurp(victim);
    REQUIRE(bytes.size() > 100);
    bytes[bytes.size() - 3] ^= 0x10;
    std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
    const Outcome o = run(dump, train_args(dump, data, 2));
    INFO(o.err);
    CHECK(o.status == 1);
    CHECK(one_line(o.err));
    CHECK(o.err.find(victim + ": checksum mismatch") != std::string::npos);
    CHECK(o.err.find("remove the folder to resume from the previous checkpoint") != std::string::npos);
    CHECK(store.complete() == before);  // refused, not deleted
  }
  fs::remove_all(dump);
  for (const char* suffix : {".stdout", ".stderr"}) fs::remove(dump + suffix);
}

TEST_CASE("xlm train: a data file that cannot be read is one line naming it", "[tasks][train][resource]") {
  const std::string dump = xlm::test::scratch_dir("unreadable");
  const std::string data = dump + "-data";
  fs::create_directories(data);
  for (const auto& e : fs::directory_iterator(xlm::test::pretrain_data_dir()))
    if (e.is_regular_file()) fs::copy_file(e.path(), data + "/" + e.path().filename().string());
  const std::string broken = data + "/" + xlm::text::binarized_name("train.en");
  REQUIRE(fs::remove(broken));
  fs::create_directory(broken);
  const Outcome o = run(dump, train_args(dump, data, 1));
  INFO(o.err);
  CHECK(o.status == 1);
  CHECK(one_line(o.err));
  CHECK(o.err.find(broken + ": not a regular file (a directory)") != std::string::npos);
  fs::remove_all(dump);
  fs::remove_all(data);
  for (const char* suffix : {".stdout", ".stderr"}) fs::remove(dump + suffix);
}
