//===- VectorizeReductions.cpp - Vector code for float reductions ---------===//
//
// nabla-cpu-vectorize-reductions: see Passes.td. A reduction left to LLVM
// is a scalar loop whose every add waits for the previous one (4 cycles):
// the gradient norms of W3's step alone took 5 ms of 69. Here the sums are
// vectors, and several of them, so that the adds overlap.
//
// Both forms use upstream's tiling: a parallel innermost loop is tiled with
// the reduced loops innermost and the result tile, read and written at each
// step, is hoisted into a vector loop-carried value; a reduced innermost
// loop is tiled with PartialReductionOuterReduction, which sums into a
// tensor of partial sums (one per lane) and merges them after the loop.
//
//===----------------------------------------------------------------------===//
#include "codegen/GreedyRewrites.h"
#include "codegen/cpu/VectorTiles.h"
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUVECTORIZEREDUCTIONS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

/// Whether `op` is a float reduction into one f32 result, read contiguously,
/// whose combiner upstream can split into partial sums.
bool isVectorizableReduction(linalg::GenericOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1 ||
      !readsContiguously(op, /*f32Results=*/true))
    return false;
  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) ||
      combiners.size() != 1)
    return false;
  return isa<arith::AddFOp, arith::MaximumFOp, arith::MinimumFOp,
             arith::MaxNumFOp, arith::MinNumFOp>(combiners.front());
}

/// Lanes of the innermost tile: 4 vectors where they divide `size` (4
/// independent chains of adds), else one, else 0 (not vectorized).
int64_t tileLanes(int64_t size, int64_t lanes) {
  if (size % (4 * lanes) == 0)
    return 4 * lanes;
  return vectorWidth(size, lanes);
}

SmallVector<unsigned> loopsOfType(linalg::GenericOp op,
                                  utils::IteratorType type) {
  SmallVector<unsigned> dims;
  for (auto [i, t] : llvm::enumerate(op.getIteratorTypesArray()))
    if (t == type)
      dims.push_back(i);
  return dims;
}

FailureOr<scf::SCFTilingResult> tile(RewriterBase &rewriter,
                                     linalg::GenericOp op,
                                     const scf::SCFTilingOptions &options) {
  rewriter.setInsertionPoint(op);
  auto tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return tiled;
}

/// The innermost loop is parallel (a column sum): tiles of 1 x ... x L
/// along it, with the reduced loops inside the parallel ones. Returns the
/// loops whose loop-carried result tile is to be hoisted into registers.
SmallVector<LoopLikeOpInterface> vectorizeAlongParallel(RewriterBase &rewriter,
                                                        linalg::GenericOp op,
                                                        int64_t lanes) {
  unsigned inner = op.getNumLoops() - 1;
  SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(1));
  sizes[inner] = rewriter.getIndexAttr(lanes);
  SmallVector<unsigned> parallel =
      loopsOfType(op, utils::IteratorType::parallel);
  SmallVector<unsigned> reduced =
      loopsOfType(op, utils::IteratorType::reduction);
  SmallVector<int64_t> order(parallel.begin(), parallel.end());
  order.append(reduced.begin(), reduced.end());
  scf::SCFTilingOptions options;
  options.setTileSizes(sizes)
      .setInterchange(order)
      .setReductionDims(reduced)
      .setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  auto tiled = tile(rewriter, op, options);
  if (failed(tiled))
    return {};
  // Tiles of the parallel loops write disjoint parts of the result.
  tiled->loops.front()->setAttr(attrs::kParallel, rewriter.getUnitAttr());
  vectorizeTile(rewriter, tiled->tiledOps.front());
  return tiled->loops;
}

