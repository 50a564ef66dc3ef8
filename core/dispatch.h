// Dtype dispatch for CPU kernels: instantiate a templated body for the
// floating types the CPU computes in (f32, and f64 for gradient checks).
// bf16/f16 are storage types on the CPU: cast to f32 first (kernels/cast).
#pragma once

#include "core/error.h"
#include "core/tensor.h"

// XLM_DISPATCH_CPU_FLOAT(dtype, "op", [&](auto tag) { using T = decltype(tag); ... });
#define XLM_DISPATCH_CPU_FLOAT(dtype, op_name, ...)                                                   \
  [&] {                                                                                               \
    auto xlm_body_ = __VA_ARGS__;                                                                     \
    switch (dtype) {                                                                                  \
      case ::xlm::DType::f32: return xlm_body_(float{});                                              \
      case ::xlm::DType::f64: return xlm_body_(double{});                                             \
      default:                                                                                        \
        throw ::xlm::DTypeError(fmt::format("{} on the CPU supports f32 and f64, got {} (cast first)", \
                                            op_name, ::xlm::dtype_name(dtype)));                      \
    }                                                                                                 \
  }()
