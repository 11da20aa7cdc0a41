//===- JitTest.cpp - JIT-compiled models against independent references ---===//
//
// Each test compiles a .nb model through the whole pipeline (frontend,
// nabla dialect, linalg, LLVM, ORC JIT) and compares its outputs with the
// same math written out here in plain C++ loops, in double precision.
//
// Tolerance: the JIT computes in f32 (unit roundoff 6e-8). The deepest
// chains here (the MLP) go through a few dozen roundings of sums with at
// most 16 terms, so errors stay below ~1e-6 relative; we allow 1e-5
// relative plus 1e-6 absolute (for values near zero).
//
//===----------------------------------------------------------------------===//
#include "nabla/Model.h"
#include "nabla/runtime/Engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

using namespace nabla;

namespace {

using Matrix = std::vector<std::vector<double>>;

void expectClose(double actual, double expected, const std::string &what) {
  EXPECT_NEAR(actual, expected, 1e-6 + 1e-5 * std::fabs(expected)) << what;
}

void expectClose(const Tensor &actual, const std::vector<double> &expected,
                 const std::string &what) {
  ASSERT_EQ(actual.getNumElements(), (int64_t)expected.size()) << what;
  for (size_t i = 0; i < expected.size(); ++i)
    expectClose(actual.get(i), expected[i], what + "[" + std::to_string(i) + "]");
}

Tensor f32(std::vector<int64_t> shape, std::vector<double> values) {
  return Tensor::fromDoubles(ElementType::F32, shape, values);
}

/// Compiles `text`, initializes parameters with seed 0 and runs it. (gtest
/// cannot ASSERT in helpers that return values, so errors become an empty
/// result plus a failure.)
std::vector<Tensor> compileAndRun(const std::string &text,
                                  const std::map<std::string, Tensor> &inputs,
                                  CompileOptions options = {},
                                  std::unique_ptr<Model> *keep = nullptr) {
  auto source = Source::fromString(text, "test.nb");
  if (!source) {
    ADD_FAILURE() << llvm::toString(source.takeError());
    return {};
  }
  auto model = Model::compile(**source, options);
  if (!model) {
    ADD_FAILURE() << llvm::toString(model.takeError());
    return {};
  }
  if (auto err = (*model)->initParameters(0)) {
    ADD_FAILURE() << llvm::toString(std::move(err));
    return {};
  }
  auto outputs = (*model)->run(inputs);
  if (!outputs) {
    ADD_FAILURE() << llvm::toString(outputs.takeError());
    return {};
  }
  if (keep)
    *keep = std::move(*model);
  return std::move(*outputs);
}

TEST(Jit, SeedExampleMatchesTheLesson) {
  auto out = compileAndRun(R"(
model Seed(x: f32[2], y: f32) {
  param w: f32[2] = [0.3, 0.7]
  y_pred = sum(w * x)
  return (y_pred - y) ** 2
})",
                           {{"x", f32({2}, {1.0, 0.5})}, {"y", f32({}, {1.0})}});
  ASSERT_EQ(out.size(), 1u);
  double e = 0.3 * 1.0 + 0.7 * 0.5 - 1.0;
  expectClose(out[0].get(0), e * e, "loss");
}

