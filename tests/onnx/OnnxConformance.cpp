//===- OnnxConformance.cpp - The ONNX backend node tests through nabla ----===//
//
// onnx-conformance [--device cpu|vulkan] [--markdown FILE] [--filter TEXT]
//                  [--verbose] DIR
//
// DIR is the ONNX project's node tests (Debian's libonnx-testdata:
// /usr/share/libonnx-testdata/data/node): a folder per test, each a
// model.onnx and test_data_set_*/ of input_K.pb and output_K.pb tensors.
// Every test is imported (frontend/onnx), compiled for the device, run on
// each data set and compared with the expected outputs with the suite's
// own tolerances (|got - want| <= 1e-7 + 1e-3 |want|, NaN equal to NaN).
// A test the importer refuses (an op, attribute or type outside nabla) is
// counted as unsupported, apart from failures. Prints a table per op and
// `N passed, M failed`; exits 1 when any supported test failed.
//
//===----------------------------------------------------------------------===//
#include "nabla/Model.h"
#include "nabla/frontend/OnnxImport.h"
#include "nabla/runtime/VulkanEngine.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace nabla;

namespace {

enum class Outcome { Passed, Failed, UnsupportedOp, UnsupportedOther };

struct Result {
  std::string test, op;
  Outcome outcome;
  std::string detail;
};

struct Counts {
  int passed = 0, failed = 0, unsupportedOp = 0, unsupportedOther = 0;
  std::string reason; // why it is unsupported (the first test's)
};

std::vector<std::string> listDir(const std::string &dir,
                                 llvm::StringRef prefix = "") {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.starts_with(prefix))
      names.push_back(name.str());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// The numbered .pb files `stem`_K.pb of `dir`, in K's order.
std::vector<std::string> numbered(const std::string &dir,
                                  llvm::StringRef stem) {
  std::vector<std::string> files;
  for (int k = 0;; ++k) {
    std::string path = dir + "/" + stem.str() + "_" + std::to_string(k) + ".pb";
    if (!llvm::sys::fs::exists(path))
      return files;
    files.push_back(path);
  }
}

std::string compare(const Tensor &got, const Tensor &want) {
  if (got.getShape() != want.getShape() &&
      got.getNumElements() != want.getNumElements())
    return "shape " + formatTensorType(got.getElementType(), got.getShape()) +
           ", expected " +
           formatTensorType(want.getElementType(), want.getShape());
  for (int64_t i = 0; i < got.getNumElements(); ++i) {
    double g = got.get(i), w = want.get(i);
    if (std::isnan(w) && std::isnan(g))
      continue;
    if (std::isinf(w) && g == w)
      continue;
    if (!(std::fabs(g - w) <= 1e-7 + 1e-3 * std::fabs(w)))
      return llvm::formatv("element {0}: {1}, expected {2}", i, g, w).str();
  }
  return "";
}

/// The outcome of an import that failed: unsupported (an op, or an
/// attribute or type) or a failure.
void classifyImportError(Result &r, llvm::Error error) {
  std::string message = llvm::toString(std::move(error));
  size_t at = message.find("unsupported: ");
  r.detail = message.substr(at == std::string::npos ? 0 : at);
  if (at == std::string::npos)
    r.outcome = Outcome::Failed;
  else if (message.find("has no translation of") != std::string::npos)
    r.outcome = Outcome::UnsupportedOp;
  else
    r.outcome = Outcome::UnsupportedOther;
}

struct DataSet {
  std::string name;
  std::vector<Tensor> inputs, outputs;
};

/// Runs `set` through the model imported with the set's inputs known (an
/// op that reads an input as numbers, as Slice's bounds, folds them):
/// empty when the outputs match, else what differs.
std::optional<std::string> runSet(const std::string &modelPath,
                                  const OnnxGraphInfo &info, const DataSet &set,
                                  const std::string &device, Result &r) {
  if (set.inputs.size() != info.inputs.size())
    return set.name + ": " + std::to_string(set.inputs.size()) +
           " inputs for " + std::to_string(info.inputs.size());
  OnnxImportOptions importOptions;
  for (size_t k = 0; k < set.inputs.size(); ++k)
    importOptions.inputValues.emplace(info.inputs[k], set.inputs[k]);
  auto imported = importOnnx(modelPath, importOptions);
  if (!imported) {
    classifyImportError(r, imported.takeError());
    return r.detail;
  }
  auto source = Source::fromString(imported->text, modelPath);
  if (!source)
    return "does not compile: " + llvm::toString(source.takeError());
  CompileOptions options;
  options.device = device;
  auto model = Model::compile(**source, options);
  if (!model)
    return "does not compile: " + llvm::toString(model.takeError());
  if (auto e = (*model)->initParameters(0))
    return llvm::toString(std::move(e));
  const Signature &sig = (*model)->getSignature();
  std::map<std::string, Tensor> feed;
  for (const auto &[onnxName, name] : imported->inputs) {
    size_t k = std::find(info.inputs.begin(), info.inputs.end(), onnxName) -
               info.inputs.begin();
    int arg = sig.findArg(name, /*isParam=*/false);
    if (k == info.inputs.size() || arg < 0)
      return "input '" + onnxName + "' is not the model's";
    feed.emplace(name, set.inputs[k].convertTo(sig.args[arg].type));
  }
  auto results = (*model)->run(feed);
  if (!results)
    return set.name + ": " + llvm::toString(results.takeError());
  if (results->size() < set.outputs.size())
    return set.name + ": " + std::to_string(results->size()) + " outputs for " +
           std::to_string(set.outputs.size());
  for (size_t k = 0; k < set.outputs.size(); ++k) {
    std::string diff = compare((*results)[k], set.outputs[k]);
    if (!diff.empty())
      return set.name + " output " + std::to_string(k) + ": " + diff;
  }
  return std::nullopt;
}

Result runTest(const std::string &dir, const std::string &name,
               const std::string &device) {
  Result r{name, "", Outcome::Failed, ""};
  std::string path = dir + "/" + name, modelPath = path + "/model.onnx";
  // The import first: an unsupported op or attribute is known before the
  // data is read.
  if (auto imported = importOnnx(modelPath); !imported) {
    classifyImportError(r, imported.takeError());
    // Unless the op only needs numbers the test feeds from outside
    // (Slice's bounds, empty axes), the verdict is known now.
    if (r.detail.find("must be a constant") == std::string::npos &&
        r.detail.find("' is empty") == std::string::npos)
      return r;
  }
  auto info = onnxGraphInfo(modelPath);
  if (!info) {
    r.outcome = Outcome::Failed;
    r.detail = llvm::toString(info.takeError());
    return r;
  }
  // The data: a test whose tensors nabla cannot hold is unsupported on
  // every device, whatever the model compiles to.
  std::vector<DataSet> sets;
  for (const std::string &set : listDir(path, "test_data_set_")) {
    DataSet d{set, {}, {}};
    std::string data = path + "/" + set;
    for (auto [files, into] : {std::pair(numbered(data, "input"), &d.inputs),
                               std::pair(numbered(data, "output"), &d.outputs)})
      for (const std::string &file : files) {
        auto t = readOnnxTensorFile(file);
        if (!t) {
          r.detail = llvm::toString(t.takeError());
          r.outcome = r.detail.find("which nabla lacks") != std::string::npos
                          ? Outcome::UnsupportedOther
                          : Outcome::Failed;
          return r;
        }
        into->push_back(std::move(*t));
      }
    sets.push_back(std::move(d));
  }
  for (const DataSet &set : sets) {
    r.outcome = Outcome::Failed;
    if (auto problem = runSet(modelPath, *info, set, device, r)) {
      r.detail = *problem;
      return r;
    }
  }
  r.outcome = Outcome::Passed;
  r.detail.clear();
  return r;
}

/// The op type of the test's node; a test of several nodes (a function
/// expanded into its body) is counted under "(several nodes)".
std::string nodeOpType(const std::string &modelPath) {
  auto info = onnxGraphInfo(modelPath);
  if (!info) {
    llvm::consumeError(info.takeError());
    return "(unreadable)";
  }
  if (info->opTypes.size() == 1)
    return info->opTypes.front();
  return "(several nodes)";
}

} // namespace

