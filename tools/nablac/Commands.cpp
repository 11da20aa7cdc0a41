//===- Commands.cpp - What nablac's commands do ---------------------------===//
#include "tools/nablac/Commands.h"
#include "nabla/runtime/Files.h"
#include "nabla/support/Error.h"

#include "nabla/Backend.h"
#include "nabla/Export.h"
#include "nabla/Gradcheck.h"
#include "nabla/Model.h"
#include "nabla/MpiCollective.h"
#include "nabla/frontend/OnnxImport.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/CompileCache.h"
#include "nabla/runtime/CpuFeatures.h"
#include "nabla/runtime/Npy.h"
#include "nabla/runtime/Threads.h"
#include "nabla/runtime/VulkanEngine.h"
#include "tools/nablac/Json.h"
#include "tools/nablac/Predict.h"
#include "tools/nablac/Profile.h"
#include "tools/nablac/RunRecord.h"
#include "tools/nablac/Sample.h"
#include "tools/nablac/StepStats.h"
#include "tools/nablac/TrainCommand.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <sys/resource.h>

namespace nabla::tools {

namespace {

/// `N=128` pairs from --dim.
llvm::Error parseDims(llvm::ArrayRef<std::string> specs,
                      std::map<std::string, int64_t> &dims) {
  for (llvm::StringRef spec : specs) {
    auto [name, value] = spec.split('=');
    int64_t size;
    if (name.empty() || value.getAsInteger(10, size) || size <= 0)
      return usageError("--dim " + spec +
                        ": expected NAME=SIZE with a positive integer size");
    dims[name.str()] = size;
  }
  return llvm::Error::success();
}

std::string formatNumber(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", v);
  return buffer;
}

/// numpy-style nested brackets, one row of the last dim per line.
void printNested(const Tensor &t, size_t dim, int64_t &index, int indent,
                 llvm::raw_ostream &os) {
  const auto &shape = t.getShape();
  if (dim == shape.size()) {
    os << formatNumber(t.get(index++));
    return;
  }
  os << "[";
  for (int64_t i = 0; i < shape[dim]; ++i) {
    if (i > 0) {
      os << ",";
      if (dim + 1 < shape.size())
        os << "\n" << std::string(indent + dim + 1, ' ');
      else
        os << " ";
    }
    printNested(t, dim + 1, index, indent, os);
  }
  os << "]";
}

int fail(llvm::Error err, llvm::raw_ostream &errs) {
  std::string text = llvm::toString(std::move(err));
  // Messages from the libraries ("file:line: what") get the same "error:"
  // as the command's own; diagnostics already carry theirs.
  llvm::StringRef t(text);
  if (!t.starts_with("error:") && !t.contains(": error:"))
    text = "error: " + text;
  errs << text << "\n";
  return 1;
}

/// The file `path` names (`-`: standard output) for writing text; kept
/// only once the caller calls keep().
llvm::Expected<std::unique_ptr<llvm::ToolOutputFile>>
openTextOutput(const std::string &path) {
  std::error_code ec;
  auto file =
      std::make_unique<llvm::ToolOutputFile>(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return usageError("cannot write '" + path + "': " + ec.message());
  return std::move(file);
}

int runCheck(const Source &source, const CompileOptions &options,
             llvm::raw_ostream &out, llvm::raw_ostream &err) {
  auto sig = source.check(options);
  if (!sig)
    return fail(sig.takeError(), err);
  out << "model " << sig->function << ": ok\n";
  for (const ArgInfo &arg : sig->args)
    out << (arg.isParam                           ? "  param  "
            : arg.role == TensorInfo::Role::State ? "  state  "
            : arg.role == TensorInfo::Role::Hyper ? "  hyper  "
                                                  : "  input  ")
        << arg.name << ": " << arg.typeString()
        << (arg.isHeld() ? " = " + arg.init.kind : std::string()) << "\n";
  for (const TensorInfo &o : sig->outputs)
    out << "  output " << o.name << ": " << o.typeString() << "\n";
  return 0;
}

/// The train block and flags of `inv`, with N bound to the batch size
/// unless --dim gave it.
llvm::Expected<TrainConfig> stepConfig(const Invocation &inv,
                                       const Source &source,
                                       CompileOptions &options) {
  auto config = makeConfig(source, inv.trainOverrides);
  if (!config)
    return config.takeError();
  options.dims.emplace(source.batchDim(options.model), config->batch);
  return config;
}

std::string formatBytes(int64_t bytes) {
  if (bytes >= (1 << 20))
    return llvm::formatv("{0:f2} MiB", bytes / double(1 << 20)).str();
  if (bytes >= (1 << 10))
    return llvm::formatv("{0:f1} KiB", bytes / double(1 << 10)).str();
  return llvm::formatv("{0} B", bytes).str();
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

int runStats(const Invocation &inv, const Source &source,
             CompileOptions options, llvm::raw_ostream &out,
             llvm::raw_ostream &err) {
  auto config = stepConfig(inv, source, options);
  if (!config)
    return fail(config.takeError(), err);
  int64_t steps = inv.reportSteps > 0 ? inv.reportSteps : 200;
  auto measured =
      measureFusion(source, options, config->train, steps, config->seed);
  if (!measured)
    return fail(measured.takeError(), err);
  const std::array<StepStats, 2> &stats = *measured;
  out << llvm::formatv("training step of {0} (batch {1}, {2}), median of {3} "
                       "steps:\n",
                       source.getName(), config->batch,
                       toString(config->train.step.optimizer), steps);
  if (stats[0].onDevice) {
    // On a GPU: what the device ran; the step time includes the submit,
    // the wait and the transfers of the batch and the loss.
    out << "  on " << options.device
        << "       dispatches  device time   step time   compile\n";
    for (bool fusion : {false, true})
      out << llvm::formatv(
          "  {0,-14} {1,11}  {2,8:f3} ms  {3,7:f3} ms  {4,6:f2} s\n",
          fusion ? "with fusion" : "without fusion", stats[fusion].dispatches,
          1e3 * stats[fusion].deviceSeconds, 1e3 * stats[fusion].medianSeconds,
          stats[fusion].compileSeconds);
    return 0;
  }
  out << "                  kernels  intermediate writes   step time   "
         "compile\n";
  for (bool fusion : {false, true})
    out << llvm::formatv("  {0,-14} {1,8}  {2,19}  {3,7:f3} ms  {4,6:f2} s\n",
                         fusion ? "with fusion" : "without fusion",
                         stats[fusion].kernels.kernels,
                         formatBytes(stats[fusion].kernels.intermediateBytes),
                         1e3 * stats[fusion].medianSeconds,
                         stats[fusion].compileSeconds);
  for (bool fusion : {false, true}) {
    const StepStats &s = stats[fusion];
    const char *which = fusion ? "with fusion:" : "without fusion:";
    if (s.passesSkipped)
      out << llvm::formatv("  compile {0,-14} served from the compile cache "
                           "(nabla passes and LLVM skipped), load {1:f2} s\n",
                           which, s.codegenSeconds);
    else
      out << llvm::formatv(
          "  compile {0,-14} nabla passes {1:f2} s, LLVM {2:f2} s{3}\n", which,
          s.loweringSeconds, s.codegenSeconds,
          s.cacheHit ? " (served from the compile cache)" : "");
  }
  out << llvm::formatv(
      "  fusion: {0:f2}x fewer kernels, {1:f2}x fewer bytes written, step "
      "{2:f2}x as fast\n",
      ratio(stats[0].kernels.kernels, stats[1].kernels.kernels),
      ratio(stats[0].kernels.intermediateBytes,
            stats[1].kernels.intermediateBytes),
      ratio(stats[0].medianSeconds, stats[1].medianSeconds));
  // What the step holds, before bufferization reuses buffers.
  const StepMemory &held = stats[1].memory;
  out << llvm::formatv("memory of the step: parameters {0}, optimizer and "
                       "model state {1}, batch {2}, new parameters and state "
                       "{3} (written beside the old)\n",
                       formatBytes(held.parameters), formatBytes(held.state),
                       formatBytes(held.inputs), formatBytes(held.updated));
  for (bool fusion : {false, true})
    out << llvm::formatv("  intermediates {0,-9} at most {1} live at once\n",
                         fusion ? "fused:" : "unfused:",
                         formatBytes(stats[fusion].memory.peakIntermediates));
  // Under mpirun every process averages the gradients (the parameters'
  // types and shapes), the model's state and the f32 loss, each step.
  out << llvm::formatv(
      "data parallel (mpirun): each process averages {0} a step (gradients "
      "{1}, model state {2}, loss 4 B), in buckets of at most {3}\n",
      formatBytes(held.parameters + held.modelState + 4),
      formatBytes(held.parameters), formatBytes(held.modelState),
      formatBytes(config->train.step.bucketBytes));
  return 0;
}

int runEmit(const Invocation &inv, const Source &source, CompileOptions options,
            llvm::raw_ostream &err) {
  auto stage = parseStage(inv.emitStage);
  if (!stage)
    return fail(usageError("unknown --emit stage '" + inv.emitStage +
                           "' (stages: " + stageNames() + ")"),
                err);
  auto file = openTextOutput(inv.outputPath);
  if (!file)
    return fail(file.takeError(), err);
  // Stages of the training step (mixed, fused) are built with the model's
  // train block and the flags; the others do not read them.
  TrainOptions train;
  if (*stage == Stage::Mixed || *stage == Stage::Fused) {
    auto config = stepConfig(inv, source, options);
    if (!config)
      return fail(config.takeError(), err);
    train = config->train;
  }
  if (auto e =
          source.emit(*stage, options, (*file)->os(), train.pipelineSettings()))
    return fail(std::move(e), err);
  if (auto e = flushOrError((*file)->os(), inv.outputPath))
    return fail(std::move(e), err);
  (*file)->keep();
  return 0;
}

/// Parses every --input, checks the names against the model's inputs and
/// infers named dims from the data. With `random`, inputs not given are
/// left out (gradcheck draws them).
llvm::Expected<std::vector<InputValue>> prepareInputs(const Invocation &inv,
                                                      const Source &source,
                                                      CompileOptions &options,
                                                      bool random = false) {
  std::vector<InputValue> values;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const std::string &text : inv.inputs) {
    auto value = parseInput(text);
    if (!value)
      return value.takeError();
    if (shapes.count(value->name))
      return usageError("--input " + value->name + " is given twice");
    shapes[value->name] =
        value->array ? value->array->getShape()
                     : std::vector<int64_t>{-1, (int64_t)value->values.size()};
    values.push_back(std::move(*value));
  }
  auto names = source.inputNames(options.model);
  if (!names)
    return names.takeError();
  for (const InputValue &v : values)
    if (!llvm::is_contained(*names, v.name))
      return usageError("the model has no input '" + v.name +
                        "' (its inputs: " + llvm::join(*names, ", ") + ")");
  if (!random)
    for (const std::string &name : *names)
      if (!shapes.count(name))
        return usageError("missing --input " + name + "=...");
  if (auto e = source.inferDims(shapes, options))
    return std::move(e);
  return values;
}

/// Turns parsed inputs into tensors of the shapes the model declares.
llvm::Expected<std::map<std::string, Tensor>>
inputTensors(std::vector<InputValue> &values, const Signature &sig) {
  std::map<std::string, Tensor> tensors;
  for (InputValue &v : values) {
    const ArgInfo &arg = sig.args[sig.findArg(v.name, false)];
    if (v.array) {
      tensors[v.name] = std::move(*v.array);
      continue;
    }
    // A flat list fills the declared shape in row-major order.
    Tensor t(arg.type, arg.shape);
    if ((int64_t)v.values.size() != t.getNumElements())
      return usageError("--input " + v.name + " has " +
                        llvm::Twine(v.values.size()) + " values but " +
                        arg.typeString() + " needs " +
                        llvm::Twine(t.getNumElements()));
    for (auto [i, x] : llvm::enumerate(v.values)) {
      if (arg.type == ElementType::I32 && x != std::trunc(x))
        return usageError("--input " + v.name + ": value " + formatNumber(x) +
                          " is not a whole number, but the input is " +
                          arg.typeString());
      t.set(i, x);
    }
    tensors[v.name] = std::move(t);
  }
  return tensors;
}

/// The value of training flag `name` on the command line ("" if absent).
std::string trainFlag(const Invocation &inv, llvm::StringRef name) {
  for (const auto &[flag, value] : inv.trainOverrides)
    if (flag == name)
      return value;
  return "";
}

/// The trained parameters and state of `model` from `path`, and the
/// scaling of its run applied to the features input among `tensors`.
llvm::Error loadTrained(Model &model, const Source &source,
                        llvm::StringRef path,
                        std::map<std::string, Tensor> &tensors,
                        llvm::raw_ostream &notes) {
  auto read = readTrainedCheckpoint(path, source, "", notes);
  if (!read)
    return read.takeError();
  RecordedRun *run = &read->run;
  auto held = heldFromCheckpoint(read->checkpoint, model.getSignature(), path);
  if (!held)
    return held.takeError();
  for (const auto &[name, tensor] : *held)
    *model.getParameter(name) = *tensor;
  if (!run->present)
    return llvm::Error::success();
  auto input = tensors.find(run->facts.features);
  if (input == tensors.end() || run->facts.scaler.kind == Scaler::Kind::None)
    return llvm::Error::success();
  notes << "note: input " << input->first << " is scaled as the run's "
        << "training rows were (scale = " << run->settings["scale"] << ")\n";
  return applyScaler(run->facts.scaler, input->second, input->first);
}

/// Compiles, initializes and runs the model on the command line's inputs;
/// with --checkpoint, with the trained parameters.
llvm::Expected<std::pair<std::unique_ptr<Model>, std::vector<Tensor>>>
compileAndRun(const Invocation &inv, const Source &source,
              CompileOptions &options, llvm::raw_ostream &notes) {
  auto values = prepareInputs(inv, source, options);
  if (!values)
    return values.takeError();
  auto model = Model::compile(source, options);
  if (!model)
    return model.takeError();
  if (auto e = (*model)->initParameters(inv.seed))
    return std::move(e);
  auto tensors = inputTensors(*values, (*model)->getSignature());
  if (!tensors)
    return tensors.takeError();
  std::string checkpoint = trainFlag(inv, "checkpoint");
  if (!checkpoint.empty())
    if (auto e = loadTrained(**model, source, checkpoint, *tensors, notes))
      return std::move(e);
  auto outputs = (*model)->run(*tensors);
  if (!outputs)
    return outputs.takeError();
  return std::make_pair(std::move(*model), std::move(*outputs));
}

int runModel(const Invocation &inv, const Source &source,
             CompileOptions &options, llvm::raw_ostream &out,
             llvm::raw_ostream &err) {
  auto result = compileAndRun(inv, source, options, err);
  if (!result)
    return fail(result.takeError(), err);
  std::vector<std::string> names;
  for (const TensorInfo &o : result->first->getSignature().outputs)
    names.push_back(o.name);
  printOutputs(names, result->second, inv.json, out);
  if (inv.profile)
    printProfile(result->first->getEngine(), "the model", out);
  return 0;
}

int runGrad(const Invocation &inv, const Source &source,
            CompileOptions &options, llvm::raw_ostream &out,
            llvm::raw_ostream &err) {
  options.gradients = true;
  options.training = true; // the gradients the training step sees
  auto result = compileAndRun(inv, source, options, err);
  if (!result)
    return fail(result.takeError(), err);
  const Signature &sig = result->first->getSignature();
  const std::vector<Tensor> &values = result->second;
  if (inv.json) {
    llvm::json::OStream j(out);
    j.object([&] {
      writeNumber(j, "loss", values[0].get(0));
      j.attributeObject("grads", [&] {
        for (auto [info, t] : llvm::zip(sig.outputs, values))
          if (!info.gradOf.empty()) {
            j.attributeBegin(info.gradOf);
            writeTensor(j, t);
            j.attributeEnd();
          }
      });
    });
    out << "\n";
    return 0;
  }
  out << "loss = " << formatNumber(values[0].get(0)) << "\n";
  for (auto [info, t] : llvm::zip(sig.outputs, values)) {
    if (info.gradOf.empty())
      continue;
    std::string label = "dL/d" + info.gradOf + " = ";
    out << label;
    int64_t index = 0;
    printNested(t, 0, index, label.size(), out);
    out << "\n";
  }
  if (inv.profile)
    printProfile(result->first->getEngine(), "the loss and gradients", out);
  return 0;
}

int runGradcheck(const Invocation &inv, const Source &source,
                 CompileOptions &options, llvm::raw_ostream &out,
                 llvm::raw_ostream &err) {
  bool random = inv.randomInputs;
  // Missing inputs are reported below, with the hint about random ones.
  auto values = prepareInputs(inv, source, options, /*random=*/true);
  if (!values)
    return fail(values.takeError(), err);
  // Shapes come from the f32 model; the check promotes to f64 itself.
  auto sig = source.check(options);
  if (!sig)
    return fail(sig.takeError(), err);
  auto inputs = inputTensors(*values, *sig);
  if (!inputs)
    return fail(inputs.takeError(), err);
  if (!random)
    for (const ArgInfo &arg : sig->args)
      if (arg.role == TensorInfo::Role::Input && !inputs->count(arg.name))
        return fail(usageError("missing --input " + arg.name +
                               "=... (or pass --inputs random)"),
                    err);
  GradcheckOptions check;
  check.seed = inv.seed;
  check.rtol = inv.tolerance;
  check.maxElements = inv.maxElements;
  auto report = gradcheck(source, options, std::move(*inputs), check);
  if (!report)
    return fail(report.takeError(), err);
  out << "gradcheck " << sig->function << ": f64, central differences, h = "
      << "1e-6*max(1, |w|); pass when |ad - fd| <= "
      << llvm::format("%g + %g", check.atol, check.rtol) << "*|fd|\n";
  bool ok = true;
  for (const ParamCheck &p : *report) {
    out << llvm::format("  %-32s %-14s %5lld/%-5lld checked  max abs err "
                        "%.2e  max rel err %.2e  %s\n",
                        p.name.c_str(), p.type.c_str(), (long long)p.checked,
                        (long long)p.total, p.maxAbsError, p.maxRelError,
                        p.ok ? "ok" : "FAILED");
    ok = ok && p.ok;
  }
  if (!ok) {
    err << "error: some gradients differ from finite differences\n";
    return 1;
  }
  out << "all " << report->size() << " parameters ok\n";
  return 0;
}

} // namespace

/// `nablac sample`: --checkpoint is the only training option it takes.
int runSample(const Invocation &inv, const Source &source,
              const CompileOptions &options, llvm::raw_ostream &out,
              llvm::raw_ostream &err) {
  SampleOptions sampling;
  for (const auto &[flag, value] : inv.trainOverrides) {
    if (flag == "checkpoint")
      sampling.checkpoint = value;
    else if (flag != "seed")
      return fail(
          usageError("sample does not take --" + flag + " (a training option)"),
          err);
  }
  sampling.prompt = inv.prompt;
  sampling.tokens = inv.tokens;
  sampling.temperature = inv.temperature;
  sampling.seed = inv.seed;
  out << sampling.prompt;
  auto result = sample(source, options, sampling, out);
  if (!result)
    return fail(result.takeError(), err);
  out << "\n";
  err << llvm::format("%lld bytes in %.2f s (%.1f bytes/s)\n",
                      static_cast<long long>(result->text.size()),
                      result->seconds,
                      result->text.size() / std::max(result->seconds, 1e-9));
  return 0;
}

/// `nablac predict`: --checkpoint, --data and --batch are the training
/// options it takes.
int runPredict(const Invocation &inv, const Source &source,
               const CompileOptions &options, llvm::raw_ostream &out,
               llvm::raw_ostream &err) {
  PredictOptions predicting;
  predicting.checkpoint = trainFlag(inv, "checkpoint");
  predicting.data = trainFlag(inv, "data");
  predicting.output = inv.outputPath == "-" ? "" : inv.outputPath;
  std::string batch = trainFlag(inv, "batch");
  if (!batch.empty() &&
      (llvm::StringRef(batch).getAsInteger(10, predicting.batch) ||
       predicting.batch < 1))
    return fail(usageError("--batch " + batch + ": must be 1 or more"), err);
  std::string header = trainFlag(inv, "header");
  if (!header.empty() && header != "auto" && header != "yes" && header != "no")
    return fail(usageError("--header " + header + ": must be auto, yes or no"),
                err);
  if (header == "yes")
    predicting.header = CsvOptions::Header::Yes;
  else if (header == "no")
    predicting.header = CsvOptions::Header::No;
  if (auto e = predict(source, options, predicting, out, err))
    return fail(std::move(e), err);
  return 0;
}

/// The process's peak resident memory (the kernel's high-water mark:
/// compiler, data, parameters and every step's buffers together).
static void printPeakMemory(llvm::raw_ostream &out) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return;
  out << llvm::format("peak memory: %.1f MiB resident\n",
                      usage.ru_maxrss / 1024.0); // ru_maxrss is in KiB
}

/// What both exports read: the checkpoint (its run's scaling too) and
/// the weights of the prediction form for `batch` rows, checked against
/// its signature. `held` points into `trained`.
struct ExportWeights {
  TrainedCheckpoint trained;
  std::map<std::string, const Tensor *> held;
};

/// --batch B, when given, into `batch` (1 or more).
static llvm::Error parseBatchFlag(const Invocation &inv, int64_t &batch) {
  std::string text = trainFlag(inv, "batch");
  if (!text.empty() &&
      (llvm::StringRef(text).getAsInteger(10, batch) || batch < 1))
    return usageError("--batch " + text + ": must be 1 or more");
  return llvm::Error::success();
}

static llvm::Expected<std::unique_ptr<ExportWeights>>
readExportWeights(const Invocation &inv, const Source &source,
                  const CompileOptions &options, int64_t batch,
                  llvm::StringRef scalingNote, llvm::raw_ostream &err) {
  std::string path = trainFlag(inv, "checkpoint");
  if (path.empty())
    return usageError(inv.command +
                      " needs the trained parameters: --checkpoint PATH "
                      "(written by nablac train --checkpoint PATH)");
  auto read = readTrainedCheckpoint(path, source, scalingNote, err);
  if (!read)
    return read.takeError();
  auto weights = std::make_unique<ExportWeights>();
  weights->trained = std::move(*read);
  CompileOptions predicting = options;
  predicting.predict = true;
  predicting.dims[source.batchDim(options.model)] = batch;
  auto sig = source.check(predicting);
  if (!sig)
    return sig.takeError();
  auto held = heldFromCheckpoint(weights->trained.checkpoint, *sig, path);
  if (!held)
    return held.takeError();
  weights->held = std::move(*held);
  return std::move(weights);
}

/// `nablac export`: the prediction form and a checkpoint's weights as a
/// C library.
int runExport(const Invocation &inv, const Source &source,
              const CompileOptions &options, llvm::raw_ostream &out,
              llvm::raw_ostream &err) {
  ExportOptions exporting;
  exporting.directory = inv.outputPath;
  exporting.cpu = inv.cpu;
  if (auto e = parseBatchFlag(inv, exporting.batch))
    return fail(std::move(e), err);
  auto weights = readExportWeights(inv, source, options, exporting.batch,
                                   "the library does not scale its input", err);
  if (!weights)
    return fail(weights.takeError(), err);
  exporting.scaler = (*weights)->trained.run.facts.scaler;
  auto result = exportLibrary(source, options, (*weights)->held, exporting);
  if (!result)
    return fail(result.takeError(), err);
  out << "wrote " << result->header << ", " << result->sharedLibrary << " and "
      << result->staticLibrary << ": " << result->function << "() for CPU "
      << exporting.cpu << "\n";
  return 0;
}

/// `nablac export-onnx`: the prediction form and a checkpoint's weights
/// as an ONNX model, its batch symbolic unless --batch fixes it.
int runExportOnnx(const Invocation &inv, const Source &source,
                  const CompileOptions &options, llvm::raw_ostream &out,
                  llvm::raw_ostream &err) {
  OnnxModelOptions exporting;
  exporting.path = inv.outputPath;
  if (auto e = parseBatchFlag(inv, exporting.batch))
    return fail(std::move(e), err);
  auto weights = readExportWeights(
      inv, source, options, exporting.batch ? exporting.batch : 2,
      "the ONNX model takes scaled rows (its metadata says how)", err);
  if (!weights)
    return fail(weights.takeError(), err);
  exporting.scaler = (*weights)->trained.run.facts.scaler;
  const auto &held = (*weights)->held;
  auto name = exportOnnxModel(source, options, held, exporting);
  if (!name)
    return fail(name.takeError(), err);
  out << "wrote " << exporting.path << ": model " << *name << ", "
      << held.size() << " initializers, batch "
      << (exporting.batch ? std::to_string(exporting.batch)
                          : std::string("symbolic ('batch')"))
      << "\n";
  return 0;
}

llvm::Expected<InputValue> parseInput(llvm::StringRef text) {
  auto [name, value] = text.split('=');
  if (name.empty() || value.empty() || !text.contains('='))
    return usageError("--input " + text +
                      ": expected NAME=v1,v2,... or NAME=file.npy");
  InputValue input;
  input.name = name.str();
  if (value.ends_with(".npy")) {
    auto array = readNpy(value);
    if (!array)
      return usageError("--input " + name + ": " +
                        llvm::toString(array.takeError()));
    for (int64_t i = 0; i < array->getNumElements(); ++i)
      if (!std::isfinite(array->get(i)))
        return usageError("--input " + name + ": " + value +
                          " holds a NaN or infinity at flat index " +
                          llvm::Twine(i));
    input.array = std::move(*array);
    return input;
  }
  llvm::SmallVector<llvm::StringRef> parts;
  value.split(parts, ',');
  for (auto [i, part] : llvm::enumerate(parts)) {
    double v;
    llvm::StringRef trimmed = part.trim();
    if (trimmed.getAsDouble(v))
      return usageError("--input " + name + ": '" + trimmed + "' (value " +
                        llvm::Twine(i + 1) + ") is not a number");
    if (!std::isfinite(v))
      return usageError("--input " + name + ": value " + llvm::Twine(i + 1) +
                        " is " + trimmed + "; inputs must be finite");
    input.values.push_back(v);
  }
  return input;
}

void printOutputs(llvm::ArrayRef<std::string> names,
                  llvm::ArrayRef<Tensor> values, bool json,
                  llvm::raw_ostream &os) {
  if (json) {
    llvm::json::OStream j(os);
    j.object([&] {
      j.attributeObject("outputs", [&] {
        for (auto [i, t] : llvm::enumerate(values)) {
          j.attributeBegin(names[i]);
          writeTensor(j, t);
          j.attributeEnd();
        }
      });
    });
    os << "\n";
    return;
  }
  for (auto [i, t] : llvm::enumerate(values)) {
    os << names[i] << " = ";
    if (t.getRank() > 0)
      os << t.typeString() << " ";
    int64_t index = 0;
    int indent =
        names[i].size() + 3 + (t.getRank() > 0 ? t.typeString().size() + 1 : 0);
    printNested(t, 0, index, indent, os);
    os << "\n";
  }
}

int listDevices(llvm::raw_ostream &out, llvm::raw_ostream &err) {
  auto devices = listVulkanDevices();
  if (!devices)
    return fail(devices.takeError(), err);
  auto off = cpuFeaturesTurnedOff();
  if (!off)
    return fail(off.takeError(), err);
  out << "cpu         the host CPU (LLVM JIT): " << hostCpuName() << "\n"
      << "            kernels: " << jitCpuTarget().describeKernels();
  if (!off->empty())
    out << " (NABLA_CPU_FEATURES turns off " << llvm::join(*off, ", ") << ")";
  out << "\n";
  for (const VulkanDeviceInfo &d : *devices) {
    out << llvm::format("vulkan:%-5u", d.index) << d.name << " (" << d.type
        << ", Vulkan " << d.apiVersion << ", " << d.driver << ")\n";
    out << llvm::format("            %.0f MiB device-local memory, ",
                        d.deviceLocalBytes / 1048576.0)
        << llvm::format("largest tensor %.0f MiB, ",
                        d.maxStorageBufferBytes / 1048576.0)
        << "max workgroup " << d.maxWorkgroupInvocations << " invocations";
    if (d.subgroupSize)
      out << ", subgroup size " << d.subgroupSize;
    out << "\n            f16: " << (d.float16 ? "yes" : "no")
        << ", int64: " << (d.int64 ? "yes" : "no")
        << ", int16: " << (d.int16 ? "yes" : "no")
        << ", subgroup arithmetic: " << (d.subgroupArithmetic ? "yes" : "no")
        << ", cooperative matrix: " << (d.cooperativeMatrix ? "yes" : "no")
        << ", timestamps: " << (d.timestamps ? "yes" : "no") << "\n";
  }
  return 0;
}

int runCache(llvm::StringRef action, llvm::raw_ostream &out,
             llvm::raw_ostream &err) {
  if (action != "stats" && action != "clear")
    return fail(
        usageError("nablac cache takes stats or clear, not '" + action + "'"),
        err);
  auto cache = CompileCache::fromEnvironment();
  if (!cache) {
    out << "the compile cache is off (NABLA_CACHE=off, or no home "
           "directory)\n";
    return 0;
  }
  if (action == "clear") {
    auto removed = cache->clear();
    if (!removed)
      return fail(removed.takeError(), err);
    out << "removed " << *removed << " files from " << cache->getDirectory()
        << "\n";
    return 0;
  }
  auto limit = CompileCache::maxBytesFromEnvironment();
  if (!limit)
    return fail(limit.takeError(), err);
  CompileCache::Stats stats = cache->stats();
  out << cache->getDirectory() << ": " << stats.entries << " entries, "
      << formatBytes(stats.bytes) << " of at most " << formatBytes(*limit)
      << " (NABLA_CACHE_MAX)\n";
  return 0;
}

namespace {

/// nablac import MODEL.onnx -o MODEL.nb: the .nb source the importer
/// writes, and beside it MODEL.safetensors with the initializers, which
/// the source's load() calls read (relative to the .nb file).
int runImport(const Invocation &inv, const CompileOptions &options,
              llvm::raw_ostream &out, llvm::raw_ostream &err) {
  if (!llvm::StringRef(inv.file).ends_with(".onnx"))
    return fail(usageError("import reads an ONNX model (.onnx), not '" +
                           inv.file + "'"),
                err);
  if (inv.outputPath == "-" ||
      !llvm::StringRef(inv.outputPath).ends_with(".nb"))
    return fail(usageError("import writes a .nb file: -o MODEL.nb"), err);
  llvm::SmallString<256> weights(inv.outputPath);
  llvm::sys::path::replace_extension(weights, "safetensors");
  OnnxImportOptions importing;
  importing.weightsFile = llvm::sys::path::filename(weights).str();
  importing.dims = options.dims;
  auto imported = importOnnx(inv.file, importing);
  if (!imported)
    return fail(imported.takeError(), err);
  if (llvm::StringRef parent = llvm::sys::path::parent_path(inv.outputPath);
      !parent.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(parent))
      return fail(usageError("cannot create '" + parent + "': " + ec.message()),
                  err);
  Checkpoint checkpoint;
  for (auto &[key, tensor] : imported->weights)
    checkpoint.tensors.emplace(key, std::move(tensor));
  checkpoint.metadata["format"] = "pt";
  checkpoint.metadata["source"] = llvm::sys::path::filename(inv.file).str();
  if (!checkpoint.tensors.empty())
    if (auto e = writeCheckpoint(checkpoint, weights))
      return fail(std::move(e), err);
  auto file = openTextOutput(inv.outputPath);
  if (!file)
    return fail(file.takeError(), err);
  (*file)->os() << imported->text;
  if (auto e = flushOrError((*file)->os(), inv.outputPath))
    return fail(std::move(e), err);
  (*file)->keep();
  out << "wrote " << inv.outputPath;
  if (!checkpoint.tensors.empty())
    out << " and " << weights << " (" << checkpoint.tensors.size()
        << " initializers)";
  out << ": model " << imported->modelName << "\n";
  return 0;
}

/// grad-report --checkpoint CK: the gradients at CK's weights (through
/// --init-from, optimizer state fresh), on its run's data, split and
/// scaling; grad-report writes no checkpoint of its own.
llvm::Error gradReportFromCheckpoint(
    const Source &source, TrainConfig &config,
    llvm::ArrayRef<std::pair<std::string, std::string>> flags,
    llvm::raw_ostream &notes) {
  std::string path = config.checkpoint;
  config.checkpoint.clear();
  if (path.empty())
    return llvm::Error::success();
  if (!config.initFrom.empty())
    return usageError("grad-report takes the weights from --checkpoint or "
                      "from --init-from, not both");
  auto read = readTrainedCheckpoint(
      path, source, "the data and scaling are the model's train block's",
      notes);
  if (!read)
    return read.takeError();
  if (read->run.present)
    adoptRecordedData(read->run, config, flags, notes);
  config.initFrom = path;
  return llvm::Error::success();
}

} // namespace

int runInvocation(const Invocation &inv, llvm::raw_ostream &out,
                  llvm::raw_ostream &err) {
  CompileOptions options;
  options.model = inv.model;
  options.requireScalarLoss = inv.forTraining;
  options.training = inv.forTraining;
  options.configurePassManager = inv.configurePassManager;
  options.fusion = inv.fusion;
  options.verifyEachPass = inv.verifyEach;
  options.device = inv.device;
  options.profile = inv.profile;
  auto device = parseDevice(inv.device);
  if (!device)
    return fail(device.takeError(), err);
  if (inv.threads < 0)
    return fail(usageError("--num-threads must be 1 or more"), err);
  if (inv.maxElements < 1)
    return fail(usageError("--max-elements must be 1 or more, not " +
                           llvm::Twine(inv.maxElements)),
                err);
  if (!(inv.tolerance > 0) || !std::isfinite(inv.tolerance))
    return fail(usageError("--tol must be a positive number"), err);
  if (inv.reportSteps < 0)
    return fail(usageError("--steps must be 0 or more, not " +
                           llvm::Twine(inv.reportSteps)),
                err);
  if (!applyThreadsFromEnvironment())
    return fail(usageError("NABLA_NUM_THREADS must be a number, 1 or more"),
                err);
  if (auto off = cpuFeaturesTurnedOff(); !off)
    return fail(off.takeError(), err);
  if (inv.threads > 0)
    setNumThreads(inv.threads);
  if (auto e = parseDims(inv.dims, options.dims))
    return fail(std::move(e), err);
  if (inv.command == "import")
    return runImport(inv, options, out, err);
  auto source = Source::fromFile(inv.file, options.dims);
  if (!source)
    return fail(source.takeError(), err);
  if (inv.command == "check")
    return runCheck(**source, options, out, err);
  if (inv.command == "emit")
    return runEmit(inv, **source, options, err);
  if (inv.command == "stats")
    return runStats(inv, **source, options, out, err);
  if (inv.command == "grad")
    return runGrad(inv, **source, options, out, err);
  if (inv.command == "gradcheck")
    return runGradcheck(inv, **source, options, out, err);
  if (inv.command == "sample")
    return runSample(inv, **source, options, out, err);
  if (inv.command == "predict")
    return runPredict(inv, **source, options, out, err);
  if (inv.command == "export")
    return runExport(inv, **source, options, out, err);
  if (inv.command == "export-onnx")
    return runExportOnnx(inv, **source, options, out, err);
  if (inv.command == "train" || inv.command == "eval" ||
      inv.command == "grad-report") {
    auto config = makeConfig(**source, inv.trainOverrides);
    if (!config)
      return fail(config.takeError(), err);
    config->gradReportJson = inv.json;
    if (inv.command == "grad-report") {
      if (auto e = gradReportFromCheckpoint(**source, *config,
                                            inv.trainOverrides, err))
        return fail(std::move(e), err);
      // The gradient after `steps` updates: train steps + 1, report the last.
      config->reportOnly = true;
      config->maxSteps = inv.reportSteps + 1;
      config->gradReportEvery = inv.reportSteps + 1;
      config->epochs = std::max<int64_t>(config->epochs, 1 << 20);
      config->metrics.clear();
    }
    if (inv.command == "eval") {
      if (config->checkpoint.empty())
        return fail(usageError("eval needs --checkpoint PATH"), err);
      auto result = evaluate(**source, *config, options, config->checkpoint,
                             inv.trainOverrides, err);
      if (!result)
        return fail(result.takeError(), err);
      out << llvm::format("loss %.4f", result->loss);
      if (result->hasAccuracy)
        out << llvm::format("  accuracy %.2f%%", 100 * result->accuracy);
      out << "\n";
      return 0;
    }
    // Started by mpirun with K > 1 processes: data-parallel training, with
    // process 0 alone printing (every process prints its errors).
    std::unique_ptr<Collective> job;
    if (inv.command == "train") {
      auto joined = joinMpiJob();
      if (!joined)
        return fail(joined.takeError(), err);
      job = std::move(*joined);
      config->train.collective = job.get();
    }
    // Each process of a job takes the GPU of its local rank (round robin
    // where the machine has fewer).
    if (job && options.device == "vulkan") {
      auto devices = listVulkanDevices();
      if (!devices)
        return fail(devices.takeError(), err);
      if (!devices->empty())
        options.device =
            "vulkan:" + std::to_string(localRank() % devices->size());
    }
    bool quiet = job && job->rank() != 0;
    auto summary =
        train(**source, *config, options, quiet ? llvm::nulls() : out,
              quiet ? llvm::nulls() : err);
    if (!summary)
      return fail(summary.takeError(), err);
    if (inv.command == "train" && !quiet)
      printPeakMemory(out);
    return 0;
  }
  return runModel(inv, **source, options, out, err);
}

} // namespace nabla::tools
