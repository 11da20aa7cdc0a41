//===- Verify.cpp - The IR verified once, at the end of a pipeline --------===//
//
// nabla-verify: see Passes.td.
//
//===----------------------------------------------------------------------===//
#include "nabla/passes/Passes.h"

#include "mlir/IR/Verifier.h"

namespace nabla {
#define GEN_PASS_DEF_VERIFY
#include "passes/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct VerifyPass : nabla::impl::VerifyBase<VerifyPass> {
  void runOnOperation() override {
    if (failed(mlir::verify(getOperation())))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};

} // namespace
