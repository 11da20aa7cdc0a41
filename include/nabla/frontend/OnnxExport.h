//===- OnnxExport.h - A model's prediction form as ONNX ---------*- C++ -*-===//
//
// The inverse of OnnxImport.h: a model function in the nabla dialect (its
// prediction form, as `nablac export-onnx` compiles it) and its weights
// become an ONNX model (opset 17) that ONNX's checker accepts. Its inputs
// and outputs keep the model's names; its parameters are initializers
// named as in checkpoints (`Dense_1.w`). The batch is the size the
// function was compiled for, or symbolic (exportOnnxDynamicBatch).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_FRONTEND_ONNXEXPORT_H
#define NABLA_FRONTEND_ONNXEXPORT_H

#include "nabla/runtime/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace nabla {

struct OnnxExportOptions {
  std::string path; // the .onnx file written (atomically)
  std::string producerVersion;
  /// metadata_props: how the inputs were scaled in training, the source.
  std::vector<std::pair<std::string, std::string>> metadata;
};

/// Writes `fn` with `weights` (every parameter and state, by name) as an
/// ONNX model. An error names an op that has no ONNX form.
llvm::Error exportOnnx(mlir::func::FuncOp fn,
                       const std::map<std::string, const Tensor *> &weights,
                       const OnnxExportOptions &options);

/// Writes the model with a symbolic batch dim ("batch"): `a` and `b` are
/// its function compiled for `batchA` and `batchB` rows; where their ONNX
/// graphs differ by (batchA, batchB), that is the batch (inputs' and
/// outputs' dims, shape constants, then computed from the input's shape).
/// A model whose graphs differ otherwise (it computes with the batch size
/// itself) is an error that says to export a fixed batch.
llvm::Error
exportOnnxDynamicBatch(mlir::func::FuncOp a, int64_t batchA,
                       mlir::func::FuncOp b, int64_t batchB,
                       const std::map<std::string, const Tensor *> &weights,
                       const OnnxExportOptions &options);

} // namespace nabla

#endif // NABLA_FRONTEND_ONNXEXPORT_H
