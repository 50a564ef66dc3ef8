// The host-side arithmetic of xlm_kernel_bench, checked here because no GPU
// run can tell a wrong FLOP or byte formula from a slow kernel: every figure
// below is worked out by hand from the formula's definition.
#include "benchmarks/kernels/bench_math.h"

#include "core/error.h"
#include "nn/transformer.h"
#include "support.h"

#include <catch2/catch.hpp>

using namespace xlm;
using namespace xlm::bench;

TEST_CASE("kernel bench: median and run statistics", "[bench]") {
  CHECK(median({3.0}) == 3.0);
  CHECK(median({5.0, 1.0, 3.0}) == 3.0);
  CHECK(median({4.0, 1.0, 3.0, 2.0}) == 2.5);  // mean of the two middle values
  XLM_CHECK_THROWS(median({}), ConfigError, "no values");
  const RunStats s = summarize({0.9, 0.5, 2.0, 0.7, 0.6});
  CHECK(s.median_ms == 0.7);
  CHECK(s.min_ms == 0.5);
  CHECK(s.max_ms == 2.0);
  CHECK(s.runs == 5);
}

TEST_CASE("kernel bench: attention FLOPs (4 B H Tq Tk D, halved when causal, backward 2.5x)", "[bench]") {
  // XLM's shape: B=64, H=16, T=256, D=64 -> 4 * 64 * 16 * 256 * 256 * 64.
  const double full = 4.0 * 64 * 16 * 256 * 256 * 64;
  CHECK(attention_forward_flops(64, 16, 256, 256, 64, false) == full);
  CHECK(full == 17179869184.0);
  CHECK(attention_forward_flops(64, 16, 256, 256, 64, true) == full / 2);
  CHECK(attention_backward_flops(64, 16, 256, 256, 64, false) == 2.5 * full);
  CHECK(attention_backward_flops(64, 16, 256, 256, 64, true) == 1.25 * full);
  // Tq != Tk enters as the product.
  CHECK(attention_forward_flops(1, 1, 3, 5, 7, false) == 4.0 * 3 * 5 * 7);
  CHECK(gemm_flops(8192, 8192, 8192) == 2.0 * 8192.0 * 8192.0 * 8192.0);
  CHECK(gemm_flops(2, 3, 4) == 48.0);
}

TEST_CASE("kernel bench: bytes moved by each bandwidth-bound kernel", "[bench]") {
  CHECK(copy_bytes(1000) == 2000.0);
  // GELU: read x, write y; backward reads x and gy, writes gx.
  CHECK(gelu_forward_bytes(10, 2) == 40.0);
  CHECK(gelu_backward_bytes(10, 2) == 60.0);
  // Layer norm (rows 4, cols 8, bf16): x and y 2*4*8*2 = 128, gamma and beta
  // 2*8*2 = 32, fp32 mean and rstd 2*4*4 = 32.
  CHECK(layer_norm_forward_bytes(4, 8, 2) == 128.0 + 32.0 + 32.0);
  // Backward: x, gy, gx 3*4*8*2 = 192; gamma, grad_gamma, grad_beta 3*8*2 = 48; stats 32.
  CHECK(layer_norm_backward_bytes(4, 8, 2) == 192.0 + 48.0 + 32.0);
  // Masked softmax: scores in, y out; backward y and gy in, grad out.
  CHECK(masked_softmax_forward_bytes(6, 5, 4) == 240.0);
  CHECK(masked_softmax_backward_bytes(6, 5, 4) == 360.0);
  // Residual layer norm (rows 4, cols 8, bf16): x, f, y 3*4*8*2 = 192; gamma,
  // beta 32; stats 32. Backward: x, f, gy, grad_x, grad_f 5*64 = 320; gamma,
  // grad_gamma, grad_beta 48; stats 32.
  CHECK(residual_layer_norm_forward_bytes(4, 8, 2, false) == 192.0 + 32.0 + 32.0);
  CHECK(residual_layer_norm_backward_bytes(4, 8, 2, false) == 320.0 + 48.0 + 32.0);
  // The row factor (the padding mask) adds its 4 rows x 2 bytes each way.
  CHECK(residual_layer_norm_forward_bytes(4, 8, 2, true) == 192.0 + 32.0 + 32.0 + 8.0);
  CHECK(residual_layer_norm_backward_bytes(4, 8, 2, true) == 320.0 + 48.0 + 32.0 + 8.0);
  // Bias GELU (rows 4, cols 8, f32): x, y 2*128 = 256 + b 32; backward x, gy,
  // grad_x 384 + b, grad_b 64.
  CHECK(bias_gelu_forward_bytes(4, 8, 4) == 256.0 + 32.0);
  CHECK(bias_gelu_backward_bytes(4, 8, 4) == 384.0 + 64.0);
  // Adam: 6 fp32 accesses per parameter (param, m, v read and written: 24
  // bytes) and the gradient (4 in fp32, 2 in bf16), + 2 for a bf16 copy.
  CHECK(adam_update_bytes(10, 4, 0) == 280.0);
  CHECK(adam_update_bytes(10, 4, 2) == 300.0);
  CHECK(adam_update_bytes(10, 2, 2) == 280.0);
  // Cross-entropy (rows 3, vocab 10, f16): logits 60, i64 targets 24, fp32 lse 12.
  CHECK(cross_entropy_forward_bytes(3, 10, 2) == 60.0 + 24.0 + 12.0);
  CHECK(cross_entropy_backward_bytes(3, 10, 2) == 120.0 + 24.0 + 12.0);
}

