// `xlm bench allreduce` and the overlap of `xlm bench train --overlap`
// (issue 6 item 6), on one process: the pattern and its expected reduction
// against a sum by brute force, the check (it passes on the right values
// and counts every wrong one), nccl-tests' bandwidth arithmetic on known
// numbers, the sizes and buckets, the overlap formula, and whole runs on the
// single-rank communicator (busbw 0 at n = 1; a corrupted input fails).
// Two MPI ranks: CTest's bench_*_np2 tests (CMakeLists.txt).
#include "core/communicator.h"
#include "core/error.h"
#include "support.h"
#include "tasks/bench/allreduce_bench.h"
#include "tasks/bench/bench_communicator.h"
#include "tasks/bench/train_bench.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>

using namespace xlm;
using namespace xlm::tasks;

TEST_CASE("allreduce pattern: the closed-form reduction equals a sum over the ranks", "[bench][allreduce]") {
  CHECK(allreduce_pattern(0, 0) == -1.0);
  CHECK(allreduce_pattern(0, 1) == 0.0);
  CHECK(allreduce_pattern(1, 1) == 1.0);
  for (int n = 1; n <= 9; ++n)
    for (int64_t i = 0; i < 12; ++i) {
      double sum = 0;
      for (int r = 0; r < n; ++r) sum += allreduce_pattern(r, i);
      CHECK(allreduce_expected(n, i, ReduceOp::sum) == sum);
      CHECK(allreduce_expected(n, i, ReduceOp::mean) == sum / n);
    }
  // A missing rank changes some element of every 3 (so any message of 3+ elements shows it).
  for (int n = 2; n <= 5; ++n) {
    int differs = 0;
    for (int64_t i = 0; i < 3; ++i) differs += allreduce_expected(n, i, ReduceOp::sum) != allreduce_expected(n - 1, i, ReduceOp::sum);
    CHECK(differs > 0);
  }
}

TEST_CASE("allreduce check: passes on the expected values, counts every wrong one", "[bench][allreduce]") {
  const int n = 4;
  std::vector<double> got;
  for (int64_t i = 10; i < 40; ++i) got.push_back(allreduce_expected(n, i, ReduceOp::sum));
  int64_t first = 7;
  CHECK(count_allreduce_mismatches(got, 10, n, ReduceOp::sum, DType::f32, &first) == 0);
  CHECK(first == -1);
  // The offset matters: with 4 ranks the sums are -1, 0, 1 by i mod 3, so the
  // same values read as elements 11.. are wrong everywhere.
  CHECK(count_allreduce_mismatches(got, 11, n, ReduceOp::sum, DType::f32) == 30);
  got[5] += 1;                                        // element 15
  got[9] = std::numeric_limits<double>::quiet_NaN();  // element 19
  CHECK(count_allreduce_mismatches(got, 10, n, ReduceOp::sum, DType::f32, &first) == 2);
  CHECK(first == 15);
  // Sums are exact: the smallest difference fails.
  std::vector<double> sum = {allreduce_expected(n, 0, ReduceOp::sum) + 1e-12};
  CHECK(count_allreduce_mismatches(sum, 0, n, ReduceOp::sum, DType::f32) == 1);
  // Means are allowed n * epsilon(dtype): 4 * 2^-7 in bf16, 4 * 2^-23 in f32.
  CHECK(allreduce_tolerance(DType::bf16, 4, ReduceOp::mean) == 4.0 / 128);
  CHECK(allreduce_tolerance(DType::f32, 4, ReduceOp::mean) == std::ldexp(4.0, -23));
  CHECK(allreduce_tolerance(DType::f16, 2, ReduceOp::sum) == 0.0);
  const double want = allreduce_expected(n, 2, ReduceOp::mean);
  CHECK(count_allreduce_mismatches({want + 0.03}, 2, n, ReduceOp::mean, DType::bf16) == 0);
  CHECK(count_allreduce_mismatches({want + 0.04}, 2, n, ReduceOp::mean, DType::bf16) == 1);
  CHECK(count_allreduce_mismatches({want + 0.03}, 2, n, ReduceOp::mean, DType::f32) == 1);
}

