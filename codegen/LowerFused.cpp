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
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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

/// Whether `slice` (an extract_slice or insert_slice) covers all of a
/// tensor of the same type: tiling leaves such slices of the accumulators
/// it does not tile.
template <typename SliceOp> bool isWhole(SliceOp slice) {
  return slice.getSourceType() == slice.getResultType() &&
         slice.getSourceType().hasStaticShape() &&
         areAllConstantIntValue(slice.getMixedOffsets(), 0) &&
         areAllConstantIntValue(slice.getMixedStrides(), 1);
}

/// Replaces the whole-tensor slices of `loop`'s iter_arg `i` by the
/// tensors themselves.
void foldWholeSlices(RewriterBase &rewriter, scf::ForOp loop, unsigned i) {
  BlockArgument acc = loop.getRegionIterArgs()[i];
  for (Operation *user : llvm::make_early_inc_range(acc.getUsers())) {
    if (auto read = dyn_cast<tensor::ExtractSliceOp>(user);
        read && isWhole(read))
      rewriter.replaceOp(read, acc);
    else if (auto write = dyn_cast<tensor::InsertSliceOp>(user);
             write && write.getDest() == acc && isWhole(write))
      rewriter.replaceOp(write, write.getSource());
  }
}

/// The sum `loop` accumulates in its iter_arg `i`: the linalg.generic that
/// reads the iter_arg as its only init, whose result the loop yields there,
/// and whose body adds into the init (acc + f(x)). Null if it is not that.
linalg::GenericOp tiledSum(scf::ForOp loop, unsigned i) {
  BlockArgument acc = loop.getRegionIterArgs()[i];
  if (!acc.hasOneUse())
    return nullptr;
  auto sum = dyn_cast<linalg::GenericOp>(*acc.getUsers().begin());
  if (!sum || sum.getNumDpsInits() != 1 || sum.getDpsInits()[0] != acc ||
      loop.getYieldedValues()[i] != sum.getResult(0))
    return nullptr;
  BlockArgument into =
      sum.getMatchingBlockArgument(&sum.getDpsInitsMutable()[0]);
  auto add = sum.getBody()
                 ->getTerminator()
                 ->getOperand(0)
                 .getDefiningOp<arith::AddFOp>();
  if (!add || !into.hasOneUse() ||
      (add.getLhs() != into && add.getRhs() != into))
    return nullptr;
  return sum;
}

