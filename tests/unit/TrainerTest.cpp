//===- TrainerTest.cpp - Optimizers, clipping, accumulation, resume -------===//
//
// A linear model, loss = mse(x @ w + b, y), trained a few steps by the
// compiled training step and by a reference written here in double
// precision: the gradient by hand (dL/dpred = 2 (pred - y) / (N T),
// dW = x^T dpred, db = column sums of dpred) and the optimizers from the
// formulas of torch.optim's documentation. Inputs are drawn as f32 values
// so both sides see the same data. The JIT works in f32 (unit roundoff
// 6e-8) over a handful of short sums per step: 1e-5 relative is a
// comfortable bound, plus 1e-6 absolute because a parameter near zero is
// the difference p - lr * g of O(1) terms, good to a few f32 ulps of 1.
//
//===----------------------------------------------------------------------===//
#include "nabla/Trainer.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Init.h"

#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace nabla;

namespace {

const char *kModel = R"(
model Linear(x: f32[N, 3], y: f32[N, 2]) {
  param w: f32[3, 2] = normal(std = 0.5)
  param b: f32[2] = normal(std = 0.5)
  return mse(x @ w + b, y)
})";

using Vec = std::vector<double>;

struct Batch {
  Vec x, y; // row-major [n, 3] and [n, 2]
  int64_t n;
};

Batch makeBatch(int64_t n, uint64_t seed) {
  Rng rng(seed);
  Batch b{Vec(n * 3), Vec(n * 2), n};
  for (double &v : b.x)
    v = static_cast<float>(2 * rng.uniform() - 1);
  for (double &v : b.y)
    v = static_cast<float>(2 * rng.uniform() - 1);
  return b;
}

std::map<std::string, Tensor> tensors(const Batch &b) {
  return {{"x", Tensor::fromDoubles(ElementType::F32, {b.n, 3}, b.x)},
          {"y", Tensor::fromDoubles(ElementType::F32, {b.n, 2}, b.y)}};
}

/// d mse / d (w, b) for one batch, by hand; params = w (6) then b (2).
Vec gradient(const Vec &p, const Batch &batch) {
  Vec g(8, 0);
  double scale = 2.0 / (batch.n * 2);
  for (int64_t r = 0; r < batch.n; ++r)
    for (int j = 0; j < 2; ++j) {
      double pred = p[6 + j];
      for (int k = 0; k < 3; ++k)
        pred += batch.x[r * 3 + k] * p[k * 2 + j];
      double d = scale * (pred - batch.y[r * 2 + j]);
      for (int k = 0; k < 3; ++k)
        g[k * 2 + j] += batch.x[r * 3 + k] * d;
      g[6 + j] += d;
    }
  return g;
}

/// torch.optim semantics, one parameter vector (w and b together: the
/// optimizers are elementwise; clipping by norm uses the global norm).
struct Reference {
  TrainOptions o;
  Vec p, buf, m, v;
  int64_t t = 0;

  void step(Vec g) {
    ++t;
    if (o.step.clipValue > 0)
      for (double &x : g)
        x = std::min(std::max(x, -o.step.clipValue), o.step.clipValue);
    if (o.step.clipNorm > 0) {
      double norm = 0;
      for (double x : g)
        norm += x * x;
      norm = std::sqrt(norm);
      double factor = std::min(1.0, o.step.clipNorm / (norm + 1e-6));
      for (double &x : g)
        x *= factor;
    }
    double wd = o.step.weightDecay < 0
                    ? (o.step.optimizer == nabla::Optimizer::AdamW ? 0.01 : 0)
                    : o.step.weightDecay;
    buf.resize(p.size(), 0);
    m.resize(p.size(), 0);
    v.resize(p.size(), 0);
    for (size_t i = 0; i < p.size(); ++i) {
      double gi = g[i];
      if (o.step.optimizer != nabla::Optimizer::AdamW)
        gi += wd * p[i];
      if (o.step.optimizer == nabla::Optimizer::SGD) {
        p[i] -= o.lr * gi;
      } else if (o.step.optimizer == nabla::Optimizer::Momentum ||
                 o.step.optimizer == nabla::Optimizer::Nesterov) {
        buf[i] = t == 1 ? gi : o.step.momentum * buf[i] + gi;
        double d = o.step.optimizer == nabla::Optimizer::Nesterov
                       ? gi + o.step.momentum * buf[i]
                       : buf[i];
        p[i] -= o.lr * d;
      } else {
        if (o.step.optimizer == nabla::Optimizer::AdamW)
          p[i] *= 1 - o.lr * wd;
        m[i] = o.step.beta1 * m[i] + (1 - o.step.beta1) * gi;
        v[i] = o.step.beta2 * v[i] + (1 - o.step.beta2) * gi * gi;
        double mhat = m[i] / (1 - std::pow(o.step.beta1, t));
        double vhat = v[i] / (1 - std::pow(o.step.beta2, t));
        p[i] -= o.lr * mhat / (std::sqrt(vhat) + o.step.eps);
      }
    }
  }
};

