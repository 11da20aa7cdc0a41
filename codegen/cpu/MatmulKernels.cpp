//===- MatmulKernels.cpp - Register-blocked, vectorized matmuls -----------===//
//
// nabla-cpu-matmul-kernels: see Passes.td. The steps are upstream's:
// scf tiling, linalg vectorization, hoisting of loop-invariant subsets
// (the C block becomes a loop-carried vector; HoistBlocks.cpp does it
// faster where the block's indices show it), and the lowering of
// vector.contract to outer products.
//
//===----------------------------------------------------------------------===//
#include "MatmulKernels.h"
#include "codegen/GreedyRewrites.h"
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUMATMULKERNELS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

//===----------------------------------------------------------------------===//
// Shared with the bf16 dot-product kernel (MatmulKernels.h)
//===----------------------------------------------------------------------===//

std::optional<nabla::MatmulBlock> nabla::bestBlock(int64_t m, int64_t n,
                                                   int64_t lanes,
                                                   int64_t registers,
                                                   ArrayRef<int64_t> widths) {
  // Registers the k step needs besides the C block: the row of B, a
  // broadcast element of A, and slack for the compiler.
  constexpr int64_t kWorkingRegisters = 8;
  int64_t budget = std::max<int64_t>(registers - kWorkingRegisters, 4);
  std::optional<MatmulBlock> best;
  double bestCost = 0;
  for (int64_t mr : {8, 7, 6, 5, 4, 3, 2, 1}) {
    for (int64_t nr : widths) {
      if (m % mr != 0 || n % nr != 0)
        continue;
      int64_t vectors = (nr + lanes - 1) / lanes;
      if (mr * vectors > budget)
        continue;
      // Vector loads per multiply-add; ties go to the first found (more
      // rows).
      double cost = double(mr + vectors) / double(mr * vectors);
      if (!best || cost < bestCost) {
        best = MatmulBlock{mr, nr};
        bestCost = cost;
      }
    }
  }
  return best;
}

linalg::FillOp nabla::constantFill(linalg::MatmulOp op, FloatAttr &value) {
  auto fill = op.getOutputs()[0].getDefiningOp<linalg::FillOp>();
  if (fill && matchPattern(fill.getInputs()[0], m_Constant(&value)))
    return fill;
  return nullptr;
}

Value nabla::transposeSource(Value v) {
  auto t = v.getDefiningOp<linalg::TransposeOp>();
  if (!t || t.getPermutation() != ArrayRef<int64_t>{1, 0} ||
      !t.hasPureTensorSemantics())
    return nullptr;
  return t.getInput();
}

// Right before the loop nest of the matmul, not where B is defined: for a
// weight that is the start of the step, where all the packed weights of
// the step would be written before any is read.
void nabla::setPackInsertionPoint(RewriterBase &rewriter, Value source,
                                  Operation *kernel) {
  mlir::Block *defined = isa<BlockArgument>(source)
                             ? cast<BlockArgument>(source).getOwner()
                             : source.getDefiningOp()->getBlock();
  Operation *nest = kernel;
  while (nest && nest->getBlock() != defined)
    nest = nest->getParentOp();
  if (nest)
    rewriter.setInsertionPoint(nest);
  else if (auto arg = dyn_cast<BlockArgument>(source))
    rewriter.setInsertionPointToStart(arg.getOwner());
  else
    rewriter.setInsertionPointAfter(source.getDefiningOp());
}

