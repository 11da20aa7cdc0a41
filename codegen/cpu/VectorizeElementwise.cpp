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
#include "codegen/GreedyRewrites.h"
#include "codegen/cpu/VectorTiles.h"
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUVECTORIZEELEMENTWISE
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

/// The loop a 2-D transposed read of `op` walks contiguously instead of
/// the innermost: the last dim of an f32 input whose map has the innermost
/// loop elsewhere (w[j, k] read in a loop nest over (k, j)). -1 when every
/// input reads along the innermost loop or broadcasts; nullopt when an
/// input reads some other way.
std::optional<int64_t> transposedLoop(linalg::GenericOp op) {
  unsigned inner = op.getNumLoops() - 1;
  int64_t other = -1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    // Zeros in the results are size-1 dims broadcast (a per-channel
    // [1, C, 1, 1] operand reads (0, d1, 0, 0)).
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true) || !type)
      return std::nullopt;
    std::optional<unsigned> at =
        map.getResultPosition(getAffineDimExpr(inner, op.getContext()));
    if (!at || *at + 1 == map.getNumResults())
      continue;
    auto lastDim = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!lastDim)
      return std::nullopt;
    int64_t last = lastDim.getPosition();
    if (!type.getElementType().isF32() || (other >= 0 && other != last))
      return std::nullopt;
    other = last;
  }
  return other;
}

/// The tile each vector op of `op` computes: 1 x ... x 1 x W where every
/// loop is parallel, the results are written along the innermost loop
/// (permutation maps with that loop last: a packing of B into panels) and
/// the inputs read contiguously along the innermost loop, or broadcast;
/// with 16 lanes, 16 x 16 over the two loops a 2-D transpose swaps (the
/// packing of a transposed B: a 16 x 16 vector.transpose in registers).
/// Reductions and other reads are left alone (nullopt).
std::optional<SmallVector<int64_t>> tileShape(linalg::GenericOp op,
                                              int64_t lanes) {
  if (!hasStaticFloatOperands(op, /*f32Results=*/false) ||
      op.getNumLoops() != op.getNumParallelLoops())
    return std::nullopt;
  unsigned inner = op.getNumLoops() - 1;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    if (!map.isPermutation() || map.getDimPosition(inner) != inner)
      return std::nullopt;
  }
  std::optional<int64_t> other = transposedLoop(op);
  if (!other)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> sizes(ranges.size(), 1);
  if (*other < 0) {
    sizes.back() = vectorWidth(ranges.back(), lanes);
    // A narrow innermost dim that no power of two divides (a pooled row
    // of 14 or 5) is one vector of its width: LLVM splits vector<14xf32>
    // into 8 + 4 + 2, still far fewer ops than a scalar loop.
    if (sizes.back() == 0 && ranges.back() >= 2 && ranges.back() < lanes)
      sizes.back() = ranges.back();
  } else if (lanes == 16 && ranges.back() % 16 == 0 &&
             ranges[*other] % 16 == 0) {
    // Only 16 x 16 f32 transposes have a good shuffle sequence upstream.
    sizes.back() = sizes[*other] = 16;
  } else {
    return std::nullopt;
  }
  if (sizes.back() == 0)
    return std::nullopt;
  return sizes;
}

/// Whether `offset` is a multiple of 16: a constant, or the index of a
/// loop whose start and step are.
bool multipleOf16(OpFoldResult offset) {
  if (std::optional<int64_t> c = getConstantIntValue(offset))
    return *c % 16 == 0;
  auto loop = scf::getForInductionVarOwner(dyn_cast<Value>(offset));
  if (!loop)
    return false;
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  return lb && step && *lb % 16 == 0 && *step % 16 == 0;
}

/// The tensor a tile is part of: `v` through slices and the loops that
/// carry it (nabla-lower-fused's row tiles); null through a slice whose
/// rows might not start on a 16-element boundary.
Value writtenTensor(Value v) {
  while (true) {
    if (auto slice = v.getDefiningOp<tensor::ExtractSliceOp>()) {
      if (slice.getSourceType().getRank() != slice.getType().getRank() ||
          !multipleOf16(slice.getMixedOffsets().back()) ||
          !llvm::all_of(slice.getStaticStrides(),
                        [](int64_t s) { return s == 1; }))
        return nullptr;
      v = slice.getSource();
      continue;
    }
    auto arg = dyn_cast<BlockArgument>(v);
    auto loop = arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp())
                    : scf::ForOp();
    if (!loop || arg.getArgNumber() == 0)
      return v;
    v = loop.getInitArgs()[arg.getArgNumber() - 1];
  }
}

/// Whether `op`'s results are streams too large for the caches, written
/// in whole 64-byte lines: 16 x 32-bit vectors along rows that 16 divides
/// (so that every vector starts a line of a 64-byte aligned buffer).
bool writesWholeLines(linalg::GenericOp op, ArrayRef<int64_t> sizes,
                      int64_t minBytes) {
  if (minBytes <= 0 || sizes.back() != 16 ||
      llvm::count_if(sizes, [](int64_t s) { return s > 1; }) != 1)
    return false;
  return llvm::all_of(op.getDpsInits(), [&](Value init) {
    auto type = cast<RankedTensorType>(init.getType());
    Value written = writtenTensor(init);
    if (!written)
      return false;
    auto whole = cast<RankedTensorType>(written.getType());
    return type.getElementTypeBitWidth() == 32 &&
           type.getShape().back() % 16 == 0 &&
           whole.getShape().back() % 16 == 0 &&
           whole.getNumElements() * 4 >= minBytes;
  });
}

