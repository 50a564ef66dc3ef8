// A --data_path folder built from the committed real corpus sample
// (tests/fixtures/corpus, en and fr): BPE learned on the training text,
// applied to every split, the vocab, and the binarized files, exactly as a
// user prepares data for `xlm train`. Built once per test process.
#pragma once

#include <string>

namespace xlm::test {

// Path of the prepared folder (vocab, codes, {train,valid,test}.{en,fr}[.xbin],
// {train,valid,test}.en-fr.{en,fr}[.xbin]).
const std::string& pretrain_data_dir();

}  // namespace xlm::test
