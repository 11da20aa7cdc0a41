//===- nablac.cpp - The nabla command-line compiler -----------------------===//
//
// A thin main: parses the command line and calls the commands' library
// (tools/nablac/Commands.h) over the API (api/). Anything worth testing
// lives in a library.
//
//===----------------------------------------------------------------------===//
#include "nabla/MpiCollective.h"
#include "nabla/runtime/Files.h"
#include "tools/nablac/CommandLine.h"
#include "tools/nablac/Commands.h"
#include "tools/nablac/RunRecord.h"
#include "tools/nablac/TrainCommand.h"
#include "tools/nablac/TrainSettings.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <deque>

namespace cl = llvm::cl;

static cl::OptionCategory category("nablac options");

static cl::list<std::string> positional(cl::Positional,
                                        cl::desc("[COMMAND] FILE.nb"),
                                        cl::cat(category));
static cl::opt<std::string>
    emit("emit", cl::desc("Print a stage instead of running (see main)"),
         cl::value_desc("stage"), cl::cat(category));
static cl::opt<std::string>
    output("o",
           cl::desc("Write --emit output to FILE; predict: the predictions "
                    "(.npy or .csv); export: the directory"),
           cl::value_desc("FILE"), cl::init("-"), cl::cat(category));
static cl::alias outputAlias("output", cl::desc("Alias for -o"),
                             cl::aliasopt(output), cl::cat(category));
static cl::opt<std::string>
    cpu("cpu",
        cl::desc("export: the CPU the library is compiled for: x86-64-v3 "
                 "(the default: AVX2, any x86-64 CPU since 2015), "
                 "x86-64-v4 (AVX-512), native (this CPU) or an LLVM CPU "
                 "name (znver4, sapphirerapids, ...)"),
        cl::value_desc("CPU"), cl::init("x86-64-v3"), cl::cat(category));
static cl::list<std::string>
    inputs("input",
           cl::desc("An input of the model: NAME=v1,v2,... or NAME=file.npy "
                    "(repeatable)"),
           cl::value_desc("NAME=VALUES"), cl::cat(category));
static cl::list<std::string>
    dims("dim", cl::desc("Bind a named dimension: N=128 (repeatable)"),
         cl::value_desc("NAME=SIZE"), cl::cat(category));
static cl::opt<uint64_t> seed("seed",
                              cl::desc("Seed for parameter initialization "
                                       "(sample: for its draws; default 0)"),
                              cl::init(0), cl::cat(category));
static cl::opt<bool> json("json", cl::desc("Print results as one JSON object"),
                          cl::cat(category));
static cl::opt<std::string> model("model",
                                  cl::desc("Which model of the file to use "
                                           "(default: the first)"),
                                  cl::value_desc("NAME"), cl::cat(category));
static cl::opt<bool> noFusion(
    "no-fusion",
    cl::desc("Compile every op as its own kernel (turn nabla-fusion off)"),
    cl::cat(category));
static cl::opt<bool> verifyEach(
    "verify-each",
    cl::desc("Verify the IR after every compiler pass, to find the one that "
             "breaks it (slower; by default it is verified once at the end "
             "of each pipeline)"),
    cl::cat(category));
static cl::opt<std::string> device(
    "device",
    cl::desc("Where to run: cpu (default), vulkan (the first GPU) or "
             "vulkan:N (see nablac devices)"),
    cl::value_desc("cpu|vulkan|vulkan:N"), cl::init("cpu"), cl::cat(category));
static cl::opt<bool> profile(
    "profile",
    cl::desc("Print the time of every kernel of the last training step (or "
             "of the run), slowest first, by fusion group and source "
             "position: timestamp queries on Vulkan, the clock on the CPU"),
    cl::cat(category));
