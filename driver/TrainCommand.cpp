//===- TrainCommand.cpp - nablac train and nablac eval --------------------===//
//
// The training set-up comes from the model file's `train { ... }` block,
// then the command line overrides it. Data: the model's first input gets
// the features, its second the targets (class labels for an i32 input).
//
//===----------------------------------------------------------------------===//
#include "driver/TrainCommand.h"

#include "driver/GradReport.h"
#include "driver/Profile.h"
#include "driver/RunLog.h"

#include "nabla/Trainer.h"
#include "nabla/frontend/AST.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Data.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

namespace nabla::tools {

namespace {

llvm::Error usage(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "error: " + message);
}

//===----------------------------------------------------------------------===//
// The train block
//===----------------------------------------------------------------------===//

/// Reads the `train { ... }` settings into `config`, checking names and
/// value types; errors point at the setting.
llvm::Error readTrainBlock(const Source &source, TrainConfig &config) {
  const ast::TrainBlock *block = source.getAST().train.get();
  if (!block)
    return llvm::Error::success();
  llvm::SmallString<256> dir = llvm::sys::path::parent_path(source.getName());
  for (const auto &setting : block->settings) {
    const ast::Expr &e = *setting->value;
    llvm::StringRef key = setting->name;
    auto number = [&](double &out, bool integer = false) -> llvm::Error {
      auto *n = llvm::dyn_cast<ast::NumberExpr>(&e);
      if (!n || (integer && !n->isInteger))
        return source.errorAt(e.getLoc(), "'" + key + "' must be " +
                                              (integer ? "an integer" : "a number"));
      out = n->value;
      return llvm::Error::success();
    };
    auto integer = [&](int64_t &out) -> llvm::Error {
      double v;
      if (auto err = number(v, true))
        return err;
      out = static_cast<int64_t>(v);
      return llvm::Error::success();
    };
    auto text = [&](std::string &out) -> llvm::Error {
      if (auto *s = llvm::dyn_cast<ast::StringExpr>(&e))
        out = s->value;
      else if (auto *id = llvm::dyn_cast<ast::IdentExpr>(&e))
        out = id->name;
      else
        return source.errorAt(e.getLoc(), "'" + key + "' must be a name or a string");
      return llvm::Error::success();
    };
    // Paths are relative to the model file.
    auto path = [&](std::string &out) -> llvm::Error {
      if (auto err = text(out))
        return err;
      if (!out.empty() && !llvm::sys::path::is_absolute(out)) {
        llvm::SmallString<256> full = dir;
        llvm::sys::path::append(full, out);
        out = std::string(full);
      }
      return llvm::Error::success();
    };
    llvm::Error err = llvm::Error::success();
    if (key == "data") err = path(config.data);
    else if (key == "labels") err = path(config.labels);
    else if (key == "test_data") err = path(config.testData);
    else if (key == "test_labels") err = path(config.testLabels);
    else if (key == "classes") err = integer(config.classes);
    else if (key == "split") err = number(config.split);
    else if (key == "scale") err = text(config.scale);
    else if (key == "divisor") err = number(config.divisor);
    else if (key == "epochs") err = integer(config.epochs);
    else if (key == "batch") err = integer(config.batch);
    else if (key == "optimizer") err = text(config.train.optimizer);
    else if (key == "lr") err = number(config.train.lr);
    else if (key == "momentum") err = number(config.train.momentum);
    else if (key == "weight_decay") err = number(config.train.weightDecay);
    else if (key == "clip_norm") err = number(config.train.clipNorm);
    else if (key == "clip_value") err = number(config.train.clipValue);
    else if (key == "accumulate") err = integer(config.train.accumulate);
    else if (key == "precision") err = text(config.train.precision);
    else if (key == "loss_scale") {
      std::string mode;
      err = text(mode);
      if (!err) {
        auto scaler = LossScaler::parse(mode);
        if (!scaler)
          return source.errorAt(setting->getLoc(),
                                "loss_scale must be none, dynamic or a "
                                "positive number, got '" + mode + "'");
        config.train.lossScale = *scaler;
      }
    } else if (key == "seed") {
      int64_t seed = 0;
      err = integer(seed);
      config.seed = seed;
    } else
      return source.errorAt(
          setting->getLoc(),
          "unknown train setting '" + key +
              "' (settings: data, labels, test_data, test_labels, classes, "
              "split, scale, divisor, epochs, batch, optimizer, lr, momentum, "
              "weight_decay, clip_norm, clip_value, accumulate, precision, "
              "loss_scale, seed)");
    if (err)
      return err;
  }
  return llvm::Error::success();
}

llvm::Error checkConfig(const TrainConfig &c) {
  if (c.data.empty())
    return usage("no training data: give --data FILE or a `data = \"...\"` "
                 "setting in the model's train block");
  if (c.epochs < 0 || c.batch <= 0 || c.train.accumulate <= 0)
    return usage("epochs must be >= 0, and batch and accumulate > 0");
  if (c.split < 0 || c.split >= 1)
    return usage("split must be in [0, 1)");
  if (!(c.train.lr > 0))
    return usage("the learning rate must be positive");
  const std::string &o = c.train.optimizer;
  if (o != "sgd" && o != "momentum" && o != "nesterov" && o != "adam" &&
      o != "adamw")
    return usage("unknown optimizer '" + o +
                 "' (sgd, momentum, nesterov, adam, adamw)");
  if (c.scale != "none" && c.scale != "standardize" && c.scale != "minmax" &&
      c.scale != "divide")
    return usage("scale must be none, standardize, minmax or divide");
  const std::string &p = c.train.precision;
  if (p != "f32" && p != "bf16" && p != "f16")
    return usage("--precision must be f32, bf16 or f16, not '" + p + "'");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

bool hasSuffix(llvm::StringRef path, llvm::StringRef suffix) {
  return path.ends_with(suffix) || path.ends_with((suffix + ".gz").str());
}

llvm::Expected<Dataset> load(llvm::StringRef data, llvm::StringRef labels,
                             int64_t classes) {
  if (hasSuffix(data, ".npy")) {
    if (labels.empty())
      return usage(data + ": a .npy data set needs its targets: labels = "
                          "\"FILE.npy\"");
    return readNpyDataset(data, labels, classes);
  }
  if (!labels.empty())
    return readIdx(data, labels);
  CsvOptions csv;
  csv.numClasses = classes;
  return readCsv(data, csv);
}

struct Data {
  Dataset train, test;
};

llvm::Expected<Data> loadData(const TrainConfig &c, int64_t classes) {
  auto all = load(c.data, c.labels, classes);
  if (!all)
    return all.takeError();
  Data d;
  if (!c.testData.empty()) {
    auto test = load(c.testData, c.testLabels, classes);
    if (!test)
      return test.takeError();
    d.train = std::move(*all);
    d.test = std::move(*test);
  } else if (c.split > 0) {
    std::tie(d.train, d.test) = splitDataset(*all, c.split, c.seed);
  } else {
    d.train = std::move(*all);
  }
  if (d.test.getNumRows() > 0 &&
      d.test.features.getShape()[1] != d.train.features.getShape()[1])
    return usage("the test set has " +
                 llvm::Twine(d.test.features.getShape()[1]) +
                 " features per row but the training set has " +
                 llvm::Twine(d.train.features.getShape()[1]));
  Scaler::Kind kind = c.scale == "standardize" ? Scaler::Kind::Standardize
                      : c.scale == "minmax"    ? Scaler::Kind::MinMax
                      : c.scale == "divide"    ? Scaler::Kind::Divide
                                               : Scaler::Kind::None;
  Scaler scaler = Scaler::fit(kind, d.train, c.divisor);
  scaler.apply(d.train);
  if (d.test.getNumRows() > 0)
    scaler.apply(d.test);
  return d;
}

/// Which model inputs take the features and the targets, and checks that
/// the data fits their declared shapes (with N, the batch, left out).
struct Binding {
  std::string features, targets;
  std::vector<int64_t> featureShape; // without the batch dim
  bool classification = false;
  int64_t classes = 0;
};

llvm::Expected<Binding> bindInputs(const Source &source,
                                   const CompileOptions &options) {
  CompileOptions probe = options;
  probe.dims["N"] = probe.dims.count("N") ? probe.dims["N"] : 1;
  auto sig = source.check(probe);
  if (!sig)
    return sig.takeError();
  std::vector<const ArgInfo *> inputs;
  for (const ArgInfo &a : sig->args)
    if (!a.isParam)
      inputs.push_back(&a);
  if (inputs.size() != 2)
    return usage("model " + sig->function + " has " +
                 llvm::Twine(inputs.size()) +
                 " inputs; training needs two: the features and the targets");
  Binding b;
  b.features = inputs[0]->name;
  b.targets = inputs[1]->name;
  b.featureShape.assign(inputs[0]->shape.begin() + 1, inputs[0]->shape.end());
  b.classification = inputs[1]->type == ElementType::I32;
  b.classes = inputs[1]->classes;
  return b;
}

/// Reshapes a [B, F] batch to the model's [B, ...] input.
Tensor reshapeRows(const Tensor &t, const std::vector<int64_t> &rowShape) {
  std::vector<int64_t> shape = {t.getShape()[0]};
  shape.insert(shape.end(), rowShape.begin(), rowShape.end());
  Tensor r(t.getElementType(), shape);
  std::memcpy(r.data(), t.data(), t.sizeInBytes());
  return r;
}

llvm::Error checkFeatures(const Dataset &d, const Binding &b,
                          llvm::StringRef file) {
  int64_t want = 1;
  for (int64_t s : b.featureShape)
    want *= s;
  int64_t have = d.features.getShape()[1];
  if (want != have)
    return usage(file + ": rows have " + llvm::Twine(have) +
                 " features, but the model's input '" + b.features +
                 "' takes " + llvm::Twine(want) + " per row");
  if (!b.classification && d.targets.getElementType() == ElementType::I32)
    return usage("the model's targets '" + b.targets +
                 "' are floats, but the data has class labels");
  if (b.classification && d.targets.getElementType() != ElementType::I32)
    return usage("the model's targets '" + b.targets +
                 "' are class labels (i32), but the data has float targets "
                 "(set `classes` in the train block)");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

/// Forward models for chunks of the test set: one of `chunk` rows and one
/// for the remainder, so every row counts exactly once.
struct Evaluator {
  std::unique_ptr<Model> full, rest;
  int64_t chunk = 0;

  static llvm::Expected<Evaluator> create(const Source &source,
                                          CompileOptions options,
                                          int64_t rows) {
    Evaluator e;
    e.chunk = std::min<int64_t>(rows, 1000);
    options.dims["N"] = e.chunk;
    auto full = Model::compile(source, options);
    if (!full)
      return full.takeError();
    e.full = std::move(*full);
    if (int64_t r = rows % e.chunk) {
      options.dims["N"] = r;
      auto rest = Model::compile(source, options);
      if (!rest)
        return rest.takeError();
      e.rest = std::move(*rest);
    }
    return std::move(e);
  }

  llvm::Expected<EvalResult> run(const Dataset &data, const Binding &b,
                                 const std::function<Tensor *(llvm::StringRef)>
                                     &params) {
    EvalResult result;
    int64_t rows = data.getNumRows(), correct = 0;
    double lossSum = 0;
    int64_t f = data.features.getShape()[1];
    // The current parameters, once per evaluation (not per chunk).
    for (Model *m : {full.get(), rest.get()})
      if (m)
        for (const ArgInfo &a : m->getSignature().args)
          if (a.isParam)
            *m->getParameter(a.name) = params(a.name)->convertTo(
                m->getParameter(a.name)->getElementType());
    for (int64_t start = 0; start < rows; start += chunk) {
      int64_t n = std::min(chunk, rows - start);
      Model &m = n == chunk ? *full : *rest;
      Tensor x(ElementType::F32, {n, f});
      std::memcpy(x.data(),
                  static_cast<const char *>(data.features.data()) +
                      start * f * 4,
                  n * f * 4);
      std::vector<int64_t> tshape = data.targets.getShape();
      tshape[0] = n;
      Tensor y(data.targets.getElementType(), tshape);
      size_t rowBytes = y.sizeInBytes() / n;
      std::memcpy(y.data(),
                  static_cast<const char *>(data.targets.data()) +
                      start * rowBytes,
                  n * rowBytes);
      auto out = m.run({{b.features, reshapeRows(x, b.featureShape)},
                        {b.targets, y}});
      if (!out)
        return out.takeError();
      lossSum += (*out)[0].get(0) * n;
      // Accuracy: the argmax of the second output, [n, C], against labels.
      if (b.classification && out->size() > 1 &&
          (*out)[1].getShape() == std::vector<int64_t>{n, b.classes}) {
        result.hasAccuracy = true;
        const Tensor &logits = (*out)[1];
        for (int64_t i = 0; i < n; ++i) {
          int64_t best = 0;
          for (int64_t c = 1; c < b.classes; ++c)
            if (logits.get(i * b.classes + c) > logits.get(i * b.classes + best))
              best = c;
          correct += best == static_cast<int64_t>(y.get(i));
        }
      }
    }
    result.loss = lossSum / rows;
    result.accuracy = rows ? double(correct) / rows : 0;
    return result;
  }
};

std::string formatSeconds(double s) {
  char buffer[32];
  if (s >= 60)
    std::snprintf(buffer, sizeof(buffer), "%dm%02ds", int(s) / 60, int(s) % 60);
  else
    std::snprintf(buffer, sizeof(buffer), "%.1fs", s);
  return buffer;
}

} // namespace

//===----------------------------------------------------------------------===//
// nablac train
//===----------------------------------------------------------------------===//

llvm::Expected<TrainSummary> train(const Source &source, TrainConfig config,
                                   const CompileOptions &baseOptions,
                                   llvm::raw_ostream &out,
                                   llvm::raw_ostream &progress) {
  if (auto e = checkConfig(config))
    return std::move(e);
  CompileOptions options = baseOptions;
  options.dims["N"] = config.batch;
  options.requireScalarLoss = true;
  auto binding = bindInputs(source, options);
  if (!binding)
    return binding.takeError();
  int64_t classes = config.classes > 0 ? config.classes : binding->classes;
  if (binding->classification && config.classes > 0 && binding->classes > 0 &&
      config.classes != binding->classes)
    return usage("classes = " + llvm::Twine(config.classes) +
                 " but the model's cross_entropy has " +
                 llvm::Twine(binding->classes) + " classes");
  auto data = loadData(config, binding->classification ? classes : 0);
  if (!data)
    return data.takeError();
  if (auto e = checkFeatures(data->train, *binding, config.data))
    return std::move(e);
  int64_t stepsPerEpoch =
      data->train.getNumRows() / (config.batch * config.train.accumulate);
  if (stepsPerEpoch == 0)
    return usage("the training set has " +
                 llvm::Twine(data->train.getNumRows()) +
                 " rows, fewer than one step (batch " +
                 llvm::Twine(config.batch) + " x accumulate " +
                 llvm::Twine(config.train.accumulate) + ")");

  auto trainer = Trainer::create(source, options, config.train);
  if (!trainer)
    return trainer.takeError();
  if (auto e = (*trainer)->initParameters(config.seed))
    return std::move(e);
  std::optional<Evaluator> evaluator;
  if (data->test.getNumRows() > 0 && !config.reportOnly) {
    auto ev = Evaluator::create(source, baseOptions, data->test.getNumRows());
    if (!ev)
      return ev.takeError();
    evaluator = std::move(*ev);
  }

  if (!config.resume.empty()) {
    auto checkpoint = readCheckpoint(config.resume);
    if (!checkpoint)
      return checkpoint.takeError();
    if (auto e = (*trainer)->restore(*checkpoint))
      return usage(config.resume + ": " + llvm::toString(std::move(e)));
    out << "resumed from " << config.resume << " at step "
        << (*trainer)->getStep() << "\n";
  }

  std::unique_ptr<llvm::raw_fd_ostream> metrics;
  if (!config.metrics.empty()) {
    std::error_code ec;
    metrics = std::make_unique<llvm::raw_fd_ostream>(
        config.metrics, ec, llvm::sys::fs::OF_Append | llvm::sys::fs::OF_Text);
    if (ec)
      return usage("cannot open '" + config.metrics + "': " + ec.message());
  }
  bool terminal = llvm::sys::Process::StandardErrIsDisplayed();
  std::optional<RunLog> log;
  if (!config.logDir.empty()) {
    auto opened = RunLog::open(config.logDir);
    if (!opened)
      return opened.takeError();
    log = std::move(*opened);
  }

  if (!config.reportOnly)
    out << "training " << source.getName() << ": "
      << data->train.getNumRows() << " rows, " << data->test.getNumRows()
      << " held out; " << config.train.optimizer << " lr "
      << llvm::format("%g", config.train.lr) << ", batch " << config.batch;
  if (config.train.accumulate > 1 && !config.reportOnly)
    out << " x " << config.train.accumulate << " accumulated";
  if (!config.reportOnly)
    out << ", " << config.epochs << " epochs\n";
  std::optional<GradReport> lastReport;

  TrainSummary summary;
  auto accessor = [&](llvm::StringRef name) {
    return (*trainer)->getParameter(name);
  };
  int64_t totalSteps = stepsPerEpoch * config.epochs;
  int64_t start = (*trainer)->getStep();
  if (config.maxSteps >= 0)
    totalSteps = std::min(totalSteps, start + config.maxSteps);
  for (int64_t epoch = start / stepsPerEpoch;
       epoch < config.epochs && (*trainer)->getStep() < totalSteps; ++epoch) {
    auto begin = std::chrono::steady_clock::now();
    BatchIterator batches(data->train, config.batch, /*shuffle=*/true,
                          config.seed, epoch);
    // A resumed run skips the batches its checkpoint already took.
    int64_t skip = ((*trainer)->getStep() - epoch * stepsPerEpoch) *
                   config.train.accumulate;
    Tensor x, y;
    for (int64_t i = 0; i < skip; ++i)
      batches.next(x, y);
    double lossSum = 0;
    int64_t steps = 0, examples = 0;
    auto lastDraw = begin - std::chrono::seconds(1);
    while ((*trainer)->getStep() < std::min(totalSteps, (epoch + 1) * stepsPerEpoch)) {
      std::vector<std::map<std::string, Tensor>> micro;
      for (int64_t k = 0; k < config.train.accumulate; ++k) {
        if (!batches.next(x, y))
          break;
        micro.push_back({{binding->features, reshapeRows(x, binding->featureShape)},
                         {binding->targets, y}});
      }
      if ((int64_t)micro.size() < config.train.accumulate)
        break;
      auto r = (*trainer)->step(micro);
      if (!r)
        return r.takeError();
      if (r->skipped) {
        // Dynamic loss scaling: the scale was too large; it has halved.
        progress << llvm::formatv(
            "note: step {0} overflowed at loss scale {1}; skipped, the scale "
            "is now {2}\n",
            (*trainer)->getStep() + 1, r->lossScale,
            (*trainer)->getLossScaler().getScale());
        continue;
      }
      if (r->nonFinite) {
        if (config.onNonFinite == "skip") {
          progress << "warning: step " << (*trainer)->getStep() + 1
                   << " has a non-finite loss or gradient; skipped\n";
          continue;
        }
        return (*trainer)->locateNonFinite(source, micro[0]);
      }
      if (!std::isfinite(r->loss))
        return usage("the loss became " + llvm::Twine(r->loss > 0 ? "inf" : "NaN") +
                     " at step " + llvm::Twine((*trainer)->getStep()) +
                     " (try a smaller learning rate, or --clip-norm)");
      int64_t done = (*trainer)->getStep();
      if (config.gradReportEvery > 0 && done % config.gradReportEvery == 0) {
        // The step's gradient was taken after done - 1 updates.
        GradReport report = makeGradReport(
            done - 1, r->gradNorms, lastReport ? &*lastReport : nullptr);
        if (terminal)
          progress << "\r" << std::string(78, ' ') << "\r";
        if (config.gradReportJson)
          printGradReportJson(report, out);
        else
          printGradReport(report, out);
        lastReport = report;
      }
      if (log)
        log->step(done, r->loss, makeGradReport(done - 1, r->gradNorms, nullptr));
      lossSum += r->loss;
      ++steps;
      examples += config.batch * config.train.accumulate;
      // The bar is redrawn at most ten times a second: writing to the
      // terminal every step would cost more than a small model's step.
      auto now = std::chrono::steady_clock::now();
      if (terminal && now - lastDraw > std::chrono::milliseconds(100)) {
        lastDraw = now;
        double secs = std::chrono::duration<double>(now - begin).count();
        int64_t inEpoch = (*trainer)->getStep() - epoch * stepsPerEpoch;
        int width = 24, filled = int(width * inEpoch / stepsPerEpoch);
        double eta = secs / std::max<int64_t>(steps, 1) *
                     (stepsPerEpoch - inEpoch);
        progress << llvm::format("\repoch %lld [", (long long)epoch + 1)
                 << std::string(filled, '#') << std::string(width - filled, '.')
                 << llvm::format("] step %lld  loss %.4f  %.0f ex/s  ETA %s  ",
                                 (long long)(*trainer)->getStep(), r->loss,
                                 examples / std::max(secs, 1e-9),
                                 formatSeconds(eta).c_str());
        progress.flush();
      }
    }
    if (terminal)
      progress << "\r" << std::string(78, ' ') << "\r";
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - begin)
                         .count();
    EpochResult result;
    result.epoch = epoch + 1;
    result.trainLoss = steps ? lossSum / steps : NAN;
    result.seconds = seconds;
    if (evaluator) {
      auto ev = evaluator->run(data->test, *binding, accessor);
      if (!ev)
        return ev.takeError();
      result.test = *ev;
    }
    if (config.reportOnly) {
      summary.epochs.push_back(result);
      continue;
    }
    out << llvm::format("epoch %lld  train loss %.4f", (long long)result.epoch,
                        result.trainLoss);
    if (evaluator) {
      out << llvm::format("  test loss %.4f", result.test.loss);
      if (result.test.hasAccuracy)
        out << llvm::format("  test accuracy %.2f%%", 100 * result.test.accuracy);
    }
    out << llvm::format("  (%s, %.0f examples/s)\n",
                        formatSeconds(seconds).c_str(),
                        examples / std::max(seconds, 1e-9));
    out.flush();
    if (metrics) {
      *metrics << "{\"epoch\": " << result.epoch << ", \"train_loss\": "
               << llvm::format("%.9g", result.trainLoss);
      if (evaluator) {
        *metrics << ", \"test_loss\": " << llvm::format("%.9g", result.test.loss);
        if (result.test.hasAccuracy)
          *metrics << ", \"test_accuracy\": "
                   << llvm::format("%.9g", result.test.accuracy);
      }
      *metrics << ", \"seconds\": " << llvm::format("%.3f", seconds) << "}\n";
      metrics->flush();
    }
    if (log) {
      log->epoch(result.epoch, result.trainLoss, result.test.loss,
                 result.test.accuracy, evaluator.has_value(), seconds);
      if (auto e = log->plot(llvm::sys::path::filename(source.getName())))
        return std::move(e);
    }
    if (!config.checkpoint.empty()) {
      auto c = (*trainer)->toCheckpoint();
      if (!c)
        return c.takeError();
      c->metadata["epoch"] = std::to_string(result.epoch);
      if (auto e = writeCheckpoint(*c, config.checkpoint))
        return std::move(e);
    }
    summary.epochs.push_back(result);
  }
  if (options.profile)
    printProfile((*trainer)->getEngine().getLastProfile(),
                 "the last training step", out);
  summary.steps = (*trainer)->getStep();
  for (const std::string &name : (*trainer)->getParameterNames())
    summary.parameters[name] = *(*trainer)->getParameter(name);
  return summary;
}

llvm::Expected<EvalResult> evaluate(const Source &source, TrainConfig config,
                                    const CompileOptions &baseOptions,
                                    llvm::StringRef checkpointPath) {
  auto checkpoint = readCheckpoint(checkpointPath);
  if (!checkpoint)
    return checkpoint.takeError();
  CompileOptions options = baseOptions;
  auto binding = bindInputs(source, options);
  if (!binding)
    return binding.takeError();
  int64_t classes = config.classes > 0 ? config.classes : binding->classes;
  auto data = loadData(config, binding->classification ? classes : 0);
  if (!data)
    return data.takeError();
  // Without a held-out set, evaluate on all the data.
  Dataset &eval = data->test.getNumRows() > 0 ? data->test : data->train;
  if (auto e = checkFeatures(eval, *binding, config.data))
    return std::move(e);
  auto evaluator = Evaluator::create(source, options, eval.getNumRows());
  if (!evaluator)
    return evaluator.takeError();
  std::string missing;
  auto accessor = [&](llvm::StringRef name) -> Tensor * {
    auto it = checkpoint->tensors.find("param:" + name.str());
    if (it == checkpoint->tensors.end()) {
      missing = name.str();
      return nullptr;
    }
    return &it->second;
  };
  for (const ArgInfo &a : evaluator->full->getSignature().args)
    if (a.isParam && !accessor(a.name))
      return usage(checkpointPath + ": no parameter '" + missing + "'");
  return evaluator->run(eval, *binding, accessor);
}

llvm::Error setFromText(TrainConfig &c, llvm::StringRef key,
                        llvm::StringRef value) {
  auto number = [&](double &out) -> llvm::Error {
    if (value.trim().getAsDouble(out))
      return usage("--" + key + " " + value + ": not a number");
    return llvm::Error::success();
  };
  auto integer = [&](int64_t &out) -> llvm::Error {
    if (value.trim().getAsInteger(10, out))
      return usage("--" + key + " " + value + ": not an integer");
    return llvm::Error::success();
  };
  if (key == "data") c.data = value.str();
  else if (key == "labels") c.labels = value.str();
  else if (key == "test-data") c.testData = value.str();
  else if (key == "test-labels") c.testLabels = value.str();
  else if (key == "classes") return integer(c.classes);
  else if (key == "split") return number(c.split);
  else if (key == "scale") c.scale = value.str();
  else if (key == "divisor") return number(c.divisor);
  else if (key == "epochs") return integer(c.epochs);
  else if (key == "batch") return integer(c.batch);
  else if (key == "optimizer") c.train.optimizer = value.str();
  else if (key == "lr") return number(c.train.lr);
  else if (key == "momentum") return number(c.train.momentum);
  else if (key == "weight-decay") return number(c.train.weightDecay);
  else if (key == "clip-norm") return number(c.train.clipNorm);
  else if (key == "clip-value") return number(c.train.clipValue);
  else if (key == "accumulate") return integer(c.train.accumulate);
  else if (key == "precision") c.train.precision = value.str();
  else if (key == "loss-scale") {
    auto scaler = LossScaler::parse(value);
    if (!scaler)
      return scaler.takeError();
    c.train.lossScale = *scaler;
  }
  else if (key == "max-steps") return integer(c.maxSteps);
  else if (key == "grad-report") return integer(c.gradReportEvery);
  else if (key == "check-numerics") c.train.checkNumerics = value != "false";
  else if (key == "on-nonfinite") {
    if (value != "stop" && value != "skip")
      return usage("--on-nonfinite takes stop or skip, not '" + value + "'");
    c.onNonFinite = value.str();
    c.train.checkNumerics = true;
  }
  else if (key == "seed") {
    int64_t seed;
    if (auto e = integer(seed))
      return e;
    c.seed = static_cast<uint64_t>(seed);
  } else if (key == "checkpoint") c.checkpoint = value.str();
  else if (key == "resume") c.resume = value.str();
  else if (key == "metrics") c.metrics = value.str();
  else if (key == "log-dir") c.logDir = value.str();
  else
    return usage("unknown training option --" + key);
  return llvm::Error::success();
}

llvm::Expected<TrainConfig>
makeConfig(const Source &source,
           llvm::ArrayRef<std::pair<std::string, std::string>> overrides) {
  TrainConfig config;
  if (auto e = readTrainBlock(source, config))
    return std::move(e);
  // Command-line flags win over the block.
  for (const auto &[key, value] : overrides)
    if (auto e = setFromText(config, key, value))
      return std::move(e);
  return config;
}

} // namespace nabla::tools
