//===- CommandLine.cpp - nablac's commands and the flags each takes -------===//
#include "tools/nablac/CommandLine.h"
#include "tools/nablac/TrainSettings.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"

namespace nabla::tools {

namespace {

// Flags many commands share.
const std::vector<std::string> kCompile = {
    "model", "dim", "no-fusion", "device", "num-threads", "verify-each"};
// The training settings eval reads: which rows, and how they are scaled.
const std::vector<std::string> kEvalData = {
    "data",  "labels", "test-data", "test-labels", "header", "classes",
    "split", "scale",  "divisor",   "checkpoint",  "seed"};

std::vector<std::string> with(std::vector<std::string> a,
                              const std::vector<std::string> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<CommandInfo> makeCommands() {
  std::vector<CommandInfo> c;
  c.push_back(
      {"run", "nablac run FILE.nb --input NAME=... [options]",
       "Evaluate the model and print every output by name; with "
       "--checkpoint, with trained parameters (and the features "
       "scaled as in training).",
       with({"input", "seed", "json", "profile", "checkpoint"}, kCompile)});
  c.push_back(
      {"grad", "nablac grad FILE.nb --input NAME=... [options]",
       "Print the loss and its gradient for every parameter; with "
       "--checkpoint, at trained parameters.",
       with({"input", "seed", "json", "profile", "checkpoint"}, kCompile)});
  c.push_back({"gradcheck",
               "nablac gradcheck FILE.nb [options]",
               "Compare every gradient with finite differences (in f64).",
               {"input", "inputs", "tol", "max-elements", "seed", "model",
                "dim", "num-threads"}});
  c.push_back({"train", "nablac train FILE.nb [options]",
               "Train with the model's train block, flags overriding it.",
               with({"seed", "profile", "json"}, kCompile),
               /*trainFlags=*/true});
  c.push_back({"eval", "nablac eval FILE.nb --checkpoint PATH [options]",
               "Evaluate saved parameters on the rows their run held out, "
               "scaled as the run's were (flags that disagree with the "
               "checkpoint win, with a note).",
               with(kEvalData, kCompile)});
  c.push_back({"predict",
               "nablac predict FILE.nb --checkpoint PATH --data FILE "
               "[--output preds.npy|preds.csv]",
               "Run the trained model over a data file (.npy or .csv) in "
               "batches, scaled as in training; CSV on standard output "
               "unless --output says where (for a classifier, the class "
               "first).",
               with({"checkpoint", "data", "header", "batch", "o", "output"},
                    kCompile)});
  c.push_back({"export",
               "nablac export FILE.nb --checkpoint PATH -o DIR",
               "Write a shared and a static library with the trained model "
               "inside, and a C header: int NAME_predict(const float *x, "
               "int64_t n, float *y). They need only libc and libm.",
               {"checkpoint", "o", "output", "batch", "cpu", "model", "dim"}});
  c.push_back({"export-onnx",
               "nablac export-onnx FILE.nb --checkpoint PATH -o MODEL.onnx",
               "Write the trained model (its prediction form: the first "
               "input, the outputs that do not need the targets) as an ONNX "
               "model, opset 17, with the weights inside. Its batch dim is "
               "symbolic ('batch'), or B rows with --batch B. The graph "
               "takes rows scaled as in training; the scaling is in its "
               "metadata.",
               {"checkpoint", "o", "output", "batch", "model", "dim"}});
  c.push_back({"grad-report", "nablac grad-report FILE.nb [options]",
               "The gradient norm of every layer, as bars on a log scale, "
               "flagging vanishing and exploding gradients (after --steps "
               "training steps; at a checkpoint's weights with "
               "--checkpoint).",
               with({"steps", "json", "seed"}, kCompile), true});
  c.push_back({"sample", "nablac sample FILE.nb --checkpoint PATH [options]",
               "Continue the prompt with bytes drawn from a trained "
               "byte-level model (input i32[N, T], logits f32[N, T, 256]).",
               with({"checkpoint", "prompt", "tokens", "temperature", "seed"},
                    kCompile)});
  c.push_back({"check",
               "nablac check FILE.nb [options]",
               "Parse and type-check; print the inputs, parameters and "
               "outputs with their shapes.",
               {"model", "dim", "for-training"}});
  c.push_back({"stats", "nablac stats FILE.nb [options]",
               "The training step's kernels, bytes of intermediate tensors, "
               "time per step and compile time, with and without fusion.",
               with({"steps", "seed"}, kCompile), true});
  c.push_back({"devices",
               "nablac devices",
               "List the devices: the CPU and every Vulkan device.",
               {}});
  c.push_back({"import",
               "nablac import MODEL.onnx -o MODEL.nb [--dim ...]",
               "Write an ONNX model as .nb source, and its initializers "
               "beside it as MODEL.safetensors (which the source's load() "
               "calls read).",
               {"o", "output", "dim"}});
  c.push_back({"emit", "nablac FILE.nb --emit=STAGE [-o OUT]",
               "Print a compilation stage (nablac --help lists them).",
               with({"emit", "o", "output", "for-training", "seed", "profile"},
                    kCompile),
               true});
  return c;
}

} // namespace

llvm::ArrayRef<CommandInfo> commands() {
  static const std::vector<CommandInfo> table = makeCommands();
  return table;
}

const CommandInfo *findCommand(llvm::StringRef name) {
  for (const CommandInfo &c : commands())
    if (c.name == name)
      return &c;
  return nullptr;
}

bool takesFlag(const CommandInfo &command, llvm::StringRef flag) {
  if (flag.starts_with("mlir-") || flag == "help" || flag == "version")
    return true;
  if (llvm::is_contained(command.flags, flag))
    return true;
  if (!command.trainFlags)
    return false;
  const TrainSetting *setting = findTrainSetting(flag);
  return setting && setting->flag() == flag;
}

/// Every flag `command` reads, as spelled on the command line.
static std::vector<std::string> flagsOf(const CommandInfo &command) {
  std::vector<std::string> flags = command.flags;
  if (command.trainFlags)
    for (const TrainSetting &s : trainSettings())
      if (!llvm::is_contained(flags, s.flag()))
        flags.push_back(s.flag());
  return flags;
}

std::string checkFlags(const CommandInfo &command,
                       llvm::ArrayRef<std::string> given) {
  for (const std::string &flag : given) {
    if (takesFlag(command, flag))
      continue;
    std::vector<std::string> own = flagsOf(command);
    std::string closest;
    unsigned best = 3; // a typo: at most two edits away
    for (const std::string &f : own) {
      unsigned d = llvm::StringRef(flag).edit_distance(f);
      if (d < best) {
        best = d;
        closest = f;
      }
    }
    std::string text =
        "error: nablac " + command.name + " does not take --" + flag;
    if (!closest.empty())
      text += " (did you mean --" + closest + "?)";
    std::vector<std::string> dashed;
    for (const std::string &f : own)
      dashed.push_back((f.size() == 1 ? "-" : "--") + f);
    text += "; its flags: " +
            (dashed.empty() ? std::string("none") : llvm::join(dashed, " ")) +
            " (nablac help " + command.name + ")";
    return text;
  }
  return "";
}

void printCommandHelp(const CommandInfo &command, llvm::raw_ostream &os) {
  os << "USAGE: " << command.usage << "\n\n";
  // The summary, wrapped at 76 columns.
  llvm::SmallVector<llvm::StringRef> words;
  llvm::StringRef(command.summary).split(words, ' ');
  std::string line;
  for (llvm::StringRef w : words) {
    if (!line.empty() && line.size() + 1 + w.size() > 76) {
      os << "  " << line << "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w.str();
  }
  if (!line.empty())
    os << "  " << line << "\n";
  std::vector<std::string> flags = flagsOf(command);
  if (flags.empty())
    return;
  os << "\nOPTIONS:\n";
  auto &registered = llvm::cl::getRegisteredOptions();
  for (const std::string &flag : flags) {
    auto it = registered.find(flag);
    if (it == registered.end())
      continue;
    llvm::cl::Option *option = it->second;
    std::string left = (flag.size() == 1 ? "  -" : "  --") + flag;
    if (!option->ValueStr.empty())
      left += "=<" + option->ValueStr.str() + ">";
    os << left;
    if (left.size() < 30)
      os.indent(30 - left.size());
    else
      os << "\n" << std::string(30, ' ');
    os << option->HelpStr << "\n";
  }
  os << "\nMLIR's --mlir-* options (nablac --help) apply to every command.\n";
}

} // namespace nabla::tools
