//===- VectorTiles.cpp - Shared by the CPU vectorizing passes -------------===//
#include "codegen/cpu/VectorTiles.h"
#include "codegen/GreedyRewrites.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace nabla {

int64_t vectorWidth(int64_t size, int64_t lanes) {
  for (int64_t width = lanes; width >= 4; width /= 2)
    if (size % width == 0)
      return width;
  return 0;
}

bool hasStaticFloatOperands(linalg::GenericOp op, bool f32Results) {
  if (op.getNumLoops() == 0 || !op.hasPureTensorSemantics())
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    // 16-bit floats are computed in f32 later (arith-emulate-unsupported-
    // floats and nabla-expand-bf16 work on vectors too).
    Type element = type ? type.getElementType() : Type();
    if (!type || !type.hasStaticShape())
      return false;
    bool isFloat = element.isF32() || element.isF16() || element.isBF16();
    // Without f32Results, i32 results too (a max pool's argmax positions).
    if (op.isDpsInit(&operand)
            ? (f32Results ? !element.isF32()
                          : !(isFloat || element.isInteger(32)))
            : !isFloat)
      return false;
  }
  return true;
}

bool readsContiguously(linalg::GenericOp op, bool f32Results) {
  if (!hasStaticFloatOperands(op, f32Results))
    return false;
  unsigned inner = op.getNumLoops() - 1;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    // Zeros are size-1 dims broadcast ((d0, d1, d2, d3) -> (0, d1, 0, 0)).
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return false;
    for (unsigned r = 0; r < map.getNumResults(); ++r)
      if (map.getResult(r) == getAffineDimExpr(inner, op.getContext()) &&
          r + 1 != map.getNumResults())
        return false;
  }
  return true;
}

void vectorizeTile(RewriterBase &rewriter, Operation *op) {
  rewriter.setInsertionPoint(op);
  auto vectorized = linalg::vectorize(rewriter, op);
  if (succeeded(vectorized))
    rewriter.replaceOp(op, vectorized->replacements);
}

LogicalResult tidyVectorTransfers(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  // Transfers of slices become transfers of the whole tensor (in place
  // once bufferized); broadcast reads become a load and a broadcast.
  tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
  vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
  vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
  // Bounded by the function's size, in case patterns undo each other:
  // stopping early leaves correct code, only less tidy.
  auto apply = [&](RewritePatternSet &&set) {
    int64_t ops = 0;
    func.walk([&](Operation *) { ++ops; });
    GreedyRewriteConfig config = functionRewrites();
    config.setMaxNumRewrites(std::max<int64_t>(1000, 20 * ops));
    (void)applyPatternsGreedily(func, std::move(set), config);
  };
  apply(std::move(patterns));
  // Then broadcasts of a scalar (a 0-d read) become broadcasts of an f32,
  // alone: beside the cast-away-leading-one-dim patterns, the broadcast
  // lowering rewrote one broadcast into extract/insert chains and back
  // until the bound (a 25-line reduction of f32[3, 5, 6, 60] grew to
  // 20,500 lines and took 30 s to compile; a sum of a sum over two axes
  // once grew past 6 GB).
  RewritePatternSet broadcasts(ctx);
  vector::populateVectorBroadcastLoweringPatterns(broadcasts);
  apply(std::move(broadcasts));
  return success();
}

} // namespace nabla
