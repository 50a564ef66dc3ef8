// The differential harness (after ggml's test-backend-ops): every op listed
// in kernels/ops.def is run over its spec's generated shapes and
//  1. its gradients are checked against central finite differences in f64;
//  2. its f32 CPU path is checked against its f64 CPU path;
//  3. [cuda] its CUDA path, in every dtype it supports, is checked against the
//     CPU f64 reference on the same (rounded) inputs, forward and backward.
#include "core/autograd.h"
#include "kernels/op_spec.h"
#include "support.h"

#include <algorithm>

using namespace xlm;

namespace {

// Copies a CPU case to `device`, floating inputs converted to `dtype` (rounded).
std::vector<Tensor> prepare(const OpCase& c, DType dtype, Device device, const OpSpec& spec, bool with_grad) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const Tensor& t = c.inputs[i];
    Tensor p = is_floating(t.dtype()) ? Tensor::from_doubles(t.to_doubles(), t.shape(), dtype, device) : t.to(device);
    if (with_grad && std::count(spec.grad_inputs.begin(), spec.grad_inputs.end(), i)) p.set_requires_grad(true);
    out.push_back(p);
  }
  return out;
}

// The same case with floating inputs rounded through `dtype`, back in f64 on the CPU.
OpCase rounded(const OpCase& c, DType dtype) {
  OpCase r{c.label, {}};
  for (const Tensor& t : c.inputs) {
    if (!is_floating(t.dtype())) {
      r.inputs.push_back(t);
      continue;
    }
    const auto v = Tensor::from_doubles(t.to_doubles(), t.shape(), dtype).to_doubles();
    r.inputs.push_back(Tensor::from_vector(v, t.shape()));
  }
  return r;
}

double weighted_sum(const Tensor& y, const std::vector<double>& w) {
  const auto v = y.to_doubles();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += v[i] * w[i];
  return s;
}

std::vector<size_t> sample_positions(int64_t n, size_t max_count) {
  std::vector<size_t> pos;
  if (static_cast<size_t>(n) <= max_count) {
    for (int64_t i = 0; i < n; ++i) pos.push_back(static_cast<size_t>(i));
  } else {
    for (size_t k = 0; k < max_count; ++k) pos.push_back(k * static_cast<size_t>(n - 1) / (max_count - 1));
  }
  return pos;
}

struct Result {
  std::vector<double> output;
  std::vector<std::vector<double>> grads;  // per grad input
};

// Runs forward and backward (upstream gradient w) of a prepared case.
Result run_case(const OpSpec& spec, std::vector<Tensor> inputs, const std::vector<double>& w_values) {
  Result r;
  Tensor y = spec.run(inputs);
  r.output = y.to_doubles();
  if (!spec.grad_inputs.empty()) {
    Tensor w = Tensor::from_doubles(w_values, y.shape(), y.dtype(), y.device());
    y.backward(w);
    for (size_t idx : spec.grad_inputs) {
      REQUIRE(inputs[idx].grad().defined());
      r.grads.push_back(inputs[idx].grad().to_doubles());
    }
  }
  return r;
}

std::vector<double> upstream(const OpSpec& spec, const OpCase& c) {
  autograd::NoGradGuard no_grad;
  Tensor y = spec.run(prepare(c, DType::f64, Device::cpu(), spec, false));
  return random_uniform(y.shape(), 7).to_doubles();
}

}  // namespace

