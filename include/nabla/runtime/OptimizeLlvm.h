//===- OptimizeLlvm.h - LLVM's -O3 for compiled models ----------*- C++ -*-===//
//
// The LLVM IR optimization that the JIT and `nablac export` both run:
// LLVM's -O3 pipeline (as mlir::makeOptimizingTransformer builds it), less
// the passes whose cost grows faster than the model (OptimizeLlvm.cpp),
// and the widest vectors the host prefers.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_OPTIMIZELLVM_H
#define NABLA_RUNTIME_OPTIMIZELLVM_H

#include "llvm/ADT/StringRef.h"

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace nabla {

/// Gives every function of `module` the vector width ("512", "256") LLVM
/// may use: without it, LLVM splits 512-bit vectors in two on CPUs where
/// it prefers 256 bits (Skylake-X to Sapphire Rapids).
void setPreferVectorWidth(llvm::Module &module, llvm::StringRef vectorWidth);

/// Optimizes `module` for `machine` at -O3 (setPreferVectorWidth first).
void optimizeLlvmModule(llvm::Module &module, llvm::TargetMachine *machine);

/// Whether optimizeLlvmModule runs the optional LLVM pass `passName` (the
/// new pass manager's class name, e.g. "GVNPass").
bool runsLlvmPass(llvm::StringRef passName);

} // namespace nabla

#endif // NABLA_RUNTIME_OPTIMIZELLVM_H
