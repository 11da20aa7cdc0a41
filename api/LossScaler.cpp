//===- LossScaler.cpp - Loss scaling for 16-bit training ------------------===//
#include "nabla/LossScaler.h"
#include "nabla/support/Error.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

namespace nabla {

llvm::Expected<LossScaler> LossScaler::parse(llvm::StringRef text) {
  if (text == "none")
    return none();
  if (text == "dynamic")
    return dynamic();
  double factor = 0;
  if (!text.getAsDouble(factor) && std::isfinite(factor) && factor > 0)
    return fixed(factor);
  return makeError(
      "error: --loss-scale must be none, dynamic or a positive number, got '" +
      text + "'");
}

bool LossScaler::update(bool finite) {
  if (mode != Mode::Dynamic)
    return true;
  if (!finite) {
    scale = std::max(1.0, scale / 2);
    growthTracker = 0;
    return false;
  }
  if (++growthTracker >= growthInterval) {
    scale *= 2;
    growthTracker = 0;
  }
  return true;
}

std::string LossScaler::describe() const {
  switch (mode) {
  case Mode::None:
    return "none";
  case Mode::Dynamic:
    return "dynamic";
  case Mode::Static:
    return llvm::formatv("{0}", scale).str();
  }
  return "none";
}

} // namespace nabla
