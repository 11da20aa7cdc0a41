//===- ExportOnnx.cpp - A trained model as an ONNX file -------------------===//
//
// The prediction form (as `nablac export` compiles it) at the nabla stage,
// with a checkpoint's weights, written by frontend/onnx/OnnxExport.cpp.
//
//===----------------------------------------------------------------------===//

#include "nabla/Export.h"
#include "nabla/Version.h"
#include "nabla/frontend/OnnxExport.h"
#include "nabla/support/Error.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"

namespace nabla {

static std::string joinNumbers(const std::vector<double> &values) {
  std::vector<std::string> parts;
  for (double v : values) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", v);
    parts.push_back(text);
  }
  return llvm::join(parts, ",");
}

/// How training scaled the input rows, for whoever feeds the model.
static std::vector<std::pair<std::string, std::string>>
scalingMetadata(const Scaler &scaler) {
  switch (scaler.kind) {
  case Scaler::Kind::None:
    return {{"nabla.input_scaling", "none"}};
  case Scaler::Kind::Divide:
    return {{"nabla.input_scaling", "x / divisor"},
            {"nabla.input_divisor", joinNumbers({scaler.divisor})}};
  case Scaler::Kind::Standardize:
  case Scaler::Kind::MinMax:
    return {{"nabla.input_scaling", "(x - shift) / scale, per feature"},
            {"nabla.input_shift", joinNumbers(scaler.shift)},
            {"nabla.input_scale", joinNumbers(scaler.scale)}};
  }
  return {};
}

llvm::Expected<std::string>
exportOnnxModel(const Source &source, CompileOptions compile,
                const std::map<std::string, const Tensor *> &weights,
                const OnnxModelOptions &options) {
  if (options.path.empty() || options.path == "-")
    return makeError("error: export-onnx writes a file: -o MODEL.onnx");
  if (!llvm::StringRef(options.path).ends_with(".onnx"))
    return makeError("error: export-onnx writes an .onnx file: -o MODEL.onnx");
  if (options.batch < 0)
    return makeError("error: --batch must be 1 or more");
  compile.predict = true;
  compile.training = false;
  std::string batchDim = source.batchDim(compile.model);
  // A symbolic batch: the model for two batch sizes, compared.
  int64_t batches[2] = {options.batch ? options.batch : 2, 3};
  int count = options.batch ? 1 : 2;
  auto context = createContext();
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules;
  mlir::func::FuncOp fns[2];
  for (int i = 0; i < count; ++i) {
    compile.dims[batchDim] = batches[i];
    auto module = source.generate(*context, compile);
    if (!module)
      return module.takeError();
    modules.push_back(std::move(*module));
    for (auto f : modules.back()->getOps<mlir::func::FuncOp>())
      if (f->hasAttr("nabla.model") && !fns[i])
        fns[i] = f;
    if (!fns[i])
      return makeError("error: the file has no model to export");
  }
  OnnxExportOptions exporting;
  exporting.path = options.path;
  exporting.producerVersion = NABLA_VERSION;
  exporting.metadata = scalingMetadata(options.scaler);
  exporting.metadata.emplace_back("nabla.source", source.getName());
  if (auto e = count == 1
                   ? exportOnnx(fns[0], weights, exporting)
                   : exportOnnxDynamicBatch(fns[0], batches[0], fns[1],
                                            batches[1], weights, exporting))
    return std::move(e);
  return fns[0].getName().str();
}

} // namespace nabla
