// Metrics: the fixed-format log lines, the JSONL file, the TensorBoard folders
// per split, and truncation on resume.
#include "core/error.h"
#include "run_test_support.h"
#include "support.h"
#include "tasks/run/metrics_log.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <limits>
#include <sstream>

using namespace xlm;
using namespace xlm::tasks;

namespace {

// Captures std::cout for its lifetime.
struct CoutCapture {
  std::ostringstream text;
  std::streambuf* old = std::cout.rdbuf(text.rdbuf());
  ~CoutCapture() { std::cout.rdbuf(old); }
};

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(test::read_all(path));
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace

TEST_CASE("metrics: the train line has a fixed order and fixed units", "[run][metrics]") {
  // Unit keys given out of order: the line still prints them in the fixed order, after the losses.
  const Scalars scalars = {{"mem_mib", 812.4},   {"mlm_en", 5.43214}, {"lr", 1e-4},       {"mfu", 0.0004},
                           {"clm_fr", 6.1},      {"gnorm", 1.2344},   {"tokens_per_s", 24011.6},
                           {"ms_per_step", 85.24}};
  const std::string line = format_train_line(200, scalars);
  CHECK(line ==
        "step 200 | mlm_en 5.4321 | clm_fr 6.1000 | lr 1.00e-04 | gnorm 1.234 | 85.2 ms/step | 24012 tok/s | "
        "mfu 0.0% | mem 812 MiB\n");
  CHECK(line.find('\r') == std::string::npos);
  CHECK(format_train_line(7, {{"mlm_en", 3.0}, {"mfu", 0.4567}}) == "step 7 | mlm_en 3.0000 | mfu 45.7%\n");
  CHECK(format_train_line(0, {}) == "step 0\n");
}

TEST_CASE("metrics: the evaluation line", "[run][metrics]") {
  CHECK(format_eval_line(1200, {{"epoch", 3}, {"valid_en_mlm_ppl", 123.4}, {"valid_en_mlm_acc", 45.666}}) ==
        "epoch 3 | valid_en_mlm_ppl 123.40 | valid_en_mlm_acc 45.67\n");
  CHECK(format_eval_line(1200, {{"test_fr_clm_ppl", 99.0}}) == "step 1200 | test_fr_clm_ppl 99.00\n");
}

TEST_CASE("metrics: resident memory is read from /proc", "[run][metrics]") {
  const double mib = resident_memory_mib();
  CHECK(mib > 1.0);
  CHECK(mib < 1e6);
}

TEST_CASE("metrics: one call writes JSONL, TensorBoard and the echoed line", "[run][metrics]") {
  test::RunScratchDir dir;
  CoutCapture capture;
  const double before = unix_time_now();
  {
    MetricsLog log(dir.path(), /*echo_to_stdout=*/true);
    log.log("train", 100, {{"mlm_en", 5.5}, {"lr", 2e-4}});
    log.log("valid", 100, {{"epoch", 1}, {"valid_en_mlm_ppl", 250.0}});
    log.log("train", 200, {{"mlm_en", std::numeric_limits<double>::quiet_NaN()}, {"lr", 2e-4}});
    XLM_CHECK_THROWS(log.log("../escape", 1, {}), ConfigError, "../escape");
    XLM_CHECK_THROWS(log.log("train", 1, {{"step", 1.0}}), ConfigError, "'step'");
    XLM_CHECK_THROWS(log.log("train", 1, {{"a", 1.0}, {"a", 2.0}}), ConfigError, "'a'");
  }
  CHECK(capture.text.str() == "step 100 | mlm_en 5.5000 | lr 2.00e-04\n"
                              "epoch 1 | valid_en_mlm_ppl 250.00\n"
                              "step 200 | mlm_en nan | lr 2.00e-04\n");

  const auto lines = read_jsonl(dir.file("metrics.jsonl"));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["split"] == "train");
  CHECK(lines[0]["step"] == 100);
  CHECK(lines[0]["time"].get<double>() >= before - 1);
  CHECK(lines[0]["time"].get<double>() <= unix_time_now() + 1);
  CHECK(lines[0]["mlm_en"] == 5.5);
  CHECK(lines[0]["lr"] == 2e-4);
  CHECK(lines[1]["split"] == "valid");
  CHECK(lines[1]["valid_en_mlm_ppl"] == 250.0);
  CHECK(lines[2]["mlm_en"].is_null());  // NaN has no JSON spelling
  // Keys keep the order they were given in (split, step, time first).
  CHECK(test::read_all(dir.file("metrics.jsonl")).rfind("{\"split\":\"train\",\"step\":100,\"time\":", 0) == 0);

  CHECK(test::list_names(dir.file("tensorboard")) == std::vector<std::string>{"train", "valid"});
  const auto train_files = test::list_names(dir.file("tensorboard/train"));
  REQUIRE(train_files.size() == 1);
  const auto events = test::read_events_file(dir.file("tensorboard/train/" + train_files[0]));
  REQUIRE(events.size() == 5);  // file_version + 2 steps x 2 scalars
  CHECK(events[1].step == 100);
  CHECK(events[1].values[0] == std::make_pair(std::string("mlm_en"), 5.5f));
  CHECK(events[2].values[0] == std::make_pair(std::string("lr"), 2e-4f));
  CHECK(events[3].step == 200);
  CHECK(std::isnan(events[3].values[0].second));
}

TEST_CASE("metrics: no echo when asked", "[run][metrics]") {
  test::RunScratchDir dir;
  CoutCapture capture;
  MetricsLog log(dir.path(), false);
  log.log("train", 1, {{"mlm_en", 1.0}});
  CHECK(capture.text.str().empty());
  CHECK(read_jsonl(dir.file("metrics.jsonl")).size() == 1);
}

TEST_CASE("metrics: truncate_after drops the steps past a checkpoint", "[run][metrics]") {
  test::RunScratchDir dir;
  {
    MetricsLog log(dir.path(), false);
    for (int step = 1; step <= 5; ++step) log.log("train", step, {{"mlm_en", 10.0 - step}});
    log.log("valid", 4, {{"valid_en_mlm_ppl", 20.0}});
  }
  std::ofstream(dir.file("metrics.jsonl"), std::ios::app) << "{\"split\":\"train\",\"st";  // cut by a crash
  MetricsLog resumed(dir.path(), false);
  resumed.truncate_after(3);
  auto lines = read_jsonl(dir.file("metrics.jsonl"));
  REQUIRE(lines.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(lines[i]["step"] == i + 1);
  resumed.log("train", 4, {{"mlm_en", 6.5}});
  lines = read_jsonl(dir.file("metrics.jsonl"));
  REQUIRE(lines.size() == 4);
  CHECK(lines[3]["step"] == 4);
  CHECK(lines[3]["mlm_en"] == 6.5);
  for (const auto& name : test::list_names(dir.path())) CHECK(name.find(".tmp") == std::string::npos);
  // The resumed run's events file opens with a restart marker at step 4.
  std::vector<test::DecodedEvent> restarted;
  for (const auto& name : test::list_names(dir.file("tensorboard/train"))) {
    const auto events = test::read_events_file(dir.file("tensorboard/train/" + name));
    if (events.size() == 3) restarted = events;
  }
  REQUIRE(restarted.size() == 3);  // file_version, START, one scalar
  CHECK(restarted[1].session_status == 1);
  CHECK(restarted[1].step == 4);
  CHECK(restarted[2].step == 4);
  CHECK(restarted[2].values[0].second == 6.5f);
}