std::unique_ptr<Trainer> makeTrainer(const TrainOptions &o, int64_t batch) {
  auto source = Source::fromString(kModel, "linear.nb");
  EXPECT_TRUE(bool(source));
  CompileOptions compile;
  compile.dims["N"] = batch;
  auto trainer = Trainer::create(**source, compile, o);
  if (!trainer) {
    ADD_FAILURE() << llvm::toString(trainer.takeError());
    return nullptr;
  }
  EXPECT_FALSE(llvm::errorToBool((*trainer)->initParameters(7)));
  return std::move(*trainer);
}

Vec params(Trainer &t) {
  Vec p = t.getParameter("w")->toDoubles();
  Vec b = t.getParameter("b")->toDoubles();
  p.insert(p.end(), b.begin(), b.end());
  return p;
}

void expectClose(const Vec &a, const Vec &b, const std::string &what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-6 + 1e-5 * std::fabs(b[i]))
        << what << "[" << i << "]";
}

/// Runs 6 steps of the compiled step and of the reference.
void compareSteps(TrainOptions o, const std::string &what) {
  SCOPED_TRACE(what);
  auto trainer = makeTrainer(o, 4);
  ASSERT_TRUE(trainer);
  Reference ref{o, params(*trainer), {}, {}, {}, 0};
  for (int s = 0; s < 6; ++s) {
    Batch batch = makeBatch(4, 100 + s);
    auto r = trainer->step({tensors(batch)});
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    Vec g = gradient(ref.p, batch);
    // The step also reports each gradient's norm (before clipping).
    double wNorm = 0;
    for (int i = 0; i < 6; ++i)
      wNorm += g[i] * g[i];
    EXPECT_NEAR(r->gradNorms[0].second, std::sqrt(wNorm),
                1e-5 * std::sqrt(wNorm));
    ref.step(g);
    expectClose(params(*trainer), ref.p, "step " + std::to_string(s + 1));
  }
  // Not vacuous: the parameters moved.
  Vec start = params(*makeTrainer(o, 4));
  double moved = 0;
  for (size_t i = 0; i < start.size(); ++i)
    moved += std::fabs(start[i] - ref.p[i]);
  EXPECT_GT(moved, 1e-3);
}

TEST(Trainer, Optimizers) {
  for (const EnumName<Optimizer> &entry : kOptimizerNames) {
    const char *name = entry.name;
    TrainOptions o;
    o.step.optimizer = entry.value;
    o.lr = std::string(name).find("adam") == 0 ? 0.05 : 0.1;
    compareSteps(o, name);
  }
}

TEST(Trainer, WeightDecay) {
  TrainOptions o;
  o.step.optimizer = nabla::Optimizer::SGD;
  o.lr = 0.1;
  o.step.weightDecay = 0.05;
  compareSteps(o, "sgd + weight decay");
  o.step.optimizer = nabla::Optimizer::AdamW;
  o.lr = 0.05;
  o.step.weightDecay = 0.1;
  compareSteps(o, "adamw, weight decay 0.1");
}

TEST(Trainer, Clipping) {
  TrainOptions o;
  o.step.optimizer = nabla::Optimizer::SGD;
  o.lr = 0.1;
  o.step.clipNorm = 0.05; // below the gradient norms here, so it bites
  compareSteps(o, "clip by norm");
  o.step.clipNorm = 0;
  o.step.clipValue = 0.02;
  compareSteps(o, "clip by value");
  // Adam's step lr * m / sqrt(v) ignores the gradient's scale, so the f32
  // relative error of a tiny clipped gradient (up to ~1e-4 here) becomes an
  // absolute error lr * 1e-4 in the parameter: a small lr keeps it inside
  // the 1e-6 bound.
  o.step.optimizer = nabla::Optimizer::Adam;
  o.lr = 0.005;
  o.step.clipNorm = 0.05;
  o.step.clipValue = 0.03;
  compareSteps(o, "adam with both clips");
}

