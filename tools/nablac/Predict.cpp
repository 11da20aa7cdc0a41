//===- Predict.cpp - nablac predict: a trained model over a data file -----===//
#include "tools/nablac/Predict.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Files.h"
#include "nabla/runtime/Npy.h"
#include "nabla/support/Error.h"
#include "tools/nablac/TrainCommand.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <cstring>

namespace nabla::tools {

llvm::Expected<TrainedModel> loadForPrediction(const Source &source,
                                               CompileOptions options,
                                               llvm::StringRef checkpointPath,
                                               int64_t batch,
                                               llvm::raw_ostream &notes) {
  if (checkpointPath.empty())
    return usageError("prediction needs the trained parameters: --checkpoint "
                      "PATH (written by nablac train --checkpoint PATH)");
  if (batch < 1)
    return usageError("--batch must be 1 or more");
  auto read = readTrainedCheckpoint(checkpointPath, source,
                                    "the data is not scaled", notes);
  if (!read)
    return read.takeError();
  const Checkpoint *checkpoint = &read->checkpoint;
  TrainedModel trained;
  trained.run = std::move(read->run);
  options.predict = true;
  options.training = false;
  options.dims[source.batchDim(options.model)] = batch;
  auto model = Model::compile(source, options);
  if (!model)
    return model.takeError();
  trained.model = std::move(*model);
  const Signature &sig = trained.model->getSignature();
  auto held = heldFromCheckpoint(*checkpoint, sig, checkpointPath);
  if (!held)
    return held.takeError();
  for (const auto &[name, tensor] : *held)
    *trained.model->getParameter(name) = *tensor;
  for (const ArgInfo &a : sig.args)
    if (a.role == TensorInfo::Role::Input)
      trained.features = &a;
  if (!trained.features || trained.features->shape.empty() ||
      trained.features->shape[0] != batch)
    return usageError("model " + sig.function +
                      ": prediction needs a first input whose first "
                      "dimension is the batch (N)");
  return trained;
}

namespace {

/// The rows of `path` as [n, F] of the features' type: a .npy array
/// [n, ...], or a CSV file of F values per row (or F + 1, a training file
/// whose last column, the target, is left out).
llvm::Expected<Tensor> readRows(llvm::StringRef path, const ArgInfo &features,
                                CsvOptions::Header header,
                                llvm::raw_ostream &notes) {
  int64_t width = elementsPerRow(features.shape);
  Tensor rows;
  if (path.ends_with(".npy") || path.ends_with(".npz")) {
    llvm::Expected<Tensor> array = Tensor();
    if (path.ends_with(".npz")) {
      // The array named as the input, else x, else the only one.
      auto arrays = readNpz(path);
      if (!arrays)
        return arrays.takeError();
      auto it = arrays->find(features.name);
      if (it == arrays->end())
        it = arrays->find("x");
      if (it == arrays->end() && arrays->size() == 1)
        it = arrays->begin();
      if (it == arrays->end())
        return usageError(path + ": no array named '" + features.name +
                          "' or x");
      array = std::move(it->second);
    } else {
      array = readNpy(path);
    }
    if (!array)
      return array.takeError();
    if (array->getRank() < 1 || elementsPerRow(array->getShape()) != width)
      return usageError(path + ": rows of " + llvm::Twine(width) +
                        " values expected (the model's input " + features.name +
                        " is " + features.typeString() +
                        "), but the array is " + array->typeString());
    int64_t n = array->getShape()[0];
    rows = Tensor(array->getElementType(), {n, width});
    std::memcpy(rows.data(), array->data(), array->sizeInBytes());
  } else {
    CsvOptions options;
    options.header = header;
    auto csv = readCsv(path, options);
    if (!csv)
      return csv.takeError();
    int64_t n = csv->getNumRows(), have = csv->features.getShape()[1];
    if (have == width) {
      notes << "note: " << path << ": the last column is taken as the "
            << "target and left out\n";
      rows = std::move(csv->features);
    } else if (have + 1 == width) {
      // Every column is a feature: put the one read as a target back.
      rows = Tensor(ElementType::F32, {n, width});
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < have; ++j)
          rows.set(i * width + j, csv->features.get(i * have + j));
        rows.set(i * width + have, csv->targets.get(i));
      }
    } else {
      return usageError(path + ": rows of " + llvm::Twine(width) +
                        " values expected (the model's input " + features.name +
                        " is " + features.typeString() + "), but they have " +
                        llvm::Twine(have + 1));
    }
  }
  for (int64_t i = 0; i < rows.getNumElements(); ++i) {
    double v = rows.get(i);
    if (!std::isfinite(v))
      return usageError(path + ": row " + llvm::Twine(i / width) +
                        " holds a NaN or infinity");
    if (features.type == ElementType::I32 && v != std::trunc(v))
      return usageError(path + ": the model's input " + features.name +
                        " takes integers, but row " + llvm::Twine(i / width) +
                        " holds " + std::to_string(v));
  }
  return rows.convertTo(features.type == ElementType::I32 ? ElementType::I32
                                                          : ElementType::F32);
}

