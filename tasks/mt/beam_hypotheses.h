// The n best finished hypotheses of one sentence, as XLM's BeamHypotheses
// (src/model/transformer.py): a hypothesis of `length` tokens (the leading
// </s> included, the closing one not) with summed log-probability s scores
// s / length^length_penalty; once n are kept, a new one enters only when it
// beats the worst, which is then dropped. The sentence is done when n are
// kept and either early_stopping is set or no running beam can still win:
// worst >= best_running_sum / (max_len - 1)^length_penalty.
#pragma once

#include <cstdint>
#include <vector>

namespace xlm::tasks {

class BeamHypotheses {
 public:
  struct Hypothesis {
    double score;                 // sum_log_probs / length^length_penalty
    double sum_log_probs;
    std::vector<int64_t> tokens;  // </s> w_1 .. w_n (without the closing </s>)
  };

  BeamHypotheses(int64_t n_hyp, int64_t max_len, double length_penalty, bool early_stopping);

  void add(std::vector<int64_t> tokens, double sum_log_probs);
  bool is_done(double best_running_sum) const;
  int64_t size() const { return static_cast<int64_t>(hyps_.size()); }
  const std::vector<Hypothesis>& hypotheses() const { return hyps_; }
  const Hypothesis& best() const;  // highest score, the earliest kept on ties

 private:
  int64_t n_hyp_;
  int64_t max_len_;  // max_len - 1: the leading </s> is not generated
  double length_penalty_;
  bool early_stopping_;
  double worst_score_ = 1e9;
  std::vector<Hypothesis> hyps_;  // in insertion order
};

}  // namespace xlm::tasks
