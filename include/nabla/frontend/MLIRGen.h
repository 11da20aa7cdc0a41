//===- MLIRGen.h - Elaborate a .nb module into the nabla dialect -*- C++ -*-===//
//
// MLIRGen is the semantic pass of the frontend: it instantiates layers (each
// call makes fresh parameters with stable names such as
// `Residual_2.Dense_1.w`), unrolls `repeat`, binds named dims, infers and
// checks every shape, and emits one `func.func` per model. Every op carries
// the file:line:col of the source it came from. Errors are reported through
// the DiagnosticEngine in the user's words (`f32[8, 10]`, `@`).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_FRONTEND_MLIRGEN_H
#define NABLA_FRONTEND_MLIRGEN_H

#include "nabla/frontend/AST.h"
#include "nabla/frontend/Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nabla {

struct MLIRGenOptions {
  /// Sizes of named dims (`--dim N=128`), and dims inferred from input data.
  std::map<std::string, int64_t> dims;
  /// The model to emit; empty emits every model of the file.
  std::string model;
  /// Check that each emitted model's first result is a scalar float (the
  /// loss that training minimizes).
  bool requireScalarLoss = false;
  /// Emit f64 wherever the source says f32 (gradient checking).
  bool promoteToF64 = false;
  /// Emit the training form of the model: batch_norm normalises with the
  /// batch's statistics and the model returns, after its own results, the
  /// new value of every `state` (named `state:NAME`, as its argument).
  /// Without it, the inference form: running statistics, no state results.
  bool training = false;
};

/// Emits the models of `module`. Returns null after reporting errors.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const ast::Module &module,
                                          DiagnosticEngine &diags,
                                          const MLIRGenOptions &options);

/// Makes `import "FILE" as NAME` callable: returns the .nb source of
/// `layer NAME(...)` computing FILE's model for arguments of the given
/// shapes (their symbolic dims bound from them), or an error.
using LayerImporter = std::function<llvm::Expected<std::string>(
    llvm::StringRef path, llvm::StringRef name,
    const std::vector<std::vector<int64_t>> &argShapes)>;
/// Imports files whose name ends in `extension` (".onnx") with `importer`
/// (api/Model.cpp registers the ONNX importer's).
void registerLayerImporter(llvm::StringRef extension, LayerImporter importer);

/// Binds the named dims of `model`'s inputs from the element counts of the
/// data the user gives (`counts[name]`): a named dim that is the only
/// unknown one in its input's type is inferred as count / (product of the
/// others). Dims already in `dims` are checked against the data. Reports
/// errors (naming the input) and returns false on a mismatch.
bool inferDimsFromInputCounts(const ast::Function &model,
                              const std::map<std::string, int64_t> &counts,
                              std::map<std::string, int64_t> &dims,
                              DiagnosticEngine &diags);

} // namespace nabla

#endif // NABLA_FRONTEND_MLIRGEN_H
