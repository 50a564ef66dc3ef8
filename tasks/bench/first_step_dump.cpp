// See first_step_dump.h. Plain safetensors files (core/safetensors.h), so the
// reader on the other side needs only the format's few lines.
#include "tasks/bench/first_step_dump.h"

#include "core/error.h"
#include "core/safetensors.h"

#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace xlm::tasks {

void dump_first_step(const std::string& dir, const nn::TransformerModel& model, const objectives::LmBatch& batch) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  XLM_CHECK(!ec, FormatError, "--dump_first_step {}: cannot create the directory ({})", dir, ec.message());
  save_safetensors((fs::path(dir) / "model.safetensors").string(), model.state_dict());
  std::vector<std::pair<std::string, Tensor>> fields = {
      {"words", batch.words}, {"lengths", batch.lengths}, {"pred_index", batch.pred_index}, {"targets", batch.targets}};
  if (batch.positions.defined()) fields.emplace_back("positions", batch.positions);
  if (batch.langs.defined()) fields.emplace_back("langs", batch.langs);
  save_safetensors((fs::path(dir) / "batch.safetensors").string(), fields);
}

}  // namespace xlm::tasks
