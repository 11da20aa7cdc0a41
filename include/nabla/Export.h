//===- Export.h - A trained model as a C library ----------------*- C++ -*-===//
//
// Ahead-of-time compilation of a model's prediction form (Model.h,
// CompileOptions::predict) with its weights inside, for programs that
// have no LLVM, MLIR or nabla:
//
//   DIR/NAME.h       int NAME_predict(const float *x, int64_t n, float *y)
//   DIR/libNAME.so   the shared library (needs libc and libm only)
//   DIR/libNAME.a    the static library (link with -lm)
//
// NAME is the model's name in lower case. The function scales x as the
// training rows were (when given a scaling), runs the model on rows
// [0, n) in batches of a fixed size (the last one padded with zero rows,
// whose outputs are dropped), and writes the first output's rows to y.
// It allocates its own buffers: it is thread-safe and keeps no state.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_EXPORT_H
#define NABLA_EXPORT_H

#include "nabla/Model.h"
#include "nabla/runtime/Data.h"

#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace nabla {

struct ExportOptions {
  std::string directory;
  /// The CPU the code is compiled for: an LLVM CPU name (x86-64-v3,
  /// x86-64-v4, znver4, ...) or "native" (this machine's, with its
  /// features, as the JIT compiles).
  std::string cpu = "x86-64-v3";
  /// Rows per call of the compiled function.
  int64_t batch = 64;
  /// Applied to each input row before the model (Scaler::apply's
  /// arithmetic, so results match nablac predict bit for bit).
  Scaler scaler;
};

/// What was written.
struct ExportResult {
  std::string header, sharedLibrary, staticLibrary, function;
};

/// Compiles `source`'s model (options.model) for `options.cpu` and writes
/// the header and libraries to `options.directory`, with the values of
/// `weights` (every parameter and state of the prediction form, by name)
/// inside. Needs a C compiler (cc) on the PATH to build the libraries.
llvm::Expected<ExportResult>
exportLibrary(const Source &source, CompileOptions compile,
              const std::map<std::string, const Tensor *> &weights,
              const ExportOptions &options);

struct OnnxModelOptions {
  std::string path; // MODEL.onnx
  /// The batch the graph is built for; 0: a symbolic dim "batch" (an
  /// error for a model that computes with its batch size).
  int64_t batch = 0;
  /// How training scaled the input, recorded in the model's metadata
  /// (nabla.input_scaling, ...): the graph takes scaled rows.
  Scaler scaler;
};

/// Writes `source`'s model (compile.model) in its prediction form, with
/// `weights` (every parameter and state, by name), as an ONNX model
/// (opset 17) that onnx::checker accepts. Returns the model's name.
llvm::Expected<std::string>
exportOnnxModel(const Source &source, CompileOptions compile,
                const std::map<std::string, const Tensor *> &weights,
                const OnnxModelOptions &options);

} // namespace nabla

#endif // NABLA_EXPORT_H