TEST(Jit, ElementwiseOpsBroadcastLikeNumpy) {
  std::vector<double> a = {0.5, 1.5, 2.0, 3.0, 0.25, 4.0}; // [2, 3]
  std::vector<double> b = {1.0, 2.0, 0.5};                 // [3]
  std::vector<double> c = {2.0, -1.0};                     // [2, 1]
  auto out = compileAndRun(R"(
model M(a: f32[2, 3], b: f32[3], c: f32[2, 1]) {
  return sum(a), a + b, a * c, a / b, a ** b, -a - c, maximum(a, b),
         sigmoid(c), tanh(a), exp(-a), log(a), sqrt(a), relu(c - 0.5), 2 * a + 1
})",
                           {{"a", f32({2, 3}, a)},
                            {"b", f32({3}, b)},
                            {"c", f32({2, 1}, c)}});
  ASSERT_EQ(out.size(), 14u);
  std::vector<double> add, mul, div, pow, negsub, max, tanh_, exp_, log_,
      sqrt_, affine;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      double x = a[i * 3 + j];
      add.push_back(x + b[j]);
      mul.push_back(x * c[i]);
      div.push_back(x / b[j]);
      pow.push_back(std::pow(x, b[j]));
      negsub.push_back(-x - c[i]);
      max.push_back(std::max(x, b[j]));
      tanh_.push_back(std::tanh(x));
      exp_.push_back(std::exp(-x));
      log_.push_back(std::log(x));
      sqrt_.push_back(std::sqrt(x));
      affine.push_back(2 * x + 1);
    }
  double total = 0;
  for (double x : a)
    total += x;
  expectClose(out[0], {total}, "sum");
  expectClose(out[1], add, "add");
  expectClose(out[2], mul, "mul");
  expectClose(out[3], div, "div");
  expectClose(out[4], pow, "pow");
  expectClose(out[5], negsub, "neg-sub");
  expectClose(out[6], max, "maximum");
  expectClose(out[7], {1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(1.0))},
              "sigmoid");
  expectClose(out[8], tanh_, "tanh");
  expectClose(out[9], exp_, "exp");
  expectClose(out[10], log_, "log");
  expectClose(out[11], sqrt_, "sqrt");
  expectClose(out[12], {1.5, 0.0}, "relu");
  expectClose(out[13], affine, "affine");
}

/// The activations against PyTorch's definitions, written out in double.
/// Points cover both sides of each kink, the kink itself (abs,
/// leaky_relu, elu and selu at 0, clamp's bounds), and softplus's linear
/// part. erf is a rational approximation good to 5e-7 absolute, which
/// gelu multiplies by |x| / 2 <= 1.5 here: inside the 1e-6 absolute
/// tolerance.
TEST(Jit, ActivationsMatchPyTorchFormulas) {
  std::vector<double> x = {-3.0, -1.2, -0.5, -0.01, 0.0, 0.3, 1.7, 2.5};
  std::vector<double> p = {0.04, 0.5, 1.0, 2.0, 3.5, 7.0, 10.0, 100.0};
  auto out = compileAndRun(R"(
model M(x: f32[8], p: f32[8]) {
  return abs(x), square(x), rsqrt(p), erf(x), silu(x), selu(x), gelu(x),
         gelu(x, approximate = "tanh"), leaky_relu(x),
         leaky_relu(x, slope = 0.2), elu(x), elu(x, alpha = 0.5),
         softplus(x), softplus(x, beta = 2, threshold = 1),
         clamp(x, -0.5, 0.5), softplus(p * 3)
})",
                           {{"x", f32({8}, x)}, {"p", f32({8}, p)}});
  ASSERT_EQ(out.size(), 16u);
  const double seluAlpha = 1.6732632423543772848170429916717;
  const double seluScale = 1.0507009873554804934193349852946;
  const double pi = 3.141592653589793;
  auto elu = [](double v, double alpha) {
    return v > 0 ? v : alpha * std::expm1(v);
  };
  auto softplus = [](double v, double beta, double threshold) {
    return v * beta > threshold ? v : std::log1p(std::exp(beta * v)) / beta;
  };
  std::vector<std::vector<double>> expected(16);
  for (double v : x) {
    expected[0].push_back(std::fabs(v));
    expected[1].push_back(v * v);
    expected[3].push_back(std::erf(v));
    expected[4].push_back(v / (1 + std::exp(-v)));
    expected[5].push_back(seluScale * elu(v, seluAlpha));
    expected[6].push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    expected[7].push_back(
        0.5 * v *
        (1 + std::tanh(std::sqrt(2 / pi) * (v + 0.044715 * v * v * v))));
    expected[8].push_back(v > 0 ? v : 0.01 * v);
    expected[9].push_back(v > 0 ? v : 0.2 * v);
    expected[10].push_back(elu(v, 1.0));
    expected[11].push_back(elu(v, 0.5));
    expected[12].push_back(softplus(v, 1, 20));
    expected[13].push_back(softplus(v, 2, 1));
    expected[14].push_back(std::min(std::max(v, -0.5), 0.5));
  }
  for (double v : p) {
    expected[2].push_back(1 / std::sqrt(v));
    expected[15].push_back(softplus(3 * v, 1, 20)); // 300: the linear part
  }
  const char *names[] = {
      "abs",        "square",         "rsqrt", "erf",
      "silu",       "selu",           "gelu",  "gelu_tanh",
      "leaky_relu", "leaky_relu_0.2", "elu",   "elu_0.5",
      "softplus",   "softplus_2_1",   "clamp", "softplus_big"};
  for (int i = 0; i < 16; ++i)
    expectClose(out[i], expected[i], names[i]);
}

