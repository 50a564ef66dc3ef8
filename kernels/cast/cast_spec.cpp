// Harness entry for cast. A harness run feeds one floating dtype, so `run`
// is the round trip x -> f32 -> x.dtype(): exact in every dtype the harness
// uses (f64 inputs are pre-rounded to the dtype under test), so the outputs
// and the gradients (cast back the other way) must match the reference bit
// for bit, and on CUDA it exercises both directions of each f32 <-> bf16/f16/f64
// kernel. All other pairs and the rounding edge cases are in tests/test_cast.cpp.
#include "kernels/cast/cast.h"
#include "kernels/op_spec.h"

namespace xlm {

OpSpec spec_cast() {
  OpSpec s;
  s.name = "cast";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 500;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 5}, Shape{2, 3, 129}, Shape{1000}})
      cases.push_back({shape_str(shape), {random_uniform(shape, seed++, -4.0, 4.0)}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return cast(cast(in[0], DType::f32), in[0].dtype()); };
  s.grad_inputs = {0};
  s.cuda_dtypes = {DType::f32, DType::f64, DType::bf16, DType::f16};
  for (DType t : {DType::f32, DType::f64, DType::bf16, DType::f16}) s.tolerance[t] = {0.0, 0.0};
  // In f64 the round trip through f32 is the identity up to f32 rounding (~2.4e-7 at |x| = 4):
  // a wide step keeps that rounding far below the tolerance of the difference quotient.
  s.fd_step = 0.25;
  s.fd_tolerance = {1e-5, 1e-5};
  return s;
}

}  // namespace xlm