static cl::opt<int> threads(
    "num-threads",
    cl::desc("CPU threads of the compiled code's parallel loops (default: "
             "$NABLA_NUM_THREADS, $OMP_NUM_THREADS, else one per core)"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
static cl::opt<bool> forTraining(
    "for-training",
    cl::desc("check: the training form (batch statistics, new state as "
             "outputs), and require that the first result is a scalar loss"),
    cl::cat(category));

static cl::opt<std::string> inputsMode(
    "inputs",
    cl::desc("gradcheck: `random` draws every input not given with --input"),
    cl::value_desc("random"), cl::cat(category));
static cl::opt<double> tolerance(
    "tol", cl::desc("gradcheck: relative tolerance (default 1e-3)"),
    cl::init(1e-3), cl::cat(category));
static cl::opt<int64_t> reportSteps(
    "steps",
    cl::desc("grad-report: training steps before the report (default 0: at "
             "initialization); stats: steps timed (default 200)"),
    cl::init(0), cl::cat(category));
static cl::opt<std::string>
    prompt("prompt",
           cl::desc("sample: the text the model continues (default: a "
                    "newline)"),
           cl::value_desc("TEXT"), cl::cat(category));
static cl::opt<int64_t> tokens("tokens",
                               cl::desc("sample: bytes to draw (default 200)"),
                               cl::init(200), cl::cat(category));
static cl::opt<double> temperature(
    "temperature",
    cl::desc("sample: divides the logits before the softmax: below 1 "
             "sharper, above 1 more random, 0 always the likeliest byte "
             "(default 1)"),
    cl::init(1.0), cl::cat(category));
static cl::opt<int64_t> maxElements(
    "max-elements",
    cl::desc("gradcheck: elements checked per parameter (default 256)"),
    cl::init(256), cl::cat(category));

// Training options: their values are passed as text to the library, which
// checks them like the settings of a model's train block.
static cl::OptionCategory trainCategory("nablac train / eval options");
// One flag per setting of the table (tools/nablac/TrainSettings.cpp), with
// its default in the help; registered in main, before parsing.
static std::vector<std::unique_ptr<cl::opt<std::string>>> trainFlags;
static std::vector<std::unique_ptr<cl::opt<bool>>> trainSwitches;
// llvm::cl keeps references to names and help texts: they live here.
static std::deque<std::string> trainFlagText;

static void registerTrainFlags() {
  nabla::tools::TrainConfig defaults;
  for (const nabla::tools::TrainSetting &s : nabla::tools::trainSettings()) {
    if (s.name == "seed")
      continue; // nablac's own --seed, passed on below
    std::string value = s.get(defaults);
    llvm::StringRef flag = trainFlagText.emplace_back(s.flag());
    llvm::StringRef desc = trainFlagText.emplace_back(
        s.help + (value.empty() ? "" : " (default " + value + ")"));
    if (s.type == nabla::tools::TrainSetting::Type::Switch) {
      trainSwitches.push_back(std::make_unique<cl::opt<bool>>(
          flag, cl::desc(desc), cl::cat(trainCategory)));
      continue;
    }
    trainFlags.push_back(std::make_unique<cl::opt<std::string>>(
        flag, cl::desc(desc), cl::value_desc(s.value), cl::cat(trainCategory)));
  }
}

static const char *const kOverview = R"(nablac: the nabla compiler

Compiles models written in the .nb language to native code and runs them.
Every command that takes FILE.nb also takes an ONNX model (MODEL.onnx;
bind its symbolic dims with --dim NAME=SIZE).

Commands (nablac help COMMAND, or nablac COMMAND --help, lists the flags
of one):
  nablac run FILE.nb --input NAME=... [--seed N] [--json] [--checkpoint CK]
                         evaluate the model and print every output by name
                         (with --checkpoint, with trained parameters)
  nablac grad FILE.nb --input NAME=... [--seed N] [--json]
                         print the loss and its gradient for every parameter
  nablac gradcheck FILE.nb [--inputs random] [--tol X] [--max-elements K]
                         compare every gradient with finite differences (f64)
  nablac train FILE.nb [--data ...] [--epochs E] [--batch B] [--optimizer ...]
               [--lr X] [--clip-norm X] [--accumulate K] [--checkpoint PATH]
               [--precision f32|bf16|f16] [--loss-scale none|dynamic|X]
               [--resume PATH] [--metrics FILE.jsonl] [--seed N]
                         train with the model's train block, flags overriding it
  mpirun -np K nablac train FILE.nb ...
                         the same, data-parallel over K processes: each takes
                         batch/K rows of every batch, gradients averaged
  nablac grad-report FILE.nb [--steps N] [--json]
                         the gradient norm of every layer, as bars on a log
                         scale, flagging vanishing and exploding gradients
  nablac eval FILE.nb --checkpoint PATH
                         evaluate saved parameters on the rows their run
                         held out
  nablac predict FILE.nb --checkpoint PATH --data FILE [--output F.npy|F.csv]
                         run the trained model over a data file
  nablac export FILE.nb --checkpoint PATH -o DIR [--cpu CPU] [--batch B]
                         a shared and a static library of the trained
                         model, and a C header (no LLVM or nabla needed)
  nablac sample FILE.nb --checkpoint PATH [--prompt TEXT] [--tokens K]
                [--temperature T] [--seed S]
                         continue the prompt with K bytes drawn from a
                         trained byte-level model (its input i32[N, T],
                         its output the logits f32[N, T, 256])
  nablac import MODEL.onnx -o MODEL.nb [--dim NAME=SIZE]
                         write an ONNX model as .nb source, its weights
                         beside it (MODEL.safetensors)
  nablac export-onnx FILE.nb --checkpoint PATH -o MODEL.onnx [--batch B]
                         the trained model as an ONNX model (opset 17), its
                         weights inside; a symbolic batch, or B rows
  nablac check FILE.nb [--for-training]
                         parse and type-check; print the inputs, parameters
                         and outputs with their shapes
  nablac cache stats|clear
                         the compile cache's entries and size (at most
                         $NABLA_CACHE_MAX, 1G by default), or empty it
  nablac devices         list the devices: the CPU and every Vulkan device,
                         with its memory and capabilities
  nablac stats FILE.nb [--steps N]
                         the training step's kernels, bytes of intermediate
                         tensors, time per step and compile time per stage,
                         with and without fusion
  nablac FILE.nb --emit=STAGE [-o OUT]
                         print a compilation stage: tokens, ast, nabla,
                         grad, mixed (the training step's casts, with
                         --precision, bf16 by default), fused (the training
                         step's fusion groups), linalg, llvm-dialect, llvm,
                         gpu (kernels and the host function that launches
                         them) or spirv (the kernels as SPIR-V)

run, grad, train, eval and grad-report take --device cpu|vulkan|vulkan:N:
the CPU (LLVM JIT, the default) or a GPU through Vulkan (SPIR-V); run,
grad and train take --profile, which times every kernel (a dispatch on
Vulkan). On the CPU, loops with enough work run on every core;
--num-threads N (or NABLA_NUM_THREADS=N) sets how many. The CPU kernels
are chosen from the CPU's features (nablac devices lists them: AVX-512
or AVX2 vectors, bf16 matmuls on AVX512-BF16 dot products);
NABLA_CPU_FEATURES=-avx512bf16,-avx512f turns features off, to run the
paths of a lesser CPU.

MLIR's pass-manager options also apply (--mlir-print-ir-after-all,
--mlir-timing, ...).