namespace {

using nabla::setPackInsertionPoint;
using nabla::transposeSource;

using Block = nabla::MatmulBlock;

/// The register block of C for `op`: of the blocks dividing M x N (nr a
/// multiple of 8, or all of a narrow N), nabla::bestBlock's choice.
std::optional<Block> chooseBlock(linalg::MatmulOp op, int64_t lanes,
                                 int64_t registers) {
  auto a = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto b = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  auto c = dyn_cast<RankedTensorType>(op.getOutputs()[0].getType());
  if (!a || !b || !c || !a.hasStaticShape() || !b.hasStaticShape() ||
      !c.hasStaticShape())
    return std::nullopt;
  // f32 sums; the inputs may be 16-bit (mixed precision), widened as they
  // are loaded.
  auto input = [](Type t) { return t.isF32() || t.isF16() || t.isBF16(); };
  if (!input(a.getElementType()) || !input(b.getElementType()) ||
      !c.getElementType().isF32())
    return std::nullopt;
  int64_t n = c.getDimSize(1);
  // Narrow results (a classifier's 10 columns) are one block wide: a
  // vector of N lanes (LLVM splits it, e.g. 8 + 2) beats scalar loops.
  SmallVector<int64_t> widths = {64, 48, 32, 16, 8};
  if (n < 64 && n % 8 != 0 && n >= 4)
    widths.push_back(n);
  return nabla::bestBlock(c.getDimSize(0), n, lanes, registers, widths);
}

/// C filled with a constant before a matmul sums into it.
struct CStart {
  FloatAttr value;
  linalg::FillOp fill;
};

/// A blocked matmul whose B may be packed: the loop over its column
/// blocks, B, and the block's width.
struct Panels {
  scf::ForOp columnLoop;
  Value b;
  int64_t nr;
};

/// Whether packing B pays: each panel of B is then read by enough row
/// blocks (here or in the loops around the matmul, which run it again on
/// other rows) to amortize one copy of B.
bool worthPacking(linalg::MatmulOp op, Block block) {
  // A slice (one matrix of a batch) is folded into the kernel's reads,
  // through to the tensor it slices: nothing would be left to pack.
  if (op.getInputs()[1].getDefiningOp<tensor::ExtractSliceOp>())
    return false;
  auto b = cast<RankedTensorType>(op.getInputs()[1].getType());
  int64_t m =
      cast<RankedTensorType>(op.getOutputs()[0].getType()).getDimSize(0);
  bool inLoop = op->getParentOfType<LoopLikeOpInterface>() != nullptr;
  return b.getDimSize(0) >= 16 && (inLoop || m / block.mr >= 4);
}

/// Tiles `op` to mr x nr x 1 and vectorizes the tile; false if it cannot.
/// Appends the loops it made, outermost first, and the matmul to `panels`
/// if its B should be packed; where C starts as a constant, maps the k loop
/// to it in `starts`.
bool blockAndVectorize(RewriterBase &rewriter, linalg::MatmulOp op, Block block,
                       SmallVectorImpl<LoopLikeOpInterface> &loops,
                       SmallVectorImpl<Panels> &panels,
                       DenseMap<Operation *, CStart> &starts,
                       DenseMap<Value, int64_t> &rowPanels, bool chunk) {
  bool pack = worthPacking(op, block);
  Value b = op.getInputs()[1];
  // A chunk of k (chunkReduction) reads its rows of the whole B, which is
  // packed once, before the loop over the chunks.
  if (chunk) {
    b = b.getDefiningOp<tensor::ExtractSliceOp>().getSource();
    pack = true;
  }
  // A transposed A read by at least two column blocks: its panels pay
  // (one mr for all the kernels that read it, or none).
  Value a = op.getInputs()[0];
  int64_t n =
      cast<RankedTensorType>(op.getOutputs()[0].getType()).getDimSize(1);
  if (transposeSource(a) && n / block.nr >= 2) {
    auto [it, added] = rowPanels.try_emplace(a, block.mr);
    if (!added && it->second != block.mr)
      it->second = 0;
  }
  // C filled with a constant (the zeros a matmul sums into): once the
  // block's reads of C are hoisted before the k loop, they become the
  // constant, and the fill goes (startAtConstant).
  CStart start;
  start.fill = nabla::constantFill(op, start.value);
  scf::SCFTilingOptions options;
  options.setTileSizes({rewriter.getIndexAttr(block.mr),
                        rewriter.getIndexAttr(block.nr),
                        rewriter.getIndexAttr(1)});
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  // Columns of C outside rows: the k x nr panel of B (k x 64 bytes) stays
  // in L2 while every row block of A passes over it, so B is read from
  // memory once, not once per row block.
  options.setInterchange({1, 0, 2});
  rewriter.setInsertionPoint(op);
  auto tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return false;
  rewriter.replaceOp(op, tiled->replacements);
  for (LoopLikeOpInterface loop : tiled->loops)
    loops.push_back(loop);
  // Each column block writes its own columns of C, and each row block its
  // own rows of those: either loop may run on several threads (nabla-cpu-
  // parallel takes the outermost with enough iterations; a conv's 64
  // output channels are one column block).
  for (LoopLikeOpInterface loop : ArrayRef(tiled->loops).take_front(2))
    loop->setAttr(nabla::attrs::kParallel, rewriter.getUnitAttr());
  auto columns =
      tiled->loops.empty()
          ? scf::ForOp()
          : dyn_cast<scf::ForOp>(tiled->loops.front().getOperation());
  if (columns) {
    if (pack)
      panels.push_back({columns, b, block.nr});
  }
  Operation *tile = tiled->tiledOps.front();
  rewriter.setInsertionPoint(tile);
  auto vectorized = linalg::vectorize(rewriter, tile, {}, {}, false, false,
                                      false, /*createNamedContraction=*/true);
  if (failed(vectorized))
    return true; // tiled loops of scalar code still compute the same
  rewriter.replaceOp(tile, vectorized->replacements);
  if (start.fill)
    starts[tiled->loops.back().getOperation()] = start;
  return true;
}

/// Where the k loop's C block, now loop-carried vectors, is read before
/// the loop, and C was filled with a constant: the block starts at the
/// constant, and C, written whole by the blocks, need not be filled.
void startAtConstant(RewriterBase &rewriter, scf::ForOp k, CStart start) {
  bool started = false;
  for (OpOperand &init : k.getInitArgsMutable()) {
    auto read = init.get().getDefiningOp<vector::TransferReadOp>();
    if (!read)
      continue;
    rewriter.setInsertionPoint(read);
    Value cst = arith::ConstantOp::create(
        rewriter, read.getLoc(),
        DenseElementsAttr::get(read.getVectorType(), start.value.getValue()));
    rewriter.modifyOpInPlace(k, [&] { init.set(cst); });
    started = true;
  }
  if (!started)
    return;
  // The loops around k take the fill as C's initial value: give them an
  // empty tensor instead. A fill that CSE shared between matmuls (one zero
  // tensor of a shape) would otherwise be copied for each of them before
  // it is overwritten whole (41 copies of 2 MiB in W7's step).
  Value filled = start.fill.getResult(0);
  for (Operation *loop = k; loop; loop = loop->getParentOp()) {
    auto forOp = dyn_cast<scf::ForOp>(loop);
    if (!forOp)
      break;
    for (OpOperand &init : forOp.getInitArgsMutable()) {
      if (init.get() != filled)
        continue;
      rewriter.setInsertionPoint(forOp);
      Value empty = tensor::EmptyOp::create(
          rewriter, forOp.getLoc(), cast<RankedTensorType>(filled.getType()),
          ValueRange{});
      rewriter.modifyOpInPlace(forOp, [&] { init.set(empty); });
    }
  }
  if (start.fill->use_empty())
    rewriter.eraseOp(start.fill);
}

/// The reads of B in `p`'s k loop, if each is one nr-wide row of a panel
/// (B[k, j : j + nr], j the column loop's index); empty otherwise.
SmallVector<vector::TransferReadOp> panelReads(Panels p) {
  SmallVector<vector::TransferReadOp> reads;
  bool ok = true;
  p.columnLoop.walk([&](vector::TransferReadOp read) {
    if (read.getBase() != p.b)
      return;
    auto type = read.getVectorType();
    ok &= type.getRank() == 1 && type.getDimSize(0) == p.nr &&
          read.getPermutationMap().isMinorIdentity() &&
          read.getIndices().size() == 2 &&
          read.getIndices()[1] == p.columnLoop.getInductionVar();
    reads.push_back(read);
  });
  if (!ok)
    reads.clear();
  return reads;
}

/// Copies B (K x N) into panels (N / nr x K x nr): the k loop then reads
/// each panel from consecutive addresses instead of rows N floats apart,
/// which fall into a few cache sets when N is a large power of two (a
/// 1024-wide B evicts itself from L2). The copy is made once, before the
/// matmul's loops, and is an elementwise generic (vectorized and parallel
/// later).
/// Where B is a transpose of W (x @ w^T in a backward pass), the panels
/// are copied from W, and the transpose is no longer needed.
void packPanels(RewriterBase &rewriter, Panels p) {
  auto type = dyn_cast<RankedTensorType>(p.b.getType());
  if (!type || !type.hasStaticShape() || type.getDimSize(1) % p.nr != 0)
    return;
  SmallVector<vector::TransferReadOp> reads = panelReads(p);
  if (reads.empty())
    return;
  int64_t k = type.getDimSize(0), blocks = type.getDimSize(1) / p.nr;
  Type element = type.getElementType();
  Location loc = p.b.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr jb, kk, jj;
  bindDims(ctx, jb, kk, jj);
  // W is N x K: split N into blocks x nr; B is K x N: split its columns.
  Value w = transposeSource(p.b);
  Value source = w ? w : p.b;
  setPackInsertionPoint(rewriter, source, p.columnLoop);
  Value split;
  AffineMap read, write = AffineMap::getMultiDimIdentityMap(3, ctx);
  if (w) {
    split = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({blocks, p.nr, k}, element), w,
        ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    read = AffineMap::get(3, 0, {jb, jj, kk}, ctx);
  } else {
    split = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({k, blocks, p.nr}, element), p.b,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    // Loops (k, block, column): B is read row after row, each row
    // written to every panel.
    read = AffineMap::getMultiDimIdentityMap(3, ctx);
    write = AffineMap::get(3, 0, {kk, jb, jj}, ctx);
  }
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{blocks, k, p.nr}, element);
  SmallVector<AffineMap> maps = {read, write};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  auto packed = linalg::GenericOp::create(
      rewriter, loc, empty.getType(), ValueRange{split}, ValueRange{empty},
      maps, iterators, [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, args[0]);
      });
  for (vector::TransferReadOp read : reads) {
    rewriter.setInsertionPoint(read);
    Value nr = arith::ConstantIndexOp::create(rewriter, read.getLoc(), p.nr);
    Value block = arith::DivUIOp::create(rewriter, read.getLoc(),
                                         p.columnLoop.getInductionVar(), nr);
    Value zero = arith::ConstantIndexOp::create(rewriter, read.getLoc(), 0);
    rewriter.replaceOpWithNewOp<vector::TransferReadOp>(
        read, read.getVectorType(), packed.getResult(0),
        ValueRange{block, read.getIndices()[0], zero}, read.getPadding(),
        ArrayRef<bool>{true});
  }
}

