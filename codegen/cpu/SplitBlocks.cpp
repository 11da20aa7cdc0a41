//===- SplitBlocks.cpp - A long block cut into a chain of blocks ----------===//
//
// nabla-cpu-split-blocks: see Passes.td. A training step's function calls
// every kernel from one block: about 40 ops per Dense layer, 8,000 for 200
// layers. Conversions that insert ops into a block and then ask which of
// two ops comes first make MLIR renumber the whole block each time
// (Block::recomputeOpOrder), and scf-to-cf moves the rest of the block at
// every loop it lowers: both quadratic in the block's length. A chain of
// blocks of bounded length keeps them linear; values still flow from one
// block to the next without arguments (each block dominates the rest of
// the chain), and LLVM merges the chain back into one block.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUSPLITBLOCKS
#define GEN_PASS_DEF_NABLACPUSPLITENTRY
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct SplitBlocks : nabla::impl::NablaCpuSplitBlocksBase<SplitBlocks> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (maxOps < 1 || func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &block = func.getBody().front();
    int64_t length = block.getOperations().size() - 1; // the return aside
    if (length <= 2 * maxOps)
      return;
    // Ops maxOps, 2 maxOps, ... (from 0) start blocks. Cut from the end, so
    // that each split moves one piece, not the rest of the function.
    SmallVector<Operation *> starts;
    int64_t index = 0;
    for (Operation &op : block.without_terminator())
      if (index++ % maxOps == 0 && index > 1)
        starts.push_back(&op);
    for (Operation *start : llvm::reverse(starts)) {
      Block *before = start->getBlock();
      Block *after = before->splitBlock(start);
      OpBuilder b = OpBuilder::atBlockEnd(before);
      cf::BranchOp::create(b, start->getLoc(), after);
    }
  }
};

struct SplitEntry : nabla::impl::NablaCpuSplitEntryBase<SplitEntry> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    if (static_cast<int64_t>(entry.getOperations().size()) <= maxOps)
      return;
    Block *rest = entry.splitBlock(entry.begin());
    OpBuilder b = OpBuilder::atBlockEnd(&entry);
    LLVM::BrOp::create(b, func.getLoc(), ValueRange{}, rest);
  }
};

} // namespace
