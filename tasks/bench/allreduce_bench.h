// `xlm bench allreduce`: the all-reduce bandwidth of the Communicator the
// trainer uses (MPI on CPU ranks, NCCL on GPU ranks, "single" for one),
// with nccl-tests' definitions (PERFORMANCE.md of NVIDIA/nccl-tests) so the
// figures compare with theirs: for a message of S bytes per rank taking t
// seconds, algbw = S / t and busbw = algbw * 2(n-1)/n, the rate each link
// must sustain in a ring all-reduce, independent of n. t is the median over
// the timed iterations of each rank's time per op, then the largest over the
// ranks. Every size is first checked: each rank fills a pattern whose sum
// over the ranks is known and exact in every dtype, reduces it once, and
// every element is compared; a wrong element on any rank fails the command.
// The overlapped variant reduces the message as grad_reducer does, in
// buckets of --bucket_mb through start_all_reduce / finish_all_reduces.
#pragma once

#include "core/communicator.h"
#include "core/dtype.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace xlm::tasks {

struct AllReduceBenchConfig {
  std::string device;             // "cpu", "cuda" or "" (cuda when a GPU is visible)
  std::string backend = "auto";   // auto, mpi, nccl (bench_communicator.h)
  std::string dtype = "f32";      // f32, bf16, f16 (f64 too)
  int64_t min_bytes = 1024;       // per rank
  int64_t max_bytes = 64 << 20;
  int64_t factor = 2;             // sizes min, min*factor, ... up to max
  int64_t iters = 20;             // timed
  int64_t warmup = 5;             // untimed, before them
  std::string op = "sum";         // sum or mean
  bool overlapped = false;        // buckets through start_all_reduce / finish_all_reduces
  double bucket_mb = 25;          // bucket size of the overlapped path (MiB, as --bucket_mb)

  // ConfigError naming the flag of the first bad field.
  void validate() const;
};

struct AllReduceRow {
  int64_t bytes = 0;    // per rank (count * element size)
  int64_t count = 0;    // elements per rank
  int64_t buckets = 1;  // reductions per op (1 unless overlapped)
  double seconds = 0;   // median time per op, the largest over the ranks
  double algbw = 0;     // bytes / s
  double busbw = 0;     // bytes / s
  int64_t wrong = 0;    // elements that failed the check, summed over the ranks
};

struct AllReduceBenchResult {
  std::string backend;      // "single", "mpi", "nccl"
  int world_size = 1;
  std::string device;       // "cpu", "cuda:0" (rank 0's)
  std::string device_name;
  std::string dtype, op;
  bool overlapped = false;
  double bucket_mb = 0;
  int64_t iters = 0, warmup = 0;
  std::vector<AllReduceRow> rows;
};

// ---- the pieces, pure (unit-tested)

// What rank `rank` puts at element i: ((i + rank) mod 3) - 1, in {-1, 0, 1}.
double allreduce_pattern(int rank, int64_t i);
// The reduction of allreduce_pattern over ranks 0..world_size-1 at element i
// (sum, or sum / world_size for mean). Every partial sum is an integer of
// magnitude at most world_size, exact in bf16 up to 256 ranks.
double allreduce_expected(int world_size, int64_t i, ReduceOp op);
// How far a result may be from allreduce_expected: 0 for sum (exact); for
// mean world_size * epsilon(dtype) (NCCL's ncclAvg multiplies every input by
// 1/n before summing, rounding each term).
double allreduce_tolerance(DType dtype, int world_size, ReduceOp op);
// Elements of `got` (element offset + k) farther than the tolerance from the
// expected value; `first_bad` gets the first such index (-1 if none).
int64_t count_allreduce_mismatches(const std::vector<double>& got, int64_t offset, int world_size, ReduceOp op,
                                   DType dtype, int64_t* first_bad = nullptr);
// nccl-tests' factor from algorithm to bus bandwidth for all-reduce: 2(n-1)/n (0 at n = 1).
double allreduce_bus_factor(int world_size);
// Sets row.seconds, row.algbw = row.bytes / seconds and row.busbw = algbw * allreduce_bus_factor(world_size).
void fill_bandwidth(AllReduceRow& row, double seconds, int world_size);
// The message sizes: min, min*factor, ... while <= max (bytes).
std::vector<int64_t> allreduce_sizes(int64_t min_bytes, int64_t max_bytes, int64_t factor);
// Median of a non-empty list (mean of the two middle values for an even count).
double median_of(std::vector<double> values);
// Element counts of the buckets a message of `count` elements is cut into
// (each at most bucket_mb MiB, the last one the rest).
std::vector<int64_t> bucket_counts(int64_t count, size_t element_bytes, double bucket_mb);

// ---- the runs (collective: every rank calls them alike)

// Reduces every buffer in place: one all_reduce each, or with overlapped
// all started (start_all_reduce) then finish_all_reduces.
void reduce_buffers(Communicator& comm, std::vector<Tensor>& buffers, ReduceOp op, bool overlapped);
// Median seconds per op of reducing `buffers` (one all_reduce, or with
// overlapped every buffer started then all finished), after `warmup`
// untimed ops, the largest over the ranks. CPU: a barrier before each op.
double time_all_reduce(Communicator& comm, std::vector<Tensor>& buffers, ReduceOp op, bool overlapped,
                       int64_t warmup, int64_t iters);

// Runs every size; rank 0 writes the table to `out` (when given) row by row.
// Error (after printing the row) when a size fails the check.
AllReduceBenchResult run_allreduce_bench(const AllReduceBenchConfig& config, Communicator& comm,
                                         std::ostream* out = nullptr);

std::string format_allreduce_header(const AllReduceBenchResult& result);
std::string format_allreduce_row(const AllReduceRow& row);  // ends with "ok" or "FAIL ..."
nlohmann::json allreduce_bench_json(const AllReduceBenchResult& result);

}  // namespace xlm::tasks
