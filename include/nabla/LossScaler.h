//===- LossScaler.h - Loss scaling for 16-bit training ----------*- C++ -*-===//
//
// Gradients of a model computed in f16 underflow to zero below about 6e-8
// (2^-24). Loss scaling multiplies the loss by a scale before the backward
// pass, so the gradients are computed `scale` times too large, and divides
// them by it again in f32 before the update.
//
// The dynamic scaler follows torch.cuda.amp.GradScaler: it starts at 2^16;
// a step whose gradients hold an infinity or NaN is skipped and the scale
// halves; after 2000 consecutive clean steps the scale doubles. Unlike
// GradScaler it never goes below 1 (a scale under 1 would only make
// underflow worse; a model that overflows at scale 1 has another problem).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_LOSSSCALER_H
#define NABLA_LOSSSCALER_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace nabla {

class LossScaler {
public:
  enum class Mode { None, Static, Dynamic };

  /// "none", "dynamic", or a positive number (a static scale).
  static llvm::Expected<LossScaler> parse(llvm::StringRef text);
  static LossScaler none() { return LossScaler(Mode::None, 1); }
  static LossScaler fixed(double scale) { return LossScaler(Mode::Static, scale); }
  static LossScaler dynamic(double initScale = 65536, int64_t growthInterval = 2000) {
    LossScaler s(Mode::Dynamic, initScale);
    s.growthInterval = growthInterval;
    return s;
  }

  Mode getMode() const { return mode; }
  bool enabled() const { return mode != Mode::None; }
  /// The scale the next step multiplies the loss by.
  double getScale() const { return scale; }
  /// Clean steps since the scale last changed.
  int64_t getGrowthTracker() const { return growthTracker; }

  /// After a step: whether its gradients were all finite. Returns whether
  /// the step's update should be applied (a static scale never skips; a
  /// non-finite step under it is for the caller's checks to catch).
  bool update(bool finite);

  /// "dynamic", "none" or the static factor, as parse reads it.
  std::string describe() const;
  /// Restores the dynamic state (from a checkpoint).
  void setState(double newScale, int64_t tracker) {
    scale = newScale;
    growthTracker = tracker;
  }

private:
  LossScaler(Mode mode, double scale) : mode(mode), scale(scale) {}

  Mode mode;
  double scale;
  int64_t growthTracker = 0;
  int64_t growthInterval = 2000;
};

} // namespace nabla

#endif // NABLA_LOSSSCALER_H
