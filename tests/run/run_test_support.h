// Helpers for the run-infrastructure tests: a scratch folder removed at scope
// exit, whole-file reads, an optional-Python probe for the interoperability
// tests (numpy, tensorboard) and a small independent TFRecord + protobuf
// decoder so the event files are checked field by field, not by re-running
// the encoder under test.
#pragma once

#include "tasks/run/crc32c.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace xlm::test {

class RunScratchDir {
 public:
  RunScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("xlm-run-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~RunScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  RunScratchDir(const RunScratchDir&) = delete;
  RunScratchDir& operator=(const RunScratchDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::vector<std::string> list_names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// True when `python3 -c "import <module>"` succeeds.
inline bool python_has(const std::string& module) {
  const std::string cmd = "python3 -c 'import " + module + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Runs a shell command, returns its stdout; throws when it exits non-zero.
inline std::string run_capture(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("popen failed: " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  const int status = ::pclose(pipe.release());
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + cmd + "\n" + out);
  return out;
}

inline uint64_t load_le(const std::string& s, size_t at, int n_bytes) {
  uint64_t v = 0;
  for (int i = 0; i < n_bytes; ++i) v |= uint64_t(uint8_t(s.at(at + i))) << (8 * i);
  return v;
}

// Splits a TFRecord file into payloads, checking both masked CRCs of every record.
inline std::vector<std::string> read_tfrecords(const std::string& bytes) {
  std::vector<std::string> records;
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 12) throw std::runtime_error("truncated record header");
    const uint64_t len = load_le(bytes, at, 8);
    const uint32_t len_crc = uint32_t(load_le(bytes, at + 8, 4));
    if (len_crc != tasks::mask_crc32c(tasks::crc32c(bytes.data() + at, 8))) throw std::runtime_error("length CRC");
    if (bytes.size() - at - 12 < len + 4) throw std::runtime_error("truncated record");
    const std::string data = bytes.substr(at + 12, len);
    const uint32_t data_crc = uint32_t(load_le(bytes, at + 12 + len, 4));
    if (data_crc != tasks::mask_crc32c(tasks::crc32c(data.data(), data.size()))) throw std::runtime_error("data CRC");
    records.push_back(data);
    at += 12 + len + 4;
  }
  return records;
}

// One protobuf field: number, wire type, and its value (varint / fixed bits, or bytes).
struct ProtoField {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t bits = 0;
  std::string bytes;
};

inline uint64_t read_varint(const std::string& s, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const uint8_t b = uint8_t(s.at(at++));
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw std::runtime_error("varint too long");
}

inline std::vector<ProtoField> decode_proto(const std::string& s) {
  std::vector<ProtoField> fields;
  size_t at = 0;
  while (at < s.size()) {
    const uint64_t key = read_varint(s, at);
    ProtoField f;
    f.number = uint32_t(key >> 3);
    f.wire = uint32_t(key & 7);
    if (f.wire == 0) f.bits = read_varint(s, at);
    else if (f.wire == 1) { f.bits = load_le(s, at, 8); at += 8; }
    else if (f.wire == 5) { f.bits = load_le(s, at, 4); at += 4; }
    else if (f.wire == 2) {
      const uint64_t len = read_varint(s, at);
      if (s.size() - at < len) throw std::runtime_error("truncated field");
      f.bytes = s.substr(at, len);
      at += len;
    } else {
      throw std::runtime_error("unexpected wire type " + std::to_string(f.wire));
    }
    fields.push_back(f);
  }
  return fields;
}

// A decoded tensorflow.Event as written by TensorBoardWriter.
struct DecodedEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  int64_t session_status = 0;  // SessionLog.status (1 = START) when present
  std::vector<std::pair<std::string, float>> values;  // (tag, simple_value)
};

inline DecodedEvent decode_event(const std::string& payload) {
  DecodedEvent e;
  for (const auto& f : decode_proto(payload)) {
    if (f.number == 1 && f.wire == 1) std::memcpy(&e.wall_time, &f.bits, 8);
    else if (f.number == 2 && f.wire == 0) e.step = int64_t(f.bits);
    else if (f.number == 3 && f.wire == 2) e.file_version = f.bytes;
    else if (f.number == 7 && f.wire == 2) {
      for (const auto& sf : decode_proto(f.bytes))
        if (sf.number == 1 && sf.wire == 0) e.session_status = int64_t(sf.bits);
    }
    else if (f.number == 5 && f.wire == 2) {
      for (const auto& value : decode_proto(f.bytes)) {
        if (value.number != 1 || value.wire != 2) throw std::runtime_error("Summary: unexpected field");
        std::string tag;
        float simple = 0;
        bool has_simple = false;
        for (const auto& vf : decode_proto(value.bytes)) {
          if (vf.number == 1 && vf.wire == 2) tag = vf.bytes;
          else if (vf.number == 2 && vf.wire == 5) {
            const uint32_t b = uint32_t(vf.bits);
            std::memcpy(&simple, &b, 4);
            has_simple = true;
          } else {
            throw std::runtime_error("Value: unexpected field");
          }
        }
        if (!has_simple) throw std::runtime_error("Value without simple_value");
        e.values.emplace_back(tag, simple);
      }
    } else {
      throw std::runtime_error("Event: unexpected field " + std::to_string(f.number));
    }
  }
  return e;
}

inline std::vector<DecodedEvent> read_events_file(const std::string& path) {
  std::vector<DecodedEvent> events;
  for (const auto& payload : read_tfrecords(read_all(path))) events.push_back(decode_event(payload));
  return events;
}

}  // namespace xlm::test
