// See beam_hypotheses.h. Eviction follows XLM exactly (the lowest score goes,
// the earliest of equal scores first; the new worst is the second lowest)
// so that which hypothesis survives does not depend on container details.
#include "tasks/mt/beam_hypotheses.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace xlm::tasks {

BeamHypotheses::BeamHypotheses(int64_t n_hyp, int64_t max_len, double length_penalty, bool early_stopping)
    : n_hyp_(n_hyp), max_len_(max_len - 1), length_penalty_(length_penalty), early_stopping_(early_stopping) {
  XLM_CHECK(n_hyp >= 1, ConfigError, "beam search: beam_size {} must be at least 1", n_hyp);
}

void BeamHypotheses::add(std::vector<int64_t> tokens, double sum_log_probs) {
  const double score =
      sum_log_probs / std::pow(static_cast<double>(tokens.size()), length_penalty_);
  if (size() < n_hyp_ || score > worst_score_) {
    hyps_.push_back(Hypothesis{score, sum_log_probs, std::move(tokens)});
    if (size() > n_hyp_) {
      std::vector<size_t> order(hyps_.size());
      std::iota(order.begin(), order.end(), size_t{0});
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return hyps_[a].score < hyps_[b].score; });
      worst_score_ = hyps_[order[1]].score;
      hyps_.erase(hyps_.begin() + static_cast<std::ptrdiff_t>(order[0]));
    } else {
      worst_score_ = std::min(score, worst_score_);
    }
  }
}

bool BeamHypotheses::is_done(double best_running_sum) const {
  if (size() < n_hyp_) return false;
  if (early_stopping_) return true;
  return worst_score_ >= best_running_sum / std::pow(static_cast<double>(max_len_), length_penalty_);
}

const BeamHypotheses::Hypothesis& BeamHypotheses::best() const {
  XLM_CHECK(!hyps_.empty(), ConfigError, "beam search: no finished hypothesis");
  size_t best = 0;
  for (size_t i = 1; i < hyps_.size(); ++i)
    if (hyps_[i].score > hyps_[best].score) best = i;
  return hyps_[best];
}

}  // namespace xlm::tasks
