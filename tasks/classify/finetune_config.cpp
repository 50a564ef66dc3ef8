// See finetune_config.h. Optimizer strings are parsed here too, so a typo in
// --optimizer_p fails before the model is loaded.
#include "tasks/classify/finetune_config.h"

#include "core/error.h"
#include "nn/optimizer_parse.h"

#include <string>

namespace xlm::tasks {

namespace {

// parse_optimizer_spec names "--optimizer" in its errors; name the real flag.
void check_optimizer(const std::string& spec, const std::string& flag) {
  try {
    nn::parse_optimizer_spec(spec);
  } catch (const ConfigError& e) {
    std::string message = e.what();
    const std::string generic = "--optimizer";
    if (message.rfind(generic, 0) == 0) message.replace(0, generic.size(), flag);
    else message = flag + ": " + message;
    throw ConfigError(message);
  }
}

}  // namespace

void FinetuneConfig::validate() const {
  XLM_CHECK(!model_path.empty(), ConfigError, "--model_path: required (a model directory)");
  XLM_CHECK(!data_path.empty(), ConfigError, "--data_path: required (the task's data folder)");
  XLM_CHECK(task == "topics" || task == "xnli", ConfigError, "--task {}: expected topics or xnli", task);
  XLM_CHECK(dropout >= 0 && dropout < 1, ConfigError, "--dropout {}: expected a value in [0, 1)", dropout);
  XLM_CHECK(batch_size >= 1, ConfigError, "--batch_size {}: expected a positive integer", batch_size);
  XLM_CHECK(n_epochs >= 1, ConfigError, "--n_epochs {}: expected a positive integer", n_epochs);
  XLM_CHECK(epoch_size == -1 || epoch_size >= 1, ConfigError, "--epoch_size {}: expected -1 or a positive integer",
            epoch_size);
  XLM_CHECK(max_len >= 2, ConfigError, "--max_len {}: expected at least 2", max_len);
  check_optimizer(optimizer_e, "--optimizer_e");
  check_optimizer(optimizer_p, "--optimizer_p");
}

nlohmann::json FinetuneConfig::to_json() const {
  return {{"dump_path", dump_path},
          {"exp_name", exp_name},
          {"exp_id", exp_id},
          {"model_path", model_path},
          {"task", task},
          {"data_path", data_path},
          {"optimizer_e", optimizer_e},
          {"optimizer_p", optimizer_p},
          {"finetune_layers", finetune_layers},
          {"dropout", dropout},
          {"batch_size", batch_size},
          {"n_epochs", n_epochs},
          {"epoch_size", epoch_size},
          {"max_len", max_len},
          {"lowercase_and_remove_accent", lowercase_and_remove_accent},
          {"device", device},
          {"seed", seed}};
}

}  // namespace xlm::tasks
