// Host-only parts of xlm_kernel_bench (see bench_math.h). Plain arithmetic
// and string handling, so the unit tests pin every formula and format.
#include "benchmarks/kernels/bench_math.h"

#include "core/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace xlm::bench {

double median(std::vector<double> values) {
  XLM_CHECK(!values.empty(), ConfigError, "median: no values");
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

RunStats summarize(const std::vector<double>& times_ms) {
  RunStats s;
  s.median_ms = median(times_ms);
  s.min_ms = *std::min_element(times_ms.begin(), times_ms.end());
  s.max_ms = *std::max_element(times_ms.begin(), times_ms.end());
  s.runs = static_cast<int>(times_ms.size());
  return s;
}

double attention_forward_flops(int64_t batch, int64_t heads, int64_t tq, int64_t tk, int64_t head_dim, bool causal) {
  const double full = 4.0 * static_cast<double>(batch) * heads * tq * tk * head_dim;
  return causal ? full / 2 : full;
}

double attention_backward_flops(int64_t batch, int64_t heads, int64_t tq, int64_t tk, int64_t head_dim, bool causal) {
  return 2.5 * attention_forward_flops(batch, heads, tq, tk, head_dim, causal);
}

double gemm_flops(int64_t m, int64_t n, int64_t k) { return 2.0 * static_cast<double>(m) * n * k; }

double copy_bytes(int64_t bytes_copied) { return 2.0 * static_cast<double>(bytes_copied); }

// y = gelu(x): read x, write y.
double gelu_forward_bytes(int64_t n, int64_t elem) { return 2.0 * static_cast<double>(n) * elem; }
// gx = gy * gelu'(x): read x and gy, write gx.
double gelu_backward_bytes(int64_t n, int64_t elem) { return 3.0 * static_cast<double>(n) * elem; }

// Read x (rows, cols), gamma and beta (cols); write y (rows, cols) and the
// fp32 mean and rstd (rows).
double layer_norm_forward_bytes(int64_t rows, int64_t cols, int64_t elem) {
  const double r = static_cast<double>(rows);
  return 2.0 * r * cols * elem + 2.0 * cols * elem + 2.0 * r * 4;
}

// Read x and gy (rows, cols), gamma (cols), mean and rstd (rows, fp32);
// write gx (rows, cols), grad_gamma and grad_beta (cols).
double layer_norm_backward_bytes(int64_t rows, int64_t cols, int64_t elem) {
  const double r = static_cast<double>(rows);
  return 3.0 * r * cols * elem + 3.0 * cols * elem + 2.0 * r * 4;
}

// Read scores, write y (the key lengths are a few bytes per batch row).
double masked_softmax_forward_bytes(int64_t rows, int64_t cols, int64_t elem) {
  return 2.0 * static_cast<double>(rows) * cols * elem;
}
// Read y and gy, write the scores' gradient.
double masked_softmax_backward_bytes(int64_t rows, int64_t cols, int64_t elem) {
  return 3.0 * static_cast<double>(rows) * cols * elem;
}

// Read x and f (rows, cols), gamma and beta (and the row factor); write y and
// the fp32 statistics.
double residual_layer_norm_forward_bytes(int64_t rows, int64_t cols, int64_t elem, bool row_scale) {
  const double r = static_cast<double>(rows);
  return 3.0 * r * cols * elem + 2.0 * cols * elem + 2.0 * r * 4 + (row_scale ? r * elem : 0.0);
}
// Read x, f, gy (rows, cols), gamma, the statistics (and the row factor);
// write grad_x, grad_f (rows, cols), grad_gamma and grad_beta.
double residual_layer_norm_backward_bytes(int64_t rows, int64_t cols, int64_t elem, bool row_scale) {
  const double r = static_cast<double>(rows);
  return 5.0 * r * cols * elem + 3.0 * cols * elem + 2.0 * r * 4 + (row_scale ? r * elem : 0.0);
}

// Read x (rows, cols) and b (cols); write y.
double bias_gelu_forward_bytes(int64_t rows, int64_t cols, int64_t elem) {
  return 2.0 * static_cast<double>(rows) * cols * elem + static_cast<double>(cols) * elem;
}
// Read x, gy and b; write grad_x and grad_b.
double bias_gelu_backward_bytes(int64_t rows, int64_t cols, int64_t elem) {
  return 3.0 * static_cast<double>(rows) * cols * elem + 2.0 * static_cast<double>(cols) * elem;
}

double adam_update_bytes(int64_t n, int64_t grad_elem, int64_t copy_elem) {
  return static_cast<double>(n) * (6 * 4 + grad_elem + copy_elem);
}

std::vector<int64_t> xlm_encoder_parameter_sizes(int64_t layers, int64_t dim, int64_t n_words, int64_t positions,
                                                 int64_t n_langs) {
  std::vector<int64_t> sizes{positions * dim};
  if (n_langs > 1) sizes.push_back(n_langs * dim);
  sizes.push_back(n_words * dim);  // the embeddings, also the output layer's weight
  const auto linear = [&](int64_t in, int64_t out) {
    sizes.push_back(out * in);
    sizes.push_back(out);
  };
  const auto layer_norm = [&] { linear(1, dim); };  // weight and bias, (dim,) each
  layer_norm();                                     // layer_norm_emb
  for (int64_t i = 0; i < layers; ++i)
    for (int q = 0; q < 4; ++q) linear(dim, dim);  // q, k, v, out
  for (int64_t i = 0; i < layers; ++i) layer_norm();
  for (int64_t i = 0; i < layers; ++i) {
    linear(dim, 4 * dim);
    linear(4 * dim, dim);
  }
  for (int64_t i = 0; i < layers; ++i) layer_norm();
  sizes.push_back(n_words);  // the output layer's bias
  return sizes;
}

// Read logits (rows, vocab) and targets (rows, i64); write lse (rows, fp32).
// The loss itself is 4 bytes.
double cross_entropy_forward_bytes(int64_t rows, int64_t vocab, int64_t elem) {
  const double r = static_cast<double>(rows);
  return r * vocab * elem + r * 8 + r * 4;
}
// Read logits, targets and lse; write grad_logits (rows, vocab).
double cross_entropy_backward_bytes(int64_t rows, int64_t vocab, int64_t elem) {
  const double r = static_cast<double>(rows);
  return 2.0 * r * vocab * elem + r * 8 + r * 4;
}

std::string AttentionShape::label() const {
  return fmt::format("B={} T={} H={} D={}{}", batch, seq, heads, head_dim, causal ? " causal" : "");
}

std::vector<AttentionShape> attention_shapes() {
  std::vector<AttentionShape> shapes;
  for (int64_t seq : {256, 512, 1024, 2048}) {
    for (int64_t heads : {8, 16}) {
      for (bool causal : {false, true}) {
        shapes.push_back({kTokens / seq, seq, heads, kHidden / heads, causal});
      }
    }
  }
  return shapes;
}

std::string RowShape::label() const { return fmt::format("N={} C={}", rows, cols); }

std::vector<DType> parse_dtype_list(const std::string& text) {
  std::vector<DType> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "fp16") item = "f16";
    if (item == "fp32") item = "f32";
    XLM_CHECK(item == "bf16" || item == "f16" || item == "f32", ConfigError,
              "--dtypes: '{}' is not one of bf16, f16 (fp16), f32 (fp32)", item);
    const DType t = parse_dtype(item);
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  XLM_CHECK(!out.empty(), ConfigError, "--dtypes: expected a comma-separated list such as bf16,f16,f32, got '{}'",
            text);
  return out;
}