/// Writes `y` ([n, ...]) as CSV: one line per row, with the argmax first
/// for a classifier.
void writeCsv(const Tensor &y, llvm::StringRef name, int64_t classes,
              llvm::raw_ostream &os) {
  int64_t n = y.getShape()[0], width = elementsPerRow(y.getShape());
  bool classify = classes > 0 && width == classes;
  if (classify)
    os << "class,";
  for (int64_t j = 0; j < width; ++j)
    os << (j ? "," : "") << name << "_" << j;
  os << "\n";
  char text[32];
  for (int64_t i = 0; i < n; ++i) {
    if (classify) {
      int64_t best = 0;
      for (int64_t j = 1; j < width; ++j)
        if (y.get(i * width + j) > y.get(i * width + best))
          best = j;
      os << best << ",";
    }
    for (int64_t j = 0; j < width; ++j) {
      std::snprintf(text, sizeof text, "%.9g", y.get(i * width + j));
      os << (j ? "," : "") << text;
    }
    os << "\n";
  }
}

} // namespace

llvm::Error predict(const Source &source, const CompileOptions &compile,
                    const PredictOptions &options, llvm::raw_ostream &out,
                    llvm::raw_ostream &notes) {
  if (options.data.empty())
    return usageError("predict needs the rows to predict: --data FILE (.npy "
                      "or .csv)");
  llvm::StringRef output = options.output;
  if (!output.empty() && !output.ends_with(".npy") && !output.ends_with(".csv"))
    return usageError("--output " + output + ": write .npy or .csv");
  auto trained = loadForPrediction(source, compile, options.checkpoint,
                                   options.batch, notes);
  if (!trained)
    return trained.takeError();
  const ArgInfo &features = *trained->features;
  auto rows = readRows(options.data, features, options.header, notes);
  if (!rows)
    return rows.takeError();
  if (features.type != ElementType::I32)
    if (auto e = applyScaler(trained->run.facts.scaler, *rows, features.name))
      return e;
  const Signature &sig = trained->model->getSignature();
  const TensorInfo &result = sig.outputs[0];
  if (result.shape.empty() || result.shape[0] != options.batch)
    return usageError("model " + sig.function +
                      ": its first output after "
                      "the loss, " +
                      result.name + " (" + result.typeString() +
                      "), has no row per input row; predict writes one");
  if (sig.outputs.size() > 1)
    notes << "note: the model predicts " << sig.outputs.size()
          << " outputs; writing the first, " << result.name << "\n";

  int64_t n = rows->getShape()[0], b = options.batch;
  size_t inRow = rows->sizeInBytes() / std::max<int64_t>(n, 1);
  std::vector<int64_t> shape = result.shape;
  shape[0] = n;
  Tensor y(result.type, shape);
  size_t outRow = result.sizeInBytes() / b;
  Tensor x(features.type, features.shape);
  std::vector<Tensor> outputs;
  for (const TensorInfo &o : sig.outputs)
    outputs.emplace_back(o.type, o.shape);
  std::vector<Tensor *> outPtrs;
  for (Tensor &t : outputs)
    outPtrs.push_back(&t);
  for (int64_t start = 0; start < n; start += b) {
    int64_t count = std::min(b, n - start);
    // The last batch: zero rows after the data's.
    std::memset(x.data(), 0, x.sizeInBytes());
    std::memcpy(x.data(), static_cast<char *>(rows->data()) + start * inRow,
                count * inRow);
    if (auto e = trained->model->runInPlace({&x}, outPtrs))
      return e;
    std::memcpy(static_cast<char *>(y.data()) + start * outRow,
                outputs[0].data(), count * outRow);
  }

  if (output.empty()) {
    writeCsv(y, result.name, trained->run.facts.classes, out);
    return llvm::Error::success();
  }
  if (output.ends_with(".npy"))
    return writeNpy(y, output);
  std::error_code ec;
  llvm::ToolOutputFile file(output, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return usageError("cannot write '" + output + "': " + ec.message());
  writeCsv(y, result.name, trained->run.facts.classes, file.os());
  if (auto e = flushOrError(file.os(), output))
    return e;
  file.keep();
  return llvm::Error::success();
}

} // namespace nabla::tools
