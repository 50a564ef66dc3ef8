// Out-of-line part of core/error.h: formats backend failures uniformly.
#include "core/error.h"

namespace xlm::detail {

void throw_check_failure(const char* kind, const char* expr, const char* file, int line,
                         const std::string& message) {
  throw BackendError(fmt::format("{} error: {} in `{}` at {}:{}", kind, message, expr, file, line));
}

}  // namespace xlm::detail
