//===- LoopOrder.cpp - Loop order of matmuls for the CPU ------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPULOOPORDER
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct NablaCpuLoopOrderPass
    : nabla::impl::NablaCpuLoopOrderBase<NablaCpuLoopOrderPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> matmuls;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op))
        matmuls.push_back(cast<linalg::LinalgOp>(op));
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : matmuls) {
      bool batched = isa<linalg::BatchMatmulOp>(op);
      rewriter.setInsertionPoint(op);
      auto generic = linalg::generalizeNamedOp(rewriter, op);
      if (failed(generic))
        return signalPassFailure();
      // (i, j, k) -> (i, k, j); batched: (b, i, j, k) -> (b, i, k, j).
      SmallVector<unsigned> order = batched ? SmallVector<unsigned>{0, 1, 3, 2}
                                            : SmallVector<unsigned>{0, 2, 1};
      if (failed(linalg::interchangeGenericOp(rewriter, *generic, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
