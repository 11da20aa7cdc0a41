//===- FuzzPipeline.cpp - nabla-dialect IR through the CPU pipeline -------===//
//
// Any text that parses as MLIR and verifies goes through
// nabla-cpu-pipeline: the compiler must lower it or report an error,
// never crash or hang. What does not parse or verify is dropped (the
// parser and verifier are MLIR's).
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"
#include "nabla/passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    mlir::registerAllDialects(registry);
    mlir::registerAllExtensions(registry);
    registry.insert<nabla::NablaDialect>();
    auto *c = new mlir::MLIRContext(registry);
    c->loadAllAvailableDialects();
    // One thread: the fuzzer's input is small, and threads add noise.
    c->disableMultithreading();
    return c;
  }();
  mlir::ScopedDiagnosticHandler quiet(
      context, [](mlir::Diagnostic &) { return mlir::success(); });
  // A std::string ends in '\0', as a file's MemoryBuffer does: MLIR's
  // lexer reads up to that terminator (the fuzzer's bytes have none, and
  // the lexer read past them: the crash kept in fuzz/regressions/pipeline).
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::ParserConfig config(context);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, config);
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  // Only nabla models: other dialects' ops are not nabla's input.
  bool foreign = false;
  module->walk([&](mlir::Operation *op) {
    llvm::StringRef dialect =
        op->getDialect() ? op->getDialect()->getNamespace() : llvm::StringRef();
    if (dialect != "nabla" && dialect != "func" && dialect != "builtin")
      foreign = true;
  });
  if (foreign)
    return 0;
  mlir::PassManager pm(context);
  nabla::CpuTarget target;
  target.threads = false;
  nabla::buildCpuPipeline(pm, nabla::CpuStage::LLVMDialect, /*fusion=*/true,
                          target);
  (void)pm.run(*module);
  return 0;
}