TEST_CASE("allreduce bandwidth: nccl-tests' algbw and busbw on known numbers", "[bench][allreduce]") {
  CHECK(allreduce_bus_factor(1) == 0.0);
  CHECK(allreduce_bus_factor(2) == 1.0);
  CHECK(allreduce_bus_factor(4) == 1.5);
  CHECK(allreduce_bus_factor(8) == 1.75);
  AllReduceRow row;
  row.bytes = 64 << 20;  // 64 MiB in 10 ms on 8 ranks
  fill_bandwidth(row, 0.010, 8);
  CHECK(row.algbw == Approx(6.7108864e9).epsilon(1e-12));
  CHECK(row.busbw == Approx(1.17440512e10).epsilon(1e-12));
  row.count = 16 << 20;
  CHECK(format_allreduce_row(row) == "     67108864    16777216        1    10000.00      6.7109     11.7441  ok\n");
  row.wrong = 3;
  CHECK(format_allreduce_row(row).find("FAIL (3 wrong)") != std::string::npos);
}

TEST_CASE("allreduce sizes, median and buckets", "[bench][allreduce]") {
  const std::vector<int64_t> sizes = allreduce_sizes(1024, 64 << 20, 2);
  REQUIRE(sizes.size() == 17);
  CHECK(sizes.front() == 1024);
  CHECK(sizes.back() == (64 << 20));
  CHECK(allreduce_sizes(1000, 100000, 10) == std::vector<int64_t>{1000, 10000, 100000});
  CHECK(allreduce_sizes(5, 5, 2) == std::vector<int64_t>{5});
  CHECK(median_of({3, 1, 2}) == 2);
  CHECK(median_of({4, 1, 3, 2}) == 2.5);
  // 40 MB of f32 in 25 MiB buckets: 6553600 elements, then the rest.
  CHECK(bucket_counts(10000000, 4, 25) == std::vector<int64_t>{6553600, 3446400});
  CHECK(bucket_counts(10, 4, 25) == std::vector<int64_t>{10});
  CHECK(bucket_counts(16384, 4, 0.01) == std::vector<int64_t>{2621, 2621, 2621, 2621, 2621, 2621, 658});
}

TEST_CASE("overlap: 1 - (t_dp - t_compute) / t_allreduce, clamped", "[bench][overlap]") {
  CHECK(overlap_fraction(12, 10, 4) == 0.5);
  CHECK(overlap_fraction(14, 10, 4) == 0.0);   // nothing hidden
  CHECK(overlap_fraction(20, 10, 4) == 0.0);   // slower than serial: clamped
  CHECK(overlap_fraction(10, 10, 4) == 1.0);   // all hidden
  CHECK(overlap_fraction(9, 10, 4) == 1.0);    // noise below compute: clamped
  CHECK(overlap_fraction(12, 10, 0) == 0.0);
  TrainBenchResult one_rank;
  CHECK(format_overlap(one_rank).empty());
  TrainBenchResult r;
  r.world_size = 2;
  r.backend = "mpi";
  r.gradient_bytes = 4096;
  r.buckets = 2;
  r.started_during_backward = 2;
  r.ms_per_step = 12;
  r.ms_per_step_compute = 10;
  r.ms_allreduce = 4;
  r.overlap = 0.5;
  CHECK(format_overlap(r) ==
        "data-parallel: 2 ranks (mpi), 4096 bytes of gradients in 2 bucket(s), 2 started during backward\n"
        "ms/step compute only: 10.00\n"
        "ms all-reduce of the gradients: 4.00\n"
        "overlap: 50.0% (1 - (t_dp - t_compute) / t_allreduce, clamped to [0, 1])\n");
  TrainBenchConfig config;
  const nlohmann::json j = train_bench_json(config, r);
  CHECK(j["data_parallel"]["world_size"] == 2);
  CHECK(j["data_parallel"]["ms_per_step_dp"] == 12.0);
  CHECK(j["data_parallel"]["overlap"] == 0.5);
  CHECK(j["data_parallel"]["bucket_mb"] == 25.0);
  CHECK_FALSE(train_bench_json(config, one_rank).contains("data_parallel"));
  config.overlap = true;  // no launcher in a unit test: one rank
  config.n_words = 100;
  config.emb_dim = 16;
  config.n_heads = 2;
  config.n_layers = 1;
  config.device = "cpu";
  XLM_CHECK_THROWS(run_train_bench(config), ConfigError, "--overlap: needs several ranks");
  config.overlap = false;
  config.bucket_mb = 0;
  XLM_CHECK_THROWS(config.validate(), ConfigError, "--bucket_mb 0");
}