TEST(Jit, ReductionsOverAxes) {
  std::vector<double> x = {1, -2, 3, 4, 5, -6}; // [2, 3]
  auto out = compileAndRun(R"(
model M(x: f32[2, 3]) {
  return mean(x), sum(x, axis = 0), mean(x, axis = 1, keepdims = 1),
         max(x, axis = -1), max(x), sum(x, axis = [0, 1])
})",
                           {{"x", f32({2, 3}, x)}});
  ASSERT_EQ(out.size(), 6u);
  expectClose(out[0], {5.0 / 6}, "mean");
  expectClose(out[1], {5, 3, -3}, "sum axis 0");
  EXPECT_EQ(out[2].getShape(), (std::vector<int64_t>{2, 1}));
  expectClose(out[2], {2.0 / 3, 1.0}, "mean keepdims");
  expectClose(out[3], {3, 5}, "max axis -1");
  expectClose(out[4], {5}, "max");
  expectClose(out[5], {5}, "sum all");
}

TEST(Jit, SoftmaxAndLosses) {
  std::vector<double> z = {1.0, 2.0, 0.5, -1.0, 0.0, 3.0}; // [2, 3]
  auto out = compileAndRun(R"(
model M(z: f32[2, 3], label: i32[2], p: f32[2, 3], t: f32[2, 3]) {
  return cross_entropy(z, label), softmax(z), log_softmax(z, axis = 0),
         binary_cross_entropy(p, t), mse(p, t)
})",
                           {{"z", f32({2, 3}, z)},
                            {"label", Tensor::fromDoubles(ElementType::I32,
                                                          {2}, {1, 2})},
                            {"p", f32({2, 3}, {0.9, 0.2, 0.5, 0.1, 0.7, 0.4})},
                            {"t", f32({2, 3}, {1, 0, 1, 0, 1, 0})}});
  ASSERT_EQ(out.size(), 5u);
  // Row-wise softmax and the label's negative log-probability.
  std::vector<double> soft;
  double ce = 0;
  int labels[2] = {1, 2};
  for (int i = 0; i < 2; ++i) {
    double s = 0;
    for (int j = 0; j < 3; ++j)
      s += std::exp(z[i * 3 + j]);
    for (int j = 0; j < 3; ++j)
      soft.push_back(std::exp(z[i * 3 + j]) / s);
    ce += -(z[i * 3 + labels[i]] - std::log(s)) / 2;
  }
  expectClose(out[0], {ce}, "cross_entropy");
  expectClose(out[1], soft, "softmax");
  // Column-wise log-softmax.
  std::vector<double> lsm(6);
  for (int j = 0; j < 3; ++j) {
    double s = std::exp(z[j]) + std::exp(z[3 + j]);
    lsm[j] = z[j] - std::log(s);
    lsm[3 + j] = z[3 + j] - std::log(s);
  }
  expectClose(out[2], lsm, "log_softmax axis 0");
  double p[6] = {0.9, 0.2, 0.5, 0.1, 0.7, 0.4}, t[6] = {1, 0, 1, 0, 1, 0};
  double bce = 0, mse = 0;
  for (int i = 0; i < 6; ++i) {
    bce += -(t[i] * std::log(p[i]) + (1 - t[i]) * std::log(1 - p[i])) / 6;
    mse += (p[i] - t[i]) * (p[i] - t[i]) / 6;
  }
  expectClose(out[3], {bce}, "binary_cross_entropy");
  expectClose(out[4], {mse}, "mse");
}

