//===- KernelArgAttrs.cpp - What LLVM is told about a kernel's arguments --===//
//
// nabla-cpu-kernel-arg-attrs: see Passes.td. A kernel's pointer arguments
// are the allocated and aligned pointers of buffers, never null; LLVM
// would otherwise try to prove that at every call.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUKERNELARGATTRS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct KernelArgAttrs
    : nabla::impl::NablaCpuKernelArgAttrsBase<KernelArgAttrs> {
  void runOnOperation() override {
    auto nonnull = UnitAttr::get(&getContext());
    for (auto func : getOperation().getOps<LLVM::LLVMFuncOp>()) {
      if (!func->removeAttr(nabla::attrs::kKernel))
        continue;
      for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
        if (isa<LLVM::LLVMPointerType>(type))
          func.setArgAttr(i, LLVM::LLVMDialect::getNonNullAttrName(), nonnull);
    }
  }
};

} // namespace
