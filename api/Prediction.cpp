//===- Prediction.cpp - A model without its targets ----------------------===//
//
// A model written for training takes its features and its targets and
// returns the loss first, then what it predicts: `return
// cross_entropy(logits, label), logits`. Inference has no targets. The
// prediction form keeps the first input, drops every other one, and drops
// each output that reads a dropped input (the loss); what is left is the
// function `nablac predict` runs and `nablac export` compiles.
//
//===----------------------------------------------------------------------===//
#include "api/Prediction.h"
#include "nabla/ir/NablaDialect.h"
#include "nabla/support/Error.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/SetVector.h"

namespace nabla {

namespace {

/// The name an argument or result carries (nabla.input, nabla.output).
std::string nameOf(mlir::DictionaryAttr dict, llvm::StringRef key) {
  if (!dict)
    return "";
  if (auto name = dict.getAs<mlir::StringAttr>(key))
    return name.getValue().str();
  return "";
}

llvm::Error makePredictionForm(mlir::func::FuncOp func) {
  // The inputs other than the first: the targets.
  llvm::BitVector dropArgs(func.getNumArguments());
  bool first = true;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    if (nameOf(func.getArgAttrDict(i), attrs::kInput).empty())
      continue;
    if (!first)
      dropArgs.set(i);
    first = false;
  }
  if (dropArgs.none())
    return llvm::Error::success();
  llvm::SetVector<mlir::Operation *> readers;
  for (unsigned i : dropArgs.set_bits())
    mlir::getForwardSlice(func.getArgument(i), &readers);
  auto ret =
      llvm::cast<mlir::func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::BitVector dropResults(func.getNumResults());
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    auto arg = llvm::dyn_cast<mlir::BlockArgument>(value);
    bool readsTargets = arg ? dropArgs.test(arg.getArgNumber())
                            : readers.contains(value.getDefiningOp());
    if (readsTargets)
      dropResults.set(i);
  }
  if (dropResults.all())
    return makeError("error: every output of model " + func.getSymName() +
                     " needs its targets; prediction needs an output that "
                     "reads only the first input (return the loss and, "
                     "after it, what the model predicts)");
  // The return drops them; the ops only they used go with them.
  llvm::SmallVector<mlir::Value> kept;
  for (auto [i, value] : llvm::enumerate(ret.getOperands()))
    if (!dropResults.test(i))
      kept.push_back(value);
  ret->setOperands(kept);
  for (mlir::Operation &op :
       llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
    if (mlir::isOpTriviallyDead(&op))
      op.erase();
  for (unsigned i : dropArgs.set_bits())
    if (!func.getArgument(i).use_empty())
      return makeError("error: in model " + func.getSymName() +
                       ", an output kept for prediction reads the targets "
                       "(a compiler bug; please report it)");
  if (mlir::failed(func.eraseArguments(dropArgs)) ||
      mlir::failed(func.eraseResults(dropResults)))
    return makeError("error: cannot remove the targets of model " +
                     func.getSymName());
  return llvm::Error::success();
}

} // namespace

llvm::Error makePredictionForm(mlir::ModuleOp module) {
  for (auto func : module.getOps<mlir::func::FuncOp>())
    if (func->hasAttr(attrs::kModel))
      if (auto e = makePredictionForm(func))
        return e;
  return llvm::Error::success();
}

} // namespace nabla
