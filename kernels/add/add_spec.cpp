// Harness entry for add: same-shape cases plus both bias patterns (b [C] and
// b [T, C]) and a scalar b, over ranks 1-4 and odd sizes. [1000, 3] + [3]
// sends 1000 rows into each column sum, which takes the multi-part CUDA path.
#include "kernels/add/add.h"
#include "kernels/op_spec.h"

#include <utility>

namespace xlm {

OpSpec spec_add() {
  OpSpec s;
  s.name = "add";
  s.cases = [] {
    const std::pair<Shape, Shape> shapes[] = {
        {{1}, {1}},           {{7}, {}},              {{3, 5}, {3, 5}},         {{3, 33}, {33}},
        {{2, 3, 129}, {129}}, {{2, 3, 7}, {3, 7}},    {{2, 1, 3, 33}, {1, 3, 33}}, {{2, 3, 5, 7}, {7}},
        {{1000}, {1000}},     {{1000, 3}, {3}},       {{4, 1000}, {1000}},
    };
    std::vector<OpCase> cases;
    uint64_t seed = 200;
    for (const auto& [a, b] : shapes) {
      cases.push_back({shape_str(a) + " + " + shape_str(b), {random_uniform(a, seed), random_uniform(b, seed + 1)}});
      seed += 2;
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return add(in[0], in[1]); };
  s.grad_inputs = {0, 1};
  return s;
}

}  // namespace xlm
