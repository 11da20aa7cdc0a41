//===- HoistBlocks.cpp - The C block out of the k loop, by its indices ----===//
//
// The f32 kernel's k loop reads and writes its register block of C as
// mr x nr / lanes vector transfers of the loop-carried C tensor. Upstream's
// hoistLoopInvariantSubsets moves them out of the loop (the block becomes
// loop-carried vectors), but proves each pair of transfers disjoint with
// the Presburger solver behind ValueBoundsConstraintSet: 16 transfers are
// 240 queries, about 12 ms per matmul, 28% of all the MLIR passes' time
// for a deep stack of small layers. Here the transfers' indices are the
// same few values plus constants, so disjointness is read off the
// constants; where it cannot be, the caller falls back to upstream.
//
//===----------------------------------------------------------------------===//
#include "MatmulKernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace {

/// An index as `base + constant` (base null for a constant).
struct Offset {
  Value base;
  int64_t constant = 0;
};

Offset decompose(Value index) {
  APInt value;
  if (matchPattern(index, m_ConstantInt(&value)))
    return {Value(), value.getSExtValue()};
  if (auto add = index.getDefiningOp<arith::AddIOp>()) {
    for (int side = 0; side < 2; ++side)
      if (matchPattern(add->getOperand(1 - side), m_ConstantInt(&value)))
        return {add->getOperand(side), value.getSExtValue()};
  }
  if (auto apply = index.getDefiningOp<affine::AffineApplyOp>()) {
    AffineMap map = apply.getAffineMap();
    if (map.getNumResults() == 1 && apply->getNumOperands() == 1) {
      AffineExpr e = map.getResult(0);
      int64_t constant = 0;
      if (auto sum = dyn_cast<AffineBinaryOpExpr>(e);
          sum && sum.getKind() == AffineExprKind::Add) {
        auto c = dyn_cast<AffineConstantExpr>(sum.getRHS());
        if (!c)
          return {index, 0};
        constant = c.getValue();
        e = sum.getLHS();
      }
      if (isa<AffineDimExpr, AffineSymbolExpr>(e))
        return {apply->getOperand(0), constant};
    }
  }
  return {index, 0};
}

/// Whether two lists of indices are the same, value by value, read as
/// base plus constant (the unrolled rows' offsets are made twice, as a
/// dim and as a symbol of affine.apply).
bool sameIndices(ValueRange a, ValueRange b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b)) {
    Offset u = decompose(x), v = decompose(y);
    if (u.base != v.base || u.constant != v.constant)
      return false;
  }
  return true;
}

/// A transfer of C in the k loop: unmasked, in bounds, minor identity, at
/// indices defined outside the loop.
bool isPlainTransfer(VectorTransferOpInterface op, scf::ForOp loop) {
  if (op.getMask() || !op.getPermutationMap().isMinorIdentity())
    return false;
  for (int64_t d = 0, e = op.getTransferRank(); d < e; ++d)
    if (!op.isDimInBounds(d))
      return false;
  return llvm::all_of(op.getIndices(),
                      [&](Value v) { return loop.isDefinedOutsideOfLoop(v); });
}

/// Whether two plain transfers of vectors of the same shape touch disjoint
/// elements: in some dim their indices are the same base plus constants
/// further apart than the vector's extent there.
bool provablyDisjoint(vector::TransferWriteOp a, vector::TransferWriteOp b) {
  ArrayRef<int64_t> shape = a.getVectorType().getShape();
  int64_t rank = static_cast<int64_t>(a.getIndices().size());
  int64_t leading = rank - static_cast<int64_t>(shape.size());
  for (int64_t d = 0; d < rank; ++d) {
    Offset x = decompose(a.getIndices()[d]), y = decompose(b.getIndices()[d]);
    if (x.base != y.base)
      continue;
    int64_t extent = d < leading ? 1 : shape[d - leading];
    if (std::abs(x.constant - y.constant) >= extent)
      return true;
  }
  return false;
}

} // namespace

LoopLikeOpInterface nabla::hoistDisjointBlocks(RewriterBase &rewriter,
                                               scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 1)
    return {};
  BlockArgument c = loop.getRegionIterArgs()[0];
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  // The writes: a chain from C to the yield, each result used once.
  SmallVector<vector::TransferWriteOp> writes;
  for (Value v = yield.getOperand(0); v != c;) {
    auto write = v.getDefiningOp<vector::TransferWriteOp>();
    if (!write || !v.hasOneUse() || !isPlainTransfer(write, loop))
      return {};
    writes.push_back(write);
    v = write.getBase();
  }
  std::reverse(writes.begin(), writes.end());
  // The reads: every other use of C, one per write, at its indices.
  SmallVector<vector::TransferReadOp> reads(writes.size());
  for (OpOperand &use : c.getUses()) {
    if (!writes.empty() && use.getOwner() == writes.front())
      continue;
    auto read = dyn_cast<vector::TransferReadOp>(use.getOwner());
    if (!read || !isPlainTransfer(read, loop))
      return {};
    auto match = llvm::find_if(writes, [&](vector::TransferWriteOp w) {
      return sameIndices(w.getIndices(), read.getIndices()) &&
             w.getVectorType() == read.getVectorType();
    });
    size_t i = match - writes.begin();
    if (match == writes.end() || reads[i])
      return {};
    reads[i] = read;
  }
  if (writes.empty() || llvm::is_contained(reads, vector::TransferReadOp()))
    return {};
  for (size_t i = 0; i < writes.size(); ++i)
    for (size_t j = i + 1; j < writes.size(); ++j)
      if (!provablyDisjoint(writes[i], writes[j]))
        return {};

  // The block's vectors start as reads of C's initial value, are carried
  // by the loop, and are written into its result after it.
  rewriter.setInsertionPoint(loop);
  Value init = loop.getInitArgs()[0];
  SmallVector<Value> inits;
  for (vector::TransferReadOp read : reads) {
    auto copy = cast<vector::TransferReadOp>(rewriter.clone(*read));
    rewriter.modifyOpInPlace(copy, [&] { copy.getBaseMutable().assign(init); });
    inits.push_back(copy.getResult());
  }
  auto replaced =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                SmallVector<Value> yielded;
                for (vector::TransferWriteOp w : writes)
                  yielded.push_back(w.getVector());
                return yielded;
              });
  if (failed(replaced))
    return {};
  auto newLoop = cast<scf::ForOp>(replaced->getOperation());
  rewriter.setInsertionPointAfter(newLoop);
  Value result = newLoop.getResult(0);
  Value written = result;
  Operation *first = nullptr;
  for (auto [w, value] : llvm::zip(writes, newLoop.getResults().drop_front())) {
    auto write = vector::TransferWriteOp::create(
        rewriter, w.getLoc(), value, written, w.getIndices(),
        w.getPermutationMapAttr(), w.getInBoundsAttr());
    first = first ? first : write.getOperation();
    written = write.getResult();
  }
  rewriter.replaceAllUsesExcept(result, written, first);
  ArrayRef<BlockArgument> carried = newLoop.getRegionIterArgs().drop_front();
  for (auto [read, arg] : llvm::zip(reads, carried))
    rewriter.replaceOp(read, arg);
  for (vector::TransferWriteOp w : llvm::reverse(writes))
    rewriter.replaceOp(w, w.getBase());
  return cast<LoopLikeOpInterface>(newLoop.getOperation());
}
