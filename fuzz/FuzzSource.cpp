//===- FuzzSource.cpp - .nb text through the lexer, parser and MLIRGen ----===//
//
// Any text: the frontend reports errors or builds a module that verifies;
// it never crashes or hangs. Named dims not inferable are bound to 3.
//
//===----------------------------------------------------------------------===//
#include "nabla/frontend/Diagnostics.h"
#include "nabla/frontend/MLIRGen.h"
#include "nabla/frontend/Parser.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    registry.insert<nabla::NablaDialect, mlir::func::FuncDialect>();
    auto *c = new mlir::MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.nb"), llvm::SMLoc());
  std::string errors;
  llvm::raw_string_ostream os(errors);
  nabla::DiagnosticEngine diags(sourceMgr, os);
  auto module = nabla::parseModule(diags);
  if (!module || diags.hadError())
    return 0;
  mlir::ScopedDiagnosticHandler quiet(
      context, [](mlir::Diagnostic &) { return mlir::success(); });
  nabla::MLIRGenOptions options;
  for (const char *dim : {"N", "B", "T", "D", "I", "C", "H", "W"})
    options.dims[dim] = 3;
  auto ir = nabla::mlirGen(*context, *module, diags, options);
  // What MLIRGen accepts must verify: a failure here is a frontend bug.
  if (ir && !diags.hadError() && mlir::failed(mlir::verify(*ir)))
    std::abort();
  return 0;
}
