// Reverse-mode autograd as a tape of closures (the flashlight design): each op
// computes its forward eagerly and, when an input needs a gradient, attaches a
// Node to its output holding the inputs and a backward closure. backward()
// orders the reachable nodes topologically, runs each closure once, sums the
// gradients that reach a tensor along several paths, accumulates into the
// leaves' .grad across calls, and frees every closure (and so the tensors it
// saved) as soon as it has run.
//
// Rule for op authors: a closure must never capture its own output as a
// Tensor (that would be a reference cycle); capture `out.detach()` instead.
#pragma once

#include "core/tensor.h"

#include <functional>
#include <initializer_list>
#include <vector>

namespace xlm::autograd {

// Given d(loss)/d(output), returns d(loss)/d(input) for each input, in order;
// an undefined Tensor where an input needs no gradient.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  const char* name = "";
  const char* region = "other";  // profile region the forward ran in (core/op_profile.h)
  std::vector<Tensor> inputs;
  BackwardFn backward;
  bool released = false;  // closure already run and freed
};

bool grad_enabled();

// Disables recording in a scope (evaluation, generation, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when recording is on and some input requires a gradient.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Marks `output` as produced by `name` from `inputs` (if any needs a gradient).
void record(Tensor& output, const char* name, std::vector<Tensor> inputs, BackwardFn backward);

void backward(const Tensor& root, const Tensor& grad, bool retain_graph);

// a + b elementwise for same-shaped tensors, out of place (gradient accumulation).
Tensor add_same_shape(const Tensor& a, const Tensor& b);

}  // namespace xlm::autograd
