//===- ResultsToOutParams.cpp - Returned buffers as out-parameters --------===//
//
// nabla-results-to-out-params: see Passes.td. Upstream's rewrite, with the
// result attributes taken off before it and put on the out-parameters
// after it, all at once.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace nabla {
#define GEN_PASS_DEF_NABLARESULTSTOOUTPARAMS
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// A function's result attributes, split as upstream's rewrite splits its
/// results: those of memref results (out-parameters, appended to the
/// arguments in order) and those of the others (kept as results).
struct ResultAttrs {
  func::FuncOp func;
  SmallVector<DictionaryAttr> outParams, kept;
};

ResultAttrs takeResultAttrs(func::FuncOp func) {
  ResultAttrs taken{func, {}, {}};
  SmallVector<DictionaryAttr> attrs;
  func.getAllResultAttrs(attrs);
  for (auto [type, attr] : llvm::zip_equal(func.getResultTypes(), attrs))
    (isa<MemRefType>(type) ? taken.outParams : taken.kept).push_back(attr);
  func.removeResAttrsAttr();
  return taken;
}

void putResultAttrs(const ResultAttrs &taken) {
  func::FuncOp func = taken.func;
  if (taken.outParams.empty())
    return;
  SmallVector<DictionaryAttr> args;
  func.getAllArgAttrs(args);
  llvm::copy(taken.outParams, args.end() - taken.outParams.size());
  func.setAllArgAttrs(args);
  if (llvm::any_of(taken.kept, [](DictionaryAttr d) { return !d.empty(); }))
    func.setAllResultAttrs(taken.kept);
}

struct NablaResultsToOutParamsPass
    : nabla::impl::NablaResultsToOutParamsBase<NablaResultsToOutParamsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ResultAttrs> taken;
    for (auto func : module.getOps<func::FuncOp>())
      taken.push_back(takeResultAttrs(func));
    bufferization::BufferResultsToOutParamsOpts options;
    options.hoistStaticAllocs = true;
    options.modifyPublicFunctions = true;
    if (failed(bufferization::promoteBufferResultsToOutParams(module, options)))
      return signalPassFailure();
    for (const ResultAttrs &attrs : taken)
      putResultAttrs(attrs);
  }
};

} // namespace