bool matches_filter(const std::string& kernel, const std::string& filter) {
  return filter.empty() || kernel.find(filter) != std::string::npos;
}

std::string bench_usage() {
  return "usage: xlm_kernel_bench [--json PATH] [--filter TEXT] [--dtypes bf16,f16,f32] [--warmup N]\n"
         "                        [--runs N] [--sets N] [--quick] [--list] [--commit SHA] [--command TEXT]\n";
}

namespace {
int parse_count(const std::string& flag, const std::string& value, int min) {
  char* end = nullptr;
  const long v = std::strtol(value.c_str(), &end, 10);
  XLM_CHECK(!value.empty() && end && *end == '\0' && v >= min && v <= 1000000, ConfigError,
            "{}: expected an integer >= {}, got '{}'", flag, min, value);
  return static_cast<int>(v);
}
}  // namespace

BenchOptions parse_bench_args(const std::vector<std::string>& args) {
  BenchOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--quick") { o.quick = true; continue; }
    if (flag == "--list") { o.list = true; continue; }
    XLM_CHECK(flag == "--json" || flag == "--filter" || flag == "--dtypes" || flag == "--warmup" ||
                  flag == "--runs" || flag == "--sets" || flag == "--commit" || flag == "--command",
              ConfigError, "xlm_kernel_bench: unknown argument '{}'\n{}", flag, bench_usage());
    XLM_CHECK(i + 1 < args.size(), ConfigError, "{}: expected a value after it", flag);
    const std::string& value = args[++i];
    if (flag == "--json") o.json_path = value;
    else if (flag == "--filter") o.filter = value;
    else if (flag == "--dtypes") o.dtypes = parse_dtype_list(value);
    else if (flag == "--warmup") o.warmup = parse_count(flag, value, 0);
    else if (flag == "--runs") o.runs = parse_count(flag, value, 1);
    else if (flag == "--sets") o.sets = parse_count(flag, value, 1);
    else if (flag == "--commit") o.commit = value;
    else o.command = value;
  }
  return o;
}

