//===- Bufferize.cpp - Tensors to buffers as the runtimes want them -------===//
//
// Shared by the CPU and GPU pipelines: both runtimes own every buffer a
// compiled function sees, so arguments stay read-only and results become
// out-parameters the caller passes in.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"

using namespace mlir;

namespace nabla {

void addBufferize(OpPassManager &pm) {
  pm.addPass(createNablaProtectArguments());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

void addResultsToOutParams(OpPassManager &pm) {
  pm.addPass(createNablaResultsToOutParams());
}

} // namespace nabla
