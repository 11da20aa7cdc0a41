//===- DotKernels.cpp - bf16 matmuls on AVX512-BF16 dot products ----------===//
//
// The f32 kernel (MatmulKernels.cpp) widens bf16 inputs and does one FMA
// per element of k. vdpbf16ps multiplies 32 pairs of bf16 and adds each
// two products into one of 16 f32 sums: two steps of k per instruction,
// twice the FMA kernel's work. It wants its operands interleaved by k
// pairs: lane j of B's vector holds B[2p, j] and B[2p + 1, j] side by
// side, and A's vector holds A[i, 2p], A[i, 2p + 1] in every lane (one
// 32-bit broadcast). So B is copied first into panels of k pairs, and the
// kernel is built here as explicit loops rather than through upstream's
// vectorizer, which has no such contraction.
//
//===----------------------------------------------------------------------===//
#include "MatmulKernels.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

using namespace mlir;

namespace {

/// f32 sums per vdpbf16ps (512-bit registers), and bf16 inputs.
constexpr int64_t kSums = 16;
constexpr int64_t kPairLanes = 2 * kSums;

/// B (K x N) copied into panels [N / nr, K / 2, 2 nr]: element (p, 2j + t)
/// of panel jb is B[2p + t, jb nr + j], so that the kernel reads the k pair
/// p of its nr columns as 2 nr consecutive bf16. Where B is W^T (x @ w^T
/// in a backward pass), the panels are copied from W, whose rows already
/// hold the pairs side by side. An elementwise linalg.generic, vectorized
/// and parallel later like every copy.
Value packPairPanels(RewriterBase &rewriter, Value b, int64_t nr,
                     Operation *kernel) {
  auto type = cast<RankedTensorType>(b.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  int64_t blocks = n / nr, pairs = k / 2;
  Type element = type.getElementType();
  Location loc = b.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr jb, p, j, t;
  bindDims(ctx, jb, p, j, t);
  Value w = nabla::transposeSource(b);
  Value source = w ? w : b;
  nabla::setPackInsertionPoint(rewriter, source, kernel);
  SmallVector<ReassociationIndices> halves = {{0, 1}, {2, 3}};
  Value split;
  AffineMap read;
  if (w) { // W is N x K: [blocks, nr, pairs, 2]
    split = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({blocks, nr, pairs, 2}, element),
        w, halves);
    read = AffineMap::get(4, 0, {jb, j, p, t}, ctx);
  } else { // B is K x N: [pairs, 2, blocks, nr]
    split = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({pairs, 2, blocks, nr}, element),
        b, halves);
    read = AffineMap::get(4, 0, {p, t, jb, j}, ctx);
  }
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{blocks, pairs, nr, 2}, element);
  SmallVector<AffineMap> maps = {read,
                                 AffineMap::getMultiDimIdentityMap(4, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  auto packed = linalg::GenericOp::create(
      rewriter, loc, empty.getType(), ValueRange{split}, ValueRange{empty},
      maps, iterators, [](OpBuilder &builder, Location l, ValueRange args) {
        linalg::YieldOp::create(builder, l, args[0]);
      });
  return tensor::CollapseShapeOp::create(
      rewriter, loc, RankedTensorType::get({blocks, pairs, 2 * nr}, element),
      packed.getResult(0), ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

/// The constant C starts at, where it is a linalg.fill of one: the sums
/// then start from it, and C is not read.
std::optional<FloatAttr> constantStart(linalg::MatmulOp op) {
  FloatAttr value;
  if (nabla::constantFill(op, value))
    return value;
  return std::nullopt;
}

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The kernel's loops, built from the outside in.
struct DotKernel {
  nabla::MatmulBlock block;
  Value a, packed;
  std::optional<FloatAttr> start;
  int64_t vectors() const { return block.nr / kSums; }

  /// The k loop of one block: sums[r * vectors + v] += A[i + r, 2p : 2p + 2]
  /// . panel[jb][p, 32 v : 32 v + 32] for every pair p.
  SmallVector<Value> sumPairs(OpBuilder &builder, Location loc, Value jb,
                              Value i, ValueRange initial) const {
    auto pairs = cast<RankedTensorType>(packed.getType()).getDimSize(1);
    auto body = [&](OpBuilder &b, Location, Value p, ValueRange sums) {
      auto bf16 = b.getBF16Type();
      auto pairType = VectorType::get({kPairLanes}, bf16);
      SmallVector<Value> panel;
      for (int64_t v = 0; v < vectors(); ++v)
        panel.push_back(vector::TransferReadOp::create(
            b, loc, pairType, packed,
            ValueRange{jb, p, index(b, loc, v * kPairLanes)},
            /*padding=*/std::nullopt, ArrayRef<bool>{true}));
      Value k = arith::MulIOp::create(b, loc, p, index(b, loc, 2));
      SmallVector<Value> next;
      for (int64_t r = 0; r < block.mr; ++r) {
        Value row = arith::AddIOp::create(b, loc, i, index(b, loc, r));
        Value two = vector::TransferReadOp::create(
            b, loc, VectorType::get({2}, bf16), a, ValueRange{row, k},
            /*padding=*/std::nullopt, ArrayRef<bool>{true});
        // The pair as one 32-bit word, in every lane.
        Value word = vector::BitCastOp::create(
            b, loc, VectorType::get({1}, b.getI32Type()), two);
        Value scalar = vector::ExtractOp::create(b, loc, word, 0);
        Value words = vector::BroadcastOp::create(
            b, loc, VectorType::get({kSums}, b.getI32Type()), scalar);
        Value pairsOfA = vector::BitCastOp::create(b, loc, pairType, words);
        for (int64_t v = 0; v < vectors(); ++v)
          next.push_back(x86vector::DotBF16Op::create(
              b, loc, sums[r * vectors() + v], pairsOfA, panel[v]));
      }
      scf::YieldOp::create(b, loc, next);
    };
    auto loop = scf::ForOp::create(builder, loc, index(builder, loc, 0),
                                   index(builder, loc, pairs),
                                   index(builder, loc, 1), initial, body);
    return SmallVector<Value>(loop.getResults());
  }

  /// One mr x nr block of C at (i, jb nr): its sums start at C's constant
  /// or its values, and are written back after the k loop.
  Value computeBlock(OpBuilder &b, Location loc, Value jb, Value i,
                     Value c) const {
    auto sumType = VectorType::get({kSums}, b.getF32Type());
    Value column = arith::MulIOp::create(b, loc, jb, index(b, loc, block.nr));
    auto at = [&](int64_t r, int64_t v) -> SmallVector<Value> {
      return {arith::AddIOp::create(b, loc, i, index(b, loc, r)),
              arith::AddIOp::create(b, loc, column, index(b, loc, v * kSums))};
    };
    SmallVector<Value> sums;
    for (int64_t r = 0; r < block.mr; ++r)
      for (int64_t v = 0; v < vectors(); ++v)
        sums.push_back(
            start ? arith::ConstantOp::create(
                        b, loc,
                        DenseElementsAttr::get(sumType, start->getValue()))
                        .getResult()
                  : vector::TransferReadOp::create(b, loc, sumType, c, at(r, v),
                                                   /*padding=*/std::nullopt,
                                                   ArrayRef<bool>{true})
                        .getResult());
    SmallVector<Value> done = sumPairs(b, loc, jb, i, sums);
    for (int64_t r = 0; r < block.mr; ++r)
      for (int64_t v = 0; v < vectors(); ++v)
        c = vector::TransferWriteOp::create(b, loc, done[r * vectors() + v], c,
                                            at(r, v), ArrayRef<bool>{true})
                .getResult();
    return c;
  }

  /// Column blocks outside row blocks (a panel stays in L2 while every row
  /// block passes over it); both loops write disjoint parts of C, so either
  /// may run on several threads (nabla-cpu-parallel chooses).
  Value build(OpBuilder &builder, Location loc, Value c) const {
    auto cType = cast<RankedTensorType>(c.getType());
    auto oneBlock = [&](OpBuilder &b, Location, Value jb, Value i,
                        ValueRange args) {
      scf::YieldOp::create(b, loc, computeBlock(b, loc, jb, i, args[0]));
    };
    auto rows = [&](OpBuilder &b, Location, Value jb, ValueRange args) {
      auto loop = scf::ForOp::create(
          b, loc, index(b, loc, 0), index(b, loc, cType.getDimSize(0)),
          index(b, loc, block.mr), args,
          [&](OpBuilder &inner, Location l, Value i, ValueRange rowArgs) {
            oneBlock(inner, l, jb, i, rowArgs);
          });
      loop->setAttr(nabla::attrs::kParallel, b.getUnitAttr());
      scf::YieldOp::create(b, loc, loop.getResults());
    };
    auto loop =
        scf::ForOp::create(builder, loc, index(builder, loc, 0),
                           index(builder, loc, cType.getDimSize(1) / block.nr),
                           index(builder, loc, 1), ValueRange{c}, rows);
    loop->setAttr(nabla::attrs::kParallel, builder.getUnitAttr());
    return loop.getResult(0);
  }
};

} // namespace

bool nabla::fitsDotKernel(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps())
    return false;
  auto a = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto b = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  auto c = dyn_cast<RankedTensorType>(op.getOutputs()[0].getType());
  if (!a || !b || !c || !a.hasStaticShape() || !b.hasStaticShape() ||
      !c.hasStaticShape())
    return false;
  return a.getElementType().isBF16() && b.getElementType().isBF16() &&
         c.getElementType().isF32() && a.getDimSize(1) % 2 == 0 &&
         c.getDimSize(1) % kSums == 0;
}

bool nabla::buildDotKernel(RewriterBase &rewriter, linalg::MatmulOp op,
                           int64_t registers) {
  auto c = cast<RankedTensorType>(op.getOutputs()[0].getType());
  std::optional<MatmulBlock> block = bestBlock(
      c.getDimSize(0), c.getDimSize(1), kSums, registers, {64, 48, 32, 16});
  if (!block)
    return false;
  Location loc = op.getLoc();
  DotKernel kernel{*block, op.getInputs()[0], Value(), constantStart(op)};
  kernel.packed = packPairPanels(rewriter, op.getInputs()[1], block->nr, op);
  rewriter.setInsertionPoint(op);
  // Written whole by the blocks: C needs no fill where the sums start at
  // its constant.
  Value init = op.getOutputs()[0];
  if (kernel.start)
    init = tensor::EmptyOp::create(rewriter, loc, c.getShape(),
                                   c.getElementType());
  Value result = kernel.build(rewriter, loc, init);
  Operation *fill = op.getOutputs()[0].getDefiningOp();
  rewriter.replaceOp(op, result);
  if (kernel.start && fill->use_empty())
    rewriter.eraseOp(fill);
  return true;
}
