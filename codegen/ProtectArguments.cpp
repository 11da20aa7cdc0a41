//===- ProtectArguments.cpp - Read-only arguments, a buffer per result ---===//
//
// Runs right before one-shot-bufferize on both pipelines: arguments stay
// read-only (the runtime owns their buffers, and a parameter is read again
// after the step), and no result shares a buffer with another.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace nabla {
#define GEN_PASS_DEF_NABLAPROTECTARGUMENTS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct NablaProtectArgumentsPass
    : nabla::impl::NablaProtectArgumentsBase<NablaProtectArgumentsPass> {
  void runOnOperation() override {
    auto readOnly = BoolAttr::get(&getContext(), false);
    llvm::DenseSet<StringAttr> called;
    getOperation().walk([&](func::CallOp call) {
      called.insert(call.getCalleeAttr().getAttr());
    });
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      markReadOnly(func, readOnly);
      func.walk([](func::ReturnOp ret) { copyRepeatedResults(ret); });
      func.walk([](Operation *op) {
        if (isa<tensor::EmptyOp>(op) ||
            (isa<arith::ConstantOp>(op) &&
             isa<TensorType>(op->getResultTypes()[0])))
          splitShared(op);
      });
      if (!called.contains(func.getSymNameAttr()))
        returnBuffers(func);
    }
  }

  /// The function's ranked tensor results become buffers, handed out by
  /// `bufferization.to_buffer read_only` right before each return, so that
  /// one-shot-bufferize sees no tensor leave the function. With tensor
  /// results, its analysis of function boundaries compares every returned
  /// tensor with every tensor argument, and a step of 400 Dense layers has
  /// ~5,600 arguments and thousands of results (at 1000 layers that was
  /// 160 of the pass's 984 perf samples). The buffers are the same: each
  /// result's own (see copyRepeatedResults), an argument's when an
  /// argument is returned (the out-parameter pass copies it); a returned
  /// view would be cast or copied to the identity layout by one-shot's
  /// folding of to_buffer(to_tensor), which no model here exercises. Only
  /// for functions nothing in the module calls, whose callers are the
  /// runtimes.
  static void returnBuffers(func::FuncOp func) {
    SmallVector<Type> results(func.getResultTypes());
    bool changed = false;
    for (Type &type : results)
      if (auto tensor = dyn_cast<RankedTensorType>(type)) {
        type = MemRefType::get(tensor.getShape(), tensor.getElementType());
        changed = true;
      }
    if (!changed)
      return;
    func.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      for (auto [operand, type] : llvm::zip(ret->getOpOperands(), results))
        if (isa<MemRefType>(type) &&
            isa<RankedTensorType>(operand.get().getType()))
          operand.set(bufferization::ToBufferOp::create(
              b, ret.getLoc(), type, operand.get(), /*read_only=*/true));
    });
    func.setFunctionType(
        FunctionType::get(func.getContext(), func.getArgumentTypes(), results));
  }

  /// Every tensor argument gets `bufferization.writable = false`. All
  /// argument attributes are set at once: setArgAttr rebuilds the array of
  /// every argument's attributes, so one call per argument cost time
  /// quadratic in their number (a step of 400 Dense layers has ~5,600).
  static void markReadOnly(func::FuncOp func, BoolAttr readOnly) {
    SmallVector<DictionaryAttr> attrs;
    func.getAllArgAttrs(attrs);
    for (auto [i, argument] : llvm::enumerate(func.getArguments())) {
      if (!isa<TensorType>(argument.getType()))
        continue;
      NamedAttrList list(attrs[i]);
      list.set(bufferization::BufferizationDialect::kWritableAttrName,
               readOnly);
      attrs[i] = list.getDictionary(func.getContext());
    }
    func.setAllArgAttrs(attrs);
  }

  /// CSE merges every `tensor.empty` of one type into one, so a function of
  /// n layers hands the same empty tensor to n loops. one-shot-bufferize
  /// then treats all n as aliases of one buffer and checks every write
  /// against every read of all of them: compile time grew as n^3 (a
  /// 200-layer chain spent 32 s there). An empty tensor per use means the
  /// same buffers (each loop needed its own anyway) with linear analysis.
  /// A tensor constant CSE merged costs the square of its uses (the
  /// analysis visits every use of a value for each of its operands: a
  /// reshape's shape had 1,001 at 1000 Dense layers); one per use
  /// bufferizes to the same global.
  static void splitShared(Operation *op) {
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : op->getUses())
      uses.push_back(&use);
    OpBuilder b(op);
    for (OpOperand *use : llvm::drop_begin(uses))
      use->set(b.clone(*op)->getResult(0));
  }

  /// A value returned twice gets a copy for its second place, so every
  /// result has a buffer of its own (buffer-results-to-out-params assumes
  /// it, and crashes otherwise).
  static void copyRepeatedResults(func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 8> seen;
    OpBuilder b(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      Value v = operand.get();
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type || seen.insert(v).second)
        continue;
      Value init = tensor::EmptyOp::create(b, ret.getLoc(), type.getShape(),
                                           type.getElementType());
      operand.set(linalg::CopyOp::create(b, ret.getLoc(), ValueRange{v},
                                         ValueRange{init})
                      .getResult(0));
    }
  }
};

} // namespace