TEST(Jit, MatmulTransposeReshapeBroadcast) {
  std::vector<double> a = {1, 2, 3, 4, 5, 6};         // [2, 3]
  std::vector<double> b = {1, 0, -1, 2, 0.5, 1};      // [3, 2]
  std::vector<double> c(12);                           // [2, 2, 3]
  for (int i = 0; i < 12; ++i)
    c[i] = 0.5 * i - 2;
  auto out = compileAndRun(R"(
model M(a: f32[2, 3], b: f32[3, 2], c: f32[2, 2, 3]) {
  return a @ b, transpose(a), reshape(a, [3, -1]), broadcast_to(b, [2, 3, 2]),
         c @ broadcast_to(b, [2, 3, 2]), transpose(c, perm = [1, 2, 0])
})",
                           {{"a", f32({2, 3}, a)},
                            {"b", f32({3, 2}, b)},
                            {"c", f32({2, 2, 3}, c)}});
  ASSERT_EQ(out.size(), 6u);
  std::vector<double> ab;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      double s = 0;
      for (int k = 0; k < 3; ++k)
        s += a[i * 3 + k] * b[k * 2 + j];
      ab.push_back(s);
    }
  expectClose(out[0], ab, "matmul");
  expectClose(out[1], {1, 4, 2, 5, 3, 6}, "transpose");
  EXPECT_EQ(out[2].getShape(), (std::vector<int64_t>{3, 2}));
  expectClose(out[2], a, "reshape");
  std::vector<double> bb = b;
  bb.insert(bb.end(), b.begin(), b.end());
  expectClose(out[3], bb, "broadcast_to");
  std::vector<double> batched;
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        double s = 0;
        for (int k = 0; k < 3; ++k)
          s += c[n * 6 + i * 3 + k] * b[k * 2 + j];
        batched.push_back(s);
      }
  expectClose(out[4], batched, "batched matmul");
  std::vector<double> perm; // result[i][j][n] = c[n][i][j]
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int n = 0; n < 2; ++n)
        perm.push_back(c[n * 6 + i * 3 + j]);
  expectClose(out[5], perm, "transpose perm");
}

// The MLP of examples/mlp.nb, evaluated by hand from the parameters the
// runtime initialized.
Matrix matmul(const Matrix &x, const Tensor &w) {
  int64_t in = w.getShape()[0], out = w.getShape()[1];
  Matrix y(x.size(), std::vector<double>(out, 0));
  for (size_t n = 0; n < x.size(); ++n)
    for (int64_t j = 0; j < out; ++j)
      for (int64_t k = 0; k < in; ++k)
        y[n][j] += x[n][k] * w.get(k * out + j);
  return y;
}

Matrix dense(Model &model, const std::string &prefix, const Matrix &x,
             double (*act)(double)) {
  Tensor *w = model.getParameter(prefix + ".w");
  Tensor *b = model.getParameter(prefix + ".b");
  EXPECT_TRUE(w && b) << prefix;
  Matrix y = matmul(x, *w);
  for (auto &row : y)
    for (size_t j = 0; j < row.size(); ++j)
      row[j] = act(row[j] + b->get(j));
  return y;
}

double relu(double v) { return v > 0 ? v : 0; }
double identity(double v) { return v; }
double tanhFn(double v) { return std::tanh(v); }

