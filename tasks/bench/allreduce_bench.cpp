// See allreduce_bench.h. Two buffers per size: the checked one, filled with
// the pattern and reduced once, and the timed one, all zeros: zero is a fixed
// point of both sum and mean, so hundreds of in-place reductions neither
// overflow (f16 would after 16 sums of 2 ranks) nor wander into denormals,
// and the transports' speed does not depend on the values. The pattern is
// built from three host elements of the dtype (-1, 0, 1), copied bytewise,
// so every dtype is filled by the same loop. The test hook
// XLM_TEST_ALLREDUCE_CORRUPT_RANK=r makes rank r add 1 to its element 0
// before the checked reduction, so a test can see the check fail.
#include "tasks/bench/allreduce_bench.h"

#include "core/device_figures.h"
#include "core/error.h"
#include "core/op_timer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace xlm::tasks {

namespace {

constexpr const char* kCorruptVar = "XLM_TEST_ALLREDUCE_CORRUPT_RANK";

ReduceOp parse_op(const std::string& op) { return op == "mean" ? ReduceOp::mean : ReduceOp::sum; }

double epsilon(DType dtype) {
  switch (dtype) {
    case DType::f64: return std::ldexp(1.0, -52);
    case DType::bf16: return std::ldexp(1.0, -7);
    case DType::f16: return std::ldexp(1.0, -10);
    default: return std::ldexp(1.0, -23);
  }
}

// (count) of `dtype` on `device`: allreduce_pattern(rank, i) at element i.
Tensor pattern_tensor(int rank, int64_t count, DType dtype, Device device) {
  const Tensor values = Tensor::from_doubles({-1.0, 0.0, 1.0}, {3}, dtype);  // (3) host
  Tensor host = Tensor::empty({count}, dtype);                               // (count) host
  const size_t elem = dtype_size(dtype);
  const auto* src = static_cast<const char*>(values.data_ptr());
  auto* dst = static_cast<char*>(host.data_ptr());
  for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * elem, src + ((i + rank) % 3) * elem, elem);
  const char* corrupt = std::getenv(kCorruptVar);
  if (corrupt && std::atoi(corrupt) == rank) {
    Tensor bumped = Tensor::from_doubles({allreduce_pattern(rank, 0) + 1.0}, {1}, dtype);
    std::memcpy(dst, bumped.data_ptr(), elem);
  }
  return host.to(device);
}

// Views of `flat` (count) cut into buckets (overlapped), or `flat` itself.
std::vector<Tensor> cut(const Tensor& flat, bool overlapped, double bucket_mb) {
  if (!overlapped) return {flat};
  std::vector<Tensor> parts;
  int64_t begin = 0;
  for (int64_t n : bucket_counts(flat.numel(), dtype_size(flat.dtype()), bucket_mb)) {
    parts.push_back(flat.slice(begin, begin + n));
    begin += n;
  }
  return parts;
}

template <typename T>
T reduce_scalar(Communicator& comm, T value, ReduceOp op) {
  Tensor t = Tensor::from_vector(std::vector<T>{value}, {1}, comm.device());  // (1)
  comm.all_reduce(t, op);
  return t.to(Device::cpu()).template to_vector<T>()[0];
}

}  // namespace

void AllReduceBenchConfig::validate() const {
  XLM_CHECK(device.empty() || device == "cpu" || device == "cuda", ConfigError, "--device {}: expected cpu or cuda",
            device);
  XLM_CHECK(backend == "auto" || backend == "mpi" || backend == "nccl", ConfigError,
            "--backend {}: expected auto, mpi or nccl", backend);
  XLM_CHECK(dtype == "f32" || dtype == "bf16" || dtype == "f16" || dtype == "f64", ConfigError,
            "--dtype {}: expected f32, bf16 or f16", dtype);
  XLM_CHECK(op == "sum" || op == "mean", ConfigError, "--op {}: expected sum or mean", op);
  XLM_CHECK(min_bytes >= 1, ConfigError, "--min_bytes {}: expected at least 1", min_bytes);
  XLM_CHECK(max_bytes >= min_bytes, ConfigError, "--max_bytes {}: expected at least --min_bytes ({})", max_bytes,
            min_bytes);
  XLM_CHECK(factor >= 2, ConfigError, "--factor {}: expected at least 2", factor);
  XLM_CHECK(iters >= 1, ConfigError, "--iters {}: expected at least 1", iters);
  XLM_CHECK(warmup >= 0, ConfigError, "--warmup {}: expected 0 or more", warmup);
  XLM_CHECK(bucket_mb > 0, ConfigError, "--bucket_mb {}: must be positive", bucket_mb);
}

