// The tape walker. Nodes are reached through tensors; the walk keeps a strong
// reference to each tensor only until its node has run, so activations and
// saved tensors are released progressively during backward, as in PyTorch.
#include "core/autograd.h"

#include "core/error.h"
#include "core/grad_ready.h"
#include "core/op_profile.h"

#include <unordered_map>
#include <unordered_set>

namespace xlm::autograd {

namespace {
thread_local bool g_grad_enabled = true;
thread_local GradReadyHook g_grad_ready;
}

GradReadyScope::GradReadyScope(GradReadyHook hook) : previous_(std::move(g_grad_ready)) {
  g_grad_ready = std::move(hook);
}
GradReadyScope::~GradReadyScope() { g_grad_ready = std::move(previous_); }

bool grad_enabled() { return g_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

bool needs_grad(std::initializer_list<Tensor> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(Tensor& output, const char* name, std::vector<Tensor> inputs, BackwardFn backward) {
  if (!needs_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->region = profile::current_region();
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  output.set_grad_fn(std::move(node));
}

namespace {

// Post-order over tensors with a grad_fn: every tensor appears after all the
// tensors that consume it when the list is read back to front.
std::vector<Tensor> topological_order(const Tensor& root) {
  std::vector<Tensor> order;
  std::unordered_set<const TensorImpl*> visited;
  struct Frame {
    Tensor tensor;
    size_t next_input;
  };
  std::vector<Frame> stack;
  stack.push_back({root, 0});
  visited.insert(root.impl());
  while (!stack.empty()) {
    Frame& frame = stack.back();
    auto node = frame.tensor.grad_fn();
    if (node && frame.next_input < node->inputs.size()) {
      const Tensor& input = node->inputs[frame.next_input++];
      if (input.defined() && input.grad_fn() && visited.insert(input.impl()).second) stack.push_back({input, 0});
      continue;
    }
    order.push_back(frame.tensor);
    stack.pop_back();
  }
  return order;
}

void check_gradient(const Tensor& input, const Tensor& g, const Node& node, size_t index) {
  if (g.shape() != input.shape() || g.dtype() != input.dtype() || g.device() != input.device())
    throw ShapeError(fmt::format("backward of '{}' returned a gradient {} for input {} which is {}", node.name,
                                 g.describe(), index, input.describe()));
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  check_defined(root, "backward", "root");
  XLM_CHECK(root.requires_grad(), Error, "backward called on {} which does not require a gradient",
            root.describe());
  Tensor seed = grad;
  if (!seed.defined()) {
    XLM_CHECK(root.numel() == 1, ShapeError,
              "backward without an explicit gradient needs a one-element tensor, got {}", root.describe());
    seed = Tensor::full(root.shape(), 1.0, root.dtype(), root.device());
  } else {
    check_shape(seed, root.shape(), "backward", "grad");
    check_same_dtype(seed, root, "backward");
    check_same_device(seed, root, "backward");
  }
  NoGradGuard no_grad;  // backward closures are not themselves recorded
  profile::PhaseScope phase(profile::Phase::backward);

  if (!root.grad_fn()) {  // a leaf
    Tensor leaf = root;
    leaf.set_grad(leaf.grad().defined() ? add_same_shape(leaf.grad(), seed) : seed.clone());
    if (g_grad_ready) g_grad_ready(leaf);
    return;
  }
  std::vector<Tensor> order = topological_order(root);
  // With a grad-ready hook: how many reachable nodes consume each leaf (edges
  // still to run), and the leaves that received a gradient in this pass.
  std::unordered_map<const TensorImpl*, int64_t> leaf_edges;
  std::vector<Tensor> touched_leaves;
  const GradReadyHook hook = g_grad_ready;
  if (hook) {
    for (const Tensor& t : order)
      for (const Tensor& input : t.grad_fn()->inputs)
        if (input.defined() && !input.grad_fn() && input.requires_grad()) ++leaf_edges[input.impl()];
  }
  std::unordered_map<const TensorImpl*, Tensor> pending;  // gradients of non-leaf tensors
  pending[root.impl()] = seed;
  for (size_t k = order.size(); k-- > 0;) {
    Tensor tensor = std::move(order[k]);
    auto it = pending.find(tensor.impl());
    if (it == pending.end()) continue;  // no gradient flows here
    Tensor g = std::move(it->second);
    pending.erase(it);
    auto node = tensor.grad_fn();
    profile::RegionScope region(node->region);  // the node's backward is its forward region's
    XLM_CHECK(!node->released, Error,
              "backward through '{}' a second time: its saved tensors were freed (pass retain_graph=true "
              "to the first backward)", node->name);
    std::vector<Tensor> grads = node->backward(g);
    XLM_CHECK(grads.size() == node->inputs.size(), Error, "backward of '{}' returned {} gradients for {} inputs",
              node->name, grads.size(), node->inputs.size());
    for (size_t i = 0; i < grads.size(); ++i) {
      Tensor& input = node->inputs[i];
      if (!input.defined() || !input.requires_grad()) continue;
      const bool is_leaf_edge = !input.grad_fn();
      if (grads[i].defined()) {
        check_gradient(input, grads[i], *node, i);
        if (input.grad_fn()) {
          auto slot = pending.find(input.impl());
          if (slot == pending.end()) pending.emplace(input.impl(), grads[i]);
          else slot->second = add_same_shape(slot->second, grads[i]);
        } else {
          // First gradient is cloned: closures may hand the same tensor to several inputs,
          // and a leaf's .grad must be safe to modify in place (clipping, scaling).
          input.set_grad(input.grad().defined() ? add_same_shape(input.grad(), grads[i]) : grads[i].clone());
        }
      }
      if (hook && is_leaf_edge) {
        auto edges = leaf_edges.find(input.impl());
        if (grads[i].defined() && edges->second > 0) touched_leaves.push_back(input);
        if (--edges->second == 0 && input.grad().defined()) {
          edges->second = -1;  // reported
          hook(input);
        }
      }
    }
    if (!retain_graph) {
      node->backward = nullptr;
      node->inputs.clear();
      node->released = true;
    }
  }
  // Leaves some of whose consumers got no gradient (their count never reached zero).
  for (const Tensor& leaf : touched_leaves) {
    auto edges = leaf_edges.find(leaf.impl());
    if (edges->second > 0) {
      edges->second = -1;
      hook(leaf);
    }
  }
}

}  // namespace xlm::autograd
