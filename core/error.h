// One exception family for the whole engine. Library code never exits: it
// throws one of these with what went wrong, which tensor/file/flag, and what
// was expected; the CLI turns it into a single line and a non-zero exit.
// XLM_CHECK records the failing expression with file and line so that a
// message is traceable without a debugger.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace xlm {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Wrong shapes, ranks or broadcast patterns.
class ShapeError : public Error { using Error::Error; };
// Unsupported or mismatched element types.
class DTypeError : public Error { using Error::Error; };
// Indices out of range (embedding ids, gather rows, targets).
class IndexError : public Error { using Error::Error; };
// Files: missing, truncated, corrupted, or not in the expected format.
class FormatError : public Error { using Error::Error; };
// Tensors on the wrong device, or a device that does not exist.
class DeviceError : public Error { using Error::Error; };
// Failures reported by CUDA, cuBLAS, cuDNN or NCCL.
class BackendError : public Error { using Error::Error; };
// Bad command-line flags or configuration values.
class ConfigError : public Error { using Error::Error; };

namespace detail {
[[noreturn]] void throw_check_failure(const char* kind, const char* expr, const char* file, int line,
                                      const std::string& message);
}  // namespace detail

}  // namespace xlm

// XLM_CHECK(cond, ErrorType, "fmt", args...): throws ErrorType("msg (check `cond` failed at file:line)").
#define XLM_CHECK(cond, ErrorType, ...)                                                          \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      throw ErrorType(fmt::format(__VA_ARGS__) +                                                 \
                      fmt::format(" (check `{}` failed at {}:{})", #cond, __FILE__, __LINE__));  \
    }                                                                                            \
  } while (0)
