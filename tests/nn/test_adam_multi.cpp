// adam_update_multi against adam_update one tensor at a time: on the CPU the
// multi path is a loop over the single one, so parameters and moments must
// be equal bit for bit, and copy-out must equal cast(param); arguments are
// all checked before anything moves. [cuda]: enough tensors and chunks to
// refill the kernel's table several times (more than 24 tensors, a tensor of
// more than 320 chunks split across launches), against the CPU, with each
// copy-out the CUDA twin instantiates (bf16, f16, and f32: an f32 model fed
// from f32 masters, which Optimizer::set_master_of also accepts). Gradients
// of a narrower dtype than the parameters (the model's, read by fp32
// masters) must give the update of their cast, bit for bit.
#include "core/error.h"
#include "kernels/cast/cast.h"
#include "kernels/scale_by/scale_by.h"
#include "nn/adam_update.h"
#include "support.h"

#include <cmath>
#include <cstring>

using namespace xlm;
using namespace xlm::nn;

namespace {

struct Lists {
  std::vector<Tensor> p, g, m, v;
};

Lists make_lists(const std::vector<int64_t>& sizes, Device device) {
  Lists l;
  int k = 0;
  for (int64_t n : sizes) {
    std::vector<float> p(static_cast<size_t>(n)), g(p.size()), m(p.size()), v(p.size());
    for (int64_t i = 0; i < n; ++i) {
      p[i] = static_cast<float>(std::cos(0.37 * i + k));
      g[i] = static_cast<float>(std::sin(0.11 * i - k));
      m[i] = 0.1f * g[i];
      v[i] = 0.01f * g[i] * g[i] + 1e-4f;
    }
    l.p.push_back(Tensor::from_vector(p, {n}, device));
    l.g.push_back(Tensor::from_vector(g, {n}, device));
    l.m.push_back(Tensor::from_vector(m, {n}, device));
    l.v.push_back(Tensor::from_vector(v, {n}, device));
    ++k;
  }
  return l;
}

AdamUpdateArgs args_at(int64_t t) {
  AdamUpdateArgs a;
  a.lr = 1e-3;
  a.weight_decay = 0.01;
  a.step_size = a.lr * std::sqrt(1 - std::pow(a.beta2, t)) / (1 - std::pow(a.beta1, t));
  return a;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  const Tensor ha = a.to(Device::cpu()), hb = b.to(Device::cpu());
  return ha.nbytes() == hb.nbytes() && std::memcmp(ha.data_ptr(), hb.data_ptr(), ha.nbytes()) == 0;
}

}  // namespace

TEST_CASE("adam_update_multi on the CPU equals adam_update per tensor bit for bit", "[nn][optimizer][adam_multi]") {
  const std::vector<int64_t> sizes = {1, 7, 0, 1000, 65537};
  Lists multi = make_lists(sizes, Device::cpu()), single = make_lists(sizes, Device::cpu());
  std::vector<Tensor> out;
  for (int64_t n : sizes) out.push_back(Tensor::zeros({n}, DType::bf16));
  for (int64_t t = 1; t <= 3; ++t) {
    adam_update_multi(multi.p, multi.g, multi.m, multi.v, args_at(t), out);
    for (size_t i = 0; i < sizes.size(); ++i) adam_update(single.p[i], single.g[i], single.m[i], single.v[i], args_at(t));
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    INFO("tensor " << i);
    CHECK(same_bits(multi.p[i], single.p[i]));
    CHECK(same_bits(multi.m[i], single.m[i]));
    CHECK(same_bits(multi.v[i], single.v[i]));
    CHECK(same_bits(out[i], cast(single.p[i], DType::bf16)));
  }
  // The update did move the weights.
  CHECK_FALSE(same_bits(multi.p[3], make_lists(sizes, Device::cpu()).p[3]));
}