/// Whether `read` is the kernel's read of one element of A (then
/// broadcast to a vector): A[i, k] as a vector<1>, unmasked.
bool readsOneElementOfA(vector::TransferReadOp read) {
  return read.getIndices().size() == 2 &&
         read.getVectorType().getNumElements() == 1 &&
         read.getVectorType().getRank() == 1 && !read.getMask();
}

/// Panels of A = X^T (M x K, X being K x M) as the kernel reads them:
/// [M / mr, K, mr], each k step's mr elements side by side and the k steps
/// one after another. Copied once, where the transpose was, from X.
Value packRows(RewriterBase &rewriter, Value a, Value x, int64_t mr) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t k = xType.getDimSize(0), m = xType.getDimSize(1);
  Type element = xType.getElementType();
  Location loc = a.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  rewriter.setInsertionPoint(a.getDefiningOp());
  Value split = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get({k, m / mr, mr}, element), x,
      ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{m / mr, k, mr}, element);
  AffineExpr ib, kk, ii;
  bindDims(ctx, ib, kk, ii);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {kk, ib, ii}, ctx),
                                 AffineMap::getMultiDimIdentityMap(3, ctx)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             rewriter, loc, empty.getType(), ValueRange{split},
             ValueRange{empty}, maps, iterators,
             [](OpBuilder &b, Location l, ValueRange args) {
               linalg::YieldOp::create(b, l, args[0]);
             })
      .getResult(0);
}