double achieved_gbps(const BenchRow& row) {
  if (row.bytes <= 0 || row.stats.median_ms <= 0) return 0;
  return row.bytes / (row.stats.median_ms * 1e-3) / 1e9;
}

double achieved_tflops(const BenchRow& row) {
  if (row.flops <= 0 || row.stats.median_ms <= 0) return 0;
  return row.flops / (row.stats.median_ms * 1e-3) / 1e12;
}

double ratio_to_ceiling(const BenchRow& row, const Ceilings& ceilings) {
  if (row.flops > 0) return ceilings.gemm_tflops > 0 ? achieved_tflops(row) / ceilings.gemm_tflops : 0;
  return ceilings.copy_gbps > 0 ? achieved_gbps(row) / ceilings.copy_gbps : 0;
}

nlohmann::json row_json(const BenchRow& row, const Ceilings& ceilings) {
  nlohmann::json j;
  j["kernel"] = row.kernel;
  j["impl"] = row.impl;
  j["shape"] = row.shape;
  j["dtype"] = row.dtype;
  j["median_ms"] = row.stats.median_ms;
  j["min_ms"] = row.stats.min_ms;
  j["max_ms"] = row.stats.max_ms;
  j["runs"] = row.stats.runs;
  if (row.flops > 0) {
    j["flops"] = row.flops;
    j["tflops"] = achieved_tflops(row);
    j["ceiling"] = "gemm_bf16";
  } else {
    j["bytes"] = row.bytes;
    j["gbps"] = achieved_gbps(row);
    j["ceiling"] = "copy";
  }
  j["ratio_to_ceiling"] = ratio_to_ceiling(row, ceilings);
  return j;
}

nlohmann::json report_json(const ReportMeta& meta, const Ceilings& ceilings, const std::vector<BenchRow>& rows,
                           const std::vector<SkippedRow>& skipped) {
  nlohmann::json j;
  j["program"] = "xlm_kernel_bench";
  j["device"] = meta.device;
  j["compute_capability"] = meta.compute_capability;
  j["commit"] = meta.commit;
  j["command"] = meta.command;
  j["date"] = meta.date;
  std::vector<std::string> dtypes;
  for (DType t : meta.options.dtypes) dtypes.emplace_back(dtype_name(t));
  j["method"] = {{"timer", "CUDA events around each run"},
                 {"warmup", meta.options.warmup},
                 {"runs", meta.options.runs},
                 {"input_sets", meta.options.sets},
                 {"l2_bytes", meta.l2_bytes},
                 {"l2_flush_bytes", meta.flush_bytes},
                 {"statistic", "median"},
                 {"dtypes", dtypes},
                 {"quick", meta.options.quick},
                 {"filter", meta.options.filter}};
  j["ceilings"] = {{"copy_gbps", ceilings.copy_gbps}, {"gemm_bf16_tflops", ceilings.gemm_tflops}};
  j["rows"] = nlohmann::json::array();
  for (const BenchRow& r : rows) j["rows"].push_back(row_json(r, ceilings));
  j["skipped"] = nlohmann::json::array();
  for (const SkippedRow& s : skipped) {
    j["skipped"].push_back(
        {{"kernel", s.kernel}, {"impl", s.impl}, {"shape", s.shape}, {"dtype", s.dtype}, {"reason", s.reason}});
  }
  return j;
}

std::string table_header() {
  return fmt::format("{:<26} {:<12} {:<30} {:<5} {:>10} {:>14} {:>8}", "kernel", "impl", "shape", "dtype",
                     "median ms", "rate", "ceiling");
}

std::string row_text(const BenchRow& row, const Ceilings& ceilings) {
  const std::string rate = row.flops > 0 ? fmt::format("{:.1f} TFLOP/s", achieved_tflops(row))
                                         : fmt::format("{:.0f} GB/s", achieved_gbps(row));
  return fmt::format("{:<26} {:<12} {:<30} {:<5} {:>10.4f} {:>14} {:>7.1f}%", row.kernel, row.impl, row.shape,
                     row.dtype, row.stats.median_ms, rate, 100.0 * ratio_to_ceiling(row, ceilings));
}

}  // namespace xlm::bench
