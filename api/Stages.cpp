//===- Stages.cpp - How far to compile: the stages of --emit --------------===//
#include "nabla/Stages.h"

#include "nabla/ir/NablaDialect.h"
#include "nabla/passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace nabla {

namespace {

struct StageName {
  Stage stage;
  const char *name;
};
constexpr StageName kStageNames[] = {
    {Stage::Tokens, "tokens"}, {Stage::AST, "ast"},
    {Stage::Nabla, "nabla"},   {Stage::Grad, "grad"},
    {Stage::Mixed, "mixed"},   {Stage::Fused, "fused"},
    {Stage::Linalg, "linalg"}, {Stage::LLVMDialect, "llvm-dialect"},
    {Stage::LLVM, "llvm"},     {Stage::Gpu, "gpu"},
    {Stage::SPIRV, "spirv"},
};

void addAutodiff(mlir::OpPassManager &pm, const StageOptions &options) {
  AutodiffOptions autodiff;
  autodiff.wrt.assign(options.wrt.begin(), options.wrt.end());
  pm.addPass(createAutodiff(autodiff));
}

} // namespace

std::optional<Stage> parseStage(llvm::StringRef name) {
  for (const StageName &entry : kStageNames)
    if (name == entry.name)
      return entry.stage;
  return std::nullopt;
}

std::string stageNames() {
  std::string text;
  for (const StageName &entry : kStageNames)
    text += (text.empty() ? "" : ", ") + std::string(entry.name);
  return text;
}

void configure(mlir::PassManager &pm, const StageOptions &options) {
  pm.enableVerifier(options.verifyEachPass);
  if (!options.verifyEachPass)
    pm.addPass(createVerify());
  if (options.configurePassManager)
    options.configurePassManager(pm);
}

/// Builds options.program from the nabla module: nothing for the model,
/// nabla-autodiff for its gradient (keeping only @M_grad), the train
/// pipeline for the training step.
static llvm::Error buildProgram(mlir::ModuleOp module,
                                const StageOptions &options, PassRunner run) {
  if (options.program == Program::Model)
    return llvm::Error::success();
  mlir::PassManager pm(module->getContext());
  if (options.program == Program::TrainingStep) {
    buildTrainPipeline(pm, options.train);
    configure(pm, options);
    return run(pm);
  }
  addAutodiff(pm, options);
  configure(pm, options);
  if (auto e = run(pm))
    return e;
  for (auto func : llvm::to_vector(module.getOps<mlir::func::FuncOp>()))
    if (!func->hasAttr(attrs::kGradientOf))
      func.erase();
  return llvm::Error::success();
}

void buildLoweringPipeline(mlir::OpPassManager &pm, Stage stage,
                           const StageOptions &options) {
  if (stage == Stage::Gpu || stage == Stage::SPIRV) {
    buildGpuPipeline(pm,
                     stage == Stage::Gpu ? GpuStage::Kernels : GpuStage::SPIRV,
                     options.gpu, options.fusion);
    return;
  }
  buildCpuPipeline(pm,
                   stage == Stage::Fused    ? CpuStage::Fused
                   : stage == Stage::Linalg ? CpuStage::Linalg
                                            : CpuStage::LLVMDialect,
                   options.fusion, options.cpu);
}

llvm::Error runToStage(mlir::ModuleOp module, Stage stage,
                       const StageOptions &options, PassRunner run) {
  if (stage <= Stage::Nabla)
    return llvm::Error::success();
  if (stage == Stage::Grad || stage == Stage::Mixed) {
    mlir::PassManager pm(module->getContext());
    if (stage == Stage::Grad)
      addAutodiff(pm, options);
    else
      buildTrainPipeline(pm, options.train);
    configure(pm, options);
    return run(pm);
  }
  if (auto e = buildProgram(module, options, run))
    return e;
  mlir::PassManager pm(module->getContext());
  buildLoweringPipeline(pm, stage, options);
  configure(pm, options);
  return run(pm);
}

} // namespace nabla
