//===- HessianTest.cpp - Second derivatives by running autodiff twice -----===//
//
// A Hessian-vector product: nabla-autodiff makes @M_grad; we append
// s = sum_i <grad_i, v_i> (v an input direction per parameter) as a new
// function's scalar result and run nabla-autodiff on that, giving
// d s / d w = H v. The reference is a central difference of the gradient
// along v: (g(w + eps v) - g(w - eps v)) / (2 eps), in f64 with eps = 1e-5,
// whose error is O(eps^2) ~ 1e-10 relative; we allow 1e-6.
//
//===----------------------------------------------------------------------===//
#include "nabla/Model.h"
#include "nabla/ir/NablaOps.h"
#include "nabla/passes/Passes.h"
#include "nabla/runtime/Init.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace nabla;

namespace {

const char *kModel = R"(
model M(x: f32[4, 3], y: f32[4, 2]) {
  param w1: f32[3, 5] = xavier
  param w2: f32[5, 2] = xavier
  h = tanh(x @ w1)
  return mse(sigmoid(h @ w2) * 2, y)
})";

/// Builds @HV(args..., v_1..v_k) -> sum_i sum(grad_i * v_i) from @M_grad,
/// marked as a model so autodiff differentiates it.
func::FuncOp buildDirectionalGradient(func::FuncOp grad) {
  OpBuilder b(grad);
  b.setInsertionPointAfter(grad);
  auto hv = cast<func::FuncOp>(b.clone(*grad));
  hv.setSymName("HV");
  hv->removeAttr(attrs::kGradientOf);
  hv->setAttr(attrs::kModel, b.getUnitAttr());
  Block &block = hv.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  b.setInsertionPoint(ret);
  Value total;
  for (unsigned i = 0; i < hv.getNumResults(); ++i) {
    auto gradOf = hv.getResultAttrOfType<StringAttr>(i, attrs::kGrad);
    if (!gradOf)
      continue;
    Value g = ret.getOperand(i);
    Value v = block.addArgument(g.getType(), hv.getLoc());
    Value dot = SumOp::create(
        b, hv.getLoc(), MulOp::create(b, hv.getLoc(), g, v),
        llvm::to_vector(llvm::seq<int64_t>(
            0, cast<RankedTensorType>(g.getType()).getRank())),
        false);
    total = total ? Value(AddOp::create(b, hv.getLoc(), total, dot)) : dot;
  }
  func::ReturnOp::create(b, ret.getLoc(), total);
  ret.erase();
  SmallVector<Attribute> argAttrs;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    argAttrs.push_back(hv.getArgAttrDict(i) ? Attribute(hv.getArgAttrDict(i))
                                            : b.getDictionaryAttr({}));
  unsigned k = 0;
  while (argAttrs.size() < block.getNumArguments())
    argAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        attrs::kInput, b.getStringAttr("v" + std::to_string(k++)))));
  hv.setType(b.getFunctionType(block.getArgumentTypes(), total.getType()));
  hv.setAllArgAttrs(argAttrs);
  SmallVector<Attribute> resultAttrs = {b.getDictionaryAttr(
      b.getNamedAttr(attrs::kOutput, b.getStringAttr("s")))};
  hv.setAllResultAttrs(resultAttrs);
  return hv;
}

Tensor randomTensor(const TensorInfo &info, uint64_t seed) {
  Tensor t(info.type, info.shape);
  Rng rng(seed);
  for (int64_t i = 0; i < t.getNumElements(); ++i)
    t.set(i, 2 * rng.uniform() - 1);
  return t;
}

TEST(Hessian, VectorProductMatchesDifferencesOfTheGradient) {
  auto context = createContext();
  auto source = Source::fromString(kModel, "hvp.nb");
  ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
  CompileOptions options;
  options.gradients = true;
  options.promoteToF64 = true;
  auto module = (*source)->generate(*context, options);
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  auto grad = (*module)->lookupSymbol<func::FuncOp>("M_grad");
  ASSERT_TRUE(grad);
  func::FuncOp hv = buildDirectionalGradient(grad);
  ASSERT_TRUE(succeeded(differentiate(hv, {})));
  ASSERT_TRUE(succeeded(mlir::verify(**module)));

  auto hvModel = Model::compileModule(**module, "HV_grad");
  ASSERT_TRUE(bool(hvModel)) << llvm::toString(hvModel.takeError());
  auto gradModel = Model::compileModule(**module, "M_grad");
  ASSERT_TRUE(bool(gradModel)) << llvm::toString(gradModel.takeError());
  ASSERT_FALSE(llvm::errorToBool((*hvModel)->initParameters(5)));

  // Inputs x, y and the directions v0, v1, at random.
  std::map<std::string, Tensor> inputs, directions;
  uint64_t seed = 100;
  for (const ArgInfo &arg : (*hvModel)->getSignature().args)
    if (!arg.isParam)
      inputs[arg.name] = randomTensor(arg, seed++);
  auto hvOut = (*hvModel)->run(inputs);
  ASSERT_TRUE(bool(hvOut)) << llvm::toString(hvOut.takeError());

  // Parameters in order, with their directions.
  std::vector<std::string> params;
  for (const ArgInfo &arg : (*hvModel)->getSignature().args)
    if (arg.isParam)
      params.push_back(arg.name);
  ASSERT_EQ(params.size(), 2u);
  std::map<std::string, Tensor> gradInputs = {{"x", inputs["x"]},
                                              {"y", inputs["y"]}};
  auto gradientAt = [&](double eps) -> std::vector<Tensor> {
    for (auto [i, name] : llvm::enumerate(params)) {
      Tensor w = *(*hvModel)->getParameter(name);
      const Tensor &v = inputs["v" + std::to_string(i)];
      for (int64_t k = 0; k < w.getNumElements(); ++k)
        w.set(k, w.get(k) + eps * v.get(k));
      *(*gradModel)->getParameter(name) = w;
    }
    auto out = (*gradModel)->run(gradInputs);
    EXPECT_TRUE(bool(out)) << llvm::toString(out.takeError());
    return out ? std::vector<Tensor>(out->begin() + 1, out->end())
               : std::vector<Tensor>();
  };
  const double eps = 1e-5;
  auto plus = gradientAt(eps), minus = gradientAt(-eps);
  ASSERT_EQ(plus.size(), 2u);

  // HV_grad returns s, then H v for each parameter.
  double largest = 0;
  for (size_t p = 0; p < params.size(); ++p) {
    const Tensor &hvp = (*hvOut)[1 + p];
    ASSERT_EQ(hvp.getNumElements(), plus[p].getNumElements());
    for (int64_t k = 0; k < hvp.getNumElements(); ++k) {
      double fd = (plus[p].get(k) - minus[p].get(k)) / (2 * eps);
      EXPECT_NEAR(hvp.get(k), fd, 1e-8 + 1e-6 * std::fabs(fd))
          << params[p] << "[" << k << "]";
      largest = std::max(largest, std::fabs(fd));
    }
  }
  EXPECT_GT(largest, 1e-3) << "the Hessian-vector product is all zeros";
}

} // namespace
