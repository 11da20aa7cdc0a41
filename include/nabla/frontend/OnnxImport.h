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
  /// Values of graph inputs, for an op that reads an input as numbers
  /// (Slice's bounds, ReduceSum's axes, Clip's limits) where the model
  /// feeds them from outside: the ONNX node tests do (onnx-conformance
  /// passes their data); an exported model holds them as constants.
  std::map<std::string, Tensor> inputValues;
  /// Write `layer NAME(...)`, not a model (`import "net.onnx" as NAME` in
  /// a .nb file); the graph must have one output.
  std::string layerName;
  /// The shapes of the graph's inputs, in order (a call's arguments):
  /// they bind the symbolic dims and must match the fixed ones. Empty:
  /// the inputs' own shapes, bound by `dims`.
  std::vector<std::vector<int64_t>> inputShapes;
};

struct OnnxImport {
  std::string text; // the .nb model
  std::string modelName;
  /// The graph inputs the model takes: (ONNX name, .nb name), in order.
  std::vector<std::pair<std::string, std::string>> inputs;
  /// The initializers the model's params load, by load() key.
  std::vector<std::pair<std::string, Tensor>> weights;
};

/// Imports the ONNX model at `path`. An error names the file and, for a
/// node it cannot translate, the node, its op type and the opset.
llvm::Expected<OnnxImport> importOnnx(llvm::StringRef path,
                                      const OnnxImportOptions &options = {});

/// What a model holds, without importing it.
struct OnnxGraphInfo {
  std::vector<std::string> opTypes; // each node's, in order
  std::vector<std::string> inputs;  // the graph's inputs, initializers not
};
llvm::Expected<OnnxGraphInfo> onnxGraphInfo(llvm::StringRef path);

/// A serialized TensorProto (the ONNX test suite's input_0.pb files).
llvm::Expected<Tensor> readOnnxTensorFile(llvm::StringRef path);

/// Lets load("model.onnx", "name") read an ONNX model's initializers.
void registerOnnxTensorReader();

} // namespace nabla

#endif // NABLA_FRONTEND_ONNXIMPORT_H
