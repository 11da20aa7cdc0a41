//===- ProfileKernels.cpp - Timer calls around each kernel ----------------===//
//
// nabla-cpu-profile-kernels: see Passes.td. `--profile` on the CPU: the
// JIT's clock read before and after every kernel of the step, each kernel
// named as Vulkan's profile names its dispatches (fusion group, source).
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/Locations.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUPROFILEKERNELS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kStart = "nabla_profile_start";
constexpr llvm::StringLiteral kStop = "nabla_profile_stop";

/// What the profile names `op`, a top-level op of `func`, if it is a
/// kernel: the outlined function it calls, or its fusion group, or what it
/// is; then where its op came from.
/// `kernels` and `copies` count what was named so far, as
/// nabla-cpu-outline-kernels numbers the kernels it outlines.
std::optional<std::string> kernelName(func::FuncOp func, Operation &op,
                                      size_t &kernels, size_t &copies) {
  std::string name;
  if (auto call = dyn_cast<func::CallOp>(op)) {
    if (call.getCallee() == kStart || call.getCallee() == kStop)
      return std::nullopt;
    name = call.getCallee().str();
  } else if (isa<memref::CopyOp>(op)) {
    name = (func.getSymName() + "_copy_" + llvm::Twine(copies++)).str();
  } else if (op.getNumResults() == 0 && !op.hasTrait<OpTrait::IsTerminator>() &&
             (op.getNumRegions() > 0 || isa<linalg::LinalgOp>(op))) {
    // A loop nest nabla-cpu-outline-kernels left in place (a function with
    // few of them), named as it would have named the function.
    size_t index = kernels++;
    if (auto group = op.getAttrOfType<StringAttr>(nabla::attrs::kGroup))
      name = (func.getSymName() + "_" + group.getValue()).str();
    else
      name = (func.getSymName() + "_kernel_" + llvm::Twine(index)).str();
  } else {
    return std::nullopt;
  }
  if (std::string where = nabla::describeLoc(op.getLoc()); !where.empty())
    name += " (" + where + ")";
  return name;
}

/// `@name` declared as a private external function of `type`, once.
void declare(ModuleOp module, StringRef name, FunctionType type) {
  if (module.lookupSymbol(name))
    return;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
}

struct NablaCpuProfileKernelsPass
    : nabla::impl::NablaCpuProfileKernelsBase<NablaCpuProfileKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    auto ptr = LLVM::LLVMPointerType::get(context);
    declare(module, kStart, FunctionType::get(context, {}, {}));
    declare(module, kStop, FunctionType::get(context, {ptr}, {}));
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    size_t strings = 0;
    for (func::FuncOp func : funcs) {
      if (func.isExternal() || !func.isPublic())
        continue;
      SmallVector<Operation *> ops;
      for (Operation &op : func.getBody().getOps())
        ops.push_back(&op);
      size_t kernels = 0, copies = 0;
      for (Operation *op : ops) {
        std::optional<std::string> name =
            kernelName(func, *op, kernels, copies);
        if (!name)
          continue;
        OpBuilder b(op);
        Location loc = op->getLoc();
        func::CallOp::create(b, loc, kStart, TypeRange{}, ValueRange{});
        b.setInsertionPointAfter(op);
        // The string's global: a symbol of its own, null-terminated for
        // the runtime (createGlobalString stores exactly what it is given).
        std::string text = *name;
        text.push_back('\0');
        Value address = LLVM::createGlobalString(
            loc, b, ("nabla_profile_name_" + llvm::Twine(strings++)).str(),
            text, LLVM::Linkage::Internal);
        func::CallOp::create(b, loc, kStop, TypeRange{}, ValueRange{address});
      }
    }
  }
};

} // namespace