TEST_CASE("op harness: gradients match central finite differences in f64", "[ops][grad]") {
  for (const OpSpec& spec : all_op_specs()) {
    if (spec.grad_inputs.empty()) continue;
    DYNAMIC_SECTION(spec.name) {
      for (const OpCase& c : spec.cases()) {
        INFO(spec.name << " " << c.label);
        const auto w = upstream(spec, c);
        std::vector<Tensor> inputs = prepare(c, DType::f64, Device::cpu(), spec, true);
        const Result analytic = run_case(spec, inputs, w);
        autograd::NoGradGuard no_grad;
        for (size_t g = 0; g < spec.grad_inputs.size(); ++g) {
          const size_t idx = spec.grad_inputs[g];
          std::vector<Tensor> probe = prepare(c, DType::f64, Device::cpu(), spec, false);
          double* x = probe[idx].data<double>();
          std::vector<double> numeric, got;
          for (size_t pos : sample_positions(probe[idx].numel(), spec.fd_max_elements)) {
            const double saved = x[pos];
            x[pos] = saved + spec.fd_step;
            const double plus = weighted_sum(spec.run(probe), w);
            x[pos] = saved - spec.fd_step;
            const double minus = weighted_sum(spec.run(probe), w);
            x[pos] = saved;
            numeric.push_back((plus - minus) / (2 * spec.fd_step));
            got.push_back(analytic.grads[g][pos]);
          }
          INFO("input " << idx);
          XLM_CHECK_CLOSE(got, numeric, spec.fd_tolerance.atol, spec.fd_tolerance.rtol);
        }
      }
    }
  }
}

TEST_CASE("op harness: the f32 CPU path matches the f64 CPU reference", "[ops][cpu]") {
  for (const OpSpec& spec : all_op_specs()) {
    DYNAMIC_SECTION(spec.name) {
      for (const OpCase& c : spec.cases()) {
        INFO(spec.name << " " << c.label);
        const OpCase r = rounded(c, DType::f32);
        const auto w_rounded = Tensor::from_doubles(upstream(spec, c), {static_cast<int64_t>(upstream(spec, c).size())},
                                                    DType::f32).to_doubles();
        const Result want = run_case(spec, prepare(r, DType::f64, Device::cpu(), spec, true), w_rounded);
        const Result got = run_case(spec, prepare(r, DType::f32, Device::cpu(), spec, true), w_rounded);
        const Tolerance tol = spec.tolerance_for(DType::f32);
        XLM_CHECK_CLOSE(got.output, want.output, tol.atol, tol.rtol);
        for (size_t g = 0; g < got.grads.size(); ++g) {
          INFO("gradient of input " << spec.grad_inputs[g]);
          XLM_CHECK_CLOSE(got.grads[g], want.grads[g], tol.atol * spec.grad_tolerance_scale,
                          tol.rtol * spec.grad_tolerance_scale);
        }
      }
    }
  }
}

TEST_CASE("op harness: CUDA matches the CPU reference in every supported dtype", "[ops][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  for (const OpSpec& spec : all_op_specs()) {
    DYNAMIC_SECTION(spec.name) {
      for (DType dtype : spec.cuda_dtypes) {
        if (!xlm::test::gpu_runs(dtype)) continue;  // the stand-in: f32 and f64 only
        for (const OpCase& c : spec.cases()) {
          INFO(spec.name << " " << dtype_name(dtype) << " " << c.label);
          const OpCase r = rounded(c, dtype);
          const auto w = upstream(spec, c);
          const auto w_rounded =
              Tensor::from_doubles(w, {static_cast<int64_t>(w.size())}, dtype).to_doubles();
          const Result want = run_case(spec, prepare(r, DType::f64, Device::cpu(), spec, true), w_rounded);
          const Result got = run_case(spec, prepare(r, dtype, xlm::test::gpu(), spec, true), w_rounded);
          const Tolerance tol = spec.tolerance_for(dtype);
          // 16-bit rows: atol scaled to each tensor (test::scaled_atol), so a reference below the
          // table's atol (bf16 1e-2: a 1000-wide softmax row, mean_last's g / C, the residual norm's
          // gradients on 1e4-sized rows) cannot pass as all zeros (the audit of 2026-11-22).
          const bool low = dtype == DType::bf16 || dtype == DType::f16;
          const auto atol_for = [low](const std::vector<double>& ref, double atol) {
            return low ? xlm::test::scaled_atol(ref, atol) : atol;
          };
          XLM_CHECK_CLOSE(got.output, want.output, atol_for(want.output, tol.atol), tol.rtol);
          for (size_t g = 0; g < got.grads.size(); ++g) {
            INFO("gradient of input " << spec.grad_inputs[g]);
            XLM_CHECK_CLOSE(got.grads[g], want.grads[g], atol_for(want.grads[g], tol.atol * spec.grad_tolerance_scale),
                            tol.rtol * spec.grad_tolerance_scale);
          }
        }
      }
    }
  }
}