TEST(Jit, MlpExampleMatchesAHandWrittenForwardPass) {
  Matrix x = {{0.5, -1, 2, 0.1}, {1, 1, 0, -0.3}, {-0.7, 0.2, 0.4, 1.5}};
  std::vector<double> y = {1, 0, -0.5};
  std::vector<double> flat;
  for (auto &row : x)
    flat.insert(flat.end(), row.begin(), row.end());

  auto source = Source::fromFile("examples/mlp.nb");
  ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
  CompileOptions options;
  options.dims["N"] = 3;
  auto compiled = Model::compile(**source, options);
  ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
  Model &model = **compiled;
  ASSERT_FALSE(llvm::errorToBool(model.initParameters(11)));
  auto out = model.run({{"x", f32({3, 4}, flat)}, {"y", f32({3, 1}, y)}});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());

  Matrix h = dense(model, "Dense_1", x, tanhFn);
  for (int r = 1; r <= 2; ++r) {
    std::string block = "Residual_" + std::to_string(r);
    Matrix inner = dense(model, block + ".Dense_1", h, relu);
    Matrix outer = dense(model, block + ".Dense_2", inner, identity);
    for (size_t n = 0; n < h.size(); ++n)
      for (size_t j = 0; j < h[n].size(); ++j)
        h[n][j] = relu(h[n][j] + outer[n][j]);
  }
  Matrix pred = dense(model, "Dense_2", h, identity);
  double loss = 0;
  std::vector<double> predFlat;
  for (size_t n = 0; n < 3; ++n) {
    loss += (pred[n][0] - y[n]) * (pred[n][0] - y[n]) / 3;
    predFlat.push_back(pred[n][0]);
  }
  expectClose((*out)[0], {loss}, "loss");
  expectClose((*out)[1], predFlat, "pred");
  // Guard against a vacuous comparison: the network is not all zeros.
  EXPECT_GT(std::fabs(predFlat[0]), 1e-3);
}

TEST(Jit, RunChecksInputShapesAndNames) {
  auto source = Source::fromString(
      "model M(x: f32[2]) { return sum(x) }", "m.nb");
  ASSERT_TRUE(bool(source));
  auto model = Model::compile(**source, {});
  ASSERT_TRUE(bool(model));
  auto wrongShape = (*model)->run({{"x", f32({3}, {1, 2, 3})}});
  ASSERT_FALSE(bool(wrongShape));
  EXPECT_EQ(llvm::toString(wrongShape.takeError()),
            "error: input 'x' must be f32[2], got f32[3]");
  auto missing = (*model)->run({});
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            "error: missing input 'x' (f32[2])");
}

/// Batch norm's inference form after a convolution: nabla-fold-conv-scale
/// moves its scale into the weight, so what runs is a different
/// computation from the formula; checked against the formula in loops,
/// with and without fusion.
TEST(Jit, BatchNormInferenceMatchesItsFormula) {
  const char *text = R"(
layer BatchNorm(x: f32[N, C, H, W]) {
  param weight: f32[C] = [0.5, -1.5, 2.0]
  param bias: f32[C] = [0.1, 0.2, -0.3]
  state running_mean: f32[C] = [0.3, -0.2, 0.05]
  state running_var: f32[C] = [0.8, 1.7, 0.25]
  return batch_norm(x, running_mean, running_var, weight, bias, eps = 0.01)
}
model M(x: f32[2, 2, 4, 5]) {
  param w: f32[3, 2, 3, 3] = normal
  y = BatchNorm(conv2d(x, w, padding = 1))
  return sum(y), y
})";
  const double gamma[] = {0.5, -1.5, 2.0}, beta[] = {0.1, 0.2, -0.3},
               mean[] = {0.3, -0.2, 0.05}, var[] = {0.8, 1.7, 0.25};
  Tensor x(ElementType::F32, {2, 2, 4, 5});
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    x.set(i, std::cos(0.7 * double(i)));
  for (bool fusion : {true, false}) {
    CompileOptions options;
    options.fusion = fusion;
    std::unique_ptr<Model> model;
    auto out = compileAndRun(text, {{"x", x}}, options, &model);
    ASSERT_EQ(out.size(), 2u);
    const Tensor &w = *model->getParameter("w");
    std::vector<double> expected;
    for (int n = 0; n < 2; ++n)
      for (int o = 0; o < 3; ++o)
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 5; ++j) {
            double acc = 0;
            for (int c = 0; c < 2; ++c)
              for (int di = 0; di < 3; ++di)
                for (int dj = 0; dj < 3; ++dj) {
                  int ii = i + di - 1, jj = j + dj - 1;
                  if (ii < 0 || ii >= 4 || jj < 0 || jj >= 5)
                    continue;
                  acc += x.get(((n * 2 + c) * 4 + ii) * 5 + jj) *
                         w.get(((o * 2 + c) * 3 + di) * 3 + dj);
                }
            expected.push_back((acc - mean[o]) / std::sqrt(var[o] + 0.01) *
                                   gamma[o] +
                               beta[o]);
          }
    expectClose(out[1], expected,
                fusion ? "batch_norm (fused)" : "batch_norm (unfused)");
  }
}

