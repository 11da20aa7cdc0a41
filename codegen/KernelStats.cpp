//===- KernelStats.cpp - Counting the kernels of a lowered step -----------===//
#include "nabla/codegen/KernelStats.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace nabla {

static bool isKernel(Operation &op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.getNumLoops() > 0;
  return isa<LoopLikeOpInterface>(op);
}

static int64_t bytesOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  int64_t bits = tensor.getElementTypeBitWidth();
  return tensor.getNumElements() * std::max<int64_t>(1, bits / 8);
}

KernelStats countKernels(func::FuncOp func) {
  KernelStats stats;
  for (Operation &op : func.getBody().front()) {
    if (!isKernel(op))
      continue;
    if (!op.hasAttr(attrs::kPartialSums))
      ++stats.kernels;
    for (Value result : op.getResults()) {
      bool returned = llvm::any_of(result.getUsers(), [](Operation *user) {
        return isa<func::ReturnOp>(user);
      });
      if (!returned && !result.use_empty())
        stats.intermediateBytes += bytesOf(result.getType());
    }
  }
  return stats;
}

/// The value whose buffer `v` shares once bufferized: a view's source, an
/// insert_slice's destination; else `v` itself.
static Value bufferRoot(Value v) {
  while (Operation *op = v.getDefiningOp()) {
    if (isa<tensor::ReshapeOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
            tensor::ExtractSliceOp, tensor::CastOp>(op))
      v = op->getOperand(0);
    else if (auto insert = dyn_cast<tensor::InsertSliceOp>(op))
      v = insert.getDest();
    else
      break;
  }
  return v;
}

StepMemory measureStepMemory(func::FuncOp func) {
  StepMemory memory;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    int64_t bytes = bytesOf(func.getArgument(i).getType());
    if (func.getArgAttr(i, "nabla.param"))
      memory.parameters += bytes;
    else if (auto state = func.getArgAttrOfType<StringAttr>(i, "nabla.state")) {
      memory.state += bytes;
      if (state.getValue().starts_with("state:"))
        memory.modelState += bytes;
    } else
      memory.inputs += bytes;
  }
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (func.getResultAttr(i, "nabla.update") ||
        func.getResultAttr(i, "nabla.state"))
      memory.updated += bytesOf(func.getResultTypes()[i]);

  // Each buffer's life: from its op to the last top-level op that uses it
  // or a view of it. tensor.empty makes no data of its own (the op that
  // fills it does); returned buffers are counted above.
  Block &body = func.getBody().front();
  llvm::DenseMap<Operation *, int64_t> order;
  for (auto [i, op] : llvm::enumerate(body))
    order[&op] = i;
  llvm::DenseMap<Value, std::pair<int64_t, int64_t>> life; // root: [def, end]
  llvm::DenseMap<Value, bool> returned;
  for (Operation &op : body) {
    int64_t at = order[&op];
    // Uses, also from inside the op's regions (a fused group's loop).
    op.walk([&](Operation *inner) {
      for (Value operand : inner->getOperands()) {
        Value root = bufferRoot(operand);
        auto it = life.find(root);
        if (it != life.end())
          it->second.second = std::max(it->second.second, at);
        if (isa<func::ReturnOp>(inner))
          returned[root] = true;
      }
    });
    for (Value result : op.getResults()) {
      if (bufferRoot(result) != result || isa<tensor::EmptyOp>(op) ||
          !isa<RankedTensorType>(result.getType()))
        continue;
      life[result] = {at, at};
    }
  }
  std::vector<int64_t> delta(body.getOperations().size() + 1, 0);
  for (auto &[root, span] : life) {
    if (returned.lookup(root))
      continue;
    int64_t bytes = bytesOf(root.getType());
    delta[span.first] += bytes;
    delta[span.second + 1] -= bytes;
  }
  int64_t live = 0;
  for (int64_t d : delta) {
    live += d;
    memory.peakIntermediates = std::max(memory.peakIntermediates, live);
  }
  return memory;
}

} // namespace nabla
