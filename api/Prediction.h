//===- Prediction.h - A model without its targets ---------------*- C++ -*-===//
#ifndef NABLA_API_PREDICTION_H
#define NABLA_API_PREDICTION_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace nabla {

/// Turns every model function of `module` (nabla dialect, as MLIRGen
/// makes it) into its prediction form: the first input kept, the other
/// inputs (the targets) removed with every output that reads them. An
/// error when no output is left.
llvm::Error makePredictionForm(mlir::ModuleOp module);

} // namespace nabla

#endif // NABLA_API_PREDICTION_H
