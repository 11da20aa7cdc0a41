//===- ScheduleEarly.cpp - Kernels as soon as their inputs are ready ------===//
//
// nabla-schedule-early: see Passes.td. One walk in program order: each op
// moves to right after its last producer (or after the ops already moved
// there), so producers are always placed before their users.
//
//===----------------------------------------------------------------------===//
#include "nabla/passes/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace nabla {
#define GEN_PASS_DEF_SCHEDULEEARLY
#include "passes/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// The last op of `block` that defines an operand of `op`, or null.
Operation *lastProducer(Operation *op, Block &block) {
  Operation *last = nullptr;
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (def && def->getBlock() == &block &&
        (!last || last->isBeforeInBlock(def)))
      last = def;
  }
  return last;
}

/// Whether `op` may move: it has no side effects, and a region it has
/// reads nothing from around it.
bool movable(Operation *op) {
  return isMemoryEffectFree(op) &&
         (op->getNumRegions() == 0 ||
          op->hasTrait<OpTrait::IsIsolatedFromAbove>());
}

struct ScheduleEarlyPass : nabla::impl::ScheduleEarlyBase<ScheduleEarlyPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &block = func.getBody().front();
    SmallVector<Operation *> ops;
    for (Operation &op : block.without_terminator())
      ops.push_back(&op);
    // Producer -> the op last moved behind it: the next op moved behind the
    // same producer goes after that one, keeping their order.
    DenseMap<Operation *, Operation *> lastMovedBehind;
    for (Operation *op : ops) {
      if (!movable(op))
        continue;
      Operation *producer = lastProducer(op, block);
      if (!producer)
        continue;
      Operation *after = lastMovedBehind.lookup(producer);
      if (!after)
        after = producer;
      if (after != op && after->getNextNode() != op)
        op->moveAfter(after);
      lastMovedBehind[producer] = op;
    }
  }
};

} // namespace
