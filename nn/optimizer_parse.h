// The --optimizer string, as XLM spells it: "<name>[,key=value]*", e.g.
// "adam_inverse_sqrt,lr=0.0001,warmup_updates=4000,beta1=0.9,beta2=0.98".
// Parsing and validation are separate from the Optimizer so that the command
// line is checked (and the effective values logged) before a model exists.
// Every error is a ConfigError one-liner naming `--optimizer` and the bad part.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xlm::nn {

struct OptimizerSpec {
  std::string name;                       // adam, adam_inverse_sqrt, adam_cosine, sgd
  std::map<std::string, double> values;   // key -> value
};

// Parses and completes (see complete_optimizer_spec) an --optimizer string.
OptimizerSpec parse_optimizer_spec(const std::string& text);

// Checks the name, the keys and their ranges, and fills every default, so the
// result names every key the optimizer reads. Used by parse_optimizer_spec and
// by the Optimizer for specs built in code.
OptimizerSpec complete_optimizer_spec(const OptimizerSpec& spec);

// The canonical string of a spec: name then its keys in alphabetical order,
// values printed shortest-round-trip ("adam,beta1=0.9,...,lr=0.0001").
std::string optimizer_spec_string(const OptimizerSpec& spec);

// Names accepted by parse_optimizer_spec, in the order the docs list them.
const std::vector<std::string>& optimizer_names();

}  // namespace xlm::nn