/// The kernel reads A one element at a time (broadcast to a vector); where
/// A is a transpose of X (x^T @ dy, a weight gradient), it reads X instead,
/// and the transpose is no longer needed. Where `rowPanels` gives the
/// kernel's rows (mr) for A, it reads panels of X (packRows): the mr
/// elements of a k step are then one contiguous read and the k loop walks
/// consecutive addresses, where X[k, i] would take a new row of X, M
/// floats away, at every k. Elsewhere it reads X[k, i].
void readThroughTransposes(RewriterBase &rewriter, func::FuncOp func,
                           const DenseMap<Value, int64_t> &rowPanels) {
  SmallVector<vector::TransferReadOp> reads;
  func.walk([&](vector::TransferReadOp read) {
    if (transposeSource(read.getBase()) && readsOneElementOfA(read))
      reads.push_back(read);
  });
  DenseMap<Value, Value> packed;
  for (vector::TransferReadOp read : reads) {
    Value a = read.getBase(), x = transposeSource(a);
    Location loc = read.getLoc();
    int64_t mr = rowPanels.lookup(a);
    if (mr > 0) {
      Value &panels = packed[a];
      if (!panels)
        panels = packRows(rewriter, a, x, mr);
      rewriter.setInsertionPoint(read);
      Value rows = arith::ConstantIndexOp::create(rewriter, loc, mr);
      Value i = read.getIndices()[0];
      Value block = arith::DivUIOp::create(rewriter, loc, i, rows);
      Value within = arith::RemUIOp::create(rewriter, loc, i, rows);
      rewriter.replaceOpWithNewOp<vector::TransferReadOp>(
          read, read.getVectorType(), panels,
          ValueRange{block, read.getIndices()[1], within}, read.getPadding(),
          ArrayRef<bool>{true});
      continue;
    }
    rewriter.setInsertionPoint(read);
    rewriter.replaceOpWithNewOp<vector::TransferReadOp>(
        read, read.getVectorType(), x,
        ValueRange{read.getIndices()[1], read.getIndices()[0]},
        read.getPadding(), ArrayRef<bool>{true});
  }
}

