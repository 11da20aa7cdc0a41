//===- Schedule.h - The learning rate over a run ----------------*- C++ -*-===//
//
// torch.optim.lr_scheduler's schedules, stepped once per optimizer step
// (as a scheduler.step() after each optimizer.step()), after an optional
// linear warm-up. The lr of step t (from 0) of a run of T steps, with K
// warm-up steps and t' = t - K the step after them:
//
//   warm-up (t < K)  lr * (t + 1) / K
//   constant         lr
//   step             lr * gamma^floor(t' / step_size)         (StepLR)
//   multistep        lr * gamma^(milestones <= t')            (MultiStepLR)
//   exponential      lr * gamma^t'                            (ExponentialLR)
//   cosine           lr * (1 + cos(pi t' / (T - K))) / 2 (CosineAnnealingLR)
//   onecycle         OneCycleLR(max_lr = lr, total_steps = T - K) with
//                    torch's defaults: pct_start 0.3, cosine annealing,
//                    div_factor 25, final_div_factor 1e4 (momentum is not
//                    cycled: cycle_momentum=False)
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TOOLS_NABLAC_SCHEDULE_H
#define NABLA_TOOLS_NABLAC_SCHEDULE_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nabla::tools {

struct LrSchedule {
  std::string kind = "constant"; // constant, step, multistep, ...
  int64_t warmup = 0;
  double gamma = 0.1;
  int64_t stepSize = 0;            // step: steps between decays
  std::vector<int64_t> milestones; // multistep: steps, increasing

  /// The names of the kinds, for the settings table.
  static std::vector<std::string> kinds();

  /// The learning rate of step `t` (from 0) of a run of `total` steps
  /// whose base (or peak, for onecycle) rate is `lr`.
  double at(double lr, int64_t t, int64_t total) const;

  /// What the schedule needs and lacks ("lr_schedule = step needs
  /// lr_step_size"), or nothing.
  std::optional<std::string> problem() const;
};

/// Parses "100,200" (a train block's [100, 200]) into increasing steps;
/// nothing when it is not such a list.
std::optional<std::vector<int64_t>> parseMilestones(llvm::StringRef text);

} // namespace nabla::tools

#endif // NABLA_TOOLS_NABLAC_SCHEDULE_H
