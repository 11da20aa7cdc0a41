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

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUVECTORIZEELEMENTWISE
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// Whether every loop of `op` is parallel, its operands are float tensors of
/// static shape, it writes its results in order (identity maps) and each
/// input is read along the innermost loop contiguously or not at all (a
/// broadcast): then a vector of the innermost loop is a vector load per
/// input. Transposes and reductions are left alone.
bool isContiguousElementwise(linalg::GenericOp op) {
  if (op.getNumLoops() == 0 || op.getNumLoops() != op.getNumParallelLoops() ||
      !op.hasPureTensorSemantics())
    return false;
  unsigned inner = op.getNumLoops() - 1;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    // 16-bit floats are computed in f32 later (arith-emulate-unsupported-
    // floats and nabla-expand-bf16 work on vectors too).
    Type element = type ? type.getElementType() : Type();
    if (!type || !type.hasStaticShape() ||
        !(element.isF32() || element.isF16() || element.isBF16()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (op.isDpsInit(&operand)) {
      if (!map.isIdentity())
        return false;
      continue;
    }
    if (!map.isProjectedPermutation())
      return false;
    for (unsigned r = 0; r < map.getNumResults(); ++r)
      if (map.getDimPosition(r) == inner && r + 1 != map.getNumResults())
        return false;
  }
  return true;
}

/// The widest vector of at most `lanes` floats (at least 4) whose length
/// divides `size`; 0 if none.
int64_t vectorWidth(int64_t size, int64_t lanes) {
  for (int64_t width = lanes; width >= 4; width /= 2)
    if (size % width == 0)
      return width;
  return 0;
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
  rewriter.setInsertionPoint(tile);
  auto vectorized = linalg::vectorize(rewriter, tile);
  if (succeeded(vectorized))
    rewriter.replaceOp(tile, vectorized->replacements);
  // Otherwise the tiled loops of scalar code still compute the same.
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
    // Transfers of slices become transfers of the whole tensor (in place
    // once bufferized); broadcast reads become a load and a broadcast.
    RewritePatternSet patterns(ctx);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
