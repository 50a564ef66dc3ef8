// See start_dump.h. Plain safetensors files (core/safetensors.h), so the
// reader on the other side needs only the format's few lines.
#include "tasks/bench/start_dump.h"

#include "core/error.h"
#include "core/safetensors.h"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>
#include <utility>

namespace xlm::tasks {

void dump_start(const std::string& dir, const nn::TransformerModel& model,
                const std::vector<objectives::LmBatch>& batches) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  XLM_CHECK(!ec, FormatError, "--dump_start {}: cannot create the directory ({})", dir, ec.message());
  save_safetensors((fs::path(dir) / "model.safetensors").string(), model.state_dict());
  for (size_t i = 0; i < batches.size(); ++i) {
    const objectives::LmBatch& b = batches[i];
    std::vector<std::pair<std::string, Tensor>> fields = {
        {"words", b.words}, {"lengths", b.lengths}, {"pred_index", b.pred_index}, {"targets", b.targets}};
    if (b.positions.defined()) fields.emplace_back("positions", b.positions);
    if (b.langs.defined()) fields.emplace_back("langs", b.langs);
    save_safetensors((fs::path(dir) / fmt::format("batch{}.safetensors", i)).string(), fields);
  }
}

}  // namespace xlm::tasks
