//===- Passes.h - Transformations of nabla graphs --------------*- C++ -*-===//
#ifndef NABLA_PASSES_PASSES_H
#define NABLA_PASSES_PASSES_H

#include "nabla/ir/NablaDialect.h"
#include "nabla/passes/Enums.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace nabla {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The core of nabla-autodiff: builds `@<name>_grad` next to `func` (see
/// Passes.td). `wrt` empty means every parameter. Returns the new function,
/// or failure after emitting an error on `func`.
mlir::FailureOr<mlir::func::FuncOp>
differentiate(mlir::func::FuncOp func, llvm::ArrayRef<std::string> wrt);

} // namespace nabla

#endif // NABLA_PASSES_PASSES_H
