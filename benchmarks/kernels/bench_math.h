// The host-only half of xlm_kernel_bench: statistics over timed runs, the
// useful-work formulas (FLOPs for compute-bound kernels, bytes for
// bandwidth-bound ones), the shape table, argument parsing and the JSON rows.
// It is kept apart from the CUDA half so that the unit tests check all of it
// on a machine without a GPU: a wrong formula here would silently make every
// GB/s and TFLOP/s figure of a GPU run wrong.
#pragma once

#include "core/dtype.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xlm::bench {

// ---- statistics over run times (milliseconds)
struct RunStats {
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  int runs = 0;
};
double median(std::vector<double> values);  // mean of the two middle values for an even count; throws on empty
RunStats summarize(const std::vector<double>& times_ms);

// ---- useful work
// Attention forward: two GEMMs of 2*Tq*Tk*D FLOPs per (batch, head); causal
// masking skips half of the score matrix.
double attention_forward_flops(int64_t batch, int64_t heads, int64_t tq, int64_t tk, int64_t head_dim, bool causal);
// Backward: five GEMMs against the forward's two (dV, dP, dS->dQ, dK, plus the
// recomputed scores): 2.5x the forward, the convention flash-attention papers use.
double attention_backward_flops(int64_t batch, int64_t heads, int64_t tq, int64_t tk, int64_t head_dim, bool causal);
double gemm_flops(int64_t m, int64_t n, int64_t k);  // 2*m*n*k

// Bytes each bandwidth-bound kernel must read plus write at least once
// (elem = the activations' element size; statistics are fp32).
double copy_bytes(int64_t bytes_copied);  // read + write
double gelu_forward_bytes(int64_t n, int64_t elem);
double gelu_backward_bytes(int64_t n, int64_t elem);
double layer_norm_forward_bytes(int64_t rows, int64_t cols, int64_t elem);
double layer_norm_backward_bytes(int64_t rows, int64_t cols, int64_t elem);
double masked_softmax_forward_bytes(int64_t rows, int64_t cols, int64_t elem);
double masked_softmax_backward_bytes(int64_t rows, int64_t cols, int64_t elem);
// Residual + dropout + layer norm (post-LN block): the forward reads x and f,
// the backward reads them again to rebuild z = x + dropout(f) (the mask is
// redrawn, never stored) and writes gradients for both; with a row factor
// (the padding mask) both also read its (rows,) values.
double residual_layer_norm_forward_bytes(int64_t rows, int64_t cols, int64_t elem, bool row_scale);
double residual_layer_norm_backward_bytes(int64_t rows, int64_t cols, int64_t elem, bool row_scale);
// y = gelu(x + b), b (cols,); the backward writes grad_x and grad_b.
double bias_gelu_forward_bytes(int64_t rows, int64_t cols, int64_t elem);
double bias_gelu_backward_bytes(int64_t rows, int64_t cols, int64_t elem);
// Adam over n fp32 parameters: read param, grad (grad_elem bytes each: 4, or
// 2 for the model's bf16/f16 gradients read directly), m, v; write param, m,
// v; plus the rounded copy (copy_elem bytes each, 0 for none).
double adam_update_bytes(int64_t n, int64_t grad_elem, int64_t copy_elem);
// The element count of each parameter tensor of an XLM encoder (learned
// positions, language embeddings when n_langs > 1, the output layer tied to
// the embeddings, FFN width 4 dim), in TransformerModel::parameters() order:
// the list the optimizer updates at every step.
std::vector<int64_t> xlm_encoder_parameter_sizes(int64_t layers, int64_t dim, int64_t n_words, int64_t positions,
                                                 int64_t n_langs);
// Cross-entropy: targets are i64, the per-row log-sum-exp fp32.
double cross_entropy_forward_bytes(int64_t rows, int64_t vocab, int64_t elem);
double cross_entropy_backward_bytes(int64_t rows, int64_t vocab, int64_t elem);

