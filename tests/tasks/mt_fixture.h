// A --data_path folder for the MT tests: the vocab and codes of the pretrain
// fixture and ten short real sentence pairs (en-fr) from its training text,
// used as train, valid and test parallel data and as the monolingual en and
// fr files, so a tiny model can overfit them in seconds and be scored on them.
#pragma once

#include "tasks/pretrain/train_config.h"

#include <string>
#include <vector>

namespace xlm::test {

struct MtFixture {
  std::string path;                  // the --data_path folder
  std::vector<std::string> en, fr;   // the ten pairs, BPE-applied, as in the files
};

// Built once per test process.
const MtFixture& mt_data_dir();

// `xlm train --encoder_only false` on that folder with a tiny model (en-fr,
// 32 dimensions, 1 layer, 4 heads, batch 10, adam lr 0.005, no log line
// within 1000 iterations) on the tests' device; no step is chosen.
tasks::TrainConfig mt_train_config(const std::string& dump_path);

}  // namespace xlm::test
