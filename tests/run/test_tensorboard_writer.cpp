// TensorBoard event files: CRC-32C vectors, golden bytes of one scalar event
// and its framing (CRCs cross-checked with tensorboard's own masked_crc32c),
// an independent decoder reading a written file back, and when tensorboard is
// installed, TensorBoard's EventAccumulator reading it.
#include "core/error.h"
#include "run_test_support.h"
#include "support.h"
#include "tasks/run/crc32c.h"
#include "tasks/run/tensorboard_writer.h"

#include <cmath>

using namespace xlm;
using namespace xlm::tasks;

namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  for (char c : bytes) out += fmt::format("{:02x}", uint8_t(c));
  return out;
}

}  // namespace

TEST_CASE("crc32c: known vectors, continuation, mask", "[run][tensorboard]") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);
  const std::string zeros(32, '\0');
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);  // RFC 3720 B.4
  const std::string ones(32, '\xff');
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  CHECK(crc32c("", 0) == 0u);
  CHECK(crc32c("6789", 4, crc32c("12345", 5)) == 0xE3069283u);
  CHECK(mask_crc32c(0) == 0xa282ead8u);
  CHECK(mask_crc32c(0x00008000u) == 0xa282ead9u);  // bit 15 rotates to bit 0
}

TEST_CASE("tensorboard: golden bytes of one scalar event and its record", "[run][tensorboard]") {
  const std::string event = encode_scalar_event("loss", 5, 1.5f, 2.0);
  // Event{wall_time=2.0 (09 + LE double), step=5 (10 05), summary (2a 0d)
  //   Summary{value (0a 0b) Value{tag "loss" (0a 04 ...), simple_value 1.5f (15 + LE float)}}}
  CHECK(hex(event) == "0900000000000000401005" "2a0d" "0a0b" "0a046c6f7373" "150000c03f");
  // Length 26, then masked CRCs as computed by tensorboard's record_writer.masked_crc32c.
  CHECK(hex(frame_tfrecord(event)) == "1a00000000000000" "129bd82d" + hex(event) + "838961ae");
  // proto3 defaults are omitted: no wall_time/step for zeros; simple_value (a oneof) always present.
  CHECK(hex(encode_scalar_event("x", 0, 0.0f, 0.0)) == "2a0a" "0a08" "0a0178" "1500000000");
  CHECK(hex(encode_file_version_event(0.0)) == "1a0d" + hex("brain.Event:2"));
  // step 300 = varint ac 02; session_log (3a 02) {status START (08 01)}.
  CHECK(hex(encode_session_start_event(300, 0.0)) == "10ac02" "3a02" "0801");
  XLM_CHECK_THROWS(encode_scalar_event("", 1, 1.0f, 1.0), ConfigError, "tag");
}

TEST_CASE("tensorboard: a written file decodes back record by record", "[run][tensorboard]") {
  test::RunScratchDir dir;
  const std::string folder = dir.file("tb/train");
  std::string path;
  {
    TensorBoardWriter writer(folder, 1700000000.25);
    path = writer.path();
    writer.add_scalar("loss/mlm_en", 1, 5.4321f, 1700000001.5);
    writer.add_scalar("lr", 1000000000000LL, 1e-4f, 1700000002.0);
    writer.add_scalar("neg", -3, -0.75f, 1700000003.0);
    // Flushed after each write: readable before the writer closes.
    CHECK(test::read_events_file(path).size() == 4);
  }
  const std::string name = std::filesystem::path(path).filename().string();
  CHECK(name.rfind("events.out.tfevents.1700000000.", 0) == 0);
  const auto events = test::read_events_file(path);
  REQUIRE(events.size() == 4);
  CHECK(events[0].file_version == "brain.Event:2");
  CHECK(events[0].wall_time == 1700000000.25);
  CHECK(events[0].values.empty());
  CHECK(events[1].step == 1);
  CHECK(events[1].wall_time == 1700000001.5);
  REQUIRE(events[1].values.size() == 1);
  CHECK(events[1].values[0].first == "loss/mlm_en");
  CHECK(events[1].values[0].second == 5.4321f);
  CHECK(events[2].step == 1000000000000LL);
  CHECK(events[2].values[0].second == 1e-4f);
  CHECK(events[3].step == -3);
  CHECK(events[3].values[0].second == -0.75f);

  // A second writer in the same second gets its own file.
  TensorBoardWriter again(folder, 1700000000.9);
  CHECK(again.path() != path);
  CHECK(test::list_names(folder).size() == 2);
}

TEST_CASE("tensorboard: an uncreatable folder is a FormatError naming it", "[run][tensorboard]") {
  test::RunScratchDir dir;
  std::ofstream(dir.file("plain_file")) << "x";
  XLM_CHECK_THROWS(TensorBoardWriter(dir.file("plain_file/sub")), FormatError, "plain_file/sub");
}

TEST_CASE("tensorboard: TensorBoard reads our scalars", "[run][tensorboard][python]") {
  if (!test::python_has("tensorboard.backend.event_processing.event_accumulator")) {
    std::printf("XLM-SKIP: python3 cannot import tensorboard, skipping the TensorBoard interoperability test\n");
    return;
  }
  test::RunScratchDir dir;
  {
    TensorBoardWriter writer(dir.path(), 1700000000.0);
    writer.add_scalar("loss", 10, 2.5f, 1700000001.0);
    writer.add_scalar("loss", 20, 1.25f, 1700000002.0);
  }
  const std::string out = test::run_capture(
      "python3 -c \"import sys\n"
      "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
      "ea = EventAccumulator(sys.argv[1]); ea.Reload()\n"
      "print(ea.Tags()['scalars'], [(s.step, s.value, s.wall_time) for s in ea.Scalars('loss')])\" '" +
      dir.path() + "' 2>/dev/null");
  CHECK(out == "['loss'] [(10, 2.5, 1700000001.0), (20, 1.25, 1700000002.0)]\n");

  // A resumed run: a later file restarting at step 15 replaces the points from 15 on.
  {
    TensorBoardWriter resumed(dir.path(), 1700000100.0);
    resumed.add_session_start(15, 1700000100.0);
    resumed.add_scalar("loss", 15, 2.0f, 1700000101.0);
  }
  const std::string purged = test::run_capture(
      "python3 -c \"import sys\n"
      "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
      "ea = EventAccumulator(sys.argv[1]); ea.Reload()\n"
      "print([(s.step, s.value) for s in ea.Scalars('loss')])\" '" +
      dir.path() + "' 2>/dev/null");
  CHECK(purged == "[(10, 2.5), (15, 2.0)]\n");
}
