// Every setting of `xlm finetune`, named as XLM's glue-xnli.py names them
// (--optimizer_e, --optimizer_p, --finetune_layers, --dropout, --batch_size,
// --n_epochs, --epoch_size, --max_len) so that a command line written for the
// original reads the same here. Defaults follow glue-xnli.py except
// --dropout (0.1 here, 0 there). Settings XLM does not have are marked.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace xlm::tasks {

struct FinetuneConfig {
  std::string dump_path = "./dumped/";
  std::string exp_name = "finetune";
  std::string exp_id;                 // "" = a hash of the configuration (tasks/run/run_dir.h)
  std::string model_path;             // a model directory (nn/model_dir.h); XLM: a .pth
  std::string task = "topics";        // ours: topics | xnli
  std::string data_path;              // the task's folder (docs/tasks.md)
  std::string optimizer_e = "adam,lr=0.0001";
  std::string optimizer_p = "adam,lr=0.0001";
  std::string finetune_layers = "0:_1";
  double dropout = 0.1;
  int64_t batch_size = 32;
  int64_t n_epochs = 100;
  int64_t epoch_size = -1;            // training examples per epoch, -1 = one full pass
  int64_t max_len = 256;              // per sentence, after BPE, </s> markers included
  bool lowercase_and_remove_accent = false;  // ours: as the model's training text was prepared
  std::string device;                 // ours: cpu | cuda | "" (cuda when visible)
  uint64_t seed = 0;                  // ours: head init, data order, dropout

  // ConfigError naming the flag on the first bad value (before any file is read).
  void validate() const;
  nlohmann::json to_json() const;
};

}  // namespace xlm::tasks
