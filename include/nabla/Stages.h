//===- Stages.h - How far to compile: the stages of --emit ------*- C++ -*-===//
//
// The compiler is three registered pipelines (nabla-train-pipeline,
// nabla-cpu-pipeline, nabla-gpu-pipeline); a stage says how far along them
// to go, as in the Toy tutorial's `-emit=` (one ordered enum, so "how far"
// is one comparison). runToStage is the only place that assembles them, so
// `nablac --emit=STAGE` and nabla-opt with the same pipelines print the
// same IR.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_STAGES_H
#define NABLA_STAGES_H

#include "nabla/codegen/Passes.h"
#include "nabla/passes/Pipelines.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <optional>
#include <string>

namespace mlir {
class ModuleOp;
class OpPassManager;
class PassManager;
} // namespace mlir

namespace nabla {

/// The stages `nablac --emit=` prints, in order. Up to Nabla the model is
/// parsed and elaborated; Grad adds @M_grad (nabla-autodiff); Mixed is the
/// training step (nabla-train-pipeline) and Fused its fused groups; Linalg
/// to LLVM lower the model's own function (@M, or @M_grad when gradients
/// are asked for) for the CPU; Gpu and SPIRV lower it for Vulkan instead.
enum class Stage {
  Tokens,
  AST,
  Nabla,
  Grad,
  Mixed,
  Fused,
  Linalg,
  LLVMDialect,
  LLVM,
  Gpu,   // host function of gpu.launch_func ops and gpu.module kernels
  SPIRV, // the same, kernels as spirv.module ops (what Vulkan runs)
};

/// "tokens" -> Stage::Tokens, ...; nullopt for an unknown name.
std::optional<Stage> parseStage(llvm::StringRef name);
/// "tokens, ast, ..., spirv", for usage errors and --help.
std::string stageNames();

/// Runs a pass manager on a module and turns a failure into an llvm::Error
/// whose text is the diagnostics (the caller decides how they read).
using PassRunner = llvm::function_ref<llvm::Error(mlir::PassManager &)>;

/// What runToStage compiles from Stage::Fused on: the model (@M), its
/// gradient function (@M_grad) or its training step (nabla-train-pipeline:
/// @M_train_step, and @M_accumulate, @M_apply with accumulation).
enum class Program { Model, Gradient, TrainingStep };

/// How runToStage compiles.
struct StageOptions {
  Program program = Program::Model;
  /// The training step's settings (Program::TrainingStep, Stage::Mixed).
  TrainPipelineSettings train;
  std::vector<std::string> wrt; // nabla-autodiff's wrt (empty: all params)
  bool fusion = true;
  CpuTarget cpu;
  GpuTarget gpu;
  /// Called on every pass manager (IR printing, timing: --mlir-*).
  std::function<void(mlir::PassManager &)> configurePassManager;
  /// Verify the IR after every pass; off, it is verified once, at the end
  /// of each pass manager's pipeline (nabla-verify).
  bool verifyEachPass = false;
};

/// Finishes `pm` once its pipeline is built: verification after every
/// pass or nabla-verify at its end (options.verifyEachPass), then
/// options.configurePassManager (--mlir-* flags).
void configure(mlir::PassManager &pm, const StageOptions &options);

/// Adds the lowering of a built program to `stage` (Fused and beyond) to
/// `pm`: nabla-cpu-pipeline or nabla-gpu-pipeline with options' targets.
void buildLoweringPipeline(mlir::OpPassManager &pm, Stage stage,
                           const StageOptions &options);

/// Takes `module`, the nabla dialect as the frontend made it (Stage::Nabla),
/// to `stage`, running the registered pipelines with `run`:
///   Grad   nabla-autodiff (@M and @M_grad);
///   Mixed  nabla-train-pipeline (the step functions alone);
///   Fused and beyond: options.program, then nabla-cpu-pipeline as far as
///   the stage says (Fused, Linalg, LLVMDialect; LLVM is LLVMDialect
///   translated by the caller), or nabla-gpu-pipeline (Gpu, SPIRV).
llvm::Error runToStage(mlir::ModuleOp module, Stage stage,
                       const StageOptions &options, PassRunner run);

} // namespace nabla

#endif // NABLA_STAGES_H
