//===- ExpandBF16.cpp - bf16 casts as integer code ------------------------===//
#include "codegen/GreedyRewrites.h"
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nabla {
#define GEN_PASS_DEF_NABLAEXPANDBF16
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct NablaExpandBF16Pass
    : nabla::impl::NablaExpandBF16Base<NablaExpandBF16Pass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     nabla::functionRewrites())))
      signalPassFailure();
  }
};

} // namespace
