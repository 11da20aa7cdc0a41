//===- RunRecord.h - What a checkpoint says about its run -------*- C++ -*-===//
//
// A checkpoint carries, beside the weights, what is needed to use them
// as they were trained: nabla's version, the model and a hash of its
// source, every training setting in effect ("train.NAME" metadata), the
// rule that chose the held-out rows, and the feature scaling fitted on the
// training rows (tensors "preprocess:shift" and "preprocess:scale"). eval,
// run, predict and export read it back, so a checkpoint is evaluated on
// the rows its run held out and fed data scaled as its run's was.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TOOLS_NABLAC_RUNRECORD_H
#define NABLA_TOOLS_NABLAC_RUNRECORD_H

#include "nabla/Model.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Data.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>
#include <string>

namespace nabla::tools {

struct TrainConfig;

/// nabla's version and the commit it was built from: "0.5.0 (abc1234)".
std::string nablaVersion();

/// What a run needs recorded beyond its config: the scaling it fitted and
/// the inputs its data went to.
struct RunFacts {
  Scaler scaler;
  std::string features, targets; // the model's inputs
  int64_t classes = 0;           // 0 for regression
};

/// Adds the record of the run to `checkpoint`'s metadata and tensors.
void recordRun(Checkpoint &checkpoint, const Source &source,
               const TrainConfig &config, const RunFacts &facts);

/// A checkpoint's record, read back.
struct RecordedRun {
  /// Checkpoints written before nabla recorded its runs have none.
  bool present = false;
  std::map<std::string, std::string> settings; // "lr" -> "0.001"
  bool text = false;                           // data = text(...)
  RunFacts facts;
  std::string sourceHash, model;
};

/// Reads the record of `checkpoint` (read from `path`, for errors).
llvm::Expected<RecordedRun> readRunRecord(const Checkpoint &checkpoint,
                                          llvm::StringRef path);

/// A checkpoint and its record.
struct TrainedCheckpoint {
  Checkpoint checkpoint;
  RecordedRun run;
};

/// Reads the checkpoint at `path` and its record. Notes a checkpoint that
/// records no run (older ones; `withoutRecord` says what that means to the
/// caller, no note when empty) and a source changed since its run.
llvm::Expected<TrainedCheckpoint>
readTrainedCheckpoint(llvm::StringRef path, const Source &source,
                      llvm::StringRef withoutRecord, llvm::raw_ostream &notes);

/// The data settings of `config` (which rows, which held out, how scaled)
/// taken from the record, except where a flag in `flags` set them: a flag
/// that disagrees with the record wins, and a line in `notes` says so.
/// `--seed` does not choose the held-out rows of a recorded run (the
/// split is the record's); a note says that too.
void adoptRecordedData(
    const RecordedRun &run, TrainConfig &config,
    llvm::ArrayRef<std::pair<std::string, std::string>> flags,
    llvm::raw_ostream &notes);

/// A note when `source` is not the text the run trained (its hash
/// differs): the weights still fit the shapes, but may mean something else.
void noteChangedSource(const RecordedRun &run, const Source &source,
                       llvm::StringRef checkpointPath,
                       llvm::raw_ostream &notes);

/// Scales `t` ([rows, ...] whose rows have as many elements as the scaler
/// has features) in place, as the training rows were.
llvm::Error applyScaler(const Scaler &scaler, Tensor &t,
                        llvm::StringRef inputName);

} // namespace nabla::tools

#endif // NABLA_TOOLS_NABLAC_RUNRECORD_H