TEST_CASE("allreduce bench on one rank: every size checked, busbw 0", "[bench][allreduce]") {
  auto comm = make_single_communicator(Device::cpu());
  AllReduceBenchConfig config;
  config.device = "cpu";
  config.min_bytes = 1000;  // not a multiple of 4: rounded down to whole elements
  config.max_bytes = 4000;
  config.iters = 3;
  config.warmup = 1;
  std::ostringstream out;
  const AllReduceBenchResult r = run_allreduce_bench(config, *comm, &out);
  REQUIRE(r.rows.size() == 3);
  CHECK(r.rows[0].bytes == 1000);
  CHECK(r.rows[0].count == 250);
  CHECK(r.rows[2].bytes == 4000);
  for (const AllReduceRow& row : r.rows) {
    CHECK(row.wrong == 0);
    CHECK(row.busbw == 0.0);
    CHECK(row.seconds >= 0.0);
  }
  CHECK(out.str().find("1 rank(s), single on cpu") != std::string::npos);
  CHECK(out.str().find("       1000         250        1") != std::string::npos);
  const nlohmann::json j = allreduce_bench_json(r);
  CHECK(j["rows"].size() == 3);
  CHECK(j["rows"][1]["bytes"] == 2000);
  CHECK(j["rows"][1]["check"] == "ok");

  // The bucketed path: 0.001 MiB of f64 is 131 elements, so 4000 bytes (500) make 4 buckets.
  config.overlapped = true;
  config.bucket_mb = 0.001;
  config.dtype = "f64";
  config.op = "mean";
  config.min_bytes = config.max_bytes = 4000;
  const AllReduceBenchResult bucketed = run_allreduce_bench(config, *comm);
  REQUIRE(bucketed.rows.size() == 1);
  CHECK(bucketed.rows[0].buckets == 4);
  CHECK(bucketed.rows[0].wrong == 0);
}

TEST_CASE("allreduce bench: a corrupted input fails the check, bad flags are named", "[bench][allreduce]") {
  auto comm = make_single_communicator(Device::cpu());
  AllReduceBenchConfig config;
  config.device = "cpu";
  config.min_bytes = config.max_bytes = 64;
  config.iters = 1;
  ::setenv("XLM_TEST_ALLREDUCE_CORRUPT_RANK", "0", 1);
  std::ostringstream out;
  CHECK_THROWS_WITH(run_allreduce_bench(config, *comm, &out),
                    Catch::Contains("1 element(s) wrong over the ranks; rank 0's element 0 is 0, expected -1"));
  ::unsetenv("XLM_TEST_ALLREDUCE_CORRUPT_RANK");
  CHECK(out.str().find("FAIL (1 wrong)") != std::string::npos);
  config.dtype = "i64";
  XLM_CHECK_THROWS(config.validate(), ConfigError, "--dtype i64");
  config.dtype = "f32";
  config.factor = 1;
  XLM_CHECK_THROWS(config.validate(), ConfigError, "--factor 1");
  config.factor = 2;
  config.max_bytes = 32;
  XLM_CHECK_THROWS(config.validate(), ConfigError, "--max_bytes 32");
  config.max_bytes = 64;
  config.op = "max";
  XLM_CHECK_THROWS(config.validate(), ConfigError, "--op max");
  config.op = "sum";
  config.backend = "gloo";
  XLM_CHECK_THROWS(config.validate(), ConfigError, "--backend gloo");
  Device cpu = Device::cpu();
  XLM_CHECK_THROWS(make_bench_communicator(cpu, "nccl"), ConfigError, "--backend nccl does not fit --device cpu");
  CHECK(std::string(make_bench_communicator(cpu, "auto")->backend()) == "single");  // no launcher: one rank
}
