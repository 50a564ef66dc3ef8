// What the differential harness needs to know about an op: how to call it,
// which inputs to generate (shapes, odd sizes included), which inputs are
// differentiable, which CUDA dtypes it supports, and its tolerances. Each op
// folder defines `OpSpec spec_<op>()` in <op>_spec.cpp (test-only sources).
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xlm {

struct Tolerance {
  double atol;
  double rtol;
};

// Default tolerances per dtype (docs/numerics.md): compare |got - want| <= atol + rtol * |want|.
Tolerance default_tolerance(DType dtype);

struct OpCase {
  std::string label;           // e.g. "[7, 33]"
  std::vector<Tensor> inputs;  // on the CPU; floating inputs in f64, index inputs in i32/i64
};

struct OpSpec {
  std::string name;
  std::function<std::vector<OpCase>()> cases;
  // Runs the op; the harness passes inputs on the device and in the dtype under test.
  std::function<Tensor(const std::vector<Tensor>&)> run;
  std::vector<size_t> grad_inputs;  // indices of inputs checked by finite differences
  std::vector<DType> cuda_dtypes{DType::f32, DType::bf16, DType::f16};
  std::map<DType, Tolerance> tolerance;  // overrides of default_tolerance
  double grad_tolerance_scale = 4.0;     // gradients on low precision accumulate more error
  // Finite-difference settings (f64 on the CPU).
  double fd_step = 1e-6;
  Tolerance fd_tolerance{1e-6, 1e-5};
  size_t fd_max_elements = 48;  // per input, sampled deterministically beyond this

  Tolerance tolerance_for(DType dtype) const;
};

// Test-data helpers shared by the specs.
Tensor random_uniform(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0);  // f64, cpu
Tensor random_indices(const Shape& shape, uint64_t seed, int64_t upper, DType dtype = DType::i64);  // [0, upper)

#define XLM_OP(name) OpSpec spec_##name();
#include "kernels/ops.def"
#undef XLM_OP

std::vector<OpSpec> all_op_specs();

}  // namespace xlm