/// The copy that `v` is a collapsed view of, if it gathers: a
/// linalg.generic with one input, an identity map for its result, and a
/// body that yields the input element (im2col: each element read through
/// the input's map); null otherwise.
linalg::GenericOp gatherSource(Value v) {
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  Value expanded = collapse ? collapse.getSrc() : v;
  auto copy = expanded.getDefiningOp<linalg::GenericOp>();
  if (!copy || copy.getNumDpsInputs() != 1 || copy.getNumDpsInits() != 1 ||
      !copy.hasPureTensorSemantics() ||
      !copy.getMatchingIndexingMap(copy.getDpsInitOperand(0)).isIdentity() ||
      copy.getNumLoops() != copy.getNumParallelLoops())
    return nullptr;
  auto yield = cast<linalg::YieldOp>(copy.getBody()->getTerminator());
  if (yield.getNumOperands() != 1 ||
      yield.getOperand(0) != copy.getBody()->getArgument(0))
    return nullptr;
  return copy;
}

/// The reassociation group of `v`'s dim `dim` in the copy's result
/// (a collapse_shape's group, or the dim itself).
ReassociationIndices groupOf(Value v, int64_t dim) {
  if (auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>())
    return collapse.getReassociationIndices()[dim];
  return {dim};
}

/// `loop` (0 to the product of `sizes`, step 1) as a nest of loops, one
/// per size, outermost first, carrying its iter_args; its body sees the
/// row-major linearized index, returned in `linear`. Returns the nest's
/// induction variables.
SmallVector<Value> splitLoop(RewriterBase &rewriter, scf::ForOp loop,
                             ArrayRef<int64_t> sizes, Value &linear) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value> ubs, ivs;
  for (int64_t size : sizes)
    ubs.push_back(arith::ConstantIndexOp::create(rewriter, loc, size));
  Value k;
  scf::LoopNest nest = scf::buildLoopNest(
      rewriter, loc, SmallVector<Value>(sizes.size(), zero), ubs,
      SmallVector<Value>(sizes.size(), one), loop.getInitArgs(),
      [&](OpBuilder &b, Location l, ValueRange nestIvs, ValueRange args) {
        ivs.assign(nestIvs.begin(), nestIvs.end());
        k = nestIvs.front();
        for (auto [iv, size] :
             llvm::zip(nestIvs.drop_front(), sizes.drop_front())) {
          Value scaled = arith::MulIOp::create(
              b, l, k, arith::ConstantIndexOp::create(b, l, size));
          k = arith::AddIOp::create(b, l, scaled, iv);
        }
        return scf::ValueVector(args.begin(), args.end());
      });
  scf::ForOp inner = nest.loops.back();
  Operation *yield = inner.getBody()->getTerminator();
  SmallVector<Value> args = {k};
  llvm::append_range(args, inner.getRegionIterArgs());
  rewriter.inlineBlockBefore(loop.getBody(), yield, args);
  Operation *bodyYield = yield->getPrevNode();
  rewriter.modifyOpInPlace(
      yield, [&] { yield->setOperands(bodyYield->getOperands()); });
  rewriter.eraseOp(bodyYield);
  rewriter.replaceOp(loop, nest.results);
  linear = k;
  return ivs;
}

/// The copy's loop indices for the element at `index` of dim `dim` of `v`
/// (split again row-major, where a collapse merged dims), into `loops`.
void uncollapse(OpBuilder &b, Location loc, Value v, int64_t dim, Value index,
                ArrayRef<int64_t> shape, SmallVectorImpl<Value> &loops) {
  ReassociationIndices group = groupOf(v, dim);
  Value rest = index;
  for (int64_t d : llvm::reverse(ArrayRef<int64_t>(group).drop_front())) {
    Value size = arith::ConstantIndexOp::create(b, loc, shape[d]);
    loops[d] = arith::RemUIOp::create(b, loc, rest, size);
    rest = arith::DivUIOp::create(b, loc, rest, size);
  }
  loops[group.front()] = rest;
}

/// The k loop (0 to K, step 1) whose induction variable is `index`, or null.
scf::ForOp unitLoopOf(Value index) {
  scf::ForOp loop = scf::getForInductionVarOwner(index);
  if (!loop)
    return nullptr;
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  return lb == 0 && step == 1 && ub ? loop : nullptr;
}