void reduce_buffers(Communicator& comm, std::vector<Tensor>& buffers, ReduceOp op, bool overlapped) {
  if (!overlapped) {
    for (Tensor& b : buffers) comm.all_reduce(b, op);
    return;
  }
  for (Tensor& b : buffers) comm.start_all_reduce(b, op);
  comm.finish_all_reduces();
}

double allreduce_pattern(int rank, int64_t i) { return static_cast<double>((i + rank) % 3) - 1.0; }

double allreduce_expected(int world_size, int64_t i, ReduceOp op) {
  // Ranks r, r+1, r+2 put -1, 0, 1 in some order: every full cycle of three sums to 0.
  double sum = 0;
  for (int k = 0; k < world_size % 3; ++k) sum += allreduce_pattern(k, i);
  return op == ReduceOp::mean ? sum / world_size : sum;
}

double allreduce_tolerance(DType dtype, int world_size, ReduceOp op) {
  return op == ReduceOp::mean ? world_size * epsilon(dtype) : 0.0;
}

int64_t count_allreduce_mismatches(const std::vector<double>& got, int64_t offset, int world_size, ReduceOp op,
                                   DType dtype, int64_t* first_bad) {
  const double tolerance = allreduce_tolerance(dtype, world_size, op);
  double want[3];
  for (int k = 0; k < 3; ++k) want[k] = allreduce_expected(world_size, k, op);
  int64_t wrong = 0;
  if (first_bad) *first_bad = -1;
  for (size_t k = 0; k < got.size(); ++k) {
    const int64_t i = offset + static_cast<int64_t>(k);
    if (std::fabs(got[k] - want[i % 3]) <= tolerance) continue;  // NaN fails too
    if (wrong == 0 && first_bad) *first_bad = i;
    ++wrong;
  }
  return wrong;
}

double allreduce_bus_factor(int world_size) { return 2.0 * (world_size - 1) / world_size; }

void fill_bandwidth(AllReduceRow& row, double seconds, int world_size) {
  row.seconds = seconds;
  row.algbw = seconds > 0 ? static_cast<double>(row.bytes) / seconds : 0.0;
  row.busbw = row.algbw * allreduce_bus_factor(world_size);
}

std::vector<int64_t> allreduce_sizes(int64_t min_bytes, int64_t max_bytes, int64_t factor) {
  std::vector<int64_t> sizes;
  for (int64_t s = min_bytes; s <= max_bytes; s *= factor) {
    sizes.push_back(s);
    if (s > std::numeric_limits<int64_t>::max() / factor) break;
  }
  return sizes;
}

