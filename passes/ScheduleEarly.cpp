//===- ScheduleEarly.cpp - Kernels as soon as their inputs are ready ------===//
//
// nabla-schedule-early: see Passes.td. One walk in program order: each op
// moves to right after its last producer (or after the ops already moved
// there), so producers are always placed before their users.
//
//===----------------------------------------------------------------------===//
#include "nabla/passes/Passes.h"

#include "nabla/ir/NablaOps.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace nabla {
#define GEN_PASS_DEF_SCHEDULEEARLY
#include "passes/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// Positions of a block's ops that stay comparable while ops move.
/// Operation::isBeforeInBlock renumbers the whole block whenever an op
/// moves between two neighbours with no number left between them, which
/// happens every few moves here (1000 Dense layers: 1.3 s in renumbering).
/// These keys leave 2^32 between neighbours, so the block is renumbered
/// only after ~32 moves into the same gap.
class OrderKeys {
public:
  explicit OrderKeys(Block &block) : block(block) { renumber(); }

  bool before(Operation *a, Operation *b) const {
    return keys.lookup(a) < keys.lookup(b);
  }

  /// Records that `op` now follows `after` directly.
  void moved(Operation *op, Operation *after) {
    uint64_t low = keys.lookup(after);
    Operation *next = op->getNextNode();
    uint64_t high = next ? keys.lookup(next) : low + 2 * kStride;
    if (high - low < 2)
      renumber();
    else
      keys[op] = low + (high - low) / 2;
  }

private:
  static constexpr uint64_t kStride = uint64_t(1) << 32;

  void renumber() {
    uint64_t key = 0;
    for (Operation &op : block)
      keys[&op] = key += kStride;
  }

  Block &block;
  DenseMap<Operation *, uint64_t> keys;
};

/// The last op of `block` that defines an operand of `op`, or null.
Operation *lastProducer(Operation *op, Block &block, const OrderKeys &order) {
  Operation *last = nullptr;
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (def && def->getBlock() == &block && (!last || order.before(last, def)))
      last = def;
  }
  return last;
}

/// Whether `op` may move: it has no side effects, and a region it has
/// reads nothing from around it. nabla.all_reduce_start moves too, although
/// it talks to the other processes: starting a bucket as soon as its
/// gradients exist is the point of it, and every process runs this same
/// schedule, so the buckets still start in one order everywhere.
bool movable(Operation *op) {
  if (isa<nabla::AllReduceStartOp>(op))
    return true;
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
    OrderKeys order(block);
    for (Operation *op : ops) {
      if (!movable(op))
        continue;
      Operation *producer = lastProducer(op, block, order);
      if (!producer)
        continue;
      Operation *after = lastMovedBehind.lookup(producer);
      if (!after)
        after = producer;
      if (after != op && after->getNextNode() != op) {
        op->moveAfter(after);
        order.moved(op, after);
      }
      lastMovedBehind[producer] = op;
    }
  }
};

} // namespace
