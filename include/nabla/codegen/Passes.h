//===- Passes.h - Lowering passes and pipelines of nabla -------*- C++ -*-===//
#ifndef NABLA_CODEGEN_PASSES_H
#define NABLA_CODEGEN_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
namespace arith { class ArithDialect; }
namespace linalg { class LinalgDialect; }
namespace math { class MathDialect; }
namespace tensor { class TensorDialect; }
} // namespace mlir

namespace nabla {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

/// How far the CPU pipeline goes (`nablac --emit=`).
enum class CpuStage {
  Fused,       // nabla ops grouped by nabla-fusion (nothing lowered yet)
  Linalg,      // nabla lowered to linalg on tensors
  LLVMDialect, // bufferized, lowered to loops and to the LLVM dialect
};

/// Adds the passes that take a module of nabla ops to `stage`; `fusion`
/// false leaves out nabla-fusion (every op its own kernel).
void buildCpuPipeline(mlir::OpPassManager &pm, CpuStage stage,
                      bool fusion = true);

/// Registers the nabla codegen passes and the `nabla-cpu-pipeline`
/// pipeline (for nabla-opt).
void registerCodegenPasses();

} // namespace nabla

#endif // NABLA_CODEGEN_PASSES_H
