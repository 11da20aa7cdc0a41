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

} // namespace nabla

#endif // NABLA_CODEGEN_KERNELSTATS_H
