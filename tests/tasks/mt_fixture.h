// A --data_path folder for the MT tests: the vocab and codes of the pretrain
// fixture and ten short real sentence pairs (en-fr) from its training text,
// used as train, valid and test parallel data and as the monolingual en and
// fr files, so a tiny model can overfit them in seconds and be scored on them.
#pragma once

#include <string>
#include <vector>

namespace xlm::test {

struct MtFixture {
  std::string path;                  // the --data_path folder
  std::vector<std::string> en, fr;   // the ten pairs, BPE-applied, as in the files
};

// Built once per test process.
const MtFixture& mt_data_dir();

}  // namespace xlm::test