TEST_CASE("adam_update_multi checks every argument before updating anything", "[nn][optimizer][adam_multi]") {
  Lists l = make_lists({3, 4}, Device::cpu());
  const std::vector<double> before = l.p[0].to_doubles();
  std::vector<Tensor> short_list = {l.g[0]};
  XLM_CHECK_THROWS(adam_update_multi(l.p, short_list, l.m, l.v, args_at(1)), ShapeError, "2 params but 1 grads");
  std::vector<Tensor> bad_m = {l.m[0], Tensor::zeros({5}, DType::f32)};
  XLM_CHECK_THROWS(adam_update_multi(l.p, l.g, bad_m, l.v, args_at(1)), ShapeError, "exp_avg");
  std::vector<Tensor> bad_out = {Tensor::zeros({3}, DType::bf16), Tensor::zeros({4}, DType::f16)};
  XLM_CHECK_THROWS(adam_update_multi(l.p, l.g, l.m, l.v, args_at(1), bad_out), DTypeError, "adam_update_multi");
  std::vector<Tensor> one_out = {Tensor::zeros({3}, DType::bf16)};
  XLM_CHECK_THROWS(adam_update_multi(l.p, l.g, l.m, l.v, args_at(1), one_out), ShapeError, "copy_out");
  CHECK(l.p[0].to_doubles() == before);
}

TEST_CASE("adam_update_multi on CUDA matches the CPU, with bf16, f16 and f32 copy-out",
          "[nn][optimizer][adam_multi][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  std::vector<int64_t> sizes;
  for (int i = 0; i < 30; ++i) sizes.push_back(1 + 977 * i);  // more tensors than one table holds
  sizes.push_back(321LL * 65536 + 5);                          // more chunks than one launch holds
  sizes.push_back(65536);
  // f32 copy-out is run_multi<float>: a plain copy of the updated master, so it must equal p
  // bit for bit (cast to the same dtype is a copy).
  for (DType out_dtype : {DType::bf16, DType::f16, DType::f32}) {
    INFO(dtype_name(out_dtype));
    Lists cpu = make_lists(sizes, Device::cpu()), gpu = make_lists(sizes, xlm::test::gpu());
    std::vector<Tensor> cpu_out, out;
    for (int64_t n : sizes) {
      cpu_out.push_back(Tensor::zeros({n}, out_dtype));
      out.push_back(Tensor::zeros({n}, out_dtype, xlm::test::gpu()));
    }
    for (int64_t t = 1; t <= 2; ++t) {
      adam_update_multi(cpu.p, cpu.g, cpu.m, cpu.v, args_at(t), cpu_out);
      adam_update_multi(gpu.p, gpu.g, gpu.m, gpu.v, args_at(t), out);
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      INFO("tensor " << i << " of " << sizes[i]);
      XLM_CHECK_CLOSE(gpu.p[i].to_doubles(), cpu.p[i].to_doubles(), 1e-6, 1e-5);
      XLM_CHECK_CLOSE(gpu.m[i].to_doubles(), cpu.m[i].to_doubles(), 1e-7, 1e-5);
      XLM_CHECK_CLOSE(gpu.v[i].to_doubles(), cpu.v[i].to_doubles(), 1e-8, 1e-5);
      CHECK(same_bits(out[i], cast(gpu.p[i], out_dtype)));
      CHECK(same_bits(cpu_out[i], cast(cpu.p[i], out_dtype)));  // the CPU twin's copy-out, the same rule
    }
  }
}

TEST_CASE("adam_update_multi with a gradient factor: scale_by then the update, bit for bit, the gradients untouched",
          "[nn][optimizer][adam_multi]") {
  // On the CPU, and on cuda:0 (the stand-in cpu:1 without a GPU) against the same device's two-pass path.
  const std::vector<Device> devices{Device::cpu(), xlm::test::gpu()};
  const std::vector<int64_t> sizes{1, 7, 4099, 65536 + 3};
  for (const Device& device : devices) {
    for (double f : {0.3712, 1.0}) {
      INFO(device.str() << " factor " << f);
      Lists fused = make_lists(sizes, device), two_pass = make_lists(sizes, device);
      const Tensor factor = Tensor::from_vector(std::vector<double>{f}, {1}, device);  // (1,) f64
      std::vector<Tensor> scaled;
      for (const Tensor& g : two_pass.g) scaled.push_back(scale_by(g, factor));
      adam_update_multi(fused.p, fused.g, fused.m, fused.v, args_at(3), {}, factor);
      adam_update_multi(two_pass.p, scaled, two_pass.m, two_pass.v, args_at(3));
      for (size_t i = 0; i < sizes.size(); ++i) {
        INFO("tensor " << i);
        CHECK(same_bits(fused.p[i], two_pass.p[i]));
        CHECK(same_bits(fused.m[i], two_pass.m[i]));
        CHECK(same_bits(fused.v[i], two_pass.v[i]));
        CHECK(same_bits(fused.g[i], two_pass.g[i]));  // the gradient itself is not scaled
      }
      if (f != 1.0) CHECK_FALSE(same_bits(fused.p[2], make_lists(sizes, device).p[2]));  // it did update
    }
  }
  Lists l = make_lists({3}, Device::cpu());
  XLM_CHECK_THROWS(adam_update_multi(l.p, l.g, l.m, l.v, args_at(1), {}, Tensor::full({1}, 1.0, DType::f32, Device::cpu())), DTypeError,
                   "grad_factor");
  XLM_CHECK_THROWS(adam_update_multi(l.p, l.g, l.m, l.v, args_at(1), {}, Tensor::full({2}, 1.0, DType::f64, Device::cpu())), ShapeError,
                   "grad_factor");
}

