// See grad_reducer.h. Buffers are allocated once, at construction, so a step
// allocates nothing; copies in and out are raw stream-ordered byte copies
// (the gradients are contiguous), ordered on the GPU before the reduction by
// the event start_all_reduce records.
#include "tasks/pretrain/grad_reducer.h"

#include "core/error.h"
#include "core/storage.h"

#include <fmt/format.h>

namespace xlm::tasks {

GradReducer::GradReducer(Communicator& comm, CommWatchdog& watchdog, const nn::NamedTensors& params, double bucket_mb)
    : comm_(comm), watchdog_(watchdog), params_(params) {
  XLM_CHECK(bucket_mb > 0, ConfigError, "--bucket_mb {}: must be positive", bucket_mb);
  const double cap_bytes = bucket_mb * 1024.0 * 1024.0;
  bucket_of_.resize(params_.size());
  ready_.assign(params_.size(), false);
  std::vector<std::vector<size_t>> groups;
  double bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const Tensor& p = params_[k].second;
    XLM_CHECK(p.device() == params_.front().second.device(), ConfigError,
              "data parallelism: parameter {} is on {}, others on {}", params_[k].first, p.device().str(),
              params_.front().second.device().str());
    const bool new_bucket = groups.empty() || bytes + static_cast<double>(p.nbytes()) > cap_bytes ||
                            params_[groups.back().front()].second.dtype() != p.dtype();
    if (new_bucket) {
      groups.emplace_back();
      bytes = 0;
    }
    groups.back().push_back(k);
    bytes += static_cast<double>(p.nbytes());
    index_[p.impl()] = k;
  }
  for (auto& group : groups) {
    Bucket b;
    int64_t n = 0;
    for (size_t k : group) {
      b.offsets.push_back(n);
      n += params_[k].second.numel();
      bucket_of_[k] = buckets_.size();
    }
    b.params = std::move(group);
    const Tensor& first = params_[b.params.front()].second;
    b.flat = Tensor::zeros({n}, first.dtype(), first.device());  // (n)
    buckets_.push_back(std::move(b));
  }
}

std::unique_ptr<autograd::GradReadyScope> GradReducer::hook() {
  return std::make_unique<autograd::GradReadyScope>([this](const Tensor& leaf) { on_ready(leaf); });
}

void GradReducer::on_ready(const Tensor& leaf) {
  auto it = index_.find(leaf.impl());
  if (it == index_.end() || ready_[it->second]) return;
  ready_[it->second] = true;
  Bucket& bucket = buckets_[bucket_of_[it->second]];
  if (++bucket.ready == static_cast<int64_t>(bucket.params.size())) {
    start(bucket);
    ++started_now_;
  }
}

void GradReducer::start(Bucket& bucket) {
  const size_t elem = dtype_size(bucket.flat.dtype());
  auto* base = static_cast<char*>(bucket.flat.data_ptr());
  for (size_t j = 0; j < bucket.params.size(); ++j) {
    const Tensor& p = params_[bucket.params[j]].second;
    const Tensor g = p.grad();
    char* dst = base + static_cast<size_t>(bucket.offsets[j]) * elem;
    if (g.defined()) copy_bytes(dst, bucket.flat.device(), g.data_ptr(), g.device(), g.nbytes());
    else zero_bytes(dst, bucket.flat.device(), p.nbytes());
  }
  comm_.start_all_reduce(bucket.flat, ReduceOp::mean);
  bucket.started = true;
}

void GradReducer::finish() {
  for (Bucket& bucket : buckets_)
    if (!bucket.started) start(bucket);
  {
    CommWatchdog::Scope scope(watchdog_, "gradient all-reduce");
    comm_.finish_all_reduces();
  }
  for (Bucket& bucket : buckets_) {
    const size_t elem = dtype_size(bucket.flat.dtype());
    const auto* base = static_cast<const char*>(bucket.flat.data_ptr());
    for (size_t j = 0; j < bucket.params.size(); ++j) {
      Tensor g = params_[bucket.params[j]].second.grad();
      if (g.defined())
        copy_bytes(g.data_ptr(), g.device(), base + static_cast<size_t>(bucket.offsets[j]) * elem,
                   bucket.flat.device(), g.nbytes());
    }
    bucket.ready = 0;
    bucket.started = false;
  }
  ready_.assign(params_.size(), false);
  started_during_backward_ = started_now_;
  started_now_ = 0;
}

}  // namespace xlm::tasks