// k micro-batches of b rows update like one batch of k*b rows.
TEST(Trainer, AccumulationEqualsTheBigBatch) {
  TrainOptions big;
  big.step.optimizer = nabla::Optimizer::Momentum;
  big.lr = 0.1;
  TrainOptions small = big;
  small.step.accumulate = 3;
  auto one = makeTrainer(big, 6);
  auto three = makeTrainer(small, 2);
  ASSERT_TRUE(one && three);
  for (int s = 0; s < 4; ++s) {
    Batch b = makeBatch(6, 200 + s);
    std::vector<std::map<std::string, Tensor>> micro;
    for (int k = 0; k < 3; ++k) {
      Batch part{Vec(b.x.begin() + k * 6, b.x.begin() + (k + 1) * 6),
                 Vec(b.y.begin() + k * 4, b.y.begin() + (k + 1) * 4), 2};
      micro.push_back(tensors(part));
    }
    auto r1 = one->step({tensors(b)});
    auto r3 = three->step(micro);
    ASSERT_TRUE(r1 && r3);
    EXPECT_NEAR(r1->loss, r3->loss, 1e-6);
    expectClose(params(*three), params(*one), "step " + std::to_string(s + 1));
  }
}

/// Two "processes" as two threads of this one: average() waits for both
/// to bring their tensor and gives each the mean (what MPI's allreduce and
/// a division do across processes); broadcastFromFirst() gives rank 1
/// rank 0's.
struct TwoThreads {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<double> values[2];
  int arrived = 0, round = 0;

  /// Both ranks' `mine` combined by `combine` (called once, by the last to
  /// arrive), handed back to each.
  std::vector<double>
  exchange(int rank, std::vector<double> mine,
           const std::function<std::vector<double>(const std::vector<double> *)>
               &combine) {
    std::unique_lock<std::mutex> lock(mutex);
    int myRound = round;
    values[rank] = std::move(mine);
    if (++arrived == 2) {
      std::vector<double> result = combine(values);
      values[0] = values[1] = result;
      arrived = 0;
      ++round;
      changed.notify_all();
    } else {
      changed.wait(lock, [&] { return round != myRound; });
    }
    return values[rank];
  }
};

class ThreadCollective : public Collective {
public:
  ThreadCollective(TwoThreads &shared, int rank)
      : shared(shared), rankIndex(rank) {}
  int rank() const override { return rankIndex; }
  int size() const override { return 2; }
  llvm::Error average(Tensor &t) override {
    auto mean = shared.exchange(rankIndex, t.toDoubles(), [](auto *v) {
      std::vector<double> m(v[0].size());
      for (size_t i = 0; i < m.size(); ++i)
        m[i] = (v[0][i] + v[1][i]) / 2;
      return m;
    });
    t = Tensor::fromDoubles(t.getElementType(), t.getShape(), mean);
    return llvm::Error::success();
  }
  llvm::Error broadcastFromFirst(Tensor &t) override {
    auto first =
        shared.exchange(rankIndex, t.toDoubles(), [](auto *v) { return v[0]; });
    t = Tensor::fromDoubles(t.getElementType(), t.getShape(), first);
    return llvm::Error::success();
  }

private:
  TwoThreads &shared;
  int rankIndex;
};

