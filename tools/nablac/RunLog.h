//===- RunLog.h - CSV logs and an SVG plot of a training run ----*- C++ -*-===//
//
// `nablac train --log-dir DIR` writes
//   DIR/steps.csv       step,loss
//   DIR/epochs.csv      epoch,train_loss,test_loss,test_accuracy,seconds
//   DIR/grad_norms.csv  step,layer,norm      (per layer, every step)
//   DIR/run.svg         the loss curve and each layer's gradient norm over
//                       time (log scale), redrawn after every epoch
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNLOG_H
#define NABLA_RUNLOG_H

#include "tools/nablac/GradReport.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace nabla::tools {

class RunLog {
public:
  /// Creates DIR (and parents) and starts the CSV files afresh.
  static llvm::Expected<RunLog> open(llvm::StringRef dir);
  RunLog() = default;
  RunLog(RunLog &&) = default;
  RunLog &operator=(RunLog &&) = default;
  /// Already failing (a full disk that epoch() reported), the files keep
  /// what they could take; the streams do not abort the process.
  ~RunLog();

  void step(int64_t step, double loss, const GradReport &gradients);
  /// Writes the epoch's line and flushes every file: a write error (a
  /// full disk) names the file.
  llvm::Error epoch(int64_t epoch, double trainLoss, double testLoss,
                    double testAccuracy, bool hasTest, double seconds);
  /// Writes DIR/run.svg from everything logged so far.
  llvm::Error plot(llvm::StringRef title) const;

private:
  std::string dir;
  // Open for the whole run: a fast model takes thousands of steps a second.
  std::unique_ptr<llvm::raw_fd_ostream> steps, epochs, gradNorms;
  std::vector<std::pair<int64_t, double>> losses;
  std::vector<std::string> layers;
  std::vector<std::vector<std::pair<int64_t, double>>> norms; // per layer
};

/// The SVG itself (exposed for tests): a loss panel and a gradient panel.
std::string
renderRunSvg(llvm::StringRef title,
             const std::vector<std::pair<int64_t, double>> &losses,
             const std::vector<std::string> &layers,
             const std::vector<std::vector<std::pair<int64_t, double>>> &norms);

} // namespace nabla::tools

#endif // NABLA_RUNLOG_H
