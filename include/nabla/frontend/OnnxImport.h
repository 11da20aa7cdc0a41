//===- OnnxImport.h - ONNX models as .nb source ------------------*- C++
//-*-===//
//
// An ONNX model (a protobuf ModelProto, read with Debian's libonnx) becomes
// the text of a .nb model: each node an expression over the language's
// built-ins, each initializer a `param` whose values load() reads from a
// file, shape arithmetic (Shape, Constant, the shape inputs of Reshape,
// Slice, ...) folded to numbers. The .nb frontend then compiles it as any
// other model, so an imported graph gets the language's shape checks,
// autodiff, fusion, mixed precision and Vulkan, and `nablac import`
// writes the text out for people to read and edit.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_FRONTEND_ONNXIMPORT_H
#define NABLA_FRONTEND_ONNXIMPORT_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace nabla {

struct OnnxImportOptions {
  /// The file the params' load() reads; empty: the .onnx file itself.
  std::string weightsFile;
  /// Sizes for the graph inputs' symbolic dims (`--dim batch=32`).
  std::map<std::string, int64_t> dims;
};

struct OnnxImport {
  std::string text; // the .nb model
  std::string modelName;
  /// The initializers the model's params load, by load() key.
  std::vector<std::pair<std::string, Tensor>> weights;
};

/// Imports the ONNX model at `path`. An error names the file and, for a
/// node it cannot translate, the node, its op type and the opset.
llvm::Expected<OnnxImport> importOnnx(llvm::StringRef path,
                                      const OnnxImportOptions &options = {});

/// The op type of each node of the model at `path`, in order.
llvm::Expected<std::vector<std::string>> onnxOpTypes(llvm::StringRef path);

/// A serialized TensorProto (the ONNX test suite's input_0.pb files).
llvm::Expected<Tensor> readOnnxTensorFile(llvm::StringRef path);

/// Lets load("model.onnx", "name") read an ONNX model's initializers.
void registerOnnxTensorReader();

} // namespace nabla

#endif // NABLA_FRONTEND_ONNXIMPORT_H
