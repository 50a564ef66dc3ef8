// Shared fixtures of the nn tests: tiny configs (emb_dim 8, 2 heads, vocab 20)
// so every forward runs in microseconds, host-built id tensors, and a
// self-removing temporary directory.
#pragma once

#include "nn/transformer.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace xlm::nntest {

inline nn::TransformerConfig tiny_config(bool decoder = false) {
  nn::TransformerConfig c;
  c.n_words = 20;
  c.emb_dim = 8;
  c.n_layers = 2;
  c.n_heads = 2;
  c.n_langs = 2;
  c.id2lang = {"en", "fr"};
  c.dropout = 0.1;
  c.attention_dropout = 0.1;
  c.max_positions = 16;
  c.is_decoder = decoder;
  return c;
}

inline Tensor ids(const std::vector<int64_t>& values, const Shape& shape) {
  return Tensor::from_vector(values, shape);
}

// (B=2, T=5) batch: the second sentence has 3 words then <pad> (2).
struct TinyBatch {
  Tensor words = ids({0, 10, 19, 7, 1, 0, 4, 10, 2, 2}, {2, 5});
  Tensor lengths = ids({5, 3}, {2});
  Tensor langs = ids({0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, {2, 5});
};

inline Tensor random_tensor(const Shape& shape, uint64_t seed, DType dtype) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (double& x : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = static_cast<double>(s % 20001) / 10000.0 - 1.0;  // [-1, 1]
  }
  return Tensor::from_doubles(v, shape, dtype);
}

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("xlm-test-nn-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace xlm::nntest
