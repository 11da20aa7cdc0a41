//===- KernelStats.cpp - Counting the kernels of a lowered step -----------===//
#include "nabla/codegen/KernelStats.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

using namespace mlir;

namespace nabla {

static bool isKernel(Operation &op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.getNumLoops() > 0;
  return isa<LoopLikeOpInterface>(op);
}

static int64_t bytesOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  int64_t bits = tensor.getElementTypeBitWidth();
  return tensor.getNumElements() * std::max<int64_t>(1, bits / 8);
}

KernelStats countKernels(func::FuncOp func) {
  KernelStats stats;
  for (Operation &op : func.getBody().front()) {
    if (!isKernel(op))
      continue;
    if (!op.hasAttr(attrs::kPartialSums))
      ++stats.kernels;
    for (Value result : op.getResults()) {
      bool returned = llvm::any_of(result.getUsers(), [](Operation *user) {
        return isa<func::ReturnOp>(user);
      });
      if (!returned && !result.use_empty())
        stats.intermediateBytes += bytesOf(result.getType());
    }
  }
  return stats;
}

} // namespace nabla
