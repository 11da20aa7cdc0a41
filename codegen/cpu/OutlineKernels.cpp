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
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

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

/// Straight-line vector code: a small transpose or copy vectorized whole
/// (a 16x16 tile is ~100 ops) has no loop around it. Left in a training
/// step of n layers, it makes the step's one block grow by ~60 vector ops
/// per layer, and LLVM's instruction selection and register allocation of
/// that block grow faster than n.
bool isVectorCode(Operation &op) {
  if (op.getNumRegions() > 0 || op.hasTrait<OpTrait::IsTerminator>() ||
      op.hasTrait<OpTrait::ConstantLike>() || isa<CallOpInterface>(op))
    return false;
  if (isa<vector::VectorDialect>(op.getDialect()))
    return true;
  auto isVector = [](Type t) { return isa<VectorType>(t); };
  return llvm::any_of(op.getResultTypes(), isVector) ||
         llvm::any_of(op.getOperandTypes(), isVector);
}

/// Ops a run of vector code may step over: they neither read nor write
/// memory (a constant, a new buffer, a view), so the run can move past
/// them.
bool canStepOver(Operation &op) {
  return op.hasTrait<OpTrait::ConstantLike>() ||
         isa<memref::AllocOp, memref::AllocaOp, ViewLikeOpInterface>(op);
}

/// Runs shorter than this stay where they are: a call costs more than
/// they do.
constexpr size_t kMinVectorRun = 8;

/// Wraps each run of top-level vector code in `func` (at least
/// kMinVectorRun ops, whose values are used only inside it) in an
/// scf.execute_region placed where the run ends, so that it is outlined
/// as a loop nest is. Returns how many it wrapped.
size_t wrapVectorRuns(func::FuncOp func) {
  SmallVector<SmallVector<Operation *>> runs(1);
  for (Block &block : func.getBody()) {
    for (Operation &op : block) {
      if (isVectorCode(op))
        runs.back().push_back(&op);
      else if (!canStepOver(op) && !runs.back().empty())
        runs.emplace_back();
    }
    if (!runs.back().empty())
      runs.emplace_back();
  }
  size_t wrapped = 0;
  for (ArrayRef<Operation *> run : runs) {
    if (run.size() < kMinVectorRun)
      continue;
    llvm::SmallPtrSet<Operation *, 32> inRun(run.begin(), run.end());
    bool closed = llvm::all_of(run, [&](Operation *op) {
      return llvm::all_of(op->getUsers(),
                          [&](Operation *user) { return inRun.count(user); });
    });
    if (!closed)
      continue;
    OpBuilder b(run.back()->getNextNode());
    auto region =
        scf::ExecuteRegionOp::create(b, run.front()->getLoc(), TypeRange{});
    Block *body = b.createBlock(&region.getRegion());
    for (Operation *op : run)
      op->moveBefore(body, body->end());
    b.setInsertionPointToEnd(body);
    scf::YieldOp::create(b, run.back()->getLoc());
    ++wrapped;
  }
  return wrapped;
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

/// `type` with a dynamic offset where its strided layout fixes one; null
/// for any other type.
MemRefType withDynamicOffset(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  auto layout =
      memref ? dyn_cast<StridedLayoutAttr>(memref.getLayout()) : nullptr;
  if (!layout || ShapedType::isDynamic(layout.getOffset()))
    return {};
  return MemRefType::get(memref.getShape(), memref.getElementType(),
                         StridedLayoutAttr::get(type.getContext(),
                                                ShapedType::kDynamic,
                                                layout.getStrides()),
                         memref.getMemorySpace());
}

/// `v` passed as a view with a dynamic offset when its type fixes one: a
/// slice `x[:, t]` of each position of an unrolled loop is then the same
/// argument type, and the kernels that read them can be merged.
Value withDynamicOffset(OpBuilder &b, Value v) {
  MemRefType dynamic = withDynamicOffset(v.getType());
  return dynamic ? memref::CastOp::create(b, v.getLoc(), dynamic, v) : v;
}

/// Whether `user` accepts a memref operand of any layout, its own types
/// unchanged: it reads or writes through the descriptor.
bool layoutAgnostic(Operation *user) {
  return isa<memref::LoadOp, memref::StoreOp, memref::DimOp, memref::CopyOp,
             vector::TransferReadOp, vector::TransferWriteOp, vector::LoadOp,
             vector::StoreOp, vector::MaskedLoadOp, vector::MaskedStoreOp,
             linalg::LinalgOp>(user);
}

/// `v` was typed `old` (a static offset) and is now typed with a dynamic
/// one: its users follow. A subview's result takes a dynamic offset too,
/// and its users follow in turn; any other user gets a cast back to the
/// type it was built for (a no-op once lowered).
void relaxUses(Value v, Type old) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : v.getUses())
    uses.push_back(&use);
  for (OpOperand *use : uses) {
    Operation *user = use->getOwner();
    if (layoutAgnostic(user))
      continue;
    if (auto view = dyn_cast<memref::SubViewOp>(user);
        view && use->get() == view.getSource()) {
      MemRefType type = view.getType();
      if (MemRefType dynamic = withDynamicOffset(type)) {
        view.getResult().setType(dynamic);
        relaxUses(view.getResult(), type);
        continue;
      }
    }
    OpBuilder b(user);
    use->set(memref::CastOp::create(b, user->getLoc(), old, v));
  }
}