/// The kernel reads A one element at a time; where A is a gathering copy
/// (a convolution's patches), it reads the copy's input instead, at the
/// element the copy would have put there: an implicit GEMM, with no
/// patches matrix written and read back. The k loop is split into one
/// loop per dim its column merges ((c, kh, kw), or (n, oh, ow) for a
/// weight gradient), so that no division is left in it; what only the row
/// depends on leaves the loops. (After the C block is hoisted: this
/// replaces the k loops.)
void readThroughGathers(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<vector::TransferReadOp> reads;
  func.walk([&](vector::TransferReadOp read) {
    if (gatherSource(read.getBase()) && readsOneElementOfA(read))
      reads.push_back(read);
  });
  // A split k loop's linearized index -> the nest's induction variables.
  DenseMap<Value, SmallVector<Value>> split;
  SmallVector<vector::TransferReadOp> rewritten;
  for (vector::TransferReadOp read : reads) {
    linalg::GenericOp copy = gatherSource(read.getBase());
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(copy.getResult(0).getType()).getShape();
    ReassociationIndices group = groupOf(read.getBase(), 1);
    SmallVector<int64_t> sizes;
    for (int64_t d : group)
      sizes.push_back(shape[d]);
    Value k = read.getIndices()[1];
    scf::ForOp loop = unitLoopOf(k);
    if (loop && group.size() > 1 &&
        getConstantIntValue(loop.getUpperBound()) == computeProduct(sizes)) {
      Value linear;
      SmallVector<Value> ivs = splitLoop(rewriter, loop, sizes, linear);
      split[linear] = ivs;
      k = linear;
    }
    Location loc = read.getLoc();
    rewriter.setInsertionPoint(read);
    SmallVector<Value> loops(shape.size());
    if (auto it = split.find(k); it != split.end()) {
      for (auto [d, iv] : llvm::zip(group, it->second))
        loops[d] = iv;
    } else {
      uncollapse(rewriter, loc, read.getBase(), 1, k, shape, loops);
    }
    uncollapse(rewriter, loc, read.getBase(), 0, read.getIndices()[0], shape,
               loops);
    AffineMap map = copy.getMatchingIndexingMap(copy.getDpsInputOperand(0));
    SmallVector<Value> source;
    for (AffineExpr expr : map.getResults())
      source.push_back(
          affine::expandAffineExpr(rewriter, loc, expr, loops, {}));
    rewritten.push_back(rewriter.replaceOpWithNewOp<vector::TransferReadOp>(
        read, read.getVectorType(), copy.getDpsInputs()[0], source,
        read.getPadding(), ArrayRef<bool>{true}));
  }
  // The index arithmetic of the row (and of the outer k dims) leaves the
  // loops that do not change it: innermost loops first.
  SmallVector<std::pair<unsigned, scf::ForOp>> enclosing;
  llvm::SmallPtrSet<Operation *, 8> seen;
  for (vector::TransferReadOp read : rewritten) {
    unsigned depth = 0;
    for (Operation *op = read; op; op = op->getParentOp())
      ++depth;
    for (auto loop = read->getParentOfType<scf::ForOp>(); loop;
         loop = loop->getParentOfType<scf::ForOp>(), --depth)
      if (seen.insert(loop).second)
        enclosing.push_back({depth, loop});
  }
  llvm::sort(enclosing, [](auto &a, auto &b) { return a.first > b.first; });
  for (auto &[depth, loop] : enclosing)
    moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
}

/// Transposes and gathers the kernels no longer read, which bufferization
/// would otherwise still compute.
void eraseDeadCopies(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<Operation *> dead;
  func.walk([&](Operation *op) {
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op);
        collapse && collapse->use_empty() && gatherSource(collapse))
      dead.push_back(op);
    else if (auto t = dyn_cast<linalg::TransposeOp>(op);
             t && t->use_empty() && t.hasPureTensorSemantics())
      dead.push_back(op);
  });
  for (Operation *op : dead) {
    linalg::GenericOp copy = gatherSource(op->getResult(0));
    rewriter.eraseOp(op);
    if (copy && copy->use_empty())
      rewriter.eraseOp(copy);
  }
}

/// Matrix `i` of a batch of matrices [B, R, C]: the offsets, sizes and
/// strides of its rank-reduced slice, and the matrix type.
struct BatchSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  RankedTensorType matrix;
  BatchSlice(OpBuilder &b, Value i, RankedTensorType batch)
      : offsets({i, b.getIndexAttr(0), b.getIndexAttr(0)}),
        sizes({b.getIndexAttr(1)}), strides(3, b.getIndexAttr(1)),
        matrix(RankedTensorType::get(batch.getShape().drop_front(),
                                     batch.getElementType())) {
    for (int64_t d : matrix.getShape())
      sizes.push_back(b.getIndexAttr(d));
  }
};