Compiled code is cached in ~/.cache/nabla ($XDG_CACHE_HOME/nabla), or in
$NABLA_CACHE_DIR; NABLA_CACHE=off compiles every time.
)";

/// The command word of the command line (its first argument that is not
/// a flag), or null.
static const nabla::tools::CommandInfo *commandWord(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-')
      return nabla::tools::findCommand(argv[i]);
  return nullptr;
}

/// `nablac help [COMMAND]` and `nablac COMMAND --help`: the command's own
/// flags. Returns whether it printed help.
static bool printHelp(int argc, char **argv) {
  using nabla::tools::findCommand;
  if (argc >= 2 && llvm::StringRef(argv[1]) == "help") {
    if (argc == 2) {
      // What --help prints (it needs the parser's overview and program
      // name: cl::PrintHelpMessage() before parsing has neither).
      const char *asHelp[] = {argv[0], "--help"};
      cl::ParseCommandLineOptions(2, asHelp, kOverview);
      return true;
    }
    const auto *command = findCommand(argv[2]);
    if (!command) {
      llvm::errs() << "error: no command '" << argv[2]
                   << "' (nablac --help lists them)\n";
      std::exit(1);
    }
    nabla::tools::printCommandHelp(*command, llvm::outs());
    return true;
  }
  const auto *command = commandWord(argc, argv);
  if (!command)
    return false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h") {
      nabla::tools::printCommandHelp(*command, llvm::outs());
      return true;
    }
  }
  return false;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerTrainFlags();
  static const std::string emitHelp =
      "Print a stage instead of running: " + nabla::stageNames();
  emit.setDescription(emitHelp);
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerAsmPrinterCLOptions();
  // libLLVM registers hundreds of backend flags; --help shows ours and
  // MLIR's pass-manager ones (--mlir-*), and the rest stay usable.
  for (auto &[name, option] : cl::getRegisteredOptions()) {
    bool ours = llvm::is_contained(option->Categories, &category) ||
                llvm::is_contained(option->Categories, &trainCategory);
    if (!ours && !name.starts_with("mlir-") && name != "help" &&
        name != "version")
      option->setHiddenFlag(cl::Hidden);
    else if (name.starts_with("mlir-"))
      option->addCategory(category);
  }
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "nabla " << nabla::tools::nablaVersion() << "\n"
       << "LLVM and MLIR " << LLVM_VERSION_STRING << "\n"
       << (nabla::haveMpi() ? "MPI: data-parallel training under mpirun\n"
                            : "MPI: not built (-DNABLA_MPI=OFF or no MPI)\n");
  });
  if (printHelp(argc, argv))
    return 0;
  if (!cl::ParseCommandLineOptions(argc, argv, kOverview, &llvm::errs()))
    return 1;

  nabla::tools::Invocation inv;
  if (positional.size() == 1 && positional[0] == "devices")
    return nabla::tools::listDevices(llvm::outs(), llvm::errs());
  if (!positional.empty() && positional[0] == "cache") {
    if (positional.size() != 2) {
      llvm::errs() << "error: usage: nablac cache stats|clear\n";
      return 1;
    }
    return nabla::tools::runCache(positional[1], llvm::outs(), llvm::errs());
  }
  if (positional.empty()) {
    llvm::errs() << "error: no input file (try: nablac --help)\n";
    return 1;
  }
  std::vector<std::string> args(positional.begin(), positional.end());
  if (nabla::tools::findCommand(args[0]) && args[0] != "emit") {
    inv.command = args[0];
    args.erase(args.begin());
  } else if (emit.empty()) {
    if (args.size() == 1 && (llvm::StringRef(args[0]).ends_with(".nb") ||
                             llvm::StringRef(args[0]).ends_with(".onnx"))) {
      llvm::errs() << "error: say what to do with " << args[0]
                   << ": nablac run " << args[0] << " ..., nablac check "
                   << args[0] << ", or nablac " << args[0]
                   << " --emit=STAGE (see nablac --help)\n";
      return 1;
    }
    llvm::errs() << "error: unknown command '" << args[0]
                 << "' (commands: run, grad, gradcheck, train, eval, predict, "
                    "export, import, grad-report, check, stats, sample, "
                    "devices; see nablac --help)\n";
    return 1;
  } else {
    inv.command = "emit";
  }
  // A flag the command does not read is an error, never ignored.
  std::vector<std::string> given;
  for (auto &[name, option] : cl::getRegisteredOptions())
    if (option->getNumOccurrences() && option != &outputAlias &&
        (llvm::is_contained(option->Categories, &category) ||
         llvm::is_contained(option->Categories, &trainCategory)))
      given.push_back(name.str());
  if (outputAlias.getNumOccurrences())
    given.push_back("output");
  std::string refused =
      checkFlags(*nabla::tools::findCommand(inv.command), given);
  if (!refused.empty()) {
    llvm::errs() << refused << "\n";
    return 1;
  }
  if (args.size() != 1) {
    llvm::errs() << "error: expected exactly one .nb file, got "
                 << args.size() << "\n";
    return 1;
  }
  inv.file = args[0];
  inv.emitStage = emit;
  inv.outputPath = output;
  inv.cpu = cpu;
  inv.inputs.assign(inputs.begin(), inputs.end());
  inv.dims.assign(dims.begin(), dims.end());
  inv.seed = seed;
  inv.json = json;
  inv.model = model;
  inv.forTraining = forTraining;
  inv.fusion = !noFusion;
  inv.verifyEach = verifyEach;
  inv.device = device;
  inv.profile = profile;
  inv.threads = threads;
  if (!inputsMode.empty() && inputsMode != "random") {
    llvm::errs() << "error: --inputs takes only `random`\n";
    return 1;
  }
  inv.randomInputs = inputsMode == "random";
  inv.tolerance = tolerance;
  inv.maxElements = maxElements;
  inv.reportSteps = reportSteps;
  inv.prompt = prompt;
  inv.tokens = tokens;
  inv.temperature = temperature;
  for (auto &flag : trainSwitches)
    if (flag->getNumOccurrences())
      inv.trainOverrides.push_back(
          {flag->ArgStr.str(), *flag ? "true" : "false"});
  for (auto &flag : trainFlags)
    if (flag->getNumOccurrences())
      inv.trainOverrides.push_back({flag->ArgStr.str(), *flag});
  if (seed.getNumOccurrences())
    inv.trainOverrides.push_back({"seed", std::to_string(seed)});
  // Only a run given --mlir-* options watches the passes; the others may
  // skip them when the compile cache holds the model's code.
  bool watchPasses = false;
  for (auto &[name, option] : cl::getRegisteredOptions())
    watchPasses |= name.starts_with("mlir-") && option->getNumOccurrences();
  if (watchPasses)
    inv.configurePassManager = [](mlir::PassManager &pm) {
      (void)mlir::applyPassManagerCLOptions(pm);
      mlir::applyDefaultTimingPassManagerCLOptions(pm);
    };
  int code = nabla::tools::runInvocation(inv, llvm::outs(), llvm::errs());
  // Standard output that cannot be written (a full disk, /dev/full) is one
  // error line, not an abort at exit.
  if (auto e = nabla::flushOrError(llvm::outs(), "standard output")) {
    llvm::errs() << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  return code;
}
