//===- NarrowTensorUses.cpp - No tensor with many uses --------------------===//
//
// nabla-cpu-narrow-tensor-uses: see Passes.td. One-shot-bufferize decides,
// for each tensor operand, whether it can write in place; to decide, it
// gathers the reads and writes of every value that may share the
// operand's buffer, each a walk over that value's uses. An operand of a
// value with n uses therefore costs n, and all n of them n^2: at 1000
// Dense layers, Adam's two bias corrections (0-d tensors with 2,004 uses
// each) and two constants (1,001 each; nabla-protect-arguments now gives
// each use a constant of its own) made the pass take 16 s instead of 11.
// Every other tensor of a step has a handful of uses, however deep the
// model.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUNARROWTENSORUSES
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

bool isZeroDimTensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 0;
}

/// A read of all of 0-d `tensor`: a `tensor.extract`, or an unmasked
/// `vector.transfer_read` (its vector, of any shape, that one element).
bool readsWhole(OpOperand &use) {
  Operation *user = use.getOwner();
  if (isa<tensor::ExtractOp>(user))
    return true;
  auto read = dyn_cast<vector::TransferReadOp>(user);
  return read && use.get() == read.getBase() && !read.getMask() &&
         read.getVectorType().getElementType() ==
             getElementTypeOrSelf(use.get().getType());
}

/// Reads 0-d `tensor` once, right where it is defined, and makes its
/// whole-tensor reads that scalar.
void readOnce(Value tensor) {
  SmallVector<Operation *> reads;
  for (OpOperand &use : tensor.getUses())
    if (readsWhole(use))
      reads.push_back(use.getOwner());
  if (reads.size() < 2)
    return;
  OpBuilder b(tensor.getContext());
  if (Operation *def = tensor.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(tensor).getOwner());
  Value scalar =
      tensor::ExtractOp::create(b, tensor.getLoc(), tensor, ValueRange{});
  for (Operation *read : reads) {
    Value replacement = scalar;
    if (auto vectorRead = dyn_cast<vector::TransferReadOp>(read)) {
      b.setInsertionPoint(read);
      replacement = vector::BroadcastOp::create(
          b, read->getLoc(), vectorRead.getVectorType(), scalar);
    }
    read->getResult(0).replaceAllUsesWith(replacement);
    read->erase();
  }
}

struct NarrowTensorUses
    : nabla::impl::NablaCpuNarrowTensorUsesBase<NarrowTensorUses> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    SmallVector<Value> scalars;
    for (BlockArgument argument : func.getArguments())
      if (isZeroDimTensor(argument))
        scalars.push_back(argument);
    func.walk([&](Operation *op) {
      for (Value result : op->getResults())
        if (isZeroDimTensor(result))
          scalars.push_back(result);
    });
    for (Value scalar : scalars)
      readOnce(scalar);
  }
};

} // namespace
