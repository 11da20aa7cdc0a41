//===- Backend.h - Lowering for the chosen device and running it -*- C++
//-*-===//
//
// CompileOptions::device picks the back end: the CPU pipeline and the LLVM
// JIT, or the GPU pipeline (SPIR-V) and the Vulkan runtime. Model, Trainer
// and the tools create their engines here, so each supports both.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_BACKEND_H
#define NABLA_BACKEND_H

#include "nabla/Model.h"
#include "nabla/codegen/Passes.h"
#include "nabla/runtime/Engine.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace nabla {

struct DeviceChoice {
  bool vulkan = false;
  int index = -1; // vulkan:N; -1 picks one
};

/// "cpu", "vulkan" or "vulkan:N"; a usage error naming the choices.
llvm::Expected<DeviceChoice> parseDevice(llvm::StringRef text);

/// The CPU the JIT compiles for: the host's vectors, and OpenMP loops only
/// when more than one thread is asked for (getNumThreads() > 1). On one
/// thread, forking a team per loop costs more than the loop on small
/// models (W2's step: 7.6 ms with OpenMP loops, 6.2 ms without).
CpuTarget jitCpuTarget();

/// The StageOptions `options` compile with: the program (the model or
/// its gradient), fusion, the JIT's CPU target, --mlir-* configuration.
StageOptions stageOptions(const CompileOptions &options);

/// Lowers `module` (nabla ops) for `options.device` with `run` (which runs
/// a pass manager on it and reports its diagnostics), then creates the
/// engine that runs it. `loweringSeconds` receives the time in the passes.
llvm::Expected<std::unique_ptr<Engine>>
createEngine(mlir::ModuleOp module, const CompileOptions &options,
             llvm::function_ref<llvm::Error(mlir::PassManager &)> run,
             double *loweringSeconds = nullptr);

} // namespace nabla

#endif // NABLA_BACKEND_H