// Data parallel: two processes, each stepping on its half of every batch
// of 6 with its gradients averaged with the other's, end where one process
// does on the whole batch (with clipping by the global norm, which sees the
// averaged gradient: a process clipping its own would not match). Their
// losses are the whole batch's too.
TEST(Trainer, DataParallelEqualsOneProcess) {
  TrainOptions whole;
  whole.step.optimizer = nabla::Optimizer::Adam;
  whole.step.clipNorm = 0.5;
  whole.lr = 0.05;
  auto one = makeTrainer(whole, 6);
  ASSERT_TRUE(one);
  TwoThreads shared;
  ThreadCollective collectives[2] = {{shared, 0}, {shared, 1}};
  std::unique_ptr<Trainer> halves[2];
  Vec losses[2], oneLosses, halfParams[2];
  std::string failures[2];
  auto run = [&](int rank) {
    TrainOptions half = whole;
    half.collective = &collectives[rank];
    halves[rank] = makeTrainer(half, 3);
    if (!halves[rank])
      return;
    for (int s = 0; s < 5; ++s) {
      Batch b = makeBatch(6, 300 + s);
      Batch mine{Vec(b.x.begin() + rank * 9, b.x.begin() + (rank + 1) * 9),
                 Vec(b.y.begin() + rank * 6, b.y.begin() + (rank + 1) * 6), 3};
      auto r = halves[rank]->step({tensors(mine)});
      if (!r) {
        failures[rank] = llvm::toString(r.takeError());
        return;
      }
      losses[rank].push_back(r->loss);
    }
    halfParams[rank] = params(*halves[rank]);
  };
  std::thread other(run, 1);
  run(0);
  other.join();
  ASSERT_EQ(failures[0], "");
  ASSERT_EQ(failures[1], "");
  for (int s = 0; s < 5; ++s) {
    auto r = one->step({tensors(makeBatch(6, 300 + s))});
    ASSERT_TRUE(bool(r));
    oneLosses.push_back(r->loss);
  }
  for (int rank : {0, 1}) {
    SCOPED_TRACE("rank " + std::to_string(rank));
    expectClose(halfParams[rank], params(*one), "after 5 steps");
    expectClose(losses[rank], oneLosses, "loss");
  }
}

// N steps, a checkpoint written to disk and read into a fresh trainer, then
// M steps: exactly the parameters of N + M uninterrupted steps.
TEST(Trainer, ResumeFromACheckpointIsExact) {
  TrainOptions o;
  o.step.optimizer = nabla::Optimizer::Adam;
  o.lr = 0.05;
  auto straight = makeTrainer(o, 4);
  auto first = makeTrainer(o, 4);
  ASSERT_TRUE(straight && first);
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("nabla", "safetensors", path));
  for (int s = 0; s < 3; ++s) {
    ASSERT_TRUE(bool(straight->step({tensors(makeBatch(4, 300 + s))})));
    ASSERT_TRUE(bool(first->step({tensors(makeBatch(4, 300 + s))})));
  }
  ASSERT_FALSE(llvm::errorToBool(first->save(path)));
  auto read = readCheckpoint(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_EQ(read->metadata["optimizer"], "adam");
  EXPECT_EQ(read->metadata["lr"], "0.050000000000000003");
  auto resumed = makeTrainer(o, 4); // different starting point: overwritten
  ASSERT_FALSE(llvm::errorToBool(resumed->load(path)));
  EXPECT_EQ(resumed->getStep(), 3);
  for (int s = 3; s < 7; ++s) {
    ASSERT_TRUE(bool(straight->step({tensors(makeBatch(4, 300 + s))})));
    ASSERT_TRUE(bool(resumed->step({tensors(makeBatch(4, 300 + s))})));
  }
  EXPECT_EQ(params(*resumed), params(*straight)); // bit for bit
  llvm::sys::fs::remove(path);

  // A checkpoint from another optimizer is refused with a reason.
  TrainOptions sgd = o;
  sgd.step.optimizer = nabla::Optimizer::SGD;
  auto other = makeTrainer(sgd, 4);
  llvm::Error e = other->restore(*read);
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("trained with adam, not sgd"),
            std::string::npos);
}

TEST(Trainer, StepChecksItsInputs) {
  TrainOptions o;
  auto trainer = makeTrainer(o, 4);
  ASSERT_TRUE(trainer);
  auto wrong = trainer->step({tensors(makeBatch(3, 1))});
  ASSERT_FALSE(bool(wrong));
  EXPECT_EQ(llvm::toString(wrong.takeError()),
            "error: input 'x' must be f32[4, 3], got f32[3, 3]");
  auto count = trainer->step({tensors(makeBatch(4, 1)), tensors(makeBatch(4, 2))});
  ASSERT_FALSE(bool(count));
  EXPECT_EQ(llvm::toString(count.takeError()),
            "error: a step takes 1 micro-batches, got 2");
}

} // namespace
