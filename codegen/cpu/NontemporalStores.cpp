//===- NontemporalStores.cpp - Stores that bypass the caches --------------===//
//
// nabla-cpu-nontemporal-stores: see Passes.td. The loops come marked by
// nabla-cpu-vectorize-elementwise, which knows the tiles are whole cache
// lines; here, after bufferization, their vector writes become stores
// with LLVM's !nontemporal (vmovntps), which write a line without
// reading it first.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUNONTEMPORALSTORES
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// One 64-byte line written contiguously, in bounds, unmasked, to memory.
bool writesOneLine(vector::TransferWriteOp write) {
  VectorType type = write.getVectorType();
  return isa<MemRefType>(write.getBase().getType()) && !write.getMask() &&
         type.getRank() == 1 && type.getNumElements() == 16 &&
         type.getElementTypeBitWidth() == 32 &&
         write.getPermutationMap().isMinorIdentity() &&
         write.getInBoundsValues() == ArrayRef<bool>{true};
}

struct NablaCpuNontemporalStoresPass
    : nabla::impl::NablaCpuNontemporalStoresBase<
          NablaCpuNontemporalStoresPass> {
  void runOnOperation() override {
    SmallVector<vector::TransferWriteOp> writes;
    getOperation().walk([&](Operation *loop) {
      if (!loop->hasAttr(nabla::attrs::kNontemporal))
        return;
      loop->walk([&](vector::TransferWriteOp write) {
        if (writesOneLine(write))
          writes.push_back(write);
      });
      loop->removeAttr(nabla::attrs::kNontemporal);
    });
    IRRewriter rewriter(&getContext());
    for (vector::TransferWriteOp write : writes) {
      rewriter.setInsertionPoint(write);
      rewriter.replaceOpWithNewOp<vector::StoreOp>(
          write, write.getVector(), write.getBase(), write.getIndices(),
          /*nontemporal=*/true, llvm::MaybeAlign(64));
    }
  }
};

} // namespace
