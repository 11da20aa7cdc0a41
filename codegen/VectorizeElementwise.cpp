//===- VectorizeElementwise.cpp - Vector code for elementwise float ops ---===//
//
// nabla-cpu-vectorize-elementwise: see Passes.td. LLVM's loop vectorizer
// cannot vectorize most of these loops by itself: the buffers arrive as
// memref descriptors it cannot prove disjoint, so every scalar operand is
// reloaded at each element and the loop stays scalar (2 GB/s on ELT where
// a copy runs at 10). Vectorizing here, where the loop's meaning is known,
// does not depend on alias analysis.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"
#include "codegen/VectorTiles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUVECTORIZEELEMENTWISE
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

/// Whether every loop of `op` is parallel, it writes its results in order
/// (identity maps) and reads its inputs contiguously: transposes and
/// reductions are left alone.
bool isContiguousElementwise(linalg::GenericOp op) {
  if (op.getNumLoops() == 0 || op.getNumLoops() != op.getNumParallelLoops() ||
      !readsContiguously(op, /*f32Results=*/false))
    return false;
  return llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
    return op.getMatchingIndexingMap(&init).isIdentity();
  });
}

/// Tiles `op` to 1 x ... x 1 x width and vectorizes the tile. The loops
/// over tiles write disjoint parts: the outermost is marked parallel.
void vectorizeOp(RewriterBase &rewriter, linalg::GenericOp op, int64_t lanes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t width = vectorWidth(ranges.back(), lanes);
  if (width == 0)
    return;
  Operation *tile = op;
  bool wholeOp = llvm::all_of(ArrayRef(ranges).drop_back(),
                              [](int64_t r) { return r == 1; }) &&
                 ranges.back() == width;
  if (!wholeOp) {
    SmallVector<OpFoldResult> sizes(ranges.size(), rewriter.getIndexAttr(1));
    sizes.back() = rewriter.getIndexAttr(width);
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes).setLoopType(
        scf::SCFTilingOptions::LoopType::ForOp);
    rewriter.setInsertionPoint(op);
    auto tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return;
    rewriter.replaceOp(op, tiled->replacements);
    if (!tiled->loops.empty())
      tiled->loops.front()->setAttr(nabla::attrs::kParallel,
                                    rewriter.getUnitAttr());
    tile = tiled->tiledOps.front();
  }
  vectorizeTile(rewriter, tile);
}

struct NablaCpuVectorizeElementwisePass
    : nabla::impl::NablaCpuVectorizeElementwiseBase<
          NablaCpuVectorizeElementwisePass> {
  using NablaCpuVectorizeElementwiseBase::NablaCpuVectorizeElementwiseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::GenericOp> ops;
    func.walk([&](linalg::GenericOp op) {
      if (isContiguousElementwise(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    IRRewriter rewriter(ctx);
    for (linalg::GenericOp op : ops)
      vectorizeOp(rewriter, op, std::max<int64_t>(vectorBits / 32, 4));
    if (failed(tidyVectorTransfers(func)))
      return signalPassFailure();
  }
};

} // namespace
