//===- OptimizeLlvmTest.cpp - the JIT's LLVM pipeline ---------------------===//
//
// optimizeLlvmModule is LLVM's -O3 less CalledValuePropagation, whose time
// grows with the square of a training step's size (OptimizeLlvm.cpp). That
// pass marks an indirect call whose possible callees it can list with
// !callees metadata; here a call through a select of two functions gets
// the mark from plain -O3 (so the check can fail) and not from ours, which
// still optimizes the rest (the functions' bodies are folded into it).
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/OptimizeLlvm.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <gtest/gtest.h>

namespace {

constexpr const char *kIndirectCall = R"(
define internal void @a(ptr %p) noinline {
  store float 1.0, ptr %p
  ret void
}
define internal void @b(ptr %p) noinline {
  store float 2.0, ptr %p
  ret void
}
define void @step(i1 %c, ptr %p) {
  %f = select i1 %c, ptr @a, ptr @b
  call void %f(ptr %p)
  %q = getelementptr float, ptr %p, i64 1
  store float 3.0, ptr %q
  %r = getelementptr float, ptr %p, i64 1
  store float 4.0, ptr %r
  ret void
}
)";

std::unique_ptr<llvm::TargetMachine> hostMachine() {
  llvm::InitializeNativeTarget();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) {
    llvm::consumeError(builder.takeError());
    return nullptr;
  }
  auto machine = builder->createTargetMachine();
  if (!machine) {
    llvm::consumeError(machine.takeError());
    return nullptr;
  }
  return std::move(*machine);
}

std::unique_ptr<llvm::Module> parse(llvm::LLVMContext &context) {
  llvm::SMDiagnostic error;
  return llvm::parseAssemblyString(kIndirectCall, error, context);
}

/// The indirect call in @step, or null once it is gone.
llvm::CallInst *indirectCall(llvm::Module &module) {
  for (llvm::Instruction &i : llvm::instructions(*module.getFunction("step")))
    if (auto *call = llvm::dyn_cast<llvm::CallInst>(&i))
      if (call->isIndirectCall())
        return call;
  return nullptr;
}

unsigned storeCount(llvm::Module &module) {
  unsigned n = 0;
  for (llvm::Instruction &i : llvm::instructions(*module.getFunction("step")))
    n += llvm::isa<llvm::StoreInst>(i);
  return n;
}

/// LLVM's own -O3, as mlir::makeOptimizingTransformer runs it.
void plainO3(llvm::Module &module, llvm::TargetMachine *machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, modules);
}

TEST(OptimizeLlvm, SkipsCalledValuePropagation) {
  auto machine = hostMachine();
  ASSERT_TRUE(machine);
  EXPECT_FALSE(nabla::runsLlvmPass("CalledValuePropagationPass"));
  EXPECT_TRUE(nabla::runsLlvmPass("GVNPass"));

  llvm::LLVMContext context;
  auto reference = parse(context);
  ASSERT_TRUE(reference);
  plainO3(*reference, machine.get());
  llvm::CallInst *marked = indirectCall(*reference);
  ASSERT_TRUE(marked) << "-O3 no longer keeps the indirect call";
  EXPECT_TRUE(marked->getMetadata(llvm::LLVMContext::MD_callees))
      << "-O3 no longer runs CalledValuePropagation: this test shows nothing";

  auto ours = parse(context);
  ASSERT_TRUE(ours);
  nabla::setPreferVectorWidth(*ours, "512");
  nabla::optimizeLlvmModule(*ours, machine.get());
  llvm::CallInst *call = indirectCall(*ours);
  ASSERT_TRUE(call);
  EXPECT_FALSE(call->getMetadata(llvm::LLVMContext::MD_callees));
  // The rest of -O3 still ran: the first of the two stores to p[1] is dead.
  EXPECT_EQ(storeCount(*ours), 1u);
  EXPECT_EQ(storeCount(*reference), 1u);
  EXPECT_EQ(ours->getFunction("step")
                ->getFnAttribute("prefer-vector-width")
                .getValueAsString(),
            "512");
}

} // namespace