int main(int argc, char **argv) {
  std::string device = "cpu", markdown, filter, dir;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--device" && i + 1 < argc)
      device = argv[++i];
    else if (arg == "--markdown" && i + 1 < argc)
      markdown = argv[++i];
    else if (arg == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (arg == "--verbose")
      verbose = true;
    else if (!arg.starts_with("-") && dir.empty())
      dir = arg.str();
    else {
      llvm::errs() << "usage: onnx-conformance [--device cpu|vulkan] "
                      "[--markdown FILE] [--filter TEXT] [--verbose] DIR\n";
      return 2;
    }
  }
  if (dir.empty() || !llvm::sys::fs::is_directory(dir)) {
    llvm::errs() << "error: '" << dir
                 << "' is not the node tests' folder (Debian: "
                    "/usr/share/libonnx-testdata/data/node)\n";
    return 2;
  }
  if (device != "cpu") {
    auto devices = listVulkanDevices();
    if (!devices || devices->empty()) {
      if (!devices)
        llvm::consumeError(devices.takeError());
      llvm::outs() << "skipped: no Vulkan device (mesa-vulkan-drivers has "
                      "lavapipe, a CPU one)\n";
      return 0;
    }
  }
  std::map<std::string, Counts> byOp;
  int passed = 0, failed = 0, unsupported = 0;
  for (const std::string &test : listDir(dir, "test_")) {
    if (!filter.empty() && test.find(filter) == std::string::npos)
      continue;
    if (verbose)
      llvm::errs() << "run " << test << "\n";
    Result r = runTest(dir, test, device);
    std::string op = nodeOpType(dir + "/" + test + "/model.onnx");
    Counts &c = byOp[op];
    switch (r.outcome) {
    case Outcome::Passed:
      ++c.passed, ++passed;
      break;
    case Outcome::Failed:
      ++c.failed, ++failed;
      break;
    case Outcome::UnsupportedOp:
      ++c.unsupportedOp, ++unsupported;
      break;
    case Outcome::UnsupportedOther:
      ++c.unsupportedOther, ++unsupported;
      break;
    }
    if (r.outcome != Outcome::Passed && c.reason.empty())
      c.reason = r.detail;
    if (r.outcome == Outcome::Failed ||
        (verbose && r.outcome != Outcome::Passed))
      llvm::outs() << (r.outcome == Outcome::Failed ? "FAIL " : "skip ") << test
                   << ": " << r.detail << "\n";
  }
  std::string table;
  llvm::raw_string_ostream t(table);
  t << "| op | passed | failed | unsupported op | unsupported attribute or "
       "type | why not (the first test's) |\n| --- | --- | --- | --- | --- "
       "| --- |\n";
  for (const auto &[op, c] : byOp) {
    std::string why = c.reason;
    std::replace(why.begin(), why.end(), '|', '/');
    std::replace(why.begin(), why.end(), '\n', ' ');
    t << "| " << op << " | " << c.passed << " | " << c.failed << " | "
      << c.unsupportedOp << " | " << c.unsupportedOther << " | "
      << (c.passed && !c.failed && !c.unsupportedOp && !c.unsupportedOther
              ? ""
              : why)
      << " |\n";
  }
  llvm::outs() << table;
  std::string summary = llvm::formatv("{0} passed, {1} failed ({2} unsupported "
                                      "on {3})",
                                      passed, failed, unsupported, device)
                            .str();
  llvm::outs() << summary << "\n";
  if (!markdown.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream md(markdown, ec);
    if (ec) {
      llvm::errs() << "error: cannot write '" << markdown
                   << "': " << ec.message() << "\n";
      return 2;
    }
    md << table << "\n" << summary << "\n";
  }
  return failed ? 1 : 0;
}
