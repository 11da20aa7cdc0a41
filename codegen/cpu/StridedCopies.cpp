//===- StridedCopies.cpp - Copies between strided views as loops ----------===//
//
// nabla-cpu-strided-copies: see Passes.td.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUSTRIDEDCOPIES
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct NablaCpuStridedCopiesPass
    : nabla::impl::NablaCpuStridedCopiesBase<NablaCpuStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> strided;
    getOperation().walk([&](memref::CopyOp copy) {
      auto contiguous = [](Value v) {
        auto type = dyn_cast<MemRefType>(v.getType());
        return type && memref::isStaticShapeAndContiguousRowMajor(type);
      };
      if (!contiguous(copy.getSource()) || !contiguous(copy.getTarget()))
        strided.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : strided) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
  }
};

} // namespace