/// Each static linalg.batch_matmul (attention's [B H, T, D] @ [B H, D, T])
/// as a loop over its batch of linalg.matmul on rank-reduced slices, which
/// the blocked kernels below then take. The loop writes one slice of C per
/// iteration: it may run on several threads. Where C starts as a constant
/// fill, each matmul starts from a fill of its own slice (startAtConstant
/// then drops it), and C itself is not filled.
void unbatch(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<linalg::BatchMatmulOp> batched;
  func.walk([&](linalg::BatchMatmulOp op) {
    if (op.hasPureTensorSemantics() && !op.hasUserDefinedMaps() &&
        llvm::all_of(op->getOperandTypes(), [](Type t) {
          auto type = dyn_cast<RankedTensorType>(t);
          return type && type.hasStaticShape();
        }))
      batched.push_back(op);
  });
  for (linalg::BatchMatmulOp op : batched) {
    Location loc = op.getLoc();
    Value init = op.getOutputs()[0];
    auto cType = cast<RankedTensorType>(init.getType());
    auto fill = init.getDefiningOp<linalg::FillOp>();
    rewriter.setInsertionPoint(op);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value end =
        arith::ConstantIndexOp::create(rewriter, loc, cType.getDimSize(0));
    Value start = fill ? fill.getOutputs()[0] : init;
    auto loop =
        scf::ForOp::create(rewriter, loc, zero, end, one, ValueRange{start});
    loop->setAttr(nabla::attrs::kParallel, rewriter.getUnitAttr());
    rewriter.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value c = loop.getRegionIterArgs()[0];
    auto matrixOf = [&](Value v) -> Value {
      BatchSlice s(rewriter, i, cast<RankedTensorType>(v.getType()));
      return tensor::ExtractSliceOp::create(rewriter, loc, s.matrix, v,
                                            s.offsets, s.sizes, s.strides);
    };
    BatchSlice out(rewriter, i, cType);
    Value cInit =
        fill ? linalg::FillOp::create(rewriter, loc, fill.getInputs()[0],
                                      ValueRange{tensor::EmptyOp::create(
                                          rewriter, loc, out.matrix.getShape(),
                                          out.matrix.getElementType())})
                   .getResult(0)
             : matrixOf(c);
    Value product =
        linalg::MatmulOp::create(rewriter, loc, TypeRange{out.matrix},
                                 ValueRange{matrixOf(op.getInputs()[0]),
                                            matrixOf(op.getInputs()[1])},
                                 ValueRange{cInit})
            .getResult(0);
    Value inserted = tensor::InsertSliceOp::create(
        rewriter, loc, product, c, out.offsets, out.sizes, out.strides);
    scf::YieldOp::create(rewriter, loc, inserted);
    rewriter.replaceOp(op, loop.getResults());
  }
}

/// Splits a long reduction (a weight gradient sums over the batch's rows:
/// K = 4096 in W7) into chunks of kc: a loop over the chunks, each a
/// matmul adding into C. Only from 8 chunks on: with fewer, the chunks'
/// extra loops and parallel regions cost more than they save (W3, K = 512
/// in two chunks: 45-47 -> 51-55 ms a step on two threads). A chunk's rows of B
/// (kc x nr, 16 KiB) then stay in L1 while every row block passes over them;
/// without it each row block streams its whole K x nr column of B from L2 for
/// mr x nr sums. Only where A is read as it is (a transposed or gathered A has
/// reads of its own), B is a tensor of its own, kc divides K, and enough row
/// blocks read B to pay for packing it; returns the chunk's matmul (null
/// where nothing is split).
linalg::MatmulOp chunkReduction(RewriterBase &rewriter, linalg::MatmulOp op,
                                Block block) {
  Value a = op.getInputs()[0];
  int64_t k = cast<RankedTensorType>(a.getType()).getDimSize(1);
  int64_t m = cast<RankedTensorType>(a.getType()).getDimSize(0);
  int64_t kc = std::max<int64_t>(16 * 1024 / (block.nr * 4), 16);
  if (k < 8 * kc || k % kc != 0 || m / block.mr < 4 || transposeSource(a) ||
      gatherSource(a) ||
      op.getInputs()[1].getDefiningOp<tensor::ExtractSliceOp>())
    return nullptr;
  // Rows of A in blocks of mc whose chunk (mc x kc, at most 128 KiB) stays
  // in L2 while every column block passes over it (0: all of M).
  int64_t mc = 0;
  for (int64_t rows = m; rows >= block.mr; rows -= block.mr)
    if (m % rows == 0 && rows % block.mr == 0 && rows * kc * 4 <= 128 * 1024) {
      mc = rows == m ? 0 : rows;
      break;
    }
  scf::SCFTilingOptions options;
  options.setTileSizes({rewriter.getIndexAttr(mc), rewriter.getIndexAttr(0),
                        rewriter.getIndexAttr(kc)});
  options.setInterchange({2, 0, 1});
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  rewriter.setInsertionPoint(op);
  auto tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return nullptr;
  auto chunk = dyn_cast<linalg::MatmulOp>(tiled->tiledOps.front());
  if (!chunk)
    return nullptr;
  rewriter.replaceOp(op, tiled->replacements);
  return chunk;
}

