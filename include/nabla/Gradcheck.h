//===- Gradcheck.h - Gradients against finite differences ------*- C++ -*-===//
//
// Compiles a model twice in double precision (every f32 becomes f64), in
// its training form (batch_norm with batch statistics): its gradient
// function (nabla-autodiff) and its forward function. For each
// parameter element it compares the autodiff gradient with the central
// difference (L(w + h) - L(w - h)) / 2h, h = 1e-6 * max(1, |w|). In f64
// that difference is accurate to about 1e-9 relative (truncation h^2 plus
// rounding 1e-16 / h), so the default test, |ad - fd| <= 1e-5 + 1e-3 |fd|
// (torch.autograd.gradcheck's), only fails on wrong derivatives.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_GRADCHECK_H
#define NABLA_GRADCHECK_H

#include "nabla/Model.h"

namespace nabla {

/// Adds to `inputs` every model input it lacks, drawn at random from
/// `seed`: floats uniform in [-1, 1), integer labels in [0, classes) (or
/// 0/1). Parameters are left out.
void fillRandomInputs(const Signature &sig, uint64_t seed,
                      std::map<std::string, Tensor> &inputs);

struct GradcheckOptions {
  uint64_t seed = 0; // parameters and random inputs
  double rtol = 1e-3;
  double atol = 1e-5;
  /// At most this many elements of each parameter are checked (evenly
  /// spaced), so big layers stay quick.
  int64_t maxElements = 256;
};

struct ParamCheck {
  std::string name;
  std::string type;
  int64_t checked = 0, total = 0;
  double maxAbsError = 0, maxRelError = 0;
  /// The largest |gradient| seen, so callers can tell a real check from a
  /// vacuous one (all-zero gradients agree with anything flat).
  double maxAbsGradient = 0;
  bool ok = true;
};

/// Runs the check. `inputs` may leave some inputs out: they are drawn at
/// random (floats uniform in [-1, 1]; integer labels of cross_entropy
/// uniform over its classes, other integers over {0, 1}).
llvm::Expected<std::vector<ParamCheck>>
gradcheck(const Source &source, CompileOptions options,
          std::map<std::string, Tensor> inputs, const GradcheckOptions &check);

} // namespace nabla

#endif // NABLA_GRADCHECK_H
