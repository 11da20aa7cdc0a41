//===- TrainCommand.h - nablac train and nablac eval ------------*- C++ -*-===//
#ifndef NABLA_TRAINCOMMAND_H
#define NABLA_TRAINCOMMAND_H

#include "nabla/Trainer.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Data.h"
#include "tools/nablac/Schedule.h"

#include <map>
#include <string>
#include <vector>

namespace nabla::tools {

/// Everything `nablac train` needs beyond the model: from the model file's
/// train block, then command-line flags.
struct TrainConfig {
  std::string data, labels, testData, testLabels;
  /// Whether a CSV file's first line is a header: auto, yes or no.
  std::string header = "auto";
  /// `data = text("FILE")`: a corpus of bytes, read as windows of the
  /// model's input length (readText); the test data likewise.
  bool text = false;
  int64_t classes = 0;        // 0: from the model's cross_entropy
  double split = 0.2;         // held out when there is no test_data
  bool shuffle = true;        // a new order of the training rows each epoch
  std::string scale = "none"; // none, standardize, minmax, divide
  double divisor = 1;
  Augmentation augment; // of the training images
  std::string augmentText;
  int64_t epochs = 10, batch = 32;
  /// Leave out the rows after the last full batch of an epoch (a
  /// DataLoader's drop_last); by default they make one smaller step.
  bool dropLast = false;
  /// The learning rate over the run, after `warmup` steps of linear
  /// warm-up (tools/nablac/Schedule.h).
  LrSchedule schedule;
  int64_t seed = 0;
  /// Data parallel on the CPU: MiB of gradients a bucket holds (0: one
  /// average after the backward pass); sets train.step.bucketBytes.
  double bucketCapMb = 4;
  TrainOptions train;
  std::string checkpoint, resume, metrics, logDir;
  /// Warm start: the weights (parameters and state) of a checkpoint, a
  /// fresh optimizer, step 0.
  std::string initFrom;
  /// Early stopping: stop when the held-out loss has not improved for this
  /// many epochs (0: never).
  int64_t patience = 0;
  int64_t maxSteps = -1; // stop after this many steps (-1: all epochs)
  /// Print the per-layer gradient report every this many steps (0: never).
  int64_t gradReportEvery = 0;
  bool gradReportJson = false;
  /// Only the report (nablac grad-report): no epoch lines or evaluation.
  bool reportOnly = false;
  /// What to do when a step's loss or gradients are not finite, with
  /// train.checkNumerics: "stop" (and name the op) or "skip" the step.
  std::string onNonFinite = "stop";
};

/// A usage error: "error: " and the message (a flag or setting that
/// cannot be taken), for every nablac command.
llvm::Error usageError(const llvm::Twine &message);

/// The train block of `source`, then `overrides` (flag name, value), e.g.
/// {"lr", "0.01"}, {"epochs", "5"}. Errors name the setting and position.
llvm::Expected<TrainConfig>
makeConfig(const Source &source,
           llvm::ArrayRef<std::pair<std::string, std::string>> overrides);

struct EvalResult {
  double loss = 0, accuracy = 0;
  bool hasAccuracy = false;
};

struct EpochResult {
  int64_t epoch = 0;
  double trainLoss = 0, seconds = 0;
  EvalResult test;
};

struct TrainSummary {
  std::vector<EpochResult> epochs;
  int64_t steps = 0;
};

/// Trains as `nablac train` does, printing a line per epoch to `out` and a
/// progress bar to `progress` when that is a terminal.
llvm::Expected<TrainSummary> train(const Source &source, TrainConfig config,
                                   const CompileOptions &options,
                                   llvm::raw_ostream &out,
                                   llvm::raw_ostream &progress);

/// The model's parameters and state (ArgInfo::isHeld) in `checkpoint`, by
/// name, each checked to have the signature's type and shape; errors name
/// the file `path`.
llvm::Expected<std::map<std::string, const Tensor *>>
heldFromCheckpoint(const Checkpoint &checkpoint, const Signature &signature,
                   llvm::StringRef path);

/// Evaluates the parameters of a checkpoint on the held-out data (or all
/// the data when nothing is held out): the rows and scaling its run
/// recorded, except where `flags` (the command line's) say otherwise;
/// `notes` says where they disagree.
llvm::Expected<EvalResult>
evaluate(const Source &source, TrainConfig config,
         const CompileOptions &options, llvm::StringRef checkpoint,
         llvm::ArrayRef<std::pair<std::string, std::string>> flags,
         llvm::raw_ostream &notes);

} // namespace nabla::tools

#endif // NABLA_TRAINCOMMAND_H
