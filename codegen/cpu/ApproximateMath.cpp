//===- ApproximateMath.cpp - Vector exp, log and tanh without libm --------===//
//
// nabla-cpu-approximate-math: see Passes.td. LLVM lowers math.exp on a
// vector<16xf32> into 16 calls of libm's expf; sigmoid, tanh, softmax and
// cross-entropy then run at scalar speed inside vectorized loops. Upstream's
// polynomial approximations (Cephes-style, a few ulp in f32) stay vectors.
//
//===----------------------------------------------------------------------===//
#include "codegen/GreedyRewrites.h"
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUAPPROXIMATEMATH
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct NablaCpuApproximateMathPass
    : nabla::impl::NablaCpuApproximateMathBase<NablaCpuApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // exp, expm1, log, log1p, log2, tanh (and erf, atan, sin, cos, ...):
    // on f32 only, so f64 (gradient checks) keeps libm's.
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     nabla::functionRewrites())))
      signalPassFailure();
  }
};

} // namespace
