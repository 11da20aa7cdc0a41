//===- Commands.h - What nablac's commands do -------------------*- C++ -*-===//
//
// The body of each nablac command, as library code so tests can call it
// with strings in and strings out.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_COMMANDS_H
#define NABLA_COMMANDS_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir {
class PassManager;
}

namespace nabla::tools {

struct Invocation {
  std::string command; // run, check, emit, grad, gradcheck, train, eval, ...
  std::string file;
  std::string emitStage;
  std::string outputPath = "-";
  std::string cpu = "x86-64-v3";   // export: the target CPU
  std::vector<std::string> inputs; // NAME=v1,v2 or NAME=file.npy
  std::vector<std::string> dims;   // NAME=SIZE
  uint64_t seed = 0;
  bool json = false;
  std::string model;
  bool forTraining = false;
  bool fusion = true;         // --no-fusion turns it off
  bool verifyEach = false;    // --verify-each
  std::string device = "cpu"; // cpu, vulkan or vulkan:N
  bool profile = false;       // per-dispatch device times (Vulkan)
  int threads = 0;            // --num-threads; 0: the environment's default
  // gradcheck
  bool randomInputs = false;
  double tolerance = 1e-3;
  int64_t maxElements = 256;
  // train and eval: flags given on the command line, by name ("lr", ...).
  std::vector<std::pair<std::string, std::string>> trainOverrides;
  int64_t reportSteps = 0; // grad-report: updates before the report
  // sample
  std::string prompt;
  int64_t tokens = 200;
  double temperature = 1.0;
  std::function<void(mlir::PassManager &)> configurePassManager;
};

/// `nablac devices`: the Vulkan devices and their capabilities.
int listDevices(llvm::raw_ostream &out, llvm::raw_ostream &err);

/// `nablac cache stats|clear`: the compile cache's entries and size, or
/// removes them.
int runCache(llvm::StringRef action, llvm::raw_ostream &out,
             llvm::raw_ostream &err);

/// Runs one nablac command; returns the process exit code.
int runInvocation(const Invocation &inv, llvm::raw_ostream &out,
                  llvm::raw_ostream &err);

/// A value given on the command line: a tensor from a .npy file, or a flat
/// list of numbers whose shape comes from the model.
struct InputValue {
  std::string name;
  std::vector<double> values;  // a flat list
  std::optional<Tensor> array; // from a .npy file
};

/// Parses `NAME=v1,v2,...` or `NAME=path.npy`. Rejects NaN and infinity.
llvm::Expected<InputValue> parseInput(llvm::StringRef text);

/// Prints outputs as `name = value` lines, or as nablac's JSON object
/// {"outputs": {NAME: {"shape": [...], "data": [...]}}}.
void printOutputs(llvm::ArrayRef<std::string> names,
                  llvm::ArrayRef<Tensor> values, bool json,
                  llvm::raw_ostream &os);

} // namespace nabla::tools

#endif // NABLA_COMMANDS_H
