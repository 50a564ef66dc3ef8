// Hand-encoded TensorBoard events; see tasks/run/tensorboard_writer.h.
#include "tasks/run/tensorboard_writer.h"

#include "core/error.h"
#include "tasks/run/crc32c.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_key(std::string& out, uint32_t field, uint32_t wire_type) { put_varint(out, (field << 3) | wire_type); }

void put_le(std::string& out, uint64_t v, int n_bytes) {
  for (int i = 0; i < n_bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_bytes_field(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// Event fields 1 (wall_time) and 2 (step), skipped when zero as proto3 does.
std::string event_head(double wall_time, int64_t step) {
  std::string e;
  if (wall_time != 0.0) {
    uint64_t bits;
    std::memcpy(&bits, &wall_time, sizeof bits);
    put_key(e, 1, kFixed64);
    put_le(e, bits, 8);
  }
  if (step != 0) {
    put_key(e, 2, kVarint);
    put_varint(e, static_cast<uint64_t>(step));  // negative int64: 10-byte two's complement
  }
  return e;
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

double unix_time_now() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

std::string encode_file_version_event(double wall_time) {
  std::string e = event_head(wall_time, 0);
  put_bytes_field(e, 3, "brain.Event:2");
  return e;
}

std::string encode_scalar_event(const std::string& tag, int64_t step, float value, double wall_time) {
  XLM_CHECK(!tag.empty(), ConfigError, "TensorBoard scalar needs a non-empty tag");
  std::string v;  // Summary.Value
  put_bytes_field(v, 1, tag);
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(v, 2, kFixed32);  // simple_value sits in a oneof: written even when 0
  put_le(v, bits, 4);
  std::string summary;
  put_bytes_field(summary, 1, v);
  std::string e = event_head(wall_time, step);
  put_bytes_field(e, 5, summary);
  return e;
}

std::string encode_session_start_event(int64_t step, double wall_time) {
  std::string session_log;
  put_key(session_log, 1, kVarint);
  put_varint(session_log, 1);  // SessionLog.START
  std::string e = event_head(wall_time, step);
  put_bytes_field(e, 7, session_log);
  return e;
}

std::string frame_tfrecord(const std::string& data) {
  std::string header;
  put_le(header, data.size(), 8);
  std::string out = header;
  put_le(out, mask_crc32c(crc32c(header.data(), header.size())), 4);
  out += data;
  put_le(out, mask_crc32c(crc32c(data.data(), data.size())), 4);
  return out;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir, double wall_time) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw FormatError(fmt::format("{}: cannot create TensorBoard folder ({})", dir, ec.message()));
  const std::string base = (fs::path(dir) / fmt::format("events.out.tfevents.{}.{}",
                                                         static_cast<int64_t>(std::floor(wall_time)), hostname()))
                               .string();
  path_ = base;
  for (int i = 1; fs::exists(path_); ++i) path_ = base + "." + std::to_string(i);
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw FormatError(fmt::format("{}: cannot create events file ({})", path_, std::strerror(errno)));
  write_record(encode_file_version_event(wall_time));
}

void TensorBoardWriter::add_scalar(const std::string& tag, int64_t step, float value, double wall_time) {
  write_record(encode_scalar_event(tag, step, value, wall_time));
}

void TensorBoardWriter::add_session_start(int64_t step, double wall_time) {
  write_record(encode_session_start_event(step, wall_time));
}

void TensorBoardWriter::write_record(const std::string& payload) {
  const std::string record = frame_tfrecord(payload);
  out_.write(record.data(), static_cast<std::streamsize>(record.size()));
  out_.flush();
  if (!out_) throw FormatError(fmt::format("{}: write failed ({})", path_, std::strerror(errno)));
}

}  // namespace xlm::tasks
