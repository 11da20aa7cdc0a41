//===- StepStats.h - nablac stats and --emit=fused --------------*- C++ -*-===//
//
// What fusion does to a training step: the kernels and the bytes of
// intermediate tensors of the lowered step, and its time, measured with
// and without nabla-fusion on the same random batch.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_STEPSTATS_H
#define NABLA_STEPSTATS_H

#include "nabla/Trainer.h"
#include "nabla/codegen/KernelStats.h"

#include <array>

namespace nabla::tools {

struct StepStats {
  KernelStats kernels;
  StepMemory memory;          // on the CPU (from the step's IR)
  double medianSeconds = 0;   // of the timed steps
  double compileSeconds = 0;  // all of Trainer::create
  double loweringSeconds = 0; // nabla's passes, down to the LLVM dialect
  double codegenSeconds = 0;  // LLVM, or loading from the compile cache
  bool cacheHit = false;
  bool passesSkipped = false; // the cache hit was before nabla's passes
  /// On a GPU: the step's dispatches and their device time (from its
  /// timestamps), which replace the CPU's kernel statistics.
  bool onDevice = false;
  size_t dispatches = 0;
  double deviceSeconds = 0;
};

/// Builds the training step of `source`, counts its kernels with
/// `options.fusion` as given, compiles it and times `steps` steps (after
/// two untimed ones) on a random batch drawn from `seed`.
/// Compiles the training step without and with fusion ([0] and [1]) and
/// times `steps` steps of each, alternating between them.
llvm::Expected<std::array<StepStats, 2>>
measureFusion(const Source &source, CompileOptions options,
              const TrainOptions &train, int64_t steps, uint64_t seed);

} // namespace nabla::tools

#endif // NABLA_STEPSTATS_H
