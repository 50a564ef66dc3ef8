// Entry point of the `xlm` command: builds the CLI11 app from the subcommand
// list in tools/commands.def, runs it, and turns every xlm::Error into one
// line on stderr and a non-zero exit status (library code never exits).
// SIGXFSZ is ignored so that hitting the file-size limit (ulimit -f) makes
// write() fail with EFBIG, which the writers report as a one-line error with
// the previous checkpoint intact, instead of killing the process mid-save.
// The CPU thread libraries' environment defaults (core/cpu_thread_env.h) are
// set first, and applied by executing the program again: libgomp and OpenBLAS
// read them only when loaded. Setting any of those variables yourself skips
// the defaults it covers; setting all of them skips the second exec.
#include "core/build_info.h"
#include "core/cpu_thread_env.h"
#include "core/error.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <exception>

namespace xlm::tools {
#define XLM_COMMAND(name) void add_##name##_command(CLI::App& app);
#include "tools/commands.def"
#undef XLM_COMMAND
}  // namespace xlm::tools

int main(int argc, char** argv) {
  xlm::apply_cpu_thread_env_defaults(argv);
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"xlm: cross-lingual language model pretraining (XLM) in C++/CUDA"};
  app.name("xlm");
  bool show_version = false;
  app.add_flag("--version", show_version, "Print version, build options and visible GPUs");
#define XLM_COMMAND(name) xlm::tools::add_##name##_command(app);
#include "tools/commands.def"
#undef XLM_COMMAND
  try {
    app.parse(argc, argv);
    if (show_version) {
      fmt::print("{}", xlm::build_report());
      return 0;
    }
    if (app.get_subcommands().empty()) {
      fmt::print("{}", app.help());
      return 2;
    }
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line naming the flag, like every other error (CLI11's own report adds a second line).
    fmt::print(stderr, "xlm: error: {} (see {} --help)\n", e.what(), argc > 1 ? fmt::format("xlm {}", argv[1]) : "xlm");
    return 2;
  } catch (const xlm::Error& e) {
    fmt::print(stderr, "xlm: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "xlm: internal error: {}\n", e.what());
    return 3;
  }
  return 0;
}
