// Greedy decoding (XLM's TransformerModel.generate without sampling): every
// row starts with </s>; each step appends the most probable next word (ties:
// the lowest id) to the rows still running; a row stops after its </s>, is
// padded from then on, and keeps its length; rows still running at max_len
// get </s> in the last column. Stops as soon as every row has finished.
#include "core/autograd.h"
#include "tasks/mt/decode_step.h"
#include "tasks/mt/generate.h"

namespace xlm::tasks {

Generated generate_greedy(nn::TransformerModel& decoder, const Tensor& src_enc, const Tensor& src_len,
                          int64_t tgt_lang_id, int64_t max_len) {
  max_len = check_generation_args(decoder, src_enc, src_len, tgt_lang_id, max_len, "generate_greedy");
  autograd::NoGradGuard no_grad;
  const nn::TransformerConfig& c = decoder.config();
  const int64_t B = src_enc.size(0);
  const size_t nb = static_cast<size_t>(B);

  std::vector<std::vector<int64_t>> rows(nb, std::vector<int64_t>{c.eos_index});  // generated so far, per row
  std::vector<int64_t> gen_len(nb, 1);       // (B) length of each row (stops growing after its </s>)
  std::vector<bool> unfinished(nb, true);    // (B)
  std::vector<double> scores(nb, 0.0);       // (B) sum of chosen log-probs
  std::vector<int64_t> last(nb, c.eos_index);  // (B) token fed at this step
  nn::DecoderCache cache;
  DecodeStep step{decoder, cache, src_enc, src_len, tgt_lang_id};

  int64_t cur_len = 1;
  while (cur_len < max_len) {
    const DecodeStep::Best next = step.best_words(last, gen_len, 1, {});  // (B, 1)
    bool any_running = false;
    for (size_t b = 0; b < nb; ++b) {
      if (!unfinished[b]) {
        last[b] = c.pad_index;
        continue;
      }
      const int64_t best = next.words[b];  // the most probable word, ties to the lowest id
      rows[b].push_back(best);
      scores[b] += next.values[b];
      gen_len[b] += 1;
      last[b] = best;
      if (best == c.eos_index) unfinished[b] = false;
      any_running = any_running || unfinished[b];
    }
    ++cur_len;
    if (!any_running) break;
  }

  std::vector<int64_t> words(nb * static_cast<size_t>(cur_len), c.pad_index);  // (B, L)
  for (size_t b = 0; b < nb; ++b) {
    if (unfinished[b]) rows[b].back() = c.eos_index;  // reached max_len: force the closing </s>
    std::copy(rows[b].begin(), rows[b].end(), words.begin() + static_cast<int64_t>(b) * cur_len);
  }
  Generated out;
  out.words = Tensor::from_vector(words, {B, cur_len});
  out.lengths = Tensor::from_vector(gen_len, {B});
  out.scores = Tensor::from_vector(scores, {B});
  return out;
}

}  // namespace xlm::tasks