/// Moves `kernel` into a new private function `name` (constants it uses
/// cloned in, every other captured value an argument) and calls it there.
/// noinline: LLVM would inline a function called once, undoing the split.
func::FuncOp outline(Operation *kernel, StringRef name, SymbolTable &symbols) {
  llvm::SetVector<Value> captured = capturedValues(kernel);
  OpBuilder before(kernel);
  SmallVector<Value> arguments, passed;
  for (Value v : captured)
    if (!isCloneableConstant(v)) {
      arguments.push_back(v);
      passed.push_back(withDynamicOffset(before, v));
    }

  auto parent = kernel->getParentOfType<func::FuncOp>();
  OpBuilder b(parent);
  auto type = b.getFunctionType(ValueRange(passed).getTypes(), {});
  auto func = func::FuncOp::create(b, kernel->getLoc(), name, type);
  func.setPrivate();
  // Internal: no symbol, and no packed wrapper from the ExecutionEngine.
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(
                                    b.getContext(), LLVM::Linkage::Internal));
  func->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
  func->setAttr(nabla::attrs::kKernel, b.getUnitAttr());
  symbols.insert(func, Block::iterator(parent));

  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping mapping;
  mapping.map(ValueRange(arguments), body->getArguments());
  for (Value v : captured)
    if (isCloneableConstant(v))
      mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));
  Operation *moved = b.clone(*kernel, mapping);
  if (auto region = dyn_cast<scf::ExecuteRegionOp>(moved)) {
    // A run of vector code (wrapVectorRuns): the function is its region.
    Block &ops = region.getRegion().front();
    ops.getTerminator()->erase();
    body->getOperations().splice(Block::iterator(moved), ops.getOperations());
    region.erase();
    moved = nullptr;
  }
  for (auto [original, argument] : llvm::zip(arguments, body->getArguments()))
    if (argument.getType() != original.getType())
      relaxUses(argument, original.getType());
  // The group's name is the function's now; left on the op it would keep
  // identical kernels of different groups apart.
  if (moved)
    moved->removeAttr(nabla::attrs::kGroup);
  func::ReturnOp::create(b, kernel->getLoc());

  func::CallOp::create(before, kernel->getLoc(), func, passed);
  kernel->erase();
  return func;
}

/// The text of `func` without its name: equal for two kernels that do the
/// same work on arguments of the same types.
std::string bodyKey(func::FuncOp func) {
  // A local scope: printing relative to the module would number the whole
  // module's values for every kernel.
  std::string text;
  llvm::raw_string_ostream os(text);
  func.print(os, OpPrintingFlags().useLocalScope());
  std::string name = ("@" + func.getSymName()).str();
  if (size_t at = text.find(name); at != std::string::npos)
    text.erase(at, name.size());
  return text;
}

/// Merges outlined kernels with the same body into one function: an
/// unrolled loop (`repeat t in T`) makes T copies of each kernel of its
/// body, and LLVM would otherwise optimise and compile each copy.
void mergeDuplicates(ModuleOp module, ArrayRef<func::FuncOp> outlined) {
  llvm::StringMap<func::FuncOp> first;
  DenseMap<StringAttr, FlatSymbolRefAttr> replacement;
  for (func::FuncOp func : outlined) {
    auto [it, inserted] = first.try_emplace(bodyKey(func), func);
    if (inserted)
      continue;
    replacement[func.getSymNameAttr()] =
        FlatSymbolRefAttr::get(it->second.getSymNameAttr());
  }
  if (replacement.empty())
    return;
  // One walk for all calls: a walk per merged kernel would be quadratic.
  module.walk([&](func::CallOp call) {
    auto it = replacement.find(call.getCalleeAttr().getAttr());
    if (it != replacement.end())
      call.setCalleeAttr(it->second);
  });
  for (func::FuncOp func : outlined)
    if (replacement.count(func.getSymNameAttr()))
      func.erase();
}

struct NablaCpuOutlineKernelsPass
    : nabla::impl::NablaCpuOutlineKernelsBase<NablaCpuOutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    SmallVector<func::FuncOp> outlined;
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      auto kernelsOf = [&] {
        SmallVector<Operation *> kernels;
        for (Operation &op : func.getBody().getOps())
          if (isKernel(op))
            kernels.push_back(&op);
        return kernels;
      };
      SmallVector<Operation *> kernels = kernelsOf();
      if (static_cast<int64_t>(kernels.size()) < minKernels)
        continue;
      if (wrapVectorRuns(func) > 0)
        kernels = kernelsOf();
      for (auto [i, kernel] : llvm::enumerate(kernels))
        outlined.push_back(
            outline(kernel, kernelName(func, kernel, i), symbols));
    }
    mergeDuplicates(module, outlined);
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