/// Makes the sum that `loop` (over tiles of the rows it reduces) carries in
/// iter_arg `i` one partial sum per tile, added up after the loop: each
/// iteration then writes only its own part, and the loop may run on
/// several threads like the loops over rows of the other groups (a bias
/// gradient or a norm in a matmul group otherwise leaves the matmul's
/// loop sequential). The partial sums are in the same order whatever the
/// threads, so the results do not depend on them.
bool sumPerTile(RewriterBase &rewriter, scf::ForOp loop, unsigned i) {
  foldWholeSlices(rewriter, loop, i);
  linalg::GenericOp sum = tiledSum(loop, i);
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  auto accType = dyn_cast<RankedTensorType>(loop.getInitArgs()[i].getType());
  if (!sum || !lb || !ub || !step || *step <= 0 || (*ub - *lb) % *step != 0 ||
      !accType || !accType.hasStaticShape() ||
      !isa<FloatType>(accType.getElementType()))
    return false;
  int64_t tiles = (*ub - *lb) / *step;
  Location loc = loop.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<int64_t> shape = {tiles};
  llvm::append_range(shape, accType.getShape());
  auto partialType = RankedTensorType::get(shape, accType.getElementType());
  Value init = loop.getInitArgs()[i];
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : loop.getResult(i).getUses())
    uses.push_back(&use);

  rewriter.setInsertionPoint(loop);
  Value partials =
      tensor::EmptyOp::create(rewriter, loc, shape, accType.getElementType());
  BlockArgument acc = loop.getRegionIterArgs()[i];
  rewriter.modifyOpInPlace(loop, [&] {
    loop.getInitArgsMutable()[i].set(partials);
    acc.setType(partialType);
    loop.getResult(i).setType(partialType);
  });

  // In the loop: this tile's partial sums start at zero.
  rewriter.setInsertionPoint(sum);
  Value fromStart =
      arith::SubIOp::create(rewriter, loc, loop.getInductionVar(),
                            arith::ConstantIndexOp::create(rewriter, loc, *lb));
  Value tile = arith::DivUIOp::create(
      rewriter, loc, fromStart,
      arith::ConstantIndexOp::create(rewriter, loc, *step));
  SmallVector<OpFoldResult> offsets(shape.size(), rewriter.getIndexAttr(0));
  offsets[0] = tile;
  SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1)};
  for (int64_t d : accType.getShape())
    sizes.push_back(rewriter.getIndexAttr(d));
  SmallVector<OpFoldResult> strides(shape.size(), rewriter.getIndexAttr(1));
  Value part = tensor::ExtractSliceOp::create(rewriter, loc, accType, acc,
                                              offsets, sizes, strides);
  Value zero = arith::ConstantOp::create(
      rewriter, loc, rewriter.getFloatAttr(accType.getElementType(), 0.0));
  Value zeros =
      linalg::FillOp::create(rewriter, loc, ValueRange{zero}, ValueRange{part})
          .getResult(0);
  rewriter.modifyOpInPlace(sum,
                           [&] { sum.getDpsInitsMutable()[0].set(zeros); });
  rewriter.setInsertionPointAfter(sum);
  Value written = tensor::InsertSliceOp::create(rewriter, loc, sum.getResult(0),
                                                acc, offsets, sizes, strides);
  Operation *yield = loop.getBody()->getTerminator();
  rewriter.modifyOpInPlace(yield, [&] { yield->setOperand(i, written); });

  // After it: the accumulator's first value plus every tile's sums.
  rewriter.setInsertionPointAfter(loop);
  unsigned rank = shape.size();
  SmallVector<AffineExpr> kept;
  for (unsigned d = 1; d < rank; ++d)
    kept.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, kept, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[0] = utils::IteratorType::reduction;
  auto total = linalg::GenericOp::create(
      rewriter, loc, accType, ValueRange{loop.getResult(i)}, ValueRange{init},
      maps, iterators, [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l, arith::AddFOp::create(b, l, args[0], args[1]).getResult());
      });
  total->setAttr(attrs::kPartialSums, rewriter.getUnitAttr());
  for (OpOperand *use : uses)
    rewriter.modifyOpInPlace(use->getOwner(),
                             [&] { use->set(total.getResult(0)); });
  return true;
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
  SmallVector<Operation *> nested;
  outer->walk([&](Operation *op) { nested.push_back(op); });
  for (Operation *op : llvm::reverse(nested))
    if (op != outer && isOpTriviallyDead(op))
      rewriter.eraseOp(op);
  mergeDuplicateTiles(rewriter, outer);
  for (auto [original, replacement] : result->replacements)
    rewriter.replaceAllUsesWith(original, replacement);
  // Tiles of rows of a parallel loop write disjoint rows: they may run on
  // several threads (nabla-cpu-parallel decides). A loop over the rows a
  // sum reduces may too once each tile has its own partial sums; other
  // reductions over rows keep it sequential.
  bool parallel = true;
  if (overReduction) {
    auto loop = cast<scf::ForOp>(outer);
    for (unsigned i = 0, e = loop.getNumRegionIterArgs(); i < e; ++i)
      if (llvm::is_contained(accumulators, loop.getInitArgs()[i]))
        parallel &= sumPerTile(rewriter, loop, i);
  }
  if (parallel)
    outer->setAttr(nabla::attrs::kParallel, rewriter.getUnitAttr());
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
  // A result that folded to one of the group's own arguments (-(-x),
  // 1.0 * x, a cast to the same type) is that argument's input outside:
  // the block argument dies with the block.
  for (Value &result : results)
    if (auto arg = dyn_cast<BlockArgument>(result);
        arg && arg.getOwner() == &body)
      result = group.getInputs()[arg.getArgNumber()];
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
