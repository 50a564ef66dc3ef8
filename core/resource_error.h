// ResourceError sits in its own header rather than in core/error.h so that
// only the few writers and allocators that raise it (and main, which prints
// it like any xlm::Error) depend on it: the run ran out of something the user
// can change (disk space or the file-size limit while saving, device memory,
// a device that went away), and the message says what to change. The
// messages are built here, device-independently, so that CPU tests pin the
// wording the CUDA paths use.
#pragma once

#include "core/error.h"

#include <cstddef>
#include <string>

namespace xlm {

class ResourceError : public Error { using Error::Error; };

// "out of GPU memory allocating 12.0 MiB on cuda:1: lower --batch_size/--tokens_per_batch
// or --bptt" (for "cpu": "out of host memory ..."), the message of an allocation failure.
std::string out_of_memory_message(size_t bytes, const std::string& device);

// "cuda:0 is no longer usable (<reason>, in `<expr>` at <file>:<line>): ...", the message
// when a GPU fails or disappears under a running job: restart (it resumes from the newest
// complete checkpoint) on a healthy GPU.
std::string device_lost_message(const std::string& device, const std::string& reason, const char* expr,
                                const char* file, int line);

}  // namespace xlm
