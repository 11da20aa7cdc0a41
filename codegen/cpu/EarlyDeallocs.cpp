//===- EarlyDeallocs.cpp - Free each temporary after its last use ---------===//
//
// nabla-cpu-early-deallocs: see Passes.td.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/CastInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUEARLYDEALLOCS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// The values that are `root` or a view of it (subviews, casts, reshapes,
/// the base buffer of its metadata), and the ops of `block` that use any
/// of them. Fails where one flows somewhere the pass cannot follow (a
/// call, a return, a region's yield, any op that makes a memref from it
/// without being a view): there the buffer may outlive its uses.
LogicalResult usesOf(Value root, Block &block, llvm::SetVector<Value> &values,
                     llvm::SetVector<Operation *> &users) {
  values.insert(root);
  for (size_t i = 0; i < values.size(); ++i)
    for (OpOperand &use : values[i].getUses()) {
      Operation *user = use.getOwner();
      // The closing dealloc, and the metadata it reads the base buffer
      // from (the descriptor, not the memory): not uses to wait for.
      if (isa<bufferization::DeallocOp>(user))
        continue;
      if (auto meta = dyn_cast<memref::ExtractStridedMetadataOp>(user)) {
        values.insert(meta.getBaseBuffer());
        continue;
      }
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        return failure();
      users.insert(top);
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if ((view && view.getViewSource() == values[i]) ||
          isa<CastOpInterface>(user)) {
        for (Value r : user->getResults())
          values.insert(r);
        continue;
      }
      if (user->hasTrait<OpTrait::IsTerminator>() ||
          isa<CallOpInterface>(user) ||
          llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>))
        return failure();
    }
  return success();
}

/// Frees the buffers that `dealloc` frees unconditionally (allocated in
/// this block, not retained) right after their last use instead, and
/// leaves it the rest.
void freeEarly(bufferization::DeallocOp dealloc, Block &block,
               const DenseMap<Operation *, unsigned> &position) {
  SmallVector<Value> keptMemrefs, keptConditions;
  for (auto [memref, condition] :
       llvm::zip(dealloc.getMemrefs(), dealloc.getConditions())) {
    auto keep = [&] {
      keptMemrefs.push_back(memref);
      keptConditions.push_back(condition);
    };
    Value root = memref;
    if (auto meta = root.getDefiningOp<memref::ExtractStridedMetadataOp>())
      root = meta.getSource();
    auto alloc = root.getDefiningOp<memref::AllocOp>();
    if (!alloc || alloc->getBlock() != &block ||
        !matchPattern(condition, m_One())) {
      keep();
      continue;
    }
    llvm::SetVector<Value> values;
    llvm::SetVector<Operation *> users;
    if (failed(usesOf(alloc, block, values, users)) ||
        llvm::any_of(dealloc.getRetained(),
                     [&](Value r) { return values.contains(r); })) {
      keep();
      continue;
    }
    Operation *last = alloc;
    for (Operation *user : users)
      if (position.lookup(user) > position.lookup(last))
        last = user;
    OpBuilder b(last->getContext());
    b.setInsertionPointAfter(last);
    memref::DeallocOp::create(b, alloc.getLoc(), alloc);
  }
  if (keptMemrefs.size() == dealloc.getMemrefs().size())
    return;
  OpBuilder b(dealloc);
  auto rest = bufferization::DeallocOp::create(
      b, dealloc.getLoc(), keptMemrefs, keptConditions, dealloc.getRetained());
  dealloc->replaceAllUsesWith(rest);
  dealloc.erase();
}

struct NablaCpuEarlyDeallocsPass
    : nabla::impl::NablaCpuEarlyDeallocsBase<NablaCpuEarlyDeallocsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &block = func.getBody().front();
    // Positions before any dealloc is inserted: comparing them is then
    // constant time, where isBeforeInBlock would renumber the block after
    // each insertion.
    DenseMap<Operation *, unsigned> position;
    for (auto [i, op] : llvm::enumerate(block))
      position[&op] = i;
    SmallVector<bufferization::DeallocOp> deallocs(
        block.getOps<bufferization::DeallocOp>());
    for (bufferization::DeallocOp dealloc : deallocs)
      freeEarly(dealloc, block, position);
  }
};

} // namespace
