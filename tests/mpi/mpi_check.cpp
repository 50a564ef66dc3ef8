// The communicator's multi-process test. It cannot live in the Catch2 binary:
// it only means something when mpirun starts it as 2 or 3 ranks (CTest does:
// mpi_check_np2, mpi_check_np3). Every expected value is something each rank
// computes alone from (rank, world size), and chosen to be exact in floating
// point, so the checks compare with ==. Each rank counts its failures; the
// counts are summed over the ranks so every rank exits with the same status.
#include "core/communicator.h"
#include "core/error.h"
#include "text/binarized.h"
#include "text/stream_dataset.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

using namespace xlm;

namespace {

int g_failures = 0;
int g_rank = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++g_failures;
    fmt::print(stderr, "rank {}: FAIL: {}\n", g_rank, what);
  }
}

template <typename T>
void expect_values(const Tensor& t, const std::vector<T>& want, const std::string& what) {
  const std::vector<T> got = t.to_vector<T>();
  bool same = got.size() == want.size();
  for (size_t i = 0; same && i < got.size(); ++i) same = got[i] == want[i];
  expect(same, fmt::format("{}: got [{}], want [{}]", what, fmt::join(got, ", "), fmt::join(want, ", ")));
}

template <typename E, typename F>
void expect_throws(F&& f, const std::string& prefix, const std::string& what) {
  try {
    f();
    expect(false, what + ": no exception");
  } catch (const E& e) {
    expect(std::string(e.what()).rfind(prefix, 0) == 0, what + ": message '" + e.what() + "'");
  }
}

void check_all_reduce(Communicator& c) {
  const int r = c.rank(), w = c.world_size();
  const int64_t n = 7;
  std::vector<float> mine(n), want_sum(n), want_max(n);
  for (int64_t i = 0; i < n; ++i) {
    mine[i] = static_cast<float>(r + 1) + 0.5f * i;
    want_sum[i] = static_cast<float>(w * (w + 1) / 2) + 0.5f * i * w;
  }
  Tensor t = Tensor::from_vector(mine, {n});
  c.all_reduce(t);
  expect_values(t, want_sum, "all_reduce sum f32");

  std::vector<double> d(n), want_mean(n);
  for (int64_t i = 0; i < n; ++i) {
    d[i] = static_cast<double>(r * i);
    want_mean[i] = static_cast<double>(i) * (w - 1) / 2.0;
  }
  Tensor td = Tensor::from_vector(d, {n});
  c.all_reduce(td, ReduceOp::mean);
  expect_values(td, want_mean, "all_reduce mean f64");

  for (int64_t i = 0; i < n; ++i) {
    mine[i] = (i % w == r) ? 100.0f + i : -static_cast<float>(i);
    want_max[i] = 100.0f + i;
  }
  Tensor tm = Tensor::from_vector(mine, {n});
  c.all_reduce(tm, ReduceOp::max);
  expect_values(tm, want_max, "all_reduce max f32");

  Tensor ti = Tensor::from_vector(std::vector<int64_t>{(int64_t{1} << 40) + r, -r}, {2});
  c.all_reduce(ti);
  expect_values(ti, std::vector<int64_t>{(int64_t{w} << 40) + w * (w - 1) / 2, -w * (w - 1) / 2}, "all_reduce sum i64");
}

void check_reduce_scatter(Communicator& c) {
  const int r = c.rank(), w = c.world_size();
  const int64_t n = 2, cols = 3;  // input (w*n, cols), output (n, cols)
  std::vector<float> in(w * n * cols);
  for (size_t j = 0; j < in.size(); ++j) in[j] = static_cast<float>(r * 1000 + static_cast<int>(j));
  std::vector<float> want(n * cols);
  for (int64_t j = 0; j < n * cols; ++j)
    want[j] = static_cast<float>(1000 * w * (w - 1) / 2 + w * (r * n * cols + j));
  Tensor input = Tensor::from_vector(in, {w * n, cols});
  Tensor output = Tensor::zeros({n, cols}, DType::f32);
  c.reduce_scatter(input, output);
  expect_values(output, want, "reduce_scatter sum f32");

  // In place: the output is this rank's own slice of the input (ZeRO's layout).
  Tensor flat = Tensor::from_vector(in, {w * n, cols});
  Tensor own = flat.slice(r * n, (r + 1) * n);
  c.reduce_scatter(flat, own);
  expect_values(own, want, "reduce_scatter sum f32 into its own slice");

  std::vector<double> ind(w * n), want_mean(n);
  for (int64_t j = 0; j < w * n; ++j) ind[j] = static_cast<double>(r == 0 ? 2 * w * j : 0);
  for (int64_t j = 0; j < n; ++j) want_mean[j] = static_cast<double>(2 * (r * n + j));
  Tensor outd = Tensor::zeros({n}, DType::f64);
  c.reduce_scatter(Tensor::from_vector(ind, {w * n}), outd, ReduceOp::mean);
  expect_values(outd, want_mean, "reduce_scatter mean f64");
}

template <typename T>
void check_all_gather_of(Communicator& c, const char* name) {
  const int r = c.rank(), w = c.world_size();
  std::vector<T> mine{static_cast<T>(10 * r), static_cast<T>(10 * r + 1), static_cast<T>(10 * r + 2),
                      static_cast<T>(10 * r + 3)};
  std::vector<T> want;
  for (int q = 0; q < w; ++q)
    for (int k = 0; k < 4; ++k) want.push_back(static_cast<T>(10 * q + k));
  Tensor out = Tensor::zeros({2 * w, 2}, dtype_of<T>::value);
  c.all_gather(Tensor::from_vector(mine, {2, 2}), out);
  expect_values(out, want, fmt::format("all_gather {}", name));
}