// ---- shapes
// One attention problem: q, k, v are (batch, seq, heads, head_dim).
struct AttentionShape {
  int64_t batch = 0;
  int64_t seq = 0;
  int64_t heads = 0;
  int64_t head_dim = 0;
  bool causal = false;
  std::string label() const;  // "B=64 T=256 H=16 D=64" (+ " causal")
};
// XLM's shape (64 streams x 256 tokens, hidden 1024, 8 and 16 heads), then
// T = 512, 1024, 2048 at the same 16384 tokens per batch, each non-causal
// (MLM/TLM) and causal (CLM).
std::vector<AttentionShape> attention_shapes();

// A (rows, cols) problem for the row-wise and elementwise kernels.
struct RowShape {
  int64_t rows = 0;
  int64_t cols = 0;
  std::string label() const;  // "N=16384 C=1024"
};
constexpr int64_t kTokens = 64 * 256;   // XLM's tokens per batch
constexpr int64_t kHidden = 1024;
constexpr int64_t kVocab = 64000;       // the order of XLM's en-fr BPE vocabulary

// ---- command line
struct BenchOptions {
  std::string json_path;             // --json: where the report goes ("" = none)
  std::string filter;                // --filter: keep kernels whose name contains it
  std::vector<DType> dtypes{DType::bf16, DType::f16, DType::f32};  // --dtypes bf16,f16,f32
  int warmup = 5;                    // --warmup: untimed runs first
  int runs = 30;                     // --runs: timed runs (the median is reported)
  int sets = 3;                      // --sets: input sets rotated between runs
  bool quick = false;                // --quick: XLM's shape only (a smoke run)
  bool list = false;                 // --list: print the rows' names and exit
  std::string commit = "unknown";    // --commit: recorded in the report
  std::string command;               // --command: recorded in the report
};
// args without the program name; throws ConfigError naming the flag.
BenchOptions parse_bench_args(const std::vector<std::string>& args);
std::string bench_usage();
// "bf16,fp16,f32": fp16/fp32 are accepted for f16/f32.
std::vector<DType> parse_dtype_list(const std::string& text);
bool matches_filter(const std::string& kernel, const std::string& filter);

// ---- rows and the report
// The measured ceilings every row is compared with.
struct Ceilings {
  double copy_gbps = 0;     // device-to-device copy, (read + write) bytes / s / 1e9
  double gemm_tflops = 0;   // cuBLAS bf16 GEMM, fp32 accumulation
};
struct BenchRow {
  std::string kernel;   // "attention_fwd", "layer_norm_bwd", ...
  std::string impl;     // "xlm", "xlm_unfused", "copy", "cudnn", "torch_flash", ...
  std::string shape;
  std::string dtype;    // dtype_name(): "bf16", "f16", "f32"
  double bytes = 0;     // > 0 for bandwidth-bound rows
  double flops = 0;     // > 0 for compute-bound rows
  RunStats stats;
};
double achieved_gbps(const BenchRow& row);    // 0 without bytes
double achieved_tflops(const BenchRow& row);  // 0 without flops
// FLOP rows compare with the GEMM ceiling, byte rows with the copy ceiling.
double ratio_to_ceiling(const BenchRow& row, const Ceilings& ceilings);

nlohmann::json row_json(const BenchRow& row, const Ceilings& ceilings);

// A row that could not run (unsupported dtype, missing library, out of memory).
struct SkippedRow {
  std::string kernel;
  std::string impl;
  std::string shape;
  std::string dtype;
  std::string reason;
};
// What the report records about the run besides its rows.
struct ReportMeta {
  std::string device;           // cudaDeviceProp::name
  std::string compute_capability;  // "9.0"
  int64_t l2_bytes = 0;
  int64_t flush_bytes = 0;
  std::string commit;
  std::string command;
  std::string date;             // UTC, ISO 8601
  BenchOptions options;
};
// {"program", "device", ..., "method", "ceilings", "rows": [...], "skipped": [...]}
nlohmann::json report_json(const ReportMeta& meta, const Ceilings& ceilings, const std::vector<BenchRow>& rows,
                           const std::vector<SkippedRow>& skipped);
std::string table_header();
std::string row_text(const BenchRow& row, const Ceilings& ceilings);  // one aligned line

}  // namespace xlm::bench
