//===- OptimizeLlvm.h - LLVM's -O3 for compiled models -----------*- C++
//-*-===//
//
// The LLVM IR optimization that the JIT and `nablac export` both run:
// LLVM's -O3 pipeline (as mlir::makeOptimizingTransformer builds it), with
// the widest vectors the host prefers, less the passes whose cost grows
// faster than the model (see OptimizeLlvm.cpp).
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

/// Optimizes `module` for `machine` at -O3. `vectorWidth` ("512", "256")
/// is each function's prefer-vector-width.
void optimizeLlvmModule(llvm::Module &module, llvm::TargetMachine *machine,
                        llvm::StringRef vectorWidth);

/// Whether optimizeLlvmModule runs the optional LLVM pass `passName` (the
/// new pass manager's class name, e.g. "GVNPass").
bool runsLlvmPass(llvm::StringRef passName);

} // namespace nabla

#endif // NABLA_RUNTIME_OPTIMIZELLVM_H
