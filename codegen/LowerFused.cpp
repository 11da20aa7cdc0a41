//===- LowerFused.cpp - One loop nest per fusion group --------------------===//
//
// nabla-fusion decided the groups on nabla ops; here, after the bodies are
// linalg on tensors, each group becomes one loop nest over tiles of rows
// with upstream's elementwise fusion and scf tile-and-fuse, and is then
// inlined. A group that cannot be tiled (a scalar group, or a pattern the
// upstream transforms refuse) is inlined as it is: still correct, only not
// fused further.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nabla {
#define GEN_PASS_DEF_NABLALOWERFUSED
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

/// The op every other op of the group feeds: the one whose results only
/// the terminator uses. Null if there is not exactly one.
linalg::LinalgOp findSink(FusedOp group) {
  Operation *yield = group.getBlock().getTerminator();
  linalg::LinalgOp sink;
  for (Operation &op : group.getBlock().without_terminator()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
    if (!linalgOp || op.getNumResults() == 0 || op.use_empty() ||
        llvm::any_of(op.getUsers(),
                     [&](Operation *user) { return user != yield; }))
      continue;
    if (sink)
      return nullptr;
    sink = linalgOp;
  }
  // A scalar tail (a loss's division by the batch size) has no loop to
  // tile: the loop nest ends at the op that feeds it.
  while (sink && sink.getNumLoops() == 0) {
    linalg::LinalgOp producer;
    for (Value in : sink->getOperands())
      if (auto def = in.getDefiningOp<linalg::LinalgOp>())
        if (def->getBlock() == &group.getBlock() && def.getNumLoops() > 0) {
          if (producer && producer != def)
            return nullptr;
          producer = def;
        }
    sink = producer;
  }
  return sink;
}

/// The sink's loop over the group's rows: the loop that walks dim 0 of the
/// first input made inside the group (or of its first input).
std::optional<unsigned> rowLoop(linalg::LinalgOp sink, Block &body) {
  OpOperand *rowOperand = nullptr;
  for (OpOperand *input : sink.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || type.getRank() == 0)
      continue;
    Operation *def = input->get().getDefiningOp();
    if (def && def->getBlock() == &body) {
      rowOperand = input;
      break;
    }
    if (!rowOperand)
      rowOperand = input;
  }
  if (!rowOperand)
    return std::nullopt;
  AffineMap map = sink.getMatchingIndexingMap(rowOperand);
  auto dim = dyn_cast<AffineDimExpr>(map.getResult(0));
  if (!dim)
    return std::nullopt;
  return dim.getPosition();
}

/// Rows per tile: the widest row of any tensor in the group times the tile
/// must fit in `tileBytes`; the tile divides `rows` (static shapes stay
/// static) and is at most half of it, so a group is a real loop.
int64_t rowsPerTile(Block &body, int64_t rows, int64_t tileBytes) {
  int64_t rowBytes = 1;
  body.walk([&](Operation *op) {
    for (Type t : op->getResultTypes()) {
      auto type = dyn_cast<RankedTensorType>(t);
      if (!type || type.getRank() == 0 || !type.hasStaticShape() ||
          type.getDimSize(0) != rows)
        continue;
      int64_t bytes = type.getNumElements() / rows *
                      std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
      rowBytes = std::max(rowBytes, bytes);
    }
  });
  int64_t tile = std::clamp<int64_t>(tileBytes / rowBytes, 1,
                                     std::max<int64_t>(1, rows / 2));
  while (rows % tile != 0)
    --tile;
  return tile;
}

/// Rows per tile of a group with a matmul: enough row blocks of the
/// matmul kernel (nabla-cpu-matmul-kernels, 4 rows each) that a panel of
/// B, brought into cache once, serves several of them.
int64_t matmulRowsPerTile(int64_t rows) {
  for (int64_t tile : {32, 16, 8, 4, 2})
    if (rows % tile == 0 && rows > tile)
      return tile;
  return 1;
}

/// Whether `a` and `b` compute the same values: the same inputs, maps and
/// body, all loops parallel, destinations only written (so they may differ).
bool sameComputation(linalg::GenericOp a, linalg::GenericOp b) {
  auto writeOnly = [](linalg::GenericOp g) {
    return g.getNumLoops() == g.getNumParallelLoops() &&
           llvm::none_of(g.getDpsInitsMutable(), [&](OpOperand &init) {
             return g.payloadUsesValueFromOperand(&init);
           });
  };
  return llvm::equal(a.getInputs(), b.getInputs()) &&
         a.getIndexingMaps() == b.getIndexingMaps() &&
         a.getIteratorTypes() == b.getIteratorTypes() &&
         a.getResultTypes() == b.getResultTypes() && writeOnly(a) &&
         writeOnly(b) &&
         OperationEquivalence::isRegionEquivalentTo(
             &a.getRegion(), &b.getRegion(),
             OperationEquivalence::IgnoreLocations);
}

