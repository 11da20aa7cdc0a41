//===- CpuParallel.cpp - The loops that run on all cores ------------------===//
//
// nabla-cpu-parallel: see Passes.td. One level of parallelism per loop
// nest, chosen where there is enough work: convert-scf-to-openmp forks
// threads for every scf.parallel it sees, nested ones included, and a fork
// and join costs microseconds that a small loop does not repay.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUPARALLEL
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// Iterations of a loop with constant bounds; 1 where they are not known
/// (such loops are rare here: every shape is static).
int64_t tripCount(OpFoldResult lb, OpFoldResult ub, OpFoldResult step) {
  std::optional<int64_t> l = getConstantIntValue(lb),
                         u = getConstantIntValue(ub),
                         s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0 || *u <= *l)
    return 1;
  return (*u - *l + *s - 1) / *s;
}

int64_t iterations(Operation *op) {
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return tripCount(loop.getLowerBound(), loop.getUpperBound(),
                     loop.getStep());
  if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
    int64_t n = 1;
    for (auto [l, u, s] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep()))
      n *= tripCount(l, u, s);
    return n;
  }
  return 1;
}

/// Ops executed by one run of `op`'s regions (each op counts 1, a loop's
/// body counts once per iteration), saturating well above any threshold.
int64_t work(Operation *op) {
  int64_t body = 0;
  for (Region &region : op->getRegions())
    for (Operation &nested : region.getOps())
      body = std::min<int64_t>(body + 1 + work(&nested), int64_t{1} << 40);
  return std::min<int64_t>(iterations(op) * body, int64_t{1} << 40);
}

bool isCandidate(Operation *op) {
  if (auto loop = dyn_cast<scf::ParallelOp>(op))
    return loop.getInitVals().empty();
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return op->hasAttr(nabla::attrs::kParallel) && loop.getInitArgs().empty();
  return false;
}

/// scf.for -> scf.parallel with the same bounds and body.
void makeParallel(RewriterBase &rewriter, scf::ForOp loop) {
  rewriter.setInsertionPoint(loop);
  auto parallel = scf::ParallelOp::create(
      rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
  Block *body = parallel.getBody();
  if (!body->empty())
    rewriter.eraseOp(&body->back()); // the builder's empty scf.reduce
  rewriter.mergeBlocks(loop.getBody(), body, body->getArguments());
  Operation *yield = body->getTerminator();
  rewriter.setInsertionPoint(yield);
  scf::ReduceOp::create(rewriter, yield->getLoc());
  rewriter.eraseOp(yield);
  parallel->setAttrs(loop->getDiscardableAttrDictionary());
  rewriter.eraseOp(loop);
}

/// scf.parallel (without reductions) -> one scf.for per dimension.
void makeSequential(RewriterBase &rewriter, scf::ParallelOp loop) {
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  for (auto [l, u, s] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto inner = scf::ForOp::create(rewriter, loop.getLoc(), l, u, s);
    ivs.push_back(inner.getInductionVar());
    rewriter.setInsertionPointToStart(inner.getBody());
  }
  Block *body = loop.getBody();
  Operation *reduce = body->getTerminator();
  rewriter.eraseOp(reduce);
  rewriter.inlineBlockBefore(body, rewriter.getInsertionBlock(),
                             rewriter.getInsertionPoint(), ivs);
  rewriter.eraseOp(loop);
}

/// A chosen scf.parallel of several dims keeps only its outermost ones
/// parallel, as many as give at least kMinChunks iterations; the rest
/// become scf.for loops inside. OpenMP collapses every dim of a parallel
/// loop into one index and recovers each dim with divisions at every
/// iteration, which also keeps the inner loops from being vectorized: a
/// convolution's im2col copy ran slower on 2 threads than on 1.
constexpr int64_t kMinChunks = 16;

void keepOuterDims(RewriterBase &rewriter, scf::ParallelOp loop) {
  SmallVector<Value> lbs(loop.getLowerBound()), ubs(loop.getUpperBound()),
      steps(loop.getStep());
  size_t keep = 0;
  for (int64_t chunks = 1; keep < lbs.size() && chunks < kMinChunks; ++keep)
    chunks *= tripCount(lbs[keep], ubs[keep], steps[keep]);
  if (keep == lbs.size())
    return;
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  auto outer = scf::ParallelOp::create(
      rewriter, loc, ArrayRef(lbs).take_front(keep),
      ArrayRef(ubs).take_front(keep), ArrayRef(steps).take_front(keep));
  SmallVector<Value> ivs(outer.getInductionVars());
  rewriter.setInsertionPoint(outer.getBody()->getTerminator());
  for (size_t i = keep; i < lbs.size(); ++i) {
    auto inner = scf::ForOp::create(rewriter, loc, lbs[i], ubs[i], steps[i]);
    ivs.push_back(inner.getInductionVar());
    rewriter.setInsertionPointToStart(inner.getBody());
  }
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, rewriter.getInsertionBlock(),
                             rewriter.getInsertionPoint(), ivs);
  outer->setAttrs(loop->getDiscardableAttrDictionary());
  rewriter.eraseOp(loop);
}

struct NablaCpuParallelPass
    : nabla::impl::NablaCpuParallelBase<NablaCpuParallelPass> {
  using NablaCpuParallelBase::NablaCpuParallelBase;

  void runOnOperation() override {
    // Outermost first: a loop chosen to run in parallel makes every
    // candidate inside it sequential.
    SmallVector<Operation *> chosen, sequential;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (!isCandidate(op))
        return WalkResult::advance();
      bool inside = llvm::any_of(
          chosen, [&](Operation *outer) { return outer->isAncestor(op); });
      if (!inside && iterations(op) > 1 && work(op) >= minWork)
        chosen.push_back(op);
      else if (isa<scf::ParallelOp>(op))
        sequential.push_back(op);
      return WalkResult::advance();
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : llvm::reverse(sequential))
      makeSequential(rewriter, cast<scf::ParallelOp>(op));
    for (Operation *op : chosen) {
      if (auto loop = dyn_cast<scf::ForOp>(op))
        makeParallel(rewriter, loop);
      else
        keepOuterDims(rewriter, cast<scf::ParallelOp>(op));
    }
  }
};

} // namespace
