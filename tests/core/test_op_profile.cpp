// The op profiler (core/op_profile.h): backend calls attributed to the region
// and phase in force, a node's backward to the region its forward ran in,
// only the outermost of nested calls, nothing outside a session.
#include "core/autograd.h"
#include "core/error.h"
#include "core/op_profile.h"
#include "kernels/gelu/gelu.h"
#include "kernels/scale/scale.h"
#include "kernels/sum_last/sum_last.h"
#include "support.h"

#include <set>
#include <tuple>
#include <string>
#include <vector>

using namespace xlm;

namespace {

const profile::Row* find_row(const std::vector<profile::Row>& rows, const std::string& region, profile::Phase phase,
                             const std::string& call) {
  for (const profile::Row& r : rows)
    if (r.region == region && r.phase == phase && r.call == call) return &r;
  return nullptr;
}

Tensor leaf_matrix() {
  std::vector<float> v(4 * 8);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1f * static_cast<float>(i) - 1.5f;
  Tensor x = Tensor::from_vector(v, {4, 8});
  x.set_requires_grad(true);
  return x;
}

}  // namespace

TEST_CASE("profile: calls by region and phase, backward in its forward's region, outer calls only",
          "[core][profile]") {
  using profile::Phase;
  Tensor x = leaf_matrix();  // (4, 8)
  Tensor before = gelu(x);   // outside the session: not counted
  std::vector<profile::Row> rows;
  {
    profile::Session session;
    Tensor y, z;
    {
      profile::RegionScope region("block_a");
      y = gelu(x);  // (4, 8)
      CHECK(std::string(profile::current_region()) == "block_a");
    }
    CHECK(std::string(profile::current_region()) == "other");
    {
      profile::RegionScope region("block_b");
      z = sum_last(y);  // (4)
    }
    z.backward(Tensor::full({4}, 1.0, DType::f32, Device::cpu()));  // regions restored per node
    {
      profile::PhaseScope phase(Phase::update);
      profile::RegionScope region("opt");
      autograd::NoGradGuard no_grad;
      scale(x.grad(), 0.5);
      CHECK(profile::current_phase() == Phase::update);
    }
    CHECK(profile::current_phase() == Phase::forward);
    {
      profile::BackendCall outer(Device::cpu(), "outer_call");
      profile::BackendCall inner(Device::cpu(), "inner_call");  // inside a timed call: not timed
    }
    rows = session.rows();
  }
  CAPTURE(rows.size());
  for (const auto& [region, phase, call] :
       std::vector<std::tuple<std::string, Phase, std::string>>{{"block_a", Phase::forward, "gelu_forward"},
                                                                {"block_a", Phase::backward, "gelu_backward"},
                                                                {"block_b", Phase::forward, "sum_last_forward"},
                                                                {"block_b", Phase::backward, "sum_last_backward"},
                                                                {"opt", Phase::update, "scale_forward"},
                                                                {"other", Phase::forward, "outer_call"}}) {
    INFO(region << " " << profile::phase_name(phase) << " " << call);
    const profile::Row* r = find_row(rows, region, phase, call);
    REQUIRE(r != nullptr);
    CHECK(r->calls == 1);
    CHECK(r->seconds >= 0.0);
  }
  std::set<std::string> calls;
  for (const profile::Row& r : rows) calls.insert(r.call);
  CHECK(calls.count("inner_call") == 0);
  // Every row above, and only backend calls made inside the session (the leaf's
  // first gradient is a clone, not a backend call).
  CHECK(rows.size() == 6);
  for (size_t i = 1; i < rows.size(); ++i) CHECK(rows[i - 1].seconds >= rows[i].seconds);
  CHECK(std::string(profile::phase_name(Phase::backward)) == "backward");
}

TEST_CASE("profile: one session per thread, nothing recorded without one", "[core][profile]") {
  {
    profile::Session first;
    XLM_CHECK_THROWS(profile::Session(), Error, "already open");
    CHECK(first.rows().empty());
  }
  gelu(leaf_matrix());  // no session: ignored
  profile::Session again;
  CHECK(again.rows().empty());
  gelu(leaf_matrix());
  const std::vector<profile::Row> rows = again.rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].call == "gelu_forward");
  CHECK(rows[0].region == "other");
}
