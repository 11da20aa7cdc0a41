//===- Predict.h - nablac predict: a trained model over a data file -*- C++
//-*-===//
//
// The model's prediction form (its first input only; the outputs that do
// not read the targets) with a checkpoint's weights, run over the rows of
// a data file in batches of a fixed size: the last, partial batch is
// padded with zero rows, whose outputs are dropped, so every row goes
// through the same compiled code as an exported library runs.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TOOLS_NABLAC_PREDICT_H
#define NABLA_TOOLS_NABLAC_PREDICT_H

#include "nabla/Model.h"
#include "tools/nablac/RunRecord.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace nabla::tools {

/// Rows per call of the compiled prediction function, unless --batch
/// says otherwise (nablac predict and nablac export alike).
constexpr int64_t kDefaultPredictBatch = 64;

struct PredictOptions {
  std::string checkpoint;
  std::string data;   // .npy or .csv[.gz] of features
  std::string output; // .npy or .csv; empty: CSV on standard output
  int64_t batch = kDefaultPredictBatch;
  CsvOptions::Header header = CsvOptions::Header::Auto;
};

/// A checkpoint and the model's prediction form compiled for `batch` rows,
/// the weights loaded.
struct TrainedModel {
  std::unique_ptr<Model> model;
  RecordedRun run;
  const ArgInfo *features = nullptr; // the prediction form's one input
};

llvm::Expected<TrainedModel> loadForPrediction(const Source &source,
                                               CompileOptions options,
                                               llvm::StringRef checkpoint,
                                               int64_t batch,
                                               llvm::raw_ostream &notes);

/// Runs the prediction over `options.data` and writes it out.
llvm::Error predict(const Source &source, const CompileOptions &compile,
                    const PredictOptions &options, llvm::raw_ostream &out,
                    llvm::raw_ostream &notes);

} // namespace nabla::tools

#endif // NABLA_TOOLS_NABLAC_PREDICT_H
