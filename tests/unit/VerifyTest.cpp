//===- VerifyTest.cpp - The IR verified once at the end of a pipeline -----===//
//
// configure() turns MLIR's verification after every pass off unless asked,
// and ends the pipeline with nabla-verify. A module made invalid by hand
// (as a buggy pass would leave it: a function returning fewer values than
// its type says) must still fail the pipeline, with the verifier's message,
// instead of reaching LLVM translation.
//
//===----------------------------------------------------------------------===//
#include "nabla/Stages.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

constexpr const char *kModule = R"mlir(
  func.func @f(%x: f32) -> (f32, f32) {
    %y = arith.addf %x, %x : f32
    return %y, %x : f32, f32
  }
)mlir";

/// Parses kModule (valid), then drops the return's second operand: the
/// function says it returns two values and returns one.
OwningOpRef<ModuleOp> brokenModule(MLIRContext &context) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kModule, &context);
  EXPECT_TRUE(module);
  auto func = module->lookupSymbol<func::FuncOp>("f");
  func.getBody().front().getTerminator()->eraseOperand(1);
  return module;
}

/// Runs configure(options)'s pass manager (no pass of its own but what
/// configure adds) on `module`; returns the diagnostics, or "ok".
std::string runConfigured(ModuleOp module, bool verifyEachPass) {
  PassManager pm(module->getContext());
  nabla::StageOptions options;
  options.verifyEachPass = verifyEachPass;
  nabla::configure(pm, options);
  std::string text;
  ScopedDiagnosticHandler handler(module->getContext(), [&](Diagnostic &d) {
    text += d.str() + "\n";
    return success();
  });
  return failed(pm.run(module)) ? text : "ok";
}

TEST(Verify, EndOfPipelineCatchesInvalidIR) {
  MLIRContext context;
  context.loadDialect<func::FuncDialect, arith::ArithDialect>();
  OwningOpRef<ModuleOp> valid = parseSourceString<ModuleOp>(kModule, &context);
  ASSERT_TRUE(valid);
  EXPECT_EQ(runConfigured(*valid, /*verifyEachPass=*/false), "ok");

  OwningOpRef<ModuleOp> broken = brokenModule(context);
  std::string diagnostics = runConfigured(*broken, /*verifyEachPass=*/false);
  EXPECT_NE(diagnostics, "ok");
  EXPECT_NE(diagnostics.find("has 1 operands, but enclosing function"),
            std::string::npos)
      << diagnostics;
}

TEST(Verify, EachPassLeavesNoFinalPass) {
  // With verification after every pass, configure adds no pass: an empty
  // pipeline runs nothing, so even a broken module passes through it (the
  // pass manager verifies only after passes it runs).
  MLIRContext context;
  context.loadDialect<func::FuncDialect, arith::ArithDialect>();
  OwningOpRef<ModuleOp> broken = brokenModule(context);
  EXPECT_EQ(runConfigured(*broken, /*verifyEachPass=*/true), "ok");
}

} // namespace