TEST_CASE("kernel bench: the shape table holds XLM's shape and the long sequences", "[bench]") {
  const std::vector<AttentionShape> shapes = attention_shapes();
  REQUIRE(shapes.size() == 16);  // T in {256, 512, 1024, 2048} x H in {8, 16} x {full, causal}
  CHECK(shapes[0].label() == "B=64 T=256 H=8 D=128");
  CHECK(shapes[1].label() == "B=64 T=256 H=8 D=128 causal");
  CHECK(shapes[2].label() == "B=64 T=256 H=16 D=64");
  CHECK(shapes.back().label() == "B=8 T=2048 H=16 D=64 causal");
  for (const AttentionShape& s : shapes) {
    CHECK(s.batch * s.seq == kTokens);    // same tokens per batch at every length
    CHECK(s.heads * s.head_dim == kHidden);
  }
  CHECK(RowShape{16384, 1024}.label() == "N=16384 C=1024");
}

TEST_CASE("kernel bench: command line", "[bench]") {
  const BenchOptions d = parse_bench_args({});
  CHECK(d.json_path.empty());
  CHECK(d.dtypes == std::vector<DType>{DType::bf16, DType::f16, DType::f32});
  CHECK(d.runs == 30);
  CHECK(d.warmup == 5);
  CHECK(d.sets == 3);
  CHECK_FALSE(d.quick);

  const BenchOptions o = parse_bench_args({"--json", "out.json", "--filter", "attention", "--dtypes", "fp16,bf16",
                                           "--runs", "7", "--warmup", "0", "--sets", "2", "--quick", "--commit",
                                           "abc123", "--command", "run it", "--list"});
  CHECK(o.json_path == "out.json");
  CHECK(o.filter == "attention");
  CHECK(o.dtypes == std::vector<DType>{DType::f16, DType::bf16});
  CHECK(o.runs == 7);
  CHECK(o.warmup == 0);
  CHECK(o.sets == 2);
  CHECK(o.quick);
  CHECK(o.list);
  CHECK(o.commit == "abc123");
  CHECK(o.command == "run it");

  XLM_CHECK_THROWS(parse_bench_args({"--runs", "0"}), ConfigError, "--runs", "'0'");
  XLM_CHECK_THROWS(parse_bench_args({"--runs", "5x"}), ConfigError, "--runs", "'5x'");
  XLM_CHECK_THROWS(parse_bench_args({"--sets"}), ConfigError, "--sets", "expected a value");
  XLM_CHECK_THROWS(parse_bench_args({"--dtypes", "f64"}), ConfigError, "--dtypes", "'f64'");
  XLM_CHECK_THROWS(parse_bench_args({"--dtypes", ","}), ConfigError, "--dtypes");
  XLM_CHECK_THROWS(parse_bench_args({"--fast"}), ConfigError, "unknown argument '--fast'");
  CHECK(parse_dtype_list("f32,fp32,bf16") == std::vector<DType>{DType::f32, DType::bf16});

  CHECK(matches_filter("layer_norm_fwd", ""));
  CHECK(matches_filter("layer_norm_fwd", "norm"));
  CHECK_FALSE(matches_filter("gelu_fwd", "norm"));
}