TEST(Jit, CompileErrorsCarryTheDiagnostic) {
  auto source = Source::fromString(
      "model M(x: f32[2, 3]) { return sum(x @ x) }", "bad.nb");
  ASSERT_TRUE(bool(source));
  auto model = Model::compile(**source, {});
  ASSERT_FALSE(bool(model));
  std::string text = llvm::toString(model.takeError());
  EXPECT_NE(text.find("bad.nb:1:38: error: cannot multiply f32[2, 3] by "
                      "f32[2, 3]: inner dimensions 3 and 2 differ"),
            std::string::npos)
      << text;
}

} // namespace

/// --profile on the CPU (CompileOptions::profile): the same results, bit
/// for bit, and one named time per kernel of the call. Two threads that
/// run profiled models at once each get only their own kernels: the clock
/// records into the calling thread's recording, never a shared one.
TEST(Jit, ProfileTimesEachKernelOfItsOwnCall) {
  auto source = Source::fromFile("examples/mlp.nb");
  ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
  std::map<std::string, Tensor> inputs = {
      {"x", f32({3, 4}, {0.5, -1, 2, 0.1, 1, 1, 0, -0.3, -0.7, 0.2, 0.4, 1.5})},
      {"y", f32({3, 1}, {1, 0, -0.5})}};
  CompileOptions options;
  options.dims["N"] = 3;
  std::unique_ptr<Model> plain, profiled[2];
  for (bool profile : {false, true}) {
    options.profile = profile;
    for (std::unique_ptr<Model> *slot :
         profile ? std::vector{&profiled[0], &profiled[1]}
                 : std::vector{&plain}) {
      auto compiled = Model::compile(**source, options);
      ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
      ASSERT_FALSE(llvm::errorToBool((*compiled)->initParameters(11)));
      *slot = std::move(*compiled);
    }
  }
  auto expected = plain->run(inputs);
  ASSERT_TRUE(bool(expected)) << llvm::toString(expected.takeError());
  EXPECT_TRUE(plain->getEngine().getLastProfile().empty());

  auto once = profiled[0]->run(inputs);
  ASSERT_TRUE(bool(once)) << llvm::toString(once.takeError());
  for (size_t i = 0; i < expected->size(); ++i)
    for (int64_t k = 0; k < (*expected)[i].getNumElements(); ++k)
      EXPECT_EQ((*once)[i].get(k), (*expected)[i].get(k));
  const Engine &engine = profiled[0]->getEngine();
  std::vector<DispatchTime> kernels = engine.getLastProfile();
  // mlp.nb: four Dense layers and the loss, at least a kernel each.
  ASSERT_GE(kernels.size(), 5u);
  double total = 0;
  for (const DispatchTime &k : kernels) {
    EXPECT_NE(k.name.find("(mlp.nb:"), std::string::npos) << k.name;
    EXPECT_GE(k.seconds, 0);
    total += k.seconds;
  }
  // The clock is read inside the call: the kernels fit in it.
  EXPECT_LE(total, engine.getLastCallSeconds());

  // 50 calls on each of two threads at once: every recording holds one
  // call's kernels, in the same order as alone.
  auto runMany = [&](Model &model, bool &same) {
    same = true;
    for (int i = 0; i < 50; ++i) {
      auto out = model.run(inputs);
      const auto &profile = model.getEngine().getLastProfile();
      same &= bool(out) && profile.size() == kernels.size();
      for (size_t k = 0; same && k < kernels.size(); ++k)
        same &= profile[k].name == kernels[k].name;
    }
  };
  bool same[2];
  std::thread other(runMany, std::ref(*profiled[1]), std::ref(same[1]));
  runMany(*profiled[0], same[0]);
  other.join();
  EXPECT_TRUE(same[0]);
  EXPECT_TRUE(same[1]);
}