template <typename T>
void check_broadcast_of(Communicator& c, const char* name) {
  const int w = c.world_size(), root = w - 1;
  const std::vector<T> value{static_cast<T>(3), static_cast<T>(-5), static_cast<T>(int64_t{1} << 40),
                             static_cast<T>(42)};
  Tensor t = c.rank() == root ? Tensor::from_vector(value, {2, 2}) : Tensor::zeros({2, 2}, dtype_of<T>::value);
  c.broadcast(t, root);
  expect_values(t, value, fmt::format("broadcast {} from rank {}", name, root));
}

void check_errors(Communicator& c) {
  const std::string prefix = fmt::format("rank {} of {} (mpi): ", c.rank(), c.world_size());
  Tensor ints = Tensor::zeros({3}, DType::i64);
  expect_throws<DTypeError>([&] { c.all_reduce(ints, ReduceOp::mean); }, prefix + "all_reduce: ",
                            "mean of i64");
  Tensor out = Tensor::zeros({5}, DType::f32);
  expect_throws<ShapeError>([&] { c.reduce_scatter(Tensor::zeros({3}, DType::f32), out); },
                            prefix + "reduce_scatter: ", "reduce_scatter of mismatched rows");
  Tensor t = Tensor::zeros({1}, DType::f32);
  expect_throws<ConfigError>([&] { c.broadcast(t, c.world_size()); }, prefix + "broadcast: ", "broadcast root");
}

// Ranks of a StreamDataset see disjoint rows whose union is the one-rank batch.
void check_disjoint_data(Communicator& c) {
  const int r = c.rank(), w = c.world_size();
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("xlm-mpi-check-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "train.bin").string();
  text::BinarizedWriter writer(0x1234, 1000);
  int64_t next_id = 4;  // every word id occurs once, so overlapping rows would show
  for (int s = 0; s < 41; ++s) {
    std::vector<int64_t> ids;
    for (int k = 0; k < 3 + s % 4; ++k) ids.push_back(next_id++);
    writer.add_sentence(ids);
  }
  writer.write(path);
  auto data = std::make_shared<const text::BinarizedFile>(text::BinarizedFile::open(path));

  text::StreamOptions mine_options;
  mine_options.batch_size = 2;
  mine_options.bptt = 5;
  mine_options.rank = r;
  mine_options.world_size = w;
  text::StreamOptions single_options = mine_options;
  single_options.batch_size = 2 * w;
  single_options.rank = 0;
  single_options.world_size = 1;
  text::StreamDataset mine(data, mine_options), single(data, single_options);
  expect(mine.n_batches() == single.n_batches() && mine.n_batches() > 1,
         fmt::format("n_batches {} (rank) vs {} (single)", mine.n_batches(), single.n_batches()));

  std::vector<int64_t> seen_here;
  for (int64_t b = 0; b < mine.n_batches(); ++b) {
    Tensor tokens = mine.batch(b).tokens;  // (2, 5)
    for (int64_t id : tokens.to_vector<int64_t>())
      if (id != 1) seen_here.push_back(id);
    Tensor gathered = Tensor::zeros({2 * w, 5}, DType::i64);  // (2w, 5): rank q's rows at [2q, 2q+2)
    c.all_gather(tokens, gathered);
    expect_values(gathered, single.batch(b).tokens.to_vector<int64_t>(),
                  fmt::format("batch {}: union of the ranks' rows is the one-rank batch", b));
  }
  // Every word of the corpus lands on exactly one rank.
  Tensor count = Tensor::from_vector(std::vector<int64_t>{static_cast<int64_t>(seen_here.size())}, {1});
  c.all_reduce(count);
  expect(count.item() == static_cast<double>(next_id - 4),
         fmt::format("{} words over all ranks, the corpus has {}", count.item(), next_id - 4));
  std::set<int64_t> unique(seen_here.begin(), seen_here.end());
  expect(unique.size() == seen_here.size(), "a word occurs twice on one rank");
  std::filesystem::remove_all(dir);
}

}  // namespace

int main() {
  try {
    auto comm = make_communicator(Device::cpu());
    g_rank = comm->rank();
    expect(comm->world_size() == 1 || std::string(comm->backend()) == "mpi",
           fmt::format("backend {} for {} CPU ranks", comm->backend(), comm->world_size()));
    check_all_reduce(*comm);
    check_reduce_scatter(*comm);
    check_all_gather_of<float>(*comm, "f32");
    check_all_gather_of<double>(*comm, "f64");
    check_all_gather_of<int64_t>(*comm, "i64");
    check_broadcast_of<float>(*comm, "f32");
    check_broadcast_of<double>(*comm, "f64");
    check_broadcast_of<int64_t>(*comm, "i64");
    if (comm->world_size() > 1) check_errors(*comm);
    check_disjoint_data(*comm);
    comm->barrier();

    Tensor failures = Tensor::from_vector(std::vector<int64_t>{g_failures}, {1});
    comm->all_reduce(failures);
    const auto total = static_cast<int64_t>(failures.item());
    if (comm->rank() == 0)
      fmt::print("xlm_mpi_check: {} ranks, {} failed checks\n", comm->world_size(), total);
    return total == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rank {}: xlm_mpi_check: {}\n", g_rank, e.what());
    return 2;
  }
}