TEST_CASE("adam_update_multi with narrower gradients: the update of their cast, bit for bit",
          "[nn][optimizer][adam_multi]") {
  // f32 masters with bf16 / f16 gradients (what a GPU run does) and f64 masters
  // with f32 gradients (the CPU test mode), on the CPU and on cuda:0 (the
  // stand-in cpu:1 without a GPU), with and without a gradient factor.
  struct Case {
    DType param, grad;
  };
  const std::vector<int64_t> sizes{1, 7, 4099, 65536 + 3};
  for (const Device& device : {Device::cpu(), xlm::test::gpu()}) {
    for (const Case c : {Case{DType::f32, DType::bf16}, Case{DType::f32, DType::f16}, Case{DType::f64, DType::f32}}) {
      if (c.param == DType::f64 && device.is_cuda()) continue;  // CUDA updates f32 masters only
      for (const bool with_factor : {false, true}) {
        INFO(device.str() << " " << dtype_name(c.param) << " params, " << dtype_name(c.grad) << " grads"
                          << (with_factor ? ", factor" : ""));
        Lists narrow = make_lists(sizes, device), wide = make_lists(sizes, device);
        std::vector<Tensor> low, widened;
        for (Lists* l : {&narrow, &wide})
          for (std::vector<Tensor>* list : {&l->p, &l->m, &l->v})
            for (Tensor& t : *list) t = cast(t, c.param);
        for (const Tensor& g : narrow.g) {
          low.push_back(cast(g, c.grad));
          widened.push_back(cast(low.back(), c.param));
        }
        const Tensor factor =
            with_factor ? Tensor::from_vector(std::vector<double>{0.3712 / 1024}, {1}, device) : Tensor();  // (1,) f64
        std::vector<Tensor> out, out_wide;
        for (int64_t n : sizes) {
          out.push_back(Tensor::zeros({n}, c.grad, device));
          out_wide.push_back(Tensor::zeros({n}, c.grad, device));
        }
        adam_update_multi(narrow.p, low, narrow.m, narrow.v, args_at(2), out, factor);
        adam_update_multi(wide.p, widened, wide.m, wide.v, args_at(2), out_wide, factor);
        for (size_t i = 0; i < sizes.size(); ++i) {
          INFO("tensor " << i);
          CHECK(same_bits(narrow.p[i], wide.p[i]));
          CHECK(same_bits(narrow.m[i], wide.m[i]));
          CHECK(same_bits(narrow.v[i], wide.v[i]));
          CHECK(same_bits(out[i], out_wide[i]));
        }
        CHECK_FALSE(same_bits(narrow.p[2], cast(make_lists(sizes, device).p[2], c.param)));  // it did update
      }
    }
  }
  Lists l = make_lists({3, 4}, Device::cpu());
  std::vector<Tensor> mixed = {cast(l.g[0], DType::bf16), l.g[1]};
  XLM_CHECK_THROWS(adam_update_multi(l.p, mixed, l.m, l.v, args_at(1)), DTypeError, "adam_update_multi");
  std::vector<Tensor> ints = {cast(l.g[0], DType::i32), cast(l.g[1], DType::i32)};
  XLM_CHECK_THROWS(adam_update_multi(l.p, ints, l.m, l.v, args_at(1)), DTypeError, "grads");
}