TEST_CASE("kernel bench: rates, ratios to the ceilings and the JSON rows", "[bench]") {
  const Ceilings ceilings{2000.0, 500.0};
  BenchRow bw{"gelu_fwd", "xlm", "N=4 C=4", "bf16", 3.0e9, 0, {}};
  bw.stats = summarize({2.0, 2.0, 2.0});  // 3 GB in 2 ms = 1500 GB/s
  CHECK(achieved_gbps(bw) == Approx(1500.0));
  CHECK(achieved_tflops(bw) == 0.0);
  CHECK(ratio_to_ceiling(bw, ceilings) == Approx(0.75));

  BenchRow fl{"attention_fwd", "xlm", "B=1 T=2 H=3 D=4", "f16", 0, 4.0e12, {}};
  fl.stats = summarize({10.0});  // 4 TFLOP in 10 ms = 400 TFLOP/s
  CHECK(achieved_tflops(fl) == Approx(400.0));
  CHECK(ratio_to_ceiling(fl, ceilings) == Approx(0.8));
  CHECK(ratio_to_ceiling(fl, Ceilings{}) == 0.0);  // no ceiling measured: no ratio

  const nlohmann::json j = row_json(bw, ceilings);
  CHECK(j["kernel"] == "gelu_fwd");
  CHECK(j["impl"] == "xlm");
  CHECK(j["shape"] == "N=4 C=4");
  CHECK(j["dtype"] == "bf16");
  CHECK(j["median_ms"].get<double>() == 2.0);
  CHECK(j["runs"] == 3);
  CHECK(j["ceiling"] == "copy");
  CHECK(j["gbps"].get<double>() == Approx(1500.0));
  CHECK_FALSE(j.contains("tflops"));
  const nlohmann::json jf = row_json(fl, ceilings);
  CHECK(jf["ceiling"] == "gemm_bf16");
  CHECK(jf["tflops"].get<double>() == Approx(400.0));
  CHECK(jf["ratio_to_ceiling"].get<double>() == Approx(0.8));

  const std::string line = row_text(fl, ceilings);
  CHECK(line.find("attention_fwd") == 0);
  CHECK(line.find("400.0 TFLOP/s") != std::string::npos);
  CHECK(line.find("80.0%") != std::string::npos);
  CHECK(row_text(bw, ceilings).find("1500 GB/s") != std::string::npos);
  CHECK(table_header().find("median ms") != std::string::npos);

  ReportMeta meta;
  meta.device = "Test GPU";
  meta.commit = "abc";
  meta.options = parse_bench_args({"--dtypes", "bf16", "--runs", "3"});
  const nlohmann::json report =
      report_json(meta, ceilings, {bw, fl}, {{"attention_fwd", "cudnn", "all", "all", "not built"}});
  CHECK(report["program"] == "xlm_kernel_bench");
  CHECK(report["device"] == "Test GPU");
  CHECK(report["commit"] == "abc");
  CHECK(report["method"]["runs"] == 3);
  CHECK(report["method"]["dtypes"] == nlohmann::json::array({"bf16"}));
  CHECK(report["ceilings"]["copy_gbps"].get<double>() == 2000.0);
  CHECK(report["ceilings"]["gemm_bf16_tflops"].get<double>() == 500.0);
  REQUIRE(report["rows"].size() == 2);
  CHECK(report["rows"][1]["kernel"] == "attention_fwd");
  REQUIRE(report["skipped"].size() == 1);
  CHECK(report["skipped"][0]["reason"] == "not built");
}

TEST_CASE("kernel bench: the Adam rows' parameter list is the model's", "[bench]") {
  for (const int64_t n_langs : {1, 3}) {
    xlm::nn::TransformerConfig config;
    config.n_layers = 2;
    config.emb_dim = 16;
    config.n_heads = 2;
    config.n_words = 37;
    config.n_langs = n_langs;
    config.max_positions = 24;
    const xlm::nn::TransformerModel model(config, 1);
    std::vector<int64_t> want;
    for (const auto& [name, p] : model.parameters()) want.push_back(p.numel());
    CHECK(xlm_encoder_parameter_sizes(2, 16, 37, 24, n_langs) == want);
  }
  // The enfr shape the bench times: 6 layers of 12.6M, the 64k x 1024 embeddings and 512 positions.
  int64_t total = 0;
  for (int64_t n : xlm_encoder_parameter_sizes(6, 1024, 64000, 512, 2)) total += n;
  CHECK(total == 6 * (4 * (1024 * 1024 + 1024) + 2 * 4 * 1024 * 1024 + 4 * 1024 + 1024 + 4 * 1024) +
                     (512 + 2 + 64000) * 1024 + 2 * 1024 + 64000);
}