/// The innermost loop is reduced (a sum of all elements, or of each row):
/// each tile of the parallel loops sums into L partial sums, merged after.
SmallVector<LoopLikeOpInterface> vectorizeAlongReduction(RewriterBase &rewriter,
                                                         linalg::GenericOp op,
                                                         int64_t lanes) {
  SmallVector<unsigned> parallel =
      loopsOfType(op, utils::IteratorType::parallel);
  SmallVector<unsigned> reduced =
      loopsOfType(op, utils::IteratorType::reduction);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // Partial sums cannot tile parallel loops: rows first, one at a time.
  if (llvm::any_of(parallel, [&](unsigned d) { return ranges[d] > 1; })) {
    SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(0));
    for (unsigned d : parallel)
      sizes[d] = rewriter.getIndexAttr(1);
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes).setLoopType(
        scf::SCFTilingOptions::LoopType::ForOp);
    auto rows = tile(rewriter, op, options);
    if (failed(rows))
      return {};
    rows->loops.front()->setAttr(attrs::kParallel, rewriter.getUnitAttr());
    op = cast<linalg::GenericOp>(rows->tiledOps.front());
  }
  SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(0));
  for (unsigned d : reduced)
    sizes[d] = rewriter.getIndexAttr(1);
  sizes.back() = rewriter.getIndexAttr(lanes);
  scf::SCFTilingOptions options;
  options.setTileSizes(sizes)
      .setReductionDims(reduced)
      .setReductionTilingStrategy(
          ReductionTilingStrategy::PartialReductionOuterReduction)
      .setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  auto tiled = tile(rewriter, op, options);
  if (failed(tiled))
    return {};
  for (Value init : tiled->initialValues)
    if (Operation *fill = init.getDefiningOp<linalg::FillOp>())
      vectorizeTile(rewriter, fill);
  vectorizeTile(rewriter, tiled->tiledOps.front());
  for (Operation *merge : tiled->mergeOps)
    if (isa<linalg::LinalgOp>(merge))
      vectorizeTile(rewriter, merge);
  return tiled->loops;
}

struct NablaCpuVectorizeReductionsPass
    : nabla::impl::NablaCpuVectorizeReductionsBase<
          NablaCpuVectorizeReductionsPass> {
  using NablaCpuVectorizeReductionsBase::NablaCpuVectorizeReductionsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::GenericOp> candidates, ops;
    func.walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() > 0 && op.hasPureTensorSemantics())
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      // Unit loops (a 1 x N partial sum of nabla-lower-fused's row tiles)
      // would hide which loop is innermost.
      if (op.getNumLoops() > 1 &&
          llvm::is_contained(op.getStaticLoopRanges(), 1)) {
        rewriter.setInsertionPoint(op);
        auto dropped = linalg::dropUnitDims(rewriter, op, {});
        if (succeeded(dropped)) {
          rewriter.replaceOp(op, dropped->replacements);
          op = cast<linalg::GenericOp>(dropped->resultOp.getOperation());
        }
      }
      if (isVectorizableReduction(op))
        ops.push_back(op);
    }
    if (ops.empty())
      return;
    int64_t lanes = std::max<int64_t>(vectorBits / 32, 4);
    SmallVector<LoopLikeOpInterface> loops;
    for (linalg::GenericOp op : ops) {
      int64_t inner = op.getStaticLoopRanges().back();
      int64_t width = tileLanes(inner, lanes);
      if (width == 0)
        continue;
      bool parallelInner =
          op.getIteratorTypesArray().back() == utils::IteratorType::parallel;
      SmallVector<LoopLikeOpInterface> made =
          parallelInner ? vectorizeAlongParallel(rewriter, op, width)
                        : vectorizeAlongReduction(rewriter, op, width);
      loops.append(made.begin(), made.end());
    }
    // Sums over unit dims become plain adds, the rest vector.reduction;
    // only then are the transfers tidied (upstream's unit-dim patterns
    // and an unlowered multi_reduction rewrite each other forever).
    RewritePatternSet reductions(&getContext());
    vector::MultiDimReductionOp::getCanonicalizationPatterns(reductions,
                                                             &getContext());
    vector::populateVectorMultiReductionLoweringPatterns(
        reductions, vector::VectorMultiReductionLowering::InnerReduction);
    if (failed(applyPatternsGreedily(func, std::move(reductions),
                                     nabla::functionRewrites())) ||
        failed(tidyVectorTransfers(func)))
      return signalPassFailure();
    // A tile of sums read and written at every step of a reduced loop
    // becomes a vector carried by the loop (registers), innermost first.
    for (LoopLikeOpInterface loop : llvm::reverse(loops))
      (void)hoistLoopInvariantSubsets(rewriter, loop);
  }
};

} // namespace
