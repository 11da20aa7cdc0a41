//===- GradcheckTest.cpp - Autodiff against finite differences ------------===//
//
// Every differentiable op, in several shapes and broadcasting cases, and
// composite models, go through nabla-autodiff and are compared with central
// differences in f64 (nabla/Gradcheck.h explains the step and tolerance:
// |ad - fd| <= 1e-5 + 1e-3 |fd|, while f64 differences are good to ~1e-9).
// Each loss weighs the op's output with a random input `c`, so the adjoint
// reaching the op is not uniform. Parameters are drawn away from the points
// where an op is not differentiable (relu's kink, ties of max) by the random
// data; log, sqrt, div and pow get positive operands through their inits.
//
//===----------------------------------------------------------------------===//
#include "nabla/Gradcheck.h"
#include "nabla/ir/NablaOps.h"
#include "nabla/passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;

namespace {

struct Case {
  const char *name;
  const char *source;
};

void expectGradientsMatch(const Case &c, const std::string &extra = "") {
  SCOPED_TRACE(c.name);
  auto source = Source::fromString(c.source, std::string(c.name) + ".nb");
  ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
  GradcheckOptions check;
  check.seed = 3;
  auto report = gradcheck(**source, {}, {}, check);
  ASSERT_TRUE(bool(report)) << llvm::toString(report.takeError());
  ASSERT_FALSE(report->empty());
  bool anyNonZero = false;
  for (const ParamCheck &p : *report) {
    EXPECT_TRUE(p.ok) << p.name << " " << p.type << ": max abs err "
                      << p.maxAbsError << ", max rel err " << p.maxRelError;
    EXPECT_GT(p.checked, 0) << p.name;
    anyNonZero = anyNonZero || p.maxAbsGradient > 1e-6;
  }
  EXPECT_TRUE(anyNonZero) << "every gradient is zero: the check is vacuous";
}

// One model per op family. `c` is a random input that weighs the output.
const Case kOps[] = {
    {"add_broadcast", R"(model M(c: f32[3, 4]) {
      param a: f32[3, 4] = normal
      param b: f32[4] = normal
      param s: f32 = normal
      return sum((a + b + s) * c) })"},
    {"sub_broadcast_column", R"(model M(c: f32[3, 4]) {
      param a: f32[3, 1] = normal
      param b: f32[1, 4] = normal
      return sum((a - b) * c) })"},
    {"mul_div", R"(model M(c: f32[2, 3]) {
      param a: f32[2, 3] = normal
      param b: f32[3] = uniform(low = 1, high = 2)
      return sum(a * b * c + a / b * c) })"},
    {"div_by_param", R"(model M(c: f32[4]) {
      param a: f32[4] = normal
      param b: f32[4] = uniform(low = 0.5, high = 1.5)
      return sum(c / (a * a + b)) })"},
    {"pow_both_operands", R"(model M(c: f32[5]) {
      param a: f32[5] = uniform(low = 0.5, high = 1.5)
      param p: f32[5] = normal
      return sum(a ** p * c) + sum(a ** 3) })"},
    {"maximum", R"(model M(c: f32[2, 3]) {
      param a: f32[2, 3] = normal
      param b: f32[3] = normal
      return sum(maximum(a, b) * c) })"},
    {"unary_chain", R"(model M(c: f32[6]) {
      param a: f32[6] = normal
      param p: f32[6] = uniform(low = 0.5, high = 2)
      return sum((-relu(a) + sigmoid(a) + tanh(a) + exp(a)) * c)
             + sum(log(p) * c + sqrt(p) * c) })"},
    {"reductions", R"(model M(c: f32[3]) {
      param a: f32[3, 4] = normal
      return sum(sum(a, axis = 1) * c) + sum(mean(a, axis = 0) ** 2)
             + sum(max(a, axis = 1) * c) + max(a) + mean(a)
             + sum(sum(a, axis = [0, 1], keepdims = 1)) })"},
    {"matmul", R"(model M(c: f32[3, 5]) {
      param a: f32[3, 4] = normal
      param b: f32[4, 5] = normal
      return sum((a @ b) * c) })"},
    {"batched_matmul", R"(model M(c: f32[2, 3, 5]) {
      param a: f32[2, 3, 4] = normal
      param b: f32[2, 4, 5] = normal
      return sum((a @ b) * c) })"},
    {"transpose_reshape_broadcast", R"(model M(c: f32[4, 2, 3]) {
      param a: f32[2, 3, 4] = normal
      param b: f32[6] = normal
      param d: f32[3] = normal
      return sum(transpose(a, perm = [2, 0, 1]) * c)
             + sum(reshape(b, [2, 3]) * c)
             + sum(broadcast_to(d, [4, 2, 3]) * c) })"},
    {"flatten", R"(model M(c: f32[2, 12]) {
      param a: f32[2, 3, 4] = normal
      return sum(flatten(a) * c) + sum(flatten(a, 0) * flatten(c, 0))
             + sum(flatten(a, 0, 1) * reshape(c, [6, 4])) })"},
    {"global_avg_pool", R"(model M(c: f32[2, 3, 1, 1]) {
      param a: f32[2, 3, 4, 5] = normal
      return sum(global_avg_pool(a) * c) })"},
    // Convolution over the issue's table: stride 1/2, padding 0/1/same,
    // dilation 1/2, groups 1/2/C, odd sizes. Gradients of the input (a
    // param here) run conv_transpose, of the weight conv_weight_grad.
    {"conv2d", R"(model M(c: f32[1]) {
      param a: f32[2, 4, 7, 5] = normal
      param w: f32[6, 4, 3, 3] = normal
      param g: f32[6, 2, 3, 2] = normal
      param d: f32[4, 1, 3, 3] = normal
      param b: f32[6] = normal
      y1 = conv2d(a, w, b)
      y2 = conv2d(a, w, stride = 2, padding = 1)
      y3 = conv2d(a, g, padding = "same", dilation = 2, groups = 2)
      y4 = conv2d(a, d, stride = [2, 1], padding = [1, 0], groups = 4)
      return sum(y1 * y1) + sum(y2 * y2) + sum(y3 * y3 * y3) + sum(y4 * y4) })"},
    {"conv1d", R"(model M(c: f32[1]) {
      param a: f32[2, 3, 9] = normal
      param w: f32[4, 3, 2] = normal
      return sum(square(conv1d(a, w, stride = 2, padding = 1, dilation = 3))) })"},
    {"conv_transpose2d", R"(model M(c: f32[1]) {
      param a: f32[2, 4, 3, 4] = normal
      param w: f32[4, 3, 3, 2] = normal
      param b: f32[3] = normal
      y1 = conv_transpose2d(a, w, b, stride = 2, padding = 1, output_padding = 1)
      y2 = conv_transpose2d(a, w, stride = [1, 3], dilation = 2, groups = 2)
      return sum(y1 * y1) + sum(y2 * y2 * y2) })"},
    {"max_pool2d", R"(model M(c: f32[1]) {
      param a: f32[2, 3, 7, 6] = normal
      y1 = max_pool2d(a, 2)
      y2 = max_pool2d(a, 3, stride = 2, padding = 1)
      y3 = max_pool1d(flatten(a, 2), 4, stride = 3, dilation = 2)
      return sum(y1 * y1) + sum(y2 * y2 * y2) + sum(y3 * y3) })"},
    {"avg_pool2d", R"(model M(c: f32[1]) {
      param a: f32[2, 3, 7, 6] = normal
      y1 = avg_pool2d(a, 3, stride = 2, padding = 1)
      y2 = avg_pool2d(a, [2, 3], padding = 1, count_include_pad = 0)
      return sum(y1 * y1) + sum(y2 * y2 * y2) })"},
    {"pad", R"(model M(c: f32[1]) {
      param a: f32[3, 4, 5] = normal
      return sum(square(pad(a, [1, 2, -1, 1], value = 0.3)))
             + sum(square(pad(a, [0, 0, 0, 0, 2, -1]))) })"},
    // Indexing (integer indices drop a dim; slices with steps, negative
    // bounds and `...`): the adjoint pads with zeros. concat and stack:
    // each piece's gradient is its slice of the result's.
    {"index", R"(model M(c: f32[2, 3, 5]) {
      param a: f32[2, 3, 5] = normal
      x = a * c
      h = x[:, 1:, ::2] * x[:, :2, -4:-1]
      return sum(h * h) + sum(x[1, 2] * x[0, 0]) + sum(square(x[..., 4]))
             + sum(x[-1, ::2, 1:-1:3] * x[0, 1:, :2]) })"},
    {"concat_stack", R"(model M(c: f32[3, 4]) {
      param a: f32[3, 4] = normal
      param b: f32[2, 4] = normal
      y1 = concat([a, b * b, a[1:]], axis = 0)
      y2 = concat([a, c], axis = -1)
      y3 = stack([a, c * a, a], axis = 1)
      return sum(y1 * y1 * y1) + sum(square(y2)) + sum(y3 * y3 * y3) })"},
    // The sequence-model builtins: where/masked_fill (a selection),
    // layer_norm and rms_norm (the full adjoint through the row's
    // statistics), logsumexp, embedding with repeated ids (the table's
    // gradient adds rows), and '@' on broadcast stacks of matrices.
    {"where", R"(model M(c: f32[3, 4]) {
      param a: f32[3, 4] = normal
      param b: f32[4] = normal
      y1 = where(a * c > 0, a * 2, b)
      y2 = masked_fill(a, causal_mask(4)[1:], -3) * where(c < 0, b, 1.5)
      return sum(y1 * y1 * c) + sum(square(y2) * c) })"},
    {"layer_norm", R"(model M(c: f32[3, 5]) {
      param a: f32[3, 5] = normal
      param g: f32[5] = normal
      param b: f32[5] = normal
      return sum(layer_norm(a, g, b) * c) + sum(square(layer_norm(a * c, eps = 0.1)))
             + sum(rms_norm(a, g) * c) + sum(square(rms_norm(a + c, eps = 0.5))) })"},
    {"logsumexp", R"(model M(c: f32[3, 4]) {
      param a: f32[3, 4] = normal
      return sum(logsumexp(a * 3) * logsumexp(c, axis = 0)[:3])
             + sum(logsumexp(a * c, axis = 0, keepdims = 1) * c) })"},
    {"embedding", R"(model M(c: f32[2, 3, 4]) {
      param t: f32[5, 4] = normal
      ids = reshape(concat([arange(0, 4), arange(1, 3)]), [2, 3])
      return sum(square(embedding(t, ids)) * c) })"},
    {"take", R"(model M(c: f32[3, 3, 2]) {
      param x: f32[3, 4, 2] = normal
      ids = concat([arange(1, 3), arange(1, 2)])
      return sum(square(take(x, ids, axis = 1)) * c)
             + sum(square(take(x, arange(1, 2), axis = -1))) })"},
    {"split", R"(model M(c: f32[3, 2]) {
      param x: f32[3, 6] = normal
      a, b, d = split(x, [1, 2, 3], axis = 1)
      i, f = chunk(x, 2, axis = -1)
      return sum(square(a) * c[:, 0:1]) + sum(b * c) + sum(tanh(d))
             + sum(square(i - f) * c[:, 0:1]) })"},
    // An LSTM written once and unrolled over 3 steps: the state carried by
    // rebinding, the gates chunked, the outputs collected in a list.
    {"lstm_repeat", R"(model M(c: f32[2, 3, 2]) {
      param x: f32[2, 3, 2] = normal
      param w: f32[2, 8] = normal
      param u: f32[2, 8] = normal
      h = x[:, 0] * 0
      cell = h
      hs = []
      repeat t in 3 {
        i, f, g, o = chunk(x[:, t] @ w + h @ u, 4, axis = 1)
        cell = sigmoid(f) * cell + sigmoid(i) * tanh(g)
        h = sigmoid(o) * tanh(cell)
        hs = hs + [h]
      }
      return sum(stack(hs, axis = 1) * c) })"},
    {"matmul_broadcast", R"(model M(c: f32[2, 3, 4, 2]) {
      param a: f32[2, 3, 4, 5] = normal
      param b: f32[2, 1, 5, 2] = normal
      param w: f32[2, 5] = normal
      return sum(square(a @ b) * c) + sum((a @ transpose(w)) * c) })"},
    // Batch norm in its training form: the adjoint through the batch mean
    // and variance, over [N, C], [N, C, L] and [N, C, H, W].
    {"batch_norm", R"(model M(c: f32[4, 3, 5]) {
      param a: f32[4, 3, 5] = normal
      param g: f32[3] = normal
      param b: f32[3] = normal
      state m: f32[3] = zeros
      state v: f32[3] = ones
      state m2: f32[5] = zeros
      state v2: f32[5] = ones
      y1 = batch_norm(a, m, v, g, b)
      y2 = batch_norm(flatten(a, 0, 1), m2, v2, eps = 0.1)
      y3 = batch_norm(reshape(a, [2, 3, 2, 5]), m, v, weight = g, momentum = 0.5)
      return sum(y1 * y1 * c) + sum(square(y2) * flatten(c, 0, 1))
             + sum(y3 * y3 * y3) })"},
    // Dropout's mask is fixed by its key (0 and 0 here): a product with a
    // constant, the same in both compilations.
    {"dropout", R"(model M(c: f32[6, 5]) {
      param a: f32[6, 5] = normal
      return sum(square(dropout(a, 0.4)) * c) + sum(dropout(a * c, p = 0.7)) })"},
    {"softmax", R"(model M(c: f32[3, 4]) {
      param a: f32[3, 4] = normal
      return sum(softmax(a) * c) + sum(softmax(a, axis = 0) * c)
             + sum(log_softmax(a) * c) + sum(log_softmax(a, axis = 0) * c) })"},
    {"mse", R"(model M(t: f32[4, 2]) {
      param a: f32[4, 2] = normal
      return mse(tanh(a), t) })"},
    {"cross_entropy", R"(model M(label: i32[5]) {
      param a: f32[5, 3] = normal
      return cross_entropy(a * 2, label) })"},
    {"binary_cross_entropy", R"(model M(c: f32[6]) {
      param a: f32[6] = normal
      t = sigmoid(c * 3)
      return binary_cross_entropy(sigmoid(a), t) })"},
};