struct NablaCpuMatmulKernelsPass
    : nabla::impl::NablaCpuMatmulKernelsBase<NablaCpuMatmulKernelsPass> {
  using NablaCpuMatmulKernelsBase::NablaCpuMatmulKernelsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t lanes = std::max<int64_t>(vectorBits / 32, 1);
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    unbatch(rewriter, func);
    SmallVector<linalg::MatmulOp> matmuls;
    func.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    SmallVector<LoopLikeOpInterface> loops;
    SmallVector<Panels> panels;
    DenseMap<Operation *, CStart> starts; // k loop -> C's constant fill
    DenseMap<Value, int64_t> rowPanels;   // transposed A -> its kernels' mr
    bool dot = false;
    for (linalg::MatmulOp op : matmuls) {
      if (bf16Dot && nabla::fitsDotKernel(op) &&
          nabla::buildDotKernel(rewriter, op, registers)) {
        dot = true;
        continue;
      }
      if (auto block = chooseBlock(op, lanes, registers)) {
        linalg::MatmulOp chunk = chunkReduction(rewriter, op, *block);
        blockAndVectorize(rewriter, chunk ? chunk : op, *block, loops, panels,
                          starts, rowPanels, /*chunk=*/bool(chunk));
      }
    }
    if (loops.empty()) {
      if (dot) // transposes now read only by the pair packing are dead
        eraseDeadCopies(rewriter, func);
      return;
    }
    // One row of the block per vector (vector<16xf32>, not vector<4x16>):
    // a 2-D vector carried by the k loop becomes an LLVM array, which LLVM
    // keeps in memory, not registers.
    {
      RewritePatternSet patterns(ctx);
      vector::UnrollVectorOptions unroll;
      unroll.setNativeShapeFn(
          [](Operation *op) -> std::optional<SmallVector<int64_t>> {
            if (auto contract = dyn_cast<vector::ContractionOp>(op)) {
              auto acc = dyn_cast<VectorType>(contract.getAccType());
              if (!acc || acc.getRank() != 2)
                return std::nullopt;
              return SmallVector<int64_t>{1, acc.getDimSize(1), 1};
            }
            VectorType type;
            if (auto read = dyn_cast<vector::TransferReadOp>(op))
              type = read.getVectorType();
            else if (auto write = dyn_cast<vector::TransferWriteOp>(op))
              type = write.getVectorType();
            if (!type || type.getRank() != 2)
              return std::nullopt;
            return SmallVector<int64_t>{1, type.getDimSize(1)};
          });
      vector::populateVectorUnrollPatterns(patterns, unroll);
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
      vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
      vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
      if (failed(applyPatternsGreedily(func, std::move(patterns),
                                       nabla::functionRewrites())))
        return signalPassFailure();
    }
    // The reads of B now name B itself (the slices folded into them).
    for (Panels &p : panels)
      packPanels(rewriter, p);
    // (The only vector reads so far are the kernels'.)
    readThroughTransposes(rewriter, func, rowPanels);
    // The C block: its slice and vector read/write are invariant in the k
    // loop; hoisting them makes the block a loop-carried vector. (Only the
    // loops made here, innermost first.)
    for (LoopLikeOpInterface loop : llvm::reverse(loops)) {
      moveLoopInvariantCode(loop);
      CStart start = starts.lookup(loop.getOperation());
      // Only the k loop (the innermost) carries the block; in the loops
      // around it C's indices vary, and upstream's search costs as much
      // as where it finds something.
      bool innermost =
          loop.getLoopRegions().front()->front().getOps<scf::ForOp>().empty();
      LoopLikeOpInterface hoisted = loop;
      if (auto k = dyn_cast<scf::ForOp>(loop.getOperation()); k && innermost) {
        hoisted = nabla::hoistDisjointBlocks(rewriter, k);
        if (!hoisted)
          hoisted = hoistLoopInvariantSubsets(rewriter, loop);
      }
      if (auto k = dyn_cast<scf::ForOp>(hoisted.getOperation());
          k && start.fill)
        startAtConstant(rewriter, k, start);
    }
    readThroughGathers(rewriter, func);
    eraseDeadCopies(rewriter, func);
    RewritePatternSet patterns(ctx);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::EltWise);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    // Transfers of slices become transfers of the whole tensor, so that the
    // C block is read from and written into C in place.
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    scf::ForOp::getCanonicalizationPatterns(patterns, ctx); // dead iter_args
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns),
                                     nabla::functionRewrites())))
      return signalPassFailure();
  }
};

} // namespace
