//===- Schedule.cpp - The learning rate over a run ------------------------===//
#include "tools/nablac/Schedule.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cmath>

namespace nabla::tools {

std::vector<std::string> LrSchedule::kinds() {
  return {"constant", "step", "multistep", "exponential", "cosine", "onecycle"};
}

/// torch's _annealing_cos: from `start` at pct 0 to `end` at pct 1.
static double annealCos(double start, double end, double pct) {
  return end + (start - end) / 2.0 * (std::cos(M_PI * pct) + 1);
}

/// OneCycleLR.get_lr() at step t of `total` (two phases, cosine).
static double oneCycle(double maxLr, int64_t t, int64_t total) {
  const double pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4;
  double initial = maxLr / divFactor, minLr = initial / finalDivFactor;
  double end1 = pctStart * double(total) - 1, end2 = double(total) - 1;
  if (double(t) <= end1)
    return annealCos(initial, maxLr, double(t) / end1);
  return annealCos(maxLr, minLr, (double(t) - end1) / (end2 - end1));
}

double LrSchedule::at(double lr, int64_t t, int64_t total) const {
  if (t < warmup)
    return lr * double(t + 1) / double(warmup);
  int64_t s = t - warmup, span = std::max<int64_t>(total - warmup, 1);
  if (kind == "step")
    return lr * std::pow(gamma, double(s / std::max<int64_t>(stepSize, 1)));
  if (kind == "multistep") {
    auto passed = std::upper_bound(milestones.begin(), milestones.end(), s) -
                  milestones.begin();
    return lr * std::pow(gamma, double(passed));
  }
  if (kind == "exponential")
    return lr * std::pow(gamma, double(s));
  if (kind == "cosine")
    return lr * 0.5 * (1 + std::cos(M_PI * double(s) / double(span)));
  if (kind == "onecycle")
    return oneCycle(lr, std::min(s, span - 1), span);
  return lr;
}

std::optional<std::string> LrSchedule::problem() const {
  if (kind == "step" && stepSize < 1)
    return std::string("lr_schedule = step needs lr_step_size (steps "
                       "between decays, 1 or more)");
  if (kind == "multistep" && milestones.empty())
    return std::string("lr_schedule = multistep needs lr_milestones (the "
                       "steps where the rate is multiplied by lr_gamma)");
  return std::nullopt;
}

std::optional<std::vector<int64_t>> parseMilestones(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.trim().trim("[]").split(parts, ',', -1, /*KeepEmpty=*/false);
  std::vector<int64_t> steps;
  for (llvm::StringRef part : parts) {
    int64_t v;
    if (part.trim().getAsInteger(10, v) || v < 1 ||
        (!steps.empty() && v <= steps.back()))
      return std::nullopt;
    steps.push_back(v);
  }
  return steps;
}

} // namespace nabla::tools
