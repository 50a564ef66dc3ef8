// Run folder: the config-derived exp_id (stable, blind to where/how long the
// run goes), folder creation errors naming the flag, config.json, and the
// stdout copy into train.log.
#include "core/error.h"
#include "run_test_support.h"
#include "support.h"
#include "tasks/run/run_dir.h"

#include <iostream>
#include <sstream>

using namespace xlm;
using namespace xlm::tasks;

TEST_CASE("run dir: default_exp_id hashes what changes the run", "[run][rundir]") {
  const nlohmann::json config = {{"emb_dim", 512}, {"lr", 0.0001}};
  // FNV-1a 64 of {"emb_dim":512,"lr":0.0001} is 0x5a85a8c84f83a115 (computed independently).
  CHECK(default_exp_id(config) == "5a85a8c84f");
  nlohmann::json moved = config;
  moved["dump_path"] = "/elsewhere";
  moved["exp_name"] = "other";
  moved["exp_id"] = "abc";
  moved["max_epoch"] = 1000;
  moved["reload_checkpoint"] = "x";
  moved["save_periodic"] = 5;
  CHECK(default_exp_id(moved) == "5a85a8c84f");
  nlohmann::json changed = config;
  changed["lr"] = 0.0002;
  CHECK(default_exp_id(changed) != "5a85a8c84f");
  CHECK(default_exp_id(changed).size() == 10);
  XLM_CHECK_THROWS(default_exp_id(nlohmann::json::array()), ConfigError, "object");
}

TEST_CASE("run dir: make_run_dir creates the folder or names the flag", "[run][rundir]") {
  test::RunScratchDir dir;
  const std::string run = make_run_dir(dir.file("dumped"), "xlm_en", "5a85a8c84f");
  CHECK(run == dir.file("dumped/xlm_en/5a85a8c84f"));
  CHECK(std::filesystem::is_directory(run));
  CHECK(make_run_dir(dir.file("dumped"), "xlm_en", "5a85a8c84f") == run);  // rerun: same folder
  XLM_CHECK_THROWS(make_run_dir(dir.file("dumped"), "", "id"), ConfigError, "--exp_name");
  XLM_CHECK_THROWS(make_run_dir(dir.file("dumped"), "a/b", "id"), ConfigError, "--exp_name", "a/b");
  XLM_CHECK_THROWS(make_run_dir(dir.file("dumped"), "x", ".."), ConfigError, "--exp_id");
  XLM_CHECK_THROWS(make_run_dir("", "x", "id"), ConfigError, "--dump_path");
  std::ofstream(dir.file("a_file")) << "x";
  XLM_CHECK_THROWS(make_run_dir(dir.file("a_file"), "x", "id"), ConfigError, "--dump_path", "a_file/x/id");
  CHECK(run_log_path(run) == run + "/train.log");
  CHECK(run_config_path(run) == run + "/config.json");
  CHECK(checkpoints_dir(run) == run + "/checkpoints");
}

TEST_CASE("run dir: resolved config is written and read back", "[run][rundir]") {
  test::RunScratchDir dir;
  CHECK_FALSE(read_resolved_config(dir.path()).has_value());
  const nlohmann::json config = {{"exp_name", "xlm_en"}, {"emb_dim", 1024}, {"optimizer", "adam,lr=0.0001"}};
  write_resolved_config(dir.path(), config);
  CHECK(read_resolved_config(dir.path()) == config);
  CHECK(test::read_all(dir.file("config.json")).back() == '\n');
  std::ofstream(dir.file("config.json")) << "{not json";
  XLM_CHECK_THROWS(read_resolved_config(dir.path()), FormatError, "config.json");
}

TEST_CASE("run dir: Tee copies a stream into the log and restores it", "[run][rundir]") {
  test::RunScratchDir dir;
  const std::string log = dir.file("train.log");
  std::ostringstream console;
  {
    Tee tee(log, console);
    console << "step 1 | mlm_en 5.0000\n" << 42 << '\n';
    CHECK(test::read_all(log) == "step 1 | mlm_en 5.0000\n42\n");  // flushed at each newline
    console << "partial";
  }
  console << " after\n";  // no longer copied
  CHECK(console.str() == "step 1 | mlm_en 5.0000\n42\npartial after\n");
  CHECK(test::read_all(log) == "step 1 | mlm_en 5.0000\n42\npartial");
  {
    Tee tee(log, console);  // a resumed run appends
    console << "\nresumed\n";
  }
  CHECK(test::read_all(log) == "step 1 | mlm_en 5.0000\n42\npartial\nresumed\n");
  XLM_CHECK_THROWS(Tee(dir.file("no/such/dir/train.log"), console), FormatError, "train.log");
}