/// Tile-and-fuse fuses a producer once for each of its readers in the
/// loop; the copies compute the same tile, so all but the first go.
void mergeDuplicateTiles(RewriterBase &rewriter, Operation *loop) {
  SmallVector<linalg::GenericOp> generics, kept;
  loop->walk([&](linalg::GenericOp g) { generics.push_back(g); });
  for (linalg::GenericOp g : generics) {
    auto same = llvm::find_if(kept, [&](linalg::GenericOp k) {
      return k->getBlock() == g->getBlock() && sameComputation(k, g);
    });
    if (same == kept.end()) {
      kept.push_back(g);
      continue;
    }
    rewriter.replaceOp(g, same->getResults());
  }
}

/// Tiles the group's sink along its rows and fuses every producer of the
/// group into the loop. Leaves the group as it is if it cannot.
void tileGroup(RewriterBase &rewriter, FusedOp group, int64_t tileBytes) {
  Block &body = group.getBlock();
  linalg::LinalgOp sink = findSink(group);
  if (!sink)
    return;
  std::optional<unsigned> loop = rowLoop(sink, body);
  if (!loop)
    return;
  SmallVector<int64_t> ranges = sink.getStaticLoopRanges();
  int64_t rows = ranges[*loop];
  if (ShapedType::isDynamic(rows) || rows < 2)
    return;
  // A matmul group is tiled by blocks of rows that nabla-cpu-matmul-kernels
  // turns into vector code (scalar tiles of several rows made LLVM unroll
  // the matmul's loops: 7x the compile time on deep_sigmoid.nb).
  bool hasMatmul = !body.getOps<linalg::MatmulOp>().empty();
  int64_t tile = hasMatmul ? matmulRowsPerTile(rows)
                           : rowsPerTile(body, rows, tileBytes);
  bool overReduction =
      sink.getIteratorTypesArray()[*loop] == utils::IteratorType::reduction;

  SmallVector<OpFoldResult> sizes(ranges.size(), rewriter.getIndexAttr(0));
  sizes[*loop] = rewriter.getIndexAttr(tile);
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(sizes).setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  if (overReduction)
    tiling.setReductionDims({*loop});
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  Operation *yield = body.getTerminator();
  SmallVector<Value> accumulators = sink.getDpsInits();
  llvm::DenseSet<Value> yieldedOnce;
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        // The sink's accumulator, fused into a loop over the reduction,
        // would be re-initialised at every tile.
        if (isDestination && overReduction &&
            llvm::is_contained(accumulators, Value(producer)))
          return std::nullopt;
        // A producer with several readers is fused once per reader; its
        // full value is yielded once (mergeDuplicateTiles merges copies).
        bool yielded = llvm::is_contained(producer.getUsers(), yield) &&
                       yieldedOnce.insert(producer).second;
        return scf::SCFTileAndFuseOptions::ControlFnResult{yielded};
      });
  rewriter.setInsertionPoint(sink);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(sink.getOperation()), options);
  if (failed(result))
    return;
  // Fusion leaves slices of the originals it did not need in the loop.
  Operation *outer = result->loops.front();
  // Tiles of rows of a parallel loop write disjoint rows: they may run on
  // several threads (nabla-cpu-parallel decides). A loop over the rows a
  // reduction sums may not.
  if (!overReduction)
    outer->setAttr(nabla::attrs::kParallel, rewriter.getUnitAttr());
  SmallVector<Operation *> nested;
  outer->walk([&](Operation *op) { nested.push_back(op); });
  for (Operation *op : llvm::reverse(nested))
    if (op != outer && isOpTriviallyDead(op))
      rewriter.eraseOp(op);
  mergeDuplicateTiles(rewriter, outer);
  for (auto [original, replacement] : result->replacements)
    rewriter.replaceAllUsesWith(original, replacement);
  // The untiled originals are now dead.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      rewriter.eraseOp(&op);
}

/// Moves the group's ops in front of it, marks the loop nests with the
/// group's name, and replaces the group's results with what it yielded.
void inlineGroup(RewriterBase &rewriter, FusedOp group) {
  Block &body = group.getBlock();
  auto yield = cast<YieldOp>(body.getTerminator());
  SmallVector<Value> results = yield.getValues();
  auto name = rewriter.getStringAttr(group.getName());
  for (Operation &op : body.without_terminator())
    if (isa<linalg::LinalgOp, LoopLikeOpInterface>(op))
      op.setAttr(attrs::kGroup, name);
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, group, group.getInputs());
  rewriter.replaceOp(group, results);
}

bool isElementwiseGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && generic.getNumLoops() == generic.getNumParallelLoops();
}

struct NablaLowerFusedPass
    : nabla::impl::NablaLowerFusedBase<NablaLowerFusedPass> {
  using NablaLowerFusedBase::NablaLowerFusedBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    // Only a producer with no other user fuses (upstream would otherwise
    // compute it twice); the rest meet in the tiled loop.
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          Operation *producer = operand->get().getDefiningOp();
          return isElementwiseGeneric(producer) && producer->hasOneUse();
        });
    FrozenRewritePatternSet frozen(std::move(patterns));

    SmallVector<FusedOp> groups;
    getOperation().walk([&](FusedOp group) { groups.push_back(group); });
    IRRewriter rewriter(ctx);
    for (FusedOp group : groups) {
      (void)applyPatternsGreedily(group.getBody(), frozen);
      if (tile)
        tileGroup(rewriter, group, tileBytes);
      inlineGroup(rewriter, group);
    }
  }
};

} // namespace
