//===- OptimizeLlvm.cpp - LLVM's -O3 for compiled models ------------------===//
//
// mlir::makeOptimizingTransformer(3, ...) with one change: passes that cost
// more than linear time in the size of a training step, and that do nothing
// for it, are skipped.
//
// A step is one host function that calls every kernel in turn (thousands
// of calls for a deep model) plus the kernels. CalledValuePropagation
// (which only annotates indirect calls with their possible callees; a step
// has none that matter) took 5.2 s at 100 Dense layers and 19.3 s at 200:
// 85% of LLVM's time, quadratic. Without it -O3 takes 1.2 s and 2.8 s.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/OptimizeLlvm.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassInstrumentation.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Target/TargetMachine.h"

namespace nabla {

bool runsLlvmPass(llvm::StringRef passName) {
  return llvm::StringSwitch<bool>(passName)
      .Case("CalledValuePropagationPass", false)
      .Default(true);
}

void setPreferVectorWidth(llvm::Module &module, llvm::StringRef vectorWidth) {
  for (llvm::Function &f : module)
    if (!f.isDeclaration())
      f.addFnAttr("prefer-vector-width", vectorWidth);
}

void optimizeLlvmModule(llvm::Module &module, llvm::TargetMachine *machine) {
  llvm::PassInstrumentationCallbacks instrumentation;
  instrumentation.registerShouldRunOptionalPassCallback(
      [](llvm::StringRef pass, llvm::Any) { return runsLlvmPass(pass); });

  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = true;
  tuning.LoopInterleaving = true;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(machine, tuning, std::nullopt, &instrumentation);

  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);

  llvm::ModulePassManager pipeline =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  pipeline.run(module, modules);
}

} // namespace nabla
