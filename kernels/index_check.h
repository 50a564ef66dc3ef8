// Range check shared by the ops that read rows by index (embedding,
// gather_rows). It runs on the host before any kernel is launched, so a bad id
// becomes an IndexError naming the id, its position and the bound instead of
// an out-of-bounds read on the GPU. CUDA indices are copied to the host for
// the check: correctness first, the copy is small next to the rows it guards.
#pragma once

#include "core/tensor.h"

namespace xlm {

// Throws DTypeError unless `index` is i32 or i64.
void check_index_dtype(const Tensor& index, const char* op, const char* arg);

// Throws IndexError for the first element of `index` outside [0, upper);
// `what` names the bound in the message (e.g. "weight rows V").
void check_indices_in_range(const Tensor& index, int64_t upper, const char* op, const char* arg, const char* what);

}  // namespace xlm