double median_of(std::vector<double> values) {
  XLM_CHECK(!values.empty(), Error, "median of no values");
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::vector<int64_t> bucket_counts(int64_t count, size_t element_bytes, double bucket_mb) {
  const auto per_bucket = std::max<int64_t>(
      1, static_cast<int64_t>(bucket_mb * 1024.0 * 1024.0 / static_cast<double>(element_bytes)));
  std::vector<int64_t> counts;
  for (int64_t done = 0; done < count; done += per_bucket) counts.push_back(std::min(per_bucket, count - done));
  return counts;
}

double time_all_reduce(Communicator& comm, std::vector<Tensor>& buffers, ReduceOp op, bool overlapped,
                       int64_t warmup, int64_t iters) {
  const bool host_clock = !comm.device().is_cuda();
  for (int64_t i = 0; i < warmup; ++i) reduce_buffers(comm, buffers, op, overlapped);
  comm.barrier();
  std::unique_ptr<OpTimer> timer = make_op_timer(comm.device());
  for (int64_t i = 0; i < iters; ++i) {
    if (host_clock) comm.barrier();  // the ranks start each op together
    timer->start();
    reduce_buffers(comm, buffers, op, overlapped);
    timer->stop();
  }
  const double mine = median_of(timer->seconds());
  return reduce_scalar(comm, mine, ReduceOp::max);
}

AllReduceBenchResult run_allreduce_bench(const AllReduceBenchConfig& config, Communicator& comm, std::ostream* out) {
  config.validate();
  const DType dtype = parse_dtype(config.dtype);
  const ReduceOp op = parse_op(config.op);
  XLM_CHECK(comm.backend() != std::string("mpi") || dtype == DType::f32 || dtype == DType::f64, ConfigError,
            "--dtype {}: MPI (CPU ranks) reduces f32 and f64 only; bf16 and f16 need NCCL (--device cuda)",
            config.dtype);
  const Device device = comm.device();
  AllReduceBenchResult r;
  r.backend = comm.backend();
  r.world_size = comm.world_size();
  r.device = device.str();
  r.device_name = device_figures(device).name;
  r.dtype = dtype_name(dtype);
  r.op = config.op;
  r.overlapped = config.overlapped;
  r.bucket_mb = config.bucket_mb;
  r.iters = config.iters;
  r.warmup = config.warmup;
  if (out) *out << format_allreduce_header(r) << std::flush;

  const size_t elem = dtype_size(dtype);
  for (int64_t size : allreduce_sizes(config.min_bytes, config.max_bytes, config.factor)) {
    AllReduceRow row;
    row.count = std::max<int64_t>(1, size / static_cast<int64_t>(elem));
    row.bytes = row.count * static_cast<int64_t>(elem);

    // The check, through the same path as the timing.
    Tensor checked = pattern_tensor(comm.rank(), row.count, dtype, device);  // (count)
    std::vector<Tensor> parts = cut(checked, config.overlapped, config.bucket_mb);
    row.buckets = static_cast<int64_t>(parts.size());
    reduce_buffers(comm, parts, op, config.overlapped);
    int64_t first_bad = -1;
    const std::vector<double> got = checked.to(Device::cpu()).to_doubles();
    const int64_t mine = count_allreduce_mismatches(got, 0, comm.world_size(), op, dtype, &first_bad);
    row.wrong = reduce_scalar<int64_t>(comm, mine, ReduceOp::sum);

    if (row.wrong == 0) {
      Tensor timed = Tensor::zeros({row.count}, dtype, device);  // (count)
      std::vector<Tensor> timed_parts = cut(timed, config.overlapped, config.bucket_mb);
      fill_bandwidth(row, time_all_reduce(comm, timed_parts, op, config.overlapped, config.warmup, config.iters),
                     comm.world_size());
    }
    r.rows.push_back(row);
    if (out) *out << format_allreduce_row(row) << std::flush;
    if (row.wrong > 0) {
      const std::string here =
          first_bad < 0 ? fmt::format("rank {} has none wrong", comm.rank())
                        : fmt::format("rank {}'s element {} is {}, expected {}", comm.rank(), first_bad,
                                      got[static_cast<size_t>(first_bad)],
                                      allreduce_expected(comm.world_size(), first_bad, op));
      throw Error(fmt::format("xlm bench allreduce: {} bytes of {} ({} over {} ranks, {}): {} element(s) wrong over "
                              "the ranks; {}",
                              row.bytes, r.dtype, r.op, r.world_size, r.backend, row.wrong, here));
    }
  }
  return r;
}

std::string format_allreduce_header(const AllReduceBenchResult& r) {
  return fmt::format(
      "# xlm bench allreduce: {} rank(s), {} on {} ({}), {} {}, {}; median of {} ops after {} warm-up, the largest "
      "over the ranks\n"
      "# algbw = bytes / time, busbw = algbw * 2(n-1)/n (nccl-tests PERFORMANCE.md); GB = 1e9 bytes\n"
      "# {:>11} {:>11} {:>8} {:>11} {:>11} {:>11}  {}\n",
      r.world_size, r.backend, r.device, r.device_name, r.dtype, r.op,
      r.overlapped ? fmt::format("buckets of {} MiB started then finished", r.bucket_mb) : "one all_reduce per op",
      r.iters, r.warmup, "bytes", "count", "buckets", "time_us", "algbw_GB/s", "busbw_GB/s", "check");
}

std::string format_allreduce_row(const AllReduceRow& row) {
  const std::string check = row.wrong == 0 ? "ok" : fmt::format("FAIL ({} wrong)", row.wrong);
  return fmt::format("  {:>11} {:>11} {:>8} {:>11.2f} {:>11.4f} {:>11.4f}  {}\n", row.bytes, row.count, row.buckets,
                     row.seconds * 1e6, row.algbw * 1e-9, row.busbw * 1e-9, check);
}

nlohmann::json allreduce_bench_json(const AllReduceBenchResult& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const AllReduceRow& row : r.rows)
    rows.push_back({{"bytes", row.bytes},
                    {"count", row.count},
                    {"buckets", row.buckets},
                    {"time_us", row.seconds * 1e6},
                    {"algbw_GBps", row.algbw * 1e-9},
                    {"busbw_GBps", row.busbw * 1e-9},
                    {"check", row.wrong == 0 ? "ok" : "FAIL"}});
  return {{"benchmark", "allreduce"},
          {"definitions", "nccl-tests PERFORMANCE.md: algbw = bytes / time, busbw = algbw * 2(n-1)/n"},
          {"backend", r.backend},
          {"world_size", r.world_size},
          {"device", r.device},
          {"device_name", r.device_name},
          {"dtype", r.dtype},
          {"op", r.op},
          {"overlapped", r.overlapped},
          {"bucket_mb", r.bucket_mb},
          {"iters", r.iters},
          {"warmup", r.warmup},
          {"time", "median seconds per op over the timed iterations, the largest over the ranks"},
          {"rows", rows}};
}

}  // namespace xlm::tasks
