// libFuzzer entry point for `xlm bleu`'s readers (tasks/mt/bleu_lines.h) and
// the scorer behind them (tasks/mt/bleu.h), in memory as the command calls
// them:
//   byte 0: bit 0 lowercase (-lc), bit 1 --tokenize none (else 13a),
//           (byte 0 >> 2) % 3 + 1 reference files at most;
//   then stdin's bytes and the reference files' bytes, separated by
//   "\n=file=\n" (tests/fuzz/framing.h).
// Bad input (invalid UTF-8, line counts that differ, no reference) must end
// in an xlm::Error; an accepted one must score within [0, 100] with finite
// statistics and print its line.
#include "core/error.h"
#include "framing.h"
#include "tasks/mt/bleu.h"
#include "tasks/mt/bleu_lines.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  xlm::tasks::BleuOptions options;
  options.lowercase = (data[0] & 1) != 0;
  options.tokenize = (data[0] & 2) != 0 ? "none" : "13a";
  const size_t max_refs = static_cast<size_t>(data[0] >> 2) % 3 + 1;
  const std::vector<std::string> parts =
      xlm::fuzz::split_files(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  std::vector<std::pair<std::string, std::string>> refs;
  for (size_t i = 1; i < parts.size() && refs.size() < max_refs; ++i)
    refs.emplace_back("ref" + std::to_string(i - 1), parts[i]);
  try {
    const xlm::tasks::BleuInput input = xlm::tasks::read_bleu_input(parts[0], refs);
    const xlm::tasks::BleuScore score = xlm::tasks::corpus_bleu(input.hyps, input.refs, options);
    if (!(score.score >= 0 && score.score <= 100 + 1e-9)) __builtin_trap();
    if (!std::isfinite(score.bp) || !std::isfinite(score.ratio) || score.hyp_len < 0 || score.ref_len < 0)
      __builtin_trap();
    for (int n = 0; n < 4; ++n)
      if (score.correct[n] < 0 || score.correct[n] > score.total[n]) __builtin_trap();
    if (score.format(2).rfind("BLEU = ", 0) != 0) __builtin_trap();
  } catch (const xlm::Error&) {
  }
  return 0;
}
