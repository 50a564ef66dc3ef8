// Scalar curves in TensorBoard's own file format, without TensorFlow or
// protobuf: an events file is a sequence of TFRecords (u64 length, masked
// CRC-32C of the length, payload, masked CRC-32C of the payload) whose
// payloads are serialized `tensorflow.Event` messages. We only ever write two
// kinds of Event, so the few protobuf fields are encoded by hand:
//   Event      { double wall_time = 1; int64 step = 2; string file_version = 3;
//                Summary summary = 5; SessionLog session_log = 7; }
//   Summary    { repeated Value value = 1; }
//   Value      { string tag = 1; float simple_value = 2; }
//   SessionLog { SessionStatus status = 1; }   (START = 1)
// (tensorboard/compat/proto/event.proto and summary.proto). Fields holding
// proto3 defaults (0, "") are omitted, as the reference serializer does, so
// the bytes equal what TensorFlow would write. Each record is flushed at once
// so a crashed run keeps every point it logged.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace xlm::tasks {

// Seconds since the Unix epoch, with sub-second precision.
double unix_time_now();

// The serialized Event payloads (no framing).
std::string encode_file_version_event(double wall_time);  // file_version "brain.Event:2"
std::string encode_scalar_event(const std::string& tag, int64_t step, float value, double wall_time);
std::string encode_session_start_event(int64_t step, double wall_time);  // session_log {status: START}
// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
std::string frame_tfrecord(const std::string& data);

class TensorBoardWriter {
 public:
  // Creates `dir` (and parents) and a new file events.out.tfevents.<unix seconds>.<hostname>
  // in it (".1", ".2", ... appended if that name is taken, e.g. a resume within the
  // same second), starting with the file_version event. FormatError naming the path
  // when it cannot be created.
  explicit TensorBoardWriter(const std::string& dir, double wall_time = unix_time_now());
  // Appends one scalar point and flushes. FormatError naming the file on I/O failure.
  void add_scalar(const std::string& tag, int64_t step, float value, double wall_time = unix_time_now());
  // Marks a restart (a run resumed from a checkpoint): TensorBoard then drops the
  // points of earlier files whose step is >= `step`, so a resumed curve has no
  // duplicates. Flushed.
  void add_session_start(int64_t step, double wall_time = unix_time_now());
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& payload);

  std::string path_;
  std::ofstream out_;
};

}  // namespace xlm::tasks