TEST(Gradcheck, EveryOp) {
  for (const Case &c : kOps)
    expectGradientsMatch(c);
}

// The activations and unary functions, one model each, in f64 (the
// default tolerance holds: each rule is exact, and central differences
// are good to ~1e-9). Ops with kinks (abs, clamp, leaky_relu, elu and
// selu at 0, clamp at its bounds, softplus at its threshold) are checked
// at literal points at least 0.1 away from them, so no difference
// straddles a kink (h = 1e-6); both sides of each kink are covered.
const Case kActivations[] = {
    {"abs", R"(model M(c: f32[6]) {
      param a: f32[6] = [-1.5, -0.7, -0.2, 0.3, 0.9, 2.1]
      return sum(abs(a) * c) })"},
    {"square", R"(model M(c: f32[2, 3]) {
      param a: f32[2, 3] = normal
      return sum(square(a) * c) })"},
    {"rsqrt", R"(model M(c: f32[5]) {
      param a: f32[5] = uniform(low = 0.3, high = 3)
      return sum(rsqrt(a) * c) })"},
    {"erf", R"(model M(c: f32[6]) {
      param a: f32[6] = normal(std = 1.5)
      return sum(erf(a) * c) })"},
    {"silu", R"(model M(c: f32[6]) {
      param a: f32[6] = normal(std = 3)
      return sum(silu(a) * c) })"},
    {"selu", R"(model M(c: f32[6]) {
      param a: f32[6] = [-3.0, -1.1, -0.1, 0.1, 0.8, 2.5]
      return sum(selu(a) * c) })"},
    {"gelu_exact", R"(model M(c: f32[8]) {
      param a: f32[8] = normal(std = 2)
      return sum(gelu(a) * c) })"},
    {"gelu_tanh", R"(model M(c: f32[8]) {
      param a: f32[8] = normal(std = 2)
      return sum(gelu(a, approximate = "tanh") * c) })"},
    {"leaky_relu", R"(model M(c: f32[6]) {
      param a: f32[6] = [-2.0, -0.5, -0.1, 0.1, 0.4, 1.7]
      return sum(leaky_relu(a) * c) + sum(leaky_relu(a, slope = 0.2) * c) })"},
    {"elu", R"(model M(c: f32[6]) {
      param a: f32[6] = [-2.5, -0.9, -0.1, 0.2, 0.6, 3.0]
      return sum(elu(a) * c) + sum(elu(a, alpha = 0.5) * c) })"},
    // beta = 2, threshold = 1: the linear part starts at x = 0.5.
    {"softplus", R"(model M(c: f32[6]) {
      param a: f32[6] = [-4.0, -1.0, 0.0, 0.3, 0.7, 2.0]
      return sum(softplus(a) * c) + sum(softplus(a, beta = 2, threshold = 1) * c) })"},
    {"clamp", R"(model M(c: f32[7]) {
      param a: f32[7] = [-2.0, -0.6, -0.4, 0.0, 0.4, 0.6, 2.0]
      return sum(clamp(a, -0.5, 0.5) * c) })"},
    // Compositions: each rule's adjoint feeds the next one's.
    {"chain", R"(model M(c: f32[2, 4]) {
      param a: f32[2, 4] = normal
      param b: f32[4] = uniform(low = 0.5, high = 2)
      return sum(silu(gelu(a) * b) * c) + sum(softplus(selu(a) + rsqrt(b)) * c) })"},
};

