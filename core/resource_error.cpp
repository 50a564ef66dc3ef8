// Wording of the ResourceError messages; see core/resource_error.h.
#include "core/resource_error.h"

#include <fmt/format.h>

namespace xlm {

std::string out_of_memory_message(size_t bytes, const std::string& device) {
  const bool gpu = device.rfind("cuda", 0) == 0;
  return fmt::format("out of {} memory allocating {:.1f} MiB on {}: lower --batch_size/--tokens_per_batch or --bptt",
                     gpu ? "GPU" : "host", static_cast<double>(bytes) / (1 << 20), device);
}

std::string device_lost_message(const std::string& device, const std::string& reason, const char* expr,
                                const char* file, int line) {
  return fmt::format("{} is no longer usable ({}, in `{}` at {}:{}): the GPU failed or was taken away; restart the "
                     "same command on a healthy GPU, it resumes from the newest complete checkpoint",
                     device, reason, expr, file, line);
}

}  // namespace xlm
