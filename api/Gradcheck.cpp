//===- Gradcheck.cpp - Gradients against finite differences ---------------===//
#include "nabla/Gradcheck.h"

#include "nabla/runtime/Init.h"

#include <cmath>

namespace nabla {

void fillRandomInputs(const Signature &sig, uint64_t seed,
                      std::map<std::string, Tensor> &inputs) {
  for (const ArgInfo &arg : sig.args) {
    if (arg.isHeld() || inputs.count(arg.name))
      continue;
    Tensor t(arg.type, arg.shape);
    Rng rng(streamSeed(seed, "input:" + arg.name));
    bool integer = arg.type == ElementType::I32 || arg.type == ElementType::I1;
    double classes = arg.classes > 0 ? arg.classes : 2;
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      t.set(i, integer ? std::floor(rng.uniform() * classes)
                       : 2 * rng.uniform() - 1);
    inputs[arg.name] = std::move(t);
  }
}

static llvm::Expected<double> lossAt(Model &forward,
                                     const std::map<std::string, Tensor> &in) {
  auto out = forward.run(in);
  if (!out)
    return out.takeError();
  return (*out)[0].get(0);
}

llvm::Expected<std::vector<ParamCheck>>
gradcheck(const Source &source, CompileOptions options,
          std::map<std::string, Tensor> inputs, const GradcheckOptions &check) {
  options.promoteToF64 = true;
  options.gradients = false;
  options.training = true; // the gradients the training step uses
  CompileOptions gradOptions = options;
  gradOptions.gradients = true;
  auto grad = Model::compile(source, gradOptions);
  if (!grad)
    return grad.takeError();
  auto forward = Model::compile(source, options);
  if (!forward)
    return forward.takeError();
  if (auto e = (*grad)->initParameters(check.seed))
    return std::move(e);
  const Signature &sig = (*grad)->getSignature();
  for (const ArgInfo &arg : sig.args)
    if (arg.isHeld())
      *(*forward)->getParameter(arg.name) = *(*grad)->getParameter(arg.name);
  fillRandomInputs(sig, check.seed, inputs);

  auto outputs = (*grad)->run(inputs);
  if (!outputs)
    return outputs.takeError();

  std::vector<ParamCheck> report;
  for (auto [info, g] : llvm::zip(sig.outputs, *outputs)) {
    if (info.gradOf.empty())
      continue;
    Tensor &w = *(*forward)->getParameter(info.gradOf);
    ParamCheck result;
    result.name = info.gradOf;
    result.type = info.typeString();
    result.total = w.getNumElements();
    int64_t stride = std::max<int64_t>(1, result.total / check.maxElements);
    for (int64_t i = 0; i < result.total && result.checked < check.maxElements;
         i += stride, ++result.checked) {
      double original = w.get(i);
      double h = 1e-6 * std::max(1.0, std::fabs(original));
      w.set(i, original + h);
      auto plus = lossAt(**forward, inputs);
      w.set(i, original - h);
      auto minus = lossAt(**forward, inputs);
      w.set(i, original);
      if (!plus)
        return plus.takeError();
      if (!minus)
        return minus.takeError();
      double fd = (*plus - *minus) / (2 * h), ad = g.get(i);
      double abs = std::fabs(ad - fd);
      double rel = abs / std::max({std::fabs(ad), std::fabs(fd), 1e-12});
      if (!(abs <= check.atol + check.rtol * std::fabs(fd))) // NaN fails too
        result.ok = false;
      result.maxAbsError = std::max(result.maxAbsError, abs);
      result.maxRelError = std::max(result.maxRelError, rel);
      result.maxAbsGradient = std::max(result.maxAbsGradient, std::fabs(ad));
    }
    report.push_back(result);
  }
  return report;
}

} // namespace nabla