TEST(Gradcheck, Activations) {
  for (const Case &c : kActivations)
    expectGradientsMatch(c);
}

// Composite models: the failure modes the background lesson is about.
const Case kModels[] = {
    {"relu_mlp", R"(
layer Dense(x: f32[N, I], out: int, act = relu, init = he) -> f32[N, out] {
  param w: f32[I, out] = init
  param b: f32[out] = normal(std = 0.1)
  return act(x @ w + b)
}
model M(x: f32[8, 5], y: f32[8, 2]) {
  h = Dense(Dense(x, 16), 16)
  return mse(Dense(h, 2, act = identity), y)
})"},
    {"deep_sigmoid_mlp", R"(
layer Dense(x: f32[N, I], out: int, act = sigmoid) -> f32[N, out] {
  param w: f32[I, out] = xavier
  param b: f32[out] = zeros
  return act(x @ w + b)
}
model M(x: f32[6, 4], y: f32[6, 1]) {
  h = Dense(x, 8)
  repeat 6 { h = Dense(h, 8) }
  return mse(Dense(h, 1, act = identity), y)
})"},
    {"residual_mlp", R"(
layer Dense(x: f32[N, I], out: int, act = relu, init = he) -> f32[N, out] {
  param w: f32[I, out] = init
  param b: f32[out] = normal(std = 0.1)
  return act(x @ w + b)
}
layer Residual(x: f32[N, D]) -> f32[N, D] {
  return x + Dense(Dense(x, D), D, act = identity)
}
model M(x: f32[5, 6], y: f32[5, 1]) {
  h = Dense(x, 8, act = tanh, init = xavier)
  repeat 3 { h = relu(Residual(h)) }
  return mse(Dense(h, 1, act = identity), y)
})"},
    {"softmax_classifier", R"(
layer Dense(x: f32[N, I], out: int, act = relu) -> f32[N, out] {
  param w: f32[I, out] = he
  param b: f32[out] = zeros
  return act(x @ w + b)
}
model M(x: f32[7, 4], label: i32[7]) {
  logits = Dense(Dense(x, 12), 3, act = identity)
  return cross_entropy(logits, label), softmax(logits)
})"},
};

TEST(Gradcheck, CompositeModels) {
  for (const Case &c : kModels)
    expectGradientsMatch(c);
}

// The check can fail: with a zero-width tolerance, the tiny but non-zero
// differences between autodiff and finite differences are reported.
TEST(Gradcheck, CanFail) {
  auto source = Source::fromString(R"(model M(c: f32[3]) {
    param a: f32[3] = normal
    return sum(exp(a) * c) })",
                                   "m.nb");
  ASSERT_TRUE(bool(source));
  GradcheckOptions tight;
  tight.rtol = 0;
  tight.atol = 0; // no difference is exactly zero in floating point
  auto report = gradcheck(**source, {}, {}, tight);
  ASSERT_TRUE(bool(report)) << llvm::toString(report.takeError());
  EXPECT_FALSE((*report)[0].ok);
  EXPECT_GT((*report)[0].maxAbsError, 0);
}

} // namespace
