//===- KernelStats.h - Counting the kernels of a lowered step ---*- C++ -*-===//
#ifndef NABLA_CODEGEN_KERNELSTATS_H
#define NABLA_CODEGEN_KERNELSTATS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>

namespace nabla {

struct KernelStats {
  /// Loop nests at the top level of the function: a linalg op with loops,
  /// or an scf loop (a fused group). Scalar ops are not kernels, nor
  /// the short loops adding the partial sums of a group's tiles (part of
  /// the group's kernel).
  int64_t kernels = 0;
  /// Bytes of the tensors those kernels write that the function does not
  /// return: what goes to memory only to be read back by a later kernel.
  int64_t intermediateBytes = 0;
};

/// Counts `func` at the linalg-on-tensors stage (CpuStage::Linalg).
KernelStats countKernels(mlir::func::FuncOp func);

/// The bytes a training step holds, from its function at the
/// linalg-on-tensors stage (before bufferization reuses any buffer).
struct StepMemory {
  int64_t parameters = 0; // arguments: nabla.param
  int64_t state = 0;      // nabla.state: optimizer moments, running stats
  int64_t modelState = 0; // of which the model's own ("state:NAME")
  int64_t inputs = 0;     // nabla.input: the batch
  /// Results: the new parameters and state, written beside the old.
  int64_t updated = 0;
  /// The most bytes of tensors the step computes and does not return that
  /// are live at once, in program order: each from the op that makes it
  /// (a view, such as a reshape or a slice, as its source) to its last
  /// use. Gradients and the activations the backward pass reads are
  /// among them.
  int64_t peakIntermediates = 0;
};
StepMemory measureStepMemory(mlir::func::FuncOp func);

} // namespace nabla

#endif // NABLA_CODEGEN_KERNELSTATS_H
