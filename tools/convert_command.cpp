// `xlm convert SRC DST [--to xlm|hf]`: our model directory <-> a Hugging Face
// XLM directory, and an original XLM .pth -> ours (tasks/convert). The source
// layout is detected; notes on what was adjusted go to stderr, one per line.
// The .pth helper is a Python script shipped in the source tree; by default it
// is looked up beside the binary's build folder (../tools/convert/).
#include "core/error.h"
#include "tasks/convert/convert.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace xlm::tools {

namespace {

struct ConvertArgs {
  std::string src;
  std::string dst;
  std::string to = "xlm";
  std::string pth_helper;
  std::string codes;
};

std::string default_pth_helper() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "tools/convert/pth_to_safetensors.py";
  return (exe.parent_path().parent_path() / "tools" / "convert" / "pth_to_safetensors.py").string();
}

void run_convert(const ConvertArgs& args) {
  const tasks::ModelLayout layout = tasks::detect_model_layout(args.src);
  XLM_CHECK(args.codes.empty() || layout == tasks::ModelLayout::pth, ConfigError,
            "--codes: only for a .pth source (directories carry their own codes)");
  tasks::ConvertReport report;
  if (args.to == "hf") {
    report = tasks::convert_to_hf(args.src, args.dst);
  } else if (layout == tasks::ModelLayout::pth) {
    report = tasks::convert_pth_to_xlm(args.src, args.dst,
                                       args.pth_helper.empty() ? default_pth_helper() : args.pth_helper, args.codes);
  } else {
    report = tasks::convert_to_xlm(args.src, args.dst, args.pth_helper.empty() ? default_pth_helper() : args.pth_helper);
  }
  for (const std::string& note : report.notes) fmt::print(stderr, "note: {}\n", note);
  fmt::print(stderr, "wrote {} ({} layout)\n", args.dst, args.to == "hf" ? "Hugging Face" : "xlm");
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert", "Convert a model: ours <-> Hugging Face XLM, original .pth -> ours");
  cmd->add_option("SRC", args->src, "our model directory, a Hugging Face XLM directory, or an XLM .pth")->required();
  cmd->add_option("DST", args->dst, "output directory")->required();
  cmd->add_option("--to", args->to, "output layout")->check(CLI::IsMember({"xlm", "hf"}))->capture_default_str();
  cmd->add_option("--pth_helper", args->pth_helper,
                  "torch helper for .pth and pytorch_model.bin (default: ../tools/convert/pth_to_safetensors.py from the binary)");
  cmd->add_option("--codes", args->codes, "BPE codes to put in the model directory (a .pth holds none)");
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace xlm::tools