/// Tiles `op` to `sizes` and vectorizes the tile. The loops over tiles
/// write disjoint parts: the outermost is marked parallel (and
/// nontemporal if `nontemporal`).
void vectorizeOp(RewriterBase &rewriter, linalg::GenericOp op,
                 ArrayRef<int64_t> sizes, bool nontemporal) {
  Operation *tile = op;
  if (op.getStaticLoopRanges() != sizes) {
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes))
        .setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    rewriter.setInsertionPoint(op);
    auto tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return;
    rewriter.replaceOp(op, tiled->replacements);
    if (!tiled->loops.empty()) {
      tiled->loops.front()->setAttr(nabla::attrs::kParallel,
                                    rewriter.getUnitAttr());
      if (nontemporal)
        tiled->loops.front()->setAttr(nabla::attrs::kNontemporal,
                                      rewriter.getUnitAttr());
    }
    tile = tiled->tiledOps.front();
  }
  // A W x W transposing tile as a 2-D op, so that its vector.transpose is
  // one the shuffle lowering knows (16 x 16), not 1 x W x W (whose
  // unit-dim patterns and transfer patterns rewrite each other forever).
  if (llvm::count_if(sizes, [](int64_t s) { return s > 1; }) > 1) {
    rewriter.setInsertionPoint(tile);
    // Rank-reducing slices, which bufferize to views (a collapse_shape of
    // a strided slice would be copied).
    linalg::ControlDropUnitDims control;
    control.rankReductionStrategy =
        linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
    auto dropped =
        linalg::dropUnitDims(rewriter, cast<linalg::GenericOp>(tile), control);
    if (succeeded(dropped)) {
      rewriter.replaceOp(tile, dropped->replacements);
      tile = dropped->resultOp.getOperation();
    }
  }
  vectorizeTile(rewriter, tile);
}

/// Whether `read` reads a 1-D vector along the last dim of a slice whose
/// stride there is a constant above 1 (a pooling window's view).
bool readsStrided(vector::TransferReadOp read) {
  auto slice = read.getBase().getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || read.getMask() || read.getVectorType().getRank() != 1 ||
      !read.getPermutationMap().isMinorIdentity() ||
      !read.getInBoundsValues()[0] ||
      slice.getSourceType().getRank() != slice.getType().getRank())
    return false;
  ArrayRef<int64_t> strides = slice.getStaticStrides();
  return llvm::none_of(strides, ShapedType::isDynamic) && strides.back() > 1;
}

/// Each strided read (readsStrided) as one contiguous read of the
/// s (L - 1) + 1 elements its L lanes span and a shuffle of every s-th:
/// LLVM would lower the strided read to a loop of scalar loads and
/// inserts. The span ends at the last element read, so it is in bounds.
void readStridedAsShuffles(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<vector::TransferReadOp> reads;
  func.walk([&](vector::TransferReadOp read) {
    if (readsStrided(read))
      reads.push_back(read);
  });
  for (vector::TransferReadOp read : reads) {
    auto slice = read.getBase().getDefiningOp<tensor::ExtractSliceOp>();
    Location loc = read.getLoc();
    rewriter.setInsertionPoint(read);
    SmallVector<Value> indices;
    for (auto [index, offset, stride] :
         llvm::zip(read.getIndices(), slice.getMixedOffsets(),
                   slice.getStaticStrides())) {
      Value at = index;
      if (stride != 1)
        at = arith::MulIOp::create(
            rewriter, loc, at,
            arith::ConstantIndexOp::create(rewriter, loc, stride));
      at = arith::AddIOp::create(
          rewriter, loc, at,
          getValueOrCreateConstantIndexOp(rewriter, loc, offset));
      indices.push_back(at);
    }
    int64_t lanes = read.getVectorType().getDimSize(0);
    int64_t stride = slice.getStaticStrides().back();
    auto spanType = VectorType::get({stride * (lanes - 1) + 1},
                                    read.getVectorType().getElementType());
    Value span = vector::TransferReadOp::create(
        rewriter, loc, spanType, slice.getSource(), indices, read.getPadding(),
        ArrayRef<bool>{true});
    SmallVector<int64_t> every;
    for (int64_t i = 0; i < lanes; ++i)
      every.push_back(i * stride);
    rewriter.replaceOpWithNewOp<vector::ShuffleOp>(read, span, span, every);
  }
}

struct NablaCpuVectorizeElementwisePass
    : nabla::impl::NablaCpuVectorizeElementwiseBase<
          NablaCpuVectorizeElementwisePass> {
  using NablaCpuVectorizeElementwiseBase::NablaCpuVectorizeElementwiseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    int64_t lanes = std::max<int64_t>(vectorBits / 32, 4);
    SmallVector<std::pair<linalg::GenericOp, SmallVector<int64_t>>> ops;
    func.walk([&](linalg::GenericOp op) {
      if (auto sizes = tileShape(op, lanes))
        ops.push_back({op, *sizes});
    });
    if (ops.empty())
      return;
    IRRewriter rewriter(ctx);
    for (auto &[op, sizes] : ops)
      vectorizeOp(rewriter, op, sizes,
                  writesWholeLines(op, sizes, nontemporalBytes));
    // Transposed reads become a read and a W x W vector.transpose (tidying
    // lowers their permutation maps), then shuffles (16 x 16: the AVX-512
    // sequence of unpacks and lane permutes).
    RewritePatternSet transposes(ctx);
    vector::populateVectorTransposeLoweringPatterns(
        transposes, vector::VectorTransposeLowering::Shuffle16x16);
    if (failed(tidyVectorTransfers(func)) ||
        failed(applyPatternsGreedily(func, std::move(transposes),
                                     nabla::functionRewrites())))
      return signalPassFailure();
    // (After tidying, which folds each tile's slice into its reads.)
    readStridedAsShuffles(rewriter, func);
  }
};

} // namespace
