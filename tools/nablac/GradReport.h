//===- GradReport.h - Gradient norms per layer, as bars ---------*- C++ -*-===//
//
// The picture from the lesson in ../shared/background: the L2 norm of each
// layer's gradient, drawn as bars on a log scale, so vanishing (a first
// layer whose gradient is 1000x smaller than the largest) and exploding
// (a norm that grows 10x between reports, or passes a threshold) are seen
// at a glance.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_GRADREPORT_H
#define NABLA_GRADREPORT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <utility>
#include <vector>

namespace nabla::tools {

struct LayerGradient {
  std::string layer; // the layer instance, e.g. "Residual_2.Dense_1"
  double norm = 0;   // sqrt of the sum of its parameters' squared norms
  bool vanishing = false, exploding = false;
};

struct GradReport {
  int64_t step = 0;
  std::vector<LayerGradient> layers; // in network order
};

struct GradReportOptions {
  double vanishingRatio = 1e-3; // below this fraction of the largest
  double explodingGrowth = 10;  // growth since the previous report
  double explodingNorm = 1e3;   // or above this norm
};

/// Groups parameter gradient norms by the layer that owns each parameter
/// (its name up to the last '.'; a model's own parameters form one group
/// each), in the order the parameters come, and flags layers.
GradReport makeGradReport(int64_t step,
                          llvm::ArrayRef<std::pair<std::string, double>> norms,
                          const GradReport *previous,
                          const GradReportOptions &options = {});

/// Horizontal bars on a log scale with the numbers beside them.
void printGradReport(const GradReport &report, llvm::raw_ostream &os);
/// {"step": S, "layers": [{"layer": ..., "norm": ..., "vanishing": ...,
/// "exploding": ...}, ...]}
void printGradReportJson(const GradReport &report, llvm::raw_ostream &os);

} // namespace nabla::tools

#endif // NABLA_GRADREPORT_H
