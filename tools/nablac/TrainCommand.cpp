//===- TrainCommand.cpp - nablac train and nablac eval --------------------===//
//
// The training set-up comes from the model file's `train { ... }` block,
// then the command line overrides it. Data: the model's first input gets
// the features, its second the targets (class labels for an i32 input).
//
//===----------------------------------------------------------------------===//
#include "tools/nablac/TrainCommand.h"
#include "nabla/support/Error.h"
#include "tools/nablac/TrainSettings.h"

#include "tools/nablac/GradReport.h"
#include "tools/nablac/Json.h"
#include "tools/nablac/Profile.h"
#include "tools/nablac/RunLog.h"
#include "tools/nablac/RunRecord.h"

#include "nabla/Trainer.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Data.h"
#include "nabla/runtime/Files.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <future>

namespace nabla::tools {

llvm::Error usageError(const llvm::Twine &message) {
  return makeError("error: " + message);
}

namespace {

//===----------------------------------------------------------------------===//
// The train block
//===----------------------------------------------------------------------===//

/// Reads the `train { ... }` settings into `config` through the settings
/// table; errors point at the setting or its value.
llvm::Error readTrainBlock(const Source &source, TrainConfig &config) {
  llvm::SmallString<256> dir = llvm::sys::path::parent_path(source.getName());
  for (const TrainBlockSetting &written : source.trainSettings()) {
    const TrainSetting *setting = findTrainSetting(written.name);
    if (!setting || written.name != setting->name) {
      std::vector<std::string> names;
      for (const TrainSetting &s : trainSettings())
        names.push_back(s.name);
      return source.errorAt(
          written.loc, "unknown train setting '" + written.name +
                           "' (settings: " + llvm::join(names, ", ") + ")");
    }
    using Kind = TrainBlockSetting::Kind;
    std::string value = written.value;
    bool isText = written.kind == Kind::Name || written.kind == Kind::String ||
                  written.kind == Kind::Expression;
    bool isNumber =
        written.kind == Kind::Number || written.kind == Kind::Integer;
    std::optional<std::string> problem;
    if (setting->type == TrainSetting::Type::Path ||
        setting->type == TrainSetting::Type::Text) {
      if (!isText && !(setting->type == TrainSetting::Type::Text && isNumber))
        problem = "a name or a string";
    } else if (setting->type == TrainSetting::Type::Switch) {
      if (written.kind != Kind::Name)
        problem = "true or false";
    } else if (!isNumber) {
      problem = setting->type == TrainSetting::Type::Integer ? "an integer"
                                                             : "a number";
    }
    // `data = text("FILE")`: a text corpus (test_data follows it).
    llvm::StringRef inner = value;
    if (setting->type == TrainSetting::Type::Path &&
        written.kind == Kind::Expression && inner.consume_front("text(") &&
        inner.consume_back(")")) {
      if (written.name != "data" && written.name != "test_data") {
        problem = "a file name (text(...) is for data and test_data)";
      } else {
        config.text = true;
        value = inner.str();
      }
    }
    // Paths are relative to the model file.
    if (setting->type == TrainSetting::Type::Path && !value.empty() &&
        !llvm::sys::path::is_absolute(value)) {
      llvm::SmallString<256> full = dir;
      llvm::sys::path::append(full, value);
      value = std::string(full);
    }
    if (!problem)
      problem = setting->set(config, value);
    if (problem)
      return source.errorAt(written.valueLoc,
                            "'" + written.name + "' must be " + *problem);
  }
  return llvm::Error::success();
}

/// What no single setting can check.
llvm::Error checkConfig(const TrainConfig &c) {
  if (c.data.empty())
    return usageError(
        "no training data: give --data FILE or a `data = \"...\"` "
        "setting in the model's train block");
  if (auto problem = c.schedule.problem())
    return usageError(*problem);
  if (!c.resume.empty() && !c.initFrom.empty())
    return usageError("--resume continues a run and --init-from starts a new "
                      "one from a checkpoint's weights: give one of them");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

bool hasSuffix(llvm::StringRef path, llvm::StringRef suffix) {
  return path.ends_with(suffix) || path.ends_with((suffix + ".gz").str());
}

/// The model's inputs that take the data's features and targets (the
/// names of a .npz file's arrays).
struct InputNames {
  std::string features, targets;
};

llvm::Expected<Dataset> load(llvm::StringRef data, llvm::StringRef labels,
                             int64_t classes, int64_t textWindow,
                             llvm::StringRef header, const InputNames &names) {
  if (textWindow > 0)
    return readText(data, textWindow);
  if (hasSuffix(data, ".npz"))
    return readNpzDataset(data, names.features, names.targets, classes);
  if (hasSuffix(data, ".npy")) {
    if (labels.empty())
      return usageError(data + ": a .npy data set needs its targets: labels = "
                               "\"FILE.npy\"");
    return readNpyDataset(data, labels, classes);
  }
  if (!labels.empty()) {
    auto idx = readIdx(data, labels);
    if (!idx || classes <= 0)
      return idx;
    // IDX labels are bytes: each must name one of the model's classes (a
    // label of 255 for 10 classes trained to a loss of 0 before).
    const Tensor &targets = idx->targets;
    for (int64_t i = 0; i < targets.getNumElements(); ++i) {
      double label = targets.get(i);
      if (label < 0 || label >= classes)
        return usageError(labels + ": label " + llvm::Twine(int64_t(label)) +
                          " of item " + llvm::Twine(i) +
                          " is out of range [0, " + llvm::Twine(classes) + ")");
    }
    return idx;
  }
  CsvOptions csv;
  csv.numClasses = classes;
  csv.header = header == "yes"  ? CsvOptions::Header::Yes
               : header == "no" ? CsvOptions::Header::No
                                : CsvOptions::Header::Auto;
  return readCsv(data, csv);
}

struct Data {
  Dataset train, test;
  Scaler scaler; // fitted on the training rows, applied to both
};

/// The training (and held-out) data. A text corpus is cut into windows
/// of `textWindow` bytes, the length of the model's input rows. Features
/// are scaled by `fitted` (a checkpoint's) when given, else by a scaler
/// fitted on the training rows.
llvm::Expected<Data> loadData(const TrainConfig &c, int64_t classes,
                              int64_t textWindow, const InputNames &names,
                              const Scaler *fitted = nullptr) {
  if (c.text && c.scale != "none")
    return usageError("scale = " + c.scale +
                      " does not apply to text data (its "
                      "bytes are token ids)");
  if (c.text && textWindow < 1)
    return usageError(
        "text data is windows of byte ids: the model's first input "
        "must be i32[N, T] (T, the window, from the model)");
  auto all = load(c.data, c.labels, classes, textWindow, c.header, names);
  if (!all)
    return all.takeError();
  Data d;
  if (!c.testData.empty()) {
    auto test =
        load(c.testData, c.testLabels, classes, textWindow, c.header, names);
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
    return usageError("the test set has " +
                      llvm::Twine(d.test.features.getShape()[1]) +
                      " features per row but the training set has " +
                      llvm::Twine(d.train.features.getShape()[1]));
  Scaler::Kind kind = c.scale == "standardize" ? Scaler::Kind::Standardize
                      : c.scale == "minmax"    ? Scaler::Kind::MinMax
                      : c.scale == "divide"    ? Scaler::Kind::Divide
                                               : Scaler::Kind::None;
  d.scaler = fitted ? *fitted : Scaler::fit(kind, d.train, c.divisor);
  d.scaler.apply(d.train);
  if (d.test.getNumRows() > 0)
    d.scaler.apply(d.test);
  return d;
}

/// Which model inputs take the features and the targets, and checks that
/// the data fits their declared shapes (with N, the batch, left out).
struct Binding {
  std::string features, targets;
  std::vector<int64_t> featureShape; // without the batch dim
  std::vector<int64_t> targetShape;  // without the batch dim
  ElementType featureType = ElementType::F32;
  bool classification = false;
  int64_t classes = 0;
};

llvm::Expected<Binding> bindInputs(const Source &source,
                                   const CompileOptions &options) {
  CompileOptions probe = options;
  probe.dims.emplace(source.batchDim(options.model), 1);
  auto sig = source.check(probe);
  if (!sig)
    return sig.takeError();
  std::vector<const ArgInfo *> inputs;
  for (const ArgInfo &a : sig->args)
    if (a.role == TensorInfo::Role::Input)
      inputs.push_back(&a);
  if (inputs.size() != 2)
    return usageError(
        "model " + sig->function + " has " + llvm::Twine(inputs.size()) +
        " inputs; training needs two: the features and the targets");
  Binding b;
  b.features = inputs[0]->name;
  b.targets = inputs[1]->name;
  b.featureShape.assign(inputs[0]->shape.begin() + 1, inputs[0]->shape.end());
  b.featureType = inputs[0]->type;
  b.targetShape.assign(inputs[1]->shape.begin() + 1, inputs[1]->shape.end());
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

/// Rows [start, start + n) of t, in t's row shape: a chunk of the test
/// set, or this process's share of a batch.
Tensor rowsOf(const Tensor &t, int64_t start, int64_t n) {
  std::vector<int64_t> shape = t.getShape();
  size_t rowBytes = shape[0] ? t.sizeInBytes() / shape[0] : 0;
  shape[0] = n;
  Tensor r(t.getElementType(), shape);
  std::memcpy(r.data(), static_cast<const char *>(t.data()) + start * rowBytes,
              n * rowBytes);
  return r;
}

/// Checks that the data fits the model's inputs, converting integer data
/// where the model takes floats (an integer .npy of features or of [N, T]
/// targets for a regression).
llvm::Error checkFeatures(Dataset &d, const Binding &b, llvm::StringRef file) {
  if (d.features.getElementType() == ElementType::I32 &&
      b.featureType != ElementType::I32)
    d.features = d.features.convertTo(ElementType::F32);
  if (d.features.getElementType() != ElementType::I32 &&
      b.featureType == ElementType::I32)
    return usageError(file + ": the model's input '" + b.features +
                      "' takes integers (token ids), but the data has floats");
  if (!b.classification && d.targets.getElementType() == ElementType::I32 &&
      d.targets.getRank() == 2)
    d.targets = d.targets.convertTo(ElementType::F32);
  int64_t want = 1;
  for (int64_t s : b.featureShape)
    want *= s;
  int64_t have = d.features.getShape()[1];
  if (want != have)
    return usageError(file + ": rows have " + llvm::Twine(have) +
                      " features, but the model's input '" + b.features +
                      "' takes " + llvm::Twine(want) + " per row");
  int64_t targetRow = 1, targetWant = 1;
  for (size_t i = 1; i < d.targets.getShape().size(); ++i)
    targetRow *= d.targets.getShape()[i];
  for (int64_t s : b.targetShape)
    targetWant *= s;
  if (targetRow != targetWant)
    return usageError(file + ": rows have " + llvm::Twine(targetRow) +
                      " targets, but the model's input '" + b.targets +
                      "' takes " + llvm::Twine(targetWant) + " per row");
  if (!b.classification && d.targets.getElementType() == ElementType::I32)
    return usageError("the model's targets '" + b.targets +
                      "' are floats, but the data has class labels");
  if (b.classification && d.targets.getElementType() != ElementType::I32)
    return usageError(
        "the model's targets '" + b.targets +
        "' are class labels (i32), but the data has float targets "
        "(set `classes` in the train block)");
  return llvm::Error::success();
}

/// The window length of text data: the model's input rows must be
/// i32[T] (token ids), and T is the window. 0 for other data.
int64_t textWindow(const TrainConfig &config, const Binding &b) {
  if (!config.text)
    return 0;
  return b.featureShape.size() == 1 && b.featureType == ElementType::I32
             ? b.featureShape[0]
             : -1;
}

//===----------------------------------------------------------------------===//
// Compiles beside the training step
//===----------------------------------------------------------------------===//

/// Whether a compile may run on a second thread: on the CPU only (a Vulkan
/// device is not shared between threads here), and not where the passes
/// are watched (--mlir-timing's reports and the IR printers of two
/// pipelines would interleave).
bool canCompileAside(const CompileOptions &options) {
  return options.device == "cpu" && !options.configurePassManager;
}

/// A compile started on a second thread, so that it overlaps the one this
/// thread does next (a compile is single-threaded: the training step's of
/// a 1000-layer chain takes a minute, the evaluation models' and the last
/// batch's step as long again). It works on its own copy of the source.
/// get() waits for the result; without `aside` the work runs in get().
template <typename T> class CompileAside {
public:
  using Work = std::function<llvm::Expected<T>(const Source &)>;

  CompileAside(const Source &source, bool aside, Work work)
      : source(source), work(std::move(work)) {
    if (!aside)
      return;
    auto copied = source.copy();
    if (!copied) { // it parsed once: compile here, where the error shows
      llvm::consumeError(copied.takeError());
      return;
    }
    copy = std::move(*copied);
    result =
        std::async(std::launch::async, [this] { return this->work(*copy); });
  }
  CompileAside(const CompileAside &) = delete;
  CompileAside &operator=(const CompileAside &) = delete;
  /// Waits for a compile still running; drops a result never taken (an
  /// earlier error ends the run first).
  ~CompileAside() {
    if (result.valid())
      llvm::consumeError(result.get().takeError());
  }

  llvm::Expected<T> get() {
    if (result.valid())
      return result.get();
    return work(source);
  }

private:
  const Source &source;
  Work work;
  std::unique_ptr<Source> copy;
  std::future<llvm::Expected<T>> result;
};

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

/// Forward models for chunks of the test set: one of `chunk` rows and one
/// for the remainder, so every row counts exactly once.
struct Evaluator {
  std::unique_ptr<Model> full, rest;
  int64_t chunk = 0;

  /// Compiles the two models; with `aside`, the remainder's on a second
  /// thread beside the full chunk's.
  static llvm::Expected<Evaluator> create(const Source &source,
                                          CompileOptions options, int64_t rows,
                                          bool aside = false) {
    Evaluator e;
    // 256 rows: large enough for the matmul kernels, small enough that a
    // convolution's intermediates stay modest (at 1000 rows, ResNet-8's
    // im2col buffers were 450 MB each and evaluating the 10000 test images
    // took 65 s, 58 of them in the kernel mapping fresh pages; now 9 s).
    e.chunk = std::min<int64_t>(rows, 256);
    std::string batch = source.batchDim(options.model);
    CompileOptions restOptions = options;
    options.dims[batch] = e.chunk;
    int64_t r = rows % e.chunk;
    restOptions.dims[batch] = r;
    CompileAside<std::unique_ptr<Model>> rest(
        source, aside && r > 0,
        [&](const Source &s) { return Model::compile(s, restOptions); });
    auto full = Model::compile(source, options);
    if (!full)
      return full.takeError();
    e.full = std::move(*full);
    if (r > 0) {
      auto compiled = rest.get();
      if (!compiled)
        return compiled.takeError();
      e.rest = std::move(*compiled);
    }
    return std::move(e);
  }

  llvm::Expected<EvalResult>
  run(const Dataset &data, const Binding &b,
      const std::function<Tensor *(llvm::StringRef)> &params) {
    EvalResult result;
    int64_t rows = data.getNumRows(), correct = 0;
    double lossSum = 0;
    // The current parameters, once per evaluation (not per chunk).
    for (Model *m : {full.get(), rest.get()})
      if (m)
        for (const ArgInfo &a : m->getSignature().args)
          if (a.isHeld())
            *m->getParameter(a.name) = params(a.name)->convertTo(
                m->getParameter(a.name)->getElementType());
    for (int64_t start = 0; start < rows; start += chunk) {
      int64_t n = std::min(chunk, rows - start);
      Model &m = n == chunk ? *full : *rest;
      Tensor x = rowsOf(data.features, start, n);
      Tensor y = rowsOf(data.targets, start, n);
      auto out = m.run({{b.features, reshapeRows(x, b.featureShape)},
                        {b.targets, reshapeRows(y, b.targetShape)}});
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
            if (logits.get(i * b.classes + c) >
                logits.get(i * b.classes + best))
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

/// Makes `to`'s parameters, state, optimizer state and step `from`'s.
llvm::Error copyState(const Trainer &from, Trainer &to) {
  auto c = from.toCheckpoint();
  if (!c)
    return c.takeError();
  return to.restore(*c);
}

/// Whether `checkpoint` holds every parameter of `trainer` ("param:NAME").
bool hasWeights(const Checkpoint &checkpoint, Trainer &trainer) {
  for (const std::string &name : trainer.getParameterNames())
    if (!checkpoint.tensors.count("param:" + name))
      return false;
  return true;
}

/// --init-from: the parameters and state of `checkpoint` (from `path`),
/// each checked against the model's type and shape.
llvm::Error loadWeights(const Checkpoint &checkpoint, llvm::StringRef path,
                        Trainer &trainer) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const std::string &name : trainer.getParameterNames())
    keys.push_back({name, "param:" + name});
  for (const std::string &name : trainer.getStateNames())
    keys.push_back({name, name});
  for (const auto &[name, key] : keys) {
    Tensor *into = trainer.getParameter(name);
    auto t = checkpointTensor(checkpoint, key, into->getElementType(),
                              into->getShape());
    if (!t)
      return usageError(path + ": " + llvm::toString(t.takeError()));
    *into = **t;
  }
  return llvm::Error::success();
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
  // Data parallel: each of K processes compiles the step for its share of
  // the batch and takes those rows of every batch; process 0 alone writes
  // files (the others hold the same parameters).
  int64_t processes = 1, rank = 0;
  if (config.train.dataParallel()) {
    processes = config.train.collective->size();
    rank = config.train.collective->rank();
    if (config.batch % processes != 0)
      return usageError("batch " + llvm::Twine(config.batch) +
                        " does not split between " + llvm::Twine(processes) +
                        " processes (each takes an equal share of every "
                        "batch)");
    if (config.train.step.allReduceBF16 &&
        !config.train.averagesInStep(baseOptions.device))
      return usageError(
          "--allreduce-bf16 is for the averaging inside the step, which "
          "runs on the CPU without accumulation and with --bucket-cap-mb "
          "above 0");
    if (rank != 0) {
      config.metrics.clear();
      config.logDir.clear();
      config.checkpoint.clear();
    }
  }
  CompileOptions options = baseOptions;
  options.dims[source.batchDim(options.model)] = config.batch / processes;
  options.requireScalarLoss = true;
  auto binding = bindInputs(source, options);
  if (!binding)
    return binding.takeError();
  int64_t classes = config.classes > 0 ? config.classes : binding->classes;
  if (binding->classification && config.classes > 0 && binding->classes > 0 &&
      config.classes != binding->classes)
    return usageError("classes = " + llvm::Twine(config.classes) +
                      " but the model's cross_entropy has " +
                      llvm::Twine(binding->classes) + " classes");
  auto data = loadData(config, binding->classification ? classes : 0,
                       textWindow(config, *binding),
                       {binding->features, binding->targets});
  if (!data)
    return data.takeError();
  if (auto e = checkFeatures(data->train, *binding, config.data))
    return std::move(e);
  if (data->test.getNumRows() > 0)
    if (auto e = checkFeatures(data->test, *binding,
                               config.testData.empty() ? config.data
                                                       : config.testData))
      return std::move(e);
  if (config.augment.enabled() && binding->featureShape.size() < 2)
    return usageError("augment = " + config.augmentText +
                      " changes images, but the model's input '" +
                      binding->features +
                      "' has one dim per row; declare it as " +
                      "[N, C, H, W] (or [N, H, W])");
  // The rows after the last full batch make one smaller step at the end
  // of each epoch, with a training step compiled for them (drop_last
  // leaves them out; so does accumulation, whose steps are whole).
  int64_t rows = data->train.getNumRows();
  int64_t tailRows = !config.dropLast && config.train.step.accumulate == 1
                         ? rows % config.batch
                         : 0;
  int64_t stepsPerEpoch =
      rows / (config.batch * config.train.step.accumulate) + (tailRows > 0);
  if (tailRows % processes != 0)
    return usageError("the training set's last batch of " +
                      llvm::Twine(tailRows) + " rows does not split between " +
                      llvm::Twine(processes) +
                      " processes; --drop-last leaves it out");
  if (stepsPerEpoch == 0)
    return usageError(
        "the training set has " + llvm::Twine(data->train.getNumRows()) +
        " rows, fewer than one step (batch " + llvm::Twine(config.batch) +
        " x accumulate " + llvm::Twine(config.train.step.accumulate) + ")");

  // The evaluation models, and the step for the epoch's last, smaller
  // batch where the run surely takes it, compile on a second thread while
  // this one compiles the training step (the last batch's step before the
  // first epoch's clock starts; a shorter run compiles it when it comes).
  struct SideModels {
    std::optional<Evaluator> evaluator;
    std::unique_ptr<Trainer> tail;
  };
  int64_t testRows = config.reportOnly ? 0 : data->test.getNumRows();
  CompileOptions tailOptions = options;
  tailOptions.dims[source.batchDim(options.model)] = tailRows / processes;
  bool tailAhead =
      tailRows > 0 && (config.maxSteps < 0 || config.maxSteps >= stepsPerEpoch);
  CompileAside<SideModels> side(
      source, canCompileAside(options) && (testRows > 0 || tailAhead),
      [&](const Source &s) -> llvm::Expected<SideModels> {
        SideModels m;
        if (testRows > 0) {
          auto ev = Evaluator::create(s, baseOptions, testRows);
          if (!ev)
            return ev.takeError();
          m.evaluator = std::move(*ev);
        }
        if (tailAhead) {
          auto t = Trainer::create(s, tailOptions, config.train);
          if (!t)
            return t.takeError();
          m.tail = std::move(*t);
        }
        return std::move(m);
      });
  auto trainer = Trainer::create(source, options, config.train);
  if (!trainer)
    return trainer.takeError();
  if (auto e = (*trainer)->initParameters(config.seed))
    return std::move(e);
  auto sideModels = side.get();
  if (!sideModels)
    return sideModels.takeError();
  std::optional<Evaluator> evaluator = std::move(sideModels->evaluator);
  // Compiled for tailRows: above, or when first needed.
  std::unique_ptr<Trainer> tail = std::move(sideModels->tail);

  if (!config.resume.empty()) {
    auto checkpoint = readCheckpoint(config.resume);
    if (!checkpoint)
      return checkpoint.takeError();
    if (auto e = (*trainer)->restore(*checkpoint)) {
      std::string text = llvm::toString(std::move(e));
      llvm::StringRef why(text);
      why.consume_front("error: ");
      if (hasWeights(*checkpoint, **trainer))
        return usageError(config.resume +
                          " holds the weights but not what --resume "
                          "continues (" +
                          why + "); --init-from " + config.resume +
                          " starts a new run from its weights");
      return usageError(config.resume + ": " + why);
    }
    out << "resumed from " << config.resume << " at step "
        << (*trainer)->getStep() << "\n";
  }
  if (!config.initFrom.empty()) {
    auto checkpoint = readCheckpoint(config.initFrom);
    if (!checkpoint)
      return checkpoint.takeError();
    if (auto e = loadWeights(*checkpoint, config.initFrom, **trainer))
      return std::move(e);
    // grad-report's output is the report alone (its --json one document).
    (config.reportOnly ? progress : out)
        << "initialized from the weights of " << config.initFrom << "\n";
  }
  if (config.patience > 0 && !evaluator)
    return usageError("patience = " + llvm::Twine(config.patience) +
                      " stops on the held-out loss, and this run holds "
                      "nothing out (set split or test_data)");
  double bestLoss = INFINITY;
  int64_t bestEpoch = 0;

  std::unique_ptr<llvm::raw_fd_ostream> metrics;
  if (!config.metrics.empty()) {
    std::error_code ec;
    metrics = std::make_unique<llvm::raw_fd_ostream>(
        config.metrics, ec, llvm::sys::fs::OF_Append | llvm::sys::fs::OF_Text);
    if (ec)
      return usageError("cannot open '" + config.metrics +
                        "': " + ec.message());
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
    out << "training " << source.getName() << ": " << data->train.getNumRows()
        << " rows, " << data->test.getNumRows() << " held out; "
        << toString(config.train.step.optimizer) << " lr "
        << llvm::format("%g", config.train.lr)
        << (config.schedule.kind == "constant"
                ? ""
                : " (" + config.schedule.kind + ")")
        << (config.schedule.warmup > 0
                ? " after " + std::to_string(config.schedule.warmup) +
                      " warm-up steps"
                : "")
        << ", batch " << config.batch;
  if (config.train.step.accumulate > 1 && !config.reportOnly)
    out << " x " << config.train.step.accumulate << " accumulated";
  if (!config.reportOnly) {
    out << ", " << config.epochs << (config.epochs == 1 ? " epoch" : " epochs")
        << " of " << stepsPerEpoch << (stepsPerEpoch == 1 ? " step" : " steps");
    if (tailRows > 0)
      out << " (the last of " << tailRows << " rows)";
    out << "\n";
  }
  std::optional<GradReport> lastReport;

  // A checkpoint records the run with the weights (RunRecord.h).
  RunFacts facts{data->scaler, binding->features, binding->targets,
                 binding->classification ? classes : 0};
  auto saveCheckpoint = [&](int64_t epoch) -> llvm::Error {
    auto c = (*trainer)->toCheckpoint();
    if (!c)
      return c.takeError();
    c->metadata["epoch"] = std::to_string(epoch);
    recordRun(*c, source, config, facts);
    return writeCheckpoint(*c, config.checkpoint);
  };

  RunIdentity run = RunIdentity::now();
  double lastLr = config.train.lr; // of the last step taken
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
    BatchIterator batches(data->train, config.batch, config.shuffle,
                          config.seed, epoch, /*partial=*/tailRows > 0);
    // A resumed run skips the batches its checkpoint already took.
    int64_t skip = ((*trainer)->getStep() - epoch * stepsPerEpoch) *
                   config.train.step.accumulate;
    Tensor x, y;
    for (int64_t i = 0; i < skip; ++i)
      batches.next(x, y);
    int64_t drawn = skip; // batches taken this epoch: augmentation's key
    double lossSum = 0;
    int64_t steps = 0, examples = 0;
    auto lastDraw = begin - std::chrono::seconds(1);
    while ((*trainer)->getStep() <
           std::min(totalSteps, (epoch + 1) * stepsPerEpoch)) {
      std::vector<std::map<std::string, Tensor>> micro;
      for (int64_t k = 0; k < config.train.step.accumulate; ++k) {
        if (!batches.next(x, y))
          break;
        if (config.augment.enabled())
          config.augment.apply(x, binding->featureShape,
                               streamSeed(uint64_t(config.seed),
                                          "augment:" + std::to_string(epoch) +
                                              ":" + std::to_string(drawn)));
        ++drawn;
        int64_t share = x.getShape()[0] / processes;
        Tensor xs = processes > 1 ? rowsOf(x, rank * share, share) : x;
        Tensor ys = processes > 1 ? rowsOf(y, rank * share, share) : y;
        micro.push_back(
            {{binding->features, reshapeRows(xs, binding->featureShape)},
             {binding->targets, reshapeRows(ys, binding->targetShape)}});
      }
      if ((int64_t)micro.size() < config.train.step.accumulate)
        break;
      // The epoch's last, smaller batch: its own step, on the main one's
      // parameters and optimizer state.
      Trainer *stepper = trainer->get();
      bool isTail = x.getShape()[0] != config.batch;
      if (isTail) {
        if (!tail) {
          auto created = Trainer::create(source, tailOptions, config.train);
          if (!created)
            return created.takeError();
          tail = std::move(*created);
        }
        if (auto e = copyState(**trainer, *tail))
          return std::move(e);
        stepper = tail.get();
      }
      // The schedule is a function of the step, so --resume continues it.
      if (config.schedule.kind != "constant" || config.schedule.warmup > 0) {
        lastLr = config.schedule.at(config.train.lr, (*trainer)->getStep(),
                                    stepsPerEpoch * config.epochs);
        stepper->setLearningRate(lastLr);
      }
      auto r = stepper->step(micro);
      if (!r)
        return r.takeError();
      if (isTail)
        if (auto e = copyState(*tail, **trainer))
          return std::move(e);
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
        return stepper->locateNonFinite(source, micro[0]);
      }
      if (!std::isfinite(r->loss))
        return usageError("the loss became " +
                          llvm::Twine(r->loss > 0 ? "inf" : "NaN") +
                          " at step " + llvm::Twine((*trainer)->getStep()) +
                          " (try a smaller learning rate, or --clip-norm)");
      int64_t done = (*trainer)->getStep();
      if (config.gradReportEvery > 0 && done % config.gradReportEvery == 0) {
        // The step's gradient was taken after done - 1 updates.
        GradReport report = makeGradReport(done - 1, r->gradNorms,
                                           lastReport ? &*lastReport : nullptr);
        if (terminal)
          progress << "\r" << std::string(78, ' ') << "\r";
        if (config.gradReportJson)
          printGradReportJson(report, out);
        else
          printGradReport(report, out);
        lastReport = report;
      }
      if (log)
        log->step(done, r->loss,
                  makeGradReport(done - 1, r->gradNorms, nullptr));
      lossSum += r->loss;
      ++steps;
      examples += x.getShape()[0] * config.train.step.accumulate;
      // The bar is redrawn at most ten times a second: writing to the
      // terminal every step would cost more than a small model's step.
      auto now = std::chrono::steady_clock::now();
      if (terminal && now - lastDraw > std::chrono::milliseconds(100)) {
        lastDraw = now;
        double secs = std::chrono::duration<double>(now - begin).count();
        int64_t inEpoch = (*trainer)->getStep() - epoch * stepsPerEpoch;
        int width = 24, filled = int(width * inEpoch / stepsPerEpoch);
        double eta =
            secs / std::max<int64_t>(steps, 1) * (stepsPerEpoch - inEpoch);
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
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
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
        out << llvm::format("  test accuracy %.2f%%",
                            100 * result.test.accuracy);
    }
    out << llvm::format("  (%s, %.0f examples/s)\n",
                        formatSeconds(seconds).c_str(),
                        examples / std::max(seconds, 1e-9));
    out.flush();
    // The checkpoint first: a full disk that stops the logs below must not
    // cost the epoch's checkpoint.
    if (!config.checkpoint.empty())
      if (auto e = saveCheckpoint(result.epoch))
        return std::move(e);
    if (metrics) {
      // One JSON object per line; runs appended to one file are told
      // apart by their id and start time.
      llvm::json::OStream j(*metrics);
      j.object([&] {
        j.attribute("run", run.id);
        j.attribute("start_time", run.startTime);
        j.attribute("epoch", result.epoch);
        j.attribute("step", (*trainer)->getStep());
        writeNumber(j, "train_loss", result.trainLoss);
        if (evaluator) {
          writeNumber(j, "test_loss", result.test.loss);
          if (result.test.hasAccuracy)
            writeNumber(j, "test_accuracy", result.test.accuracy);
        }
        writeNumber(j, "lr", lastLr);
        writeNumber(j, "seconds", seconds);
      });
      *metrics << "\n";
      if (auto e = flushOrError(*metrics, config.metrics))
        return std::move(e);
    }
    if (log) {
      if (auto e =
              log->epoch(result.epoch, result.trainLoss, result.test.loss,
                         result.test.accuracy, evaluator.has_value(), seconds))
        return std::move(e);
      if (auto e = log->plot(llvm::sys::path::filename(source.getName())))
        return std::move(e);
    }
    summary.epochs.push_back(result);
    if (config.patience > 0) {
      if (result.test.loss < bestLoss) {
        bestLoss = result.test.loss;
        bestEpoch = result.epoch;
      } else if (result.epoch - bestEpoch >= config.patience) {
        out << llvm::format("stopping early: the held-out loss has not "
                            "improved for %lld epochs (best %.4f, epoch "
                            "%lld)\n",
                            (long long)config.patience, bestLoss,
                            (long long)bestEpoch);
        break;
      }
    }
  }
  // --max-steps 0 (or a resume at the end): the checkpoint still says
  // where training stands, the initial parameters of a fresh run.
  if (summary.epochs.empty() && !config.checkpoint.empty() &&
      !config.reportOnly)
    if (auto e = saveCheckpoint(start / stepsPerEpoch))
      return std::move(e);
  if (options.profile)
    printProfile((*trainer)->getEngine(), "the last training step", out);
  summary.steps = (*trainer)->getStep();
  if (processes > 1) {
    uint64_t bytes =
        (*trainer)->getBytesAveraged() + (tail ? tail->getBytesAveraged() : 0);
    out << llvm::format("data parallel over %lld processes: %.1f MiB of "
                        "gradients and state averaged%s\n",
                        (long long)processes, bytes / 1048576.0,
                        options.device == "cpu" ? "" : " (through the host)");
    BucketReducer::Stats stats = (*trainer)->getAveragingStats();
    if (tail) {
      BucketReducer::Stats more = tail->getAveragingStats();
      stats.buckets += more.buckets;
      stats.averaging += more.averaging;
      stats.waiting += more.waiting;
    }
    // Inside the step: how much of the averaging the backward pass hid.
    if (stats.buckets > 0)
      out << llvm::format(
          "averaging: %lld buckets, %.3f s on its own "
          "thread; the steps waited %.3f s of it (%.0f%%)\n",
          (long long)stats.buckets, stats.averaging, stats.waiting,
          100.0 * stats.waiting / std::max(stats.averaging, 1e-9));
  }
  return summary;
}

llvm::Expected<std::map<std::string, const Tensor *>>
heldFromCheckpoint(const Checkpoint &checkpoint, const Signature &signature,
                   llvm::StringRef path) {
  // Every one checked (name, element type, shape) before any runs.
  std::map<std::string, const Tensor *> held;
  for (const ArgInfo &a : signature.args) {
    if (!a.isHeld())
      continue;
    // Parameters are "param:NAME"; state is named "state:NAME" already.
    auto t = checkpointTensor(
        checkpoint, a.isParam ? "param:" + a.name : a.name, a.type, a.shape);
    if (!t)
      return usageError(path + ": " + llvm::toString(t.takeError()));
    held[a.name] = *t;
  }
  return held;
}

llvm::Expected<EvalResult>
evaluate(const Source &source, TrainConfig config,
         const CompileOptions &baseOptions, llvm::StringRef checkpointPath,
         llvm::ArrayRef<std::pair<std::string, std::string>> flags,
         llvm::raw_ostream &notes) {
  auto read = readTrainedCheckpoint(
      checkpointPath, source,
      "evaluating with the model's train block and flags", notes);
  if (!read)
    return read.takeError();
  const Checkpoint *checkpoint = &read->checkpoint;
  RecordedRun *run = &read->run;
  // The rows the run held out, scaled as its training rows were.
  const Scaler *fitted = nullptr;
  if (run->present) {
    adoptRecordedData(*run, config, flags, notes);
    // The recorded statistics, unless a flag asked for another scaling
    // (which is then fitted on the training rows, as in a run).
    const TrainSetting *divisor = findTrainSetting("divisor");
    if (config.scale == run->settings["scale"] &&
        divisor->get(config) == run->settings["divisor"])
      fitted = &run->facts.scaler;
  }
  CompileOptions options = baseOptions;
  auto binding = bindInputs(source, options);
  if (!binding)
    return binding.takeError();
  int64_t classes = config.classes > 0 ? config.classes : binding->classes;
  auto data = loadData(config, binding->classification ? classes : 0,
                       textWindow(config, *binding),
                       {binding->features, binding->targets}, fitted);
  if (!data)
    return data.takeError();
  // Without a held-out set, evaluate on all the data.
  Dataset &eval = data->test.getNumRows() > 0 ? data->test : data->train;
  if (auto e = checkFeatures(eval, *binding, config.data))
    return std::move(e);
  auto evaluator = Evaluator::create(source, options, eval.getNumRows(),
                                     canCompileAside(options));
  if (!evaluator)
    return evaluator.takeError();
  auto params = heldFromCheckpoint(*checkpoint, evaluator->full->getSignature(),
                                   checkpointPath);
  if (!params)
    return params.takeError();
  auto accessor = [&](llvm::StringRef name) -> Tensor * {
    auto it = params->find(name.str());
    return it == params->end() ? nullptr : const_cast<Tensor *>(it->second);
  };
  return evaluator->run(eval, *binding, accessor);
}

/// A command-line flag's value, through the settings table.
llvm::Error setFromFlag(TrainConfig &c, llvm::StringRef flag,
                        llvm::StringRef value) {
  const TrainSetting *setting = findTrainSetting(flag);
  if (!setting)
    return usageError("unknown training option --" + flag);
  // --data replaces the block's data whole: `text(FILE)` is a text corpus
  // (as in a train block), anything else a file of rows.
  if (setting->name == "data") {
    llvm::StringRef inner = value.trim();
    c.text = inner.consume_front("text(") && inner.consume_back(")");
    if (c.text)
      value = inner;
  }
  if (auto problem = setting->set(c, value.trim()))
    return usageError("--" + setting->flag() + " " + value + ": must be " +
                      *problem);
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
    if (auto e = setFromFlag(config, key, value))
      return std::move(e);
  config.train.step.bucketBytes =
      int64_t(std::llround(config.bucketCapMb * 1048576.0));
  return config;
}

} // namespace nabla::tools
