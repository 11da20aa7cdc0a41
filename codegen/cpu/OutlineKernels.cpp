//===- OutlineKernels.cpp - Each loop nest a function of its own ----------===//
//
// nabla-cpu-outline-kernels: see Passes.td. The CPU's counterpart of
// gpu-kernel-outlining: a training step of n layers is one function of
// ~10n loop nests, and what works on a whole function (block splitting in
// scf-to-cf, LLVM's IndVarSimplify and loop passes under -O3) grows
// faster than n: 100 repeats of a Dense layer took 59 s in opt -O3, 50
// took 12.7 s (now 5.5 s and 2.5 s). The kernels then cost time linear in
// their number; the function that calls them all still grows faster.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUOUTLINEKERNELS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// A top-level op worth a function: a loop nest or a linalg op (which
/// becomes one), on buffers (no results to thread back out).
bool isKernel(Operation &op) {
  return op.getNumResults() == 0 &&
         (op.getNumRegions() > 0 || isa<linalg::LinalgOp>(op)) &&
         !op.hasTrait<OpTrait::IsTerminator>();
}

/// The values `kernel` uses that are defined outside it, in first-use
/// order.
llvm::SetVector<Value> capturedValues(Operation *kernel) {
  llvm::SetVector<Value> captured;
  kernel->walk([&](Operation *op) {
    for (Value v : op->getOperands())
      if (!kernel->isAncestor(v.getParentBlock()->getParentOp()))
        captured.insert(v);
  });
  return captured;
}

bool isCloneableConstant(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>();
}

/// Moves `kernel` into a new private function `name` (constants it uses
/// cloned in, every other captured value an argument) and calls it there.
/// noinline: LLVM would inline a function called once, undoing the split.
void outline(Operation *kernel, StringRef name, SymbolTable &symbols) {
  llvm::SetVector<Value> captured = capturedValues(kernel);
  SmallVector<Value> arguments;
  for (Value v : captured)
    if (!isCloneableConstant(v))
      arguments.push_back(v);

  auto parent = kernel->getParentOfType<func::FuncOp>();
  OpBuilder b(parent);
  auto type = b.getFunctionType(ValueRange(arguments).getTypes(), {});
  auto func = func::FuncOp::create(b, kernel->getLoc(), name, type);
  func.setPrivate();
  // Internal: no symbol, and no packed wrapper from the ExecutionEngine.
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(
                                    b.getContext(), LLVM::Linkage::Internal));
  func->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
  symbols.insert(func, Block::iterator(parent));

  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping mapping;
  mapping.map(ValueRange(arguments), body->getArguments());
  for (Value v : captured)
    if (isCloneableConstant(v))
      mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));
  b.clone(*kernel, mapping);
  func::ReturnOp::create(b, kernel->getLoc());

  b.setInsertionPoint(kernel);
  func::CallOp::create(b, kernel->getLoc(), func, arguments);
  kernel->erase();
}

struct NablaCpuOutlineKernelsPass
    : nabla::impl::NablaCpuOutlineKernelsBase<NablaCpuOutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> kernels;
      for (Operation &op : func.getBody().getOps())
        if (isKernel(op))
          kernels.push_back(&op);
      if (static_cast<int64_t>(kernels.size()) < minKernels)
        continue;
      for (auto [i, kernel] : llvm::enumerate(kernels))
        outline(kernel, kernelName(func, kernel, i), symbols);
    }
  }

  /// `@M_train_step_group_3` for a fusion group, `@M_train_step_kernel_7`
  /// for another loop nest (SymbolTable renames on a clash).
  static std::string kernelName(func::FuncOp func, Operation *kernel,
                                size_t index) {
    if (auto group = kernel->getAttrOfType<StringAttr>(nabla::attrs::kGroup))
      return (func.getSymName() + "_" + group.getValue()).str();
    return (func.getSymName() + "_kernel_" + Twine(index)).str();
  }
};

} // namespace
