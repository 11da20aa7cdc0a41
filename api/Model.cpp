//===- Model.cpp - From a .nb file to JIT-compiled code -------------------===//
//
// Implements the public API (nabla/Model.h): parse, elaborate to the nabla
// dialect, lower through the CPU pipeline and JIT. Every failure comes back
// as an llvm::Error whose text is the user-facing diagnostics.
//
//===----------------------------------------------------------------------===//
#include "nabla/Model.h"
#include "api/Prediction.h"
#include "nabla/runtime/Files.h"
#include "nabla/support/Error.h"

#include "nabla/Backend.h"
#include "nabla/codegen/Passes.h"
#include "nabla/frontend/AST.h"
#include "nabla/frontend/Diagnostics.h"
#include "nabla/frontend/Lexer.h"
#include "nabla/frontend/MLIRGen.h"
#include "nabla/frontend/OnnxImport.h"
#include "nabla/frontend/Parser.h"
#include "nabla/ir/NablaDialect.h"
#include "nabla/passes/Pipelines.h"
#include "nabla/runtime/JitEngine.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace nabla {

namespace {

/// Passes are registered once per process so pipelines can be parsed.
void registerPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    registerCodegenPasses();
    registerNablaPasses();
    registerTrainPipeline();
  });
}

} // namespace

std::unique_ptr<mlir::MLIRContext> createContext() {
  registerPassesOnce();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<NablaDialect>();
  auto context = std::make_unique<mlir::MLIRContext>(registry);
  context->loadAllAvailableDialects();
  return context;
}

namespace {

/// Collects diagnostics as text: frontend errors through DiagnosticEngine,
/// MLIR errors (verifier, passes) through a SourceMgr handler so they too
/// show the user's line and a caret.
struct DiagnosticCapture {
  std::string text;
  llvm::raw_string_ostream os{text};
  DiagnosticEngine diags;
  DiagnosticCapture(llvm::SourceMgr &sourceMgr) : diags(sourceMgr, os) {}
  llvm::Error error() { return makeError(llvm::StringRef(text).rtrim()); }
};

} // namespace

//===----------------------------------------------------------------------===//
// Source
//===----------------------------------------------------------------------===//

/// Lets .nb files read ONNX models: `import "net.onnx" as Net` (a layer)
/// and load("net.onnx", KEY) (an initializer).
static void registerOnnxFrontend() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerOnnxTensorReader();
    registerLayerImporter(".onnx",
                          [](llvm::StringRef path, llvm::StringRef name,
                             const std::vector<std::vector<int64_t>> &argShapes)
                              -> llvm::Expected<std::string> {
                            OnnxImportOptions options;
                            options.layerName = name.str();
                            options.inputShapes = argShapes;
                            auto imported = importOnnx(path, options);
                            if (!imported)
                              return imported.takeError();
                            return imported->text;
                          });
  });
}

struct Source::Impl {
  llvm::SourceMgr sourceMgr;
  std::unique_ptr<ast::Module> module;
  std::string text; // for --emit=tokens

  const ast::Function *findModel(llvm::StringRef name) const {
    for (const ast::Function *m : module->models())
      if (name.empty() || m->name == name)
        return m;
    return nullptr;
  }
};

Source::Source(std::string name, std::unique_ptr<Impl> impl)
    : name(std::move(name)), impl(std::move(impl)) {}
Source::~Source() = default;

llvm::Expected<std::unique_ptr<Source>> Source::copy() const {
  return fromString(impl->text, name);
}

const ast::Module &Source::getAST() const { return *impl->module; }
llvm::StringRef Source::getText() const { return impl->text; }

llvm::Expected<std::unique_ptr<Source>>
Source::fromFile(llvm::StringRef path,
                 const std::map<std::string, int64_t> &dims) {
  registerOnnxFrontend();
  if (path.ends_with(".onnx")) {
    // The initializers load from the model file, named so that the
    // generated source finds it from any folder.
    llvm::SmallString<256> absolute(path);
    llvm::sys::fs::make_absolute(absolute);
    OnnxImportOptions options;
    options.weightsFile = absolute.str().str();
    options.dims = dims;
    auto imported = importOnnx(path, options);
    if (!imported)
      return imported.takeError();
    return fromString(imported->text, path.str() + " (imported)");
  }
  // A model is text: 16 MiB is far beyond any, and a bound on the rest.
  auto buffer = readRegularFile(path, /*maxBytes=*/16 << 20, /*isText=*/true);
  if (!buffer)
    return makeError("error: cannot read '" + path +
                     "': " + llvm::toString(buffer.takeError()));
  return fromString((*buffer)->getBuffer(), path);
}

llvm::Expected<std::unique_ptr<Source>>
Source::fromString(llvm::StringRef text, llvm::StringRef name) {
  auto impl = std::make_unique<Impl>();
  impl->text = text.str();
  impl->sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, name), llvm::SMLoc());
  DiagnosticCapture capture(impl->sourceMgr);
  impl->module = parseModule(capture.diags);
  if (!impl->module || capture.diags.hadError())
    return capture.error();
  return std::unique_ptr<Source>(new Source(name.str(), std::move(impl)));
}

llvm::Error Source::errorAt(llvm::SMLoc loc, const llvm::Twine &message) const {
  DiagnosticCapture capture(impl->sourceMgr);
  capture.diags.error(loc, message);
  return capture.error();
}

llvm::Error Source::errorAt(unsigned line, unsigned column,
                            const llvm::Twine &message) const {
  llvm::SMLoc loc = impl->sourceMgr.FindLocForLineAndColumn(
      impl->sourceMgr.getMainFileID(), line, column);
  return errorAt(loc, message);
}

/// `v` as the shortest of %.15g and %.17g that reads back as `v`.
static std::string shortestText(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", v);
  if (std::strtod(text, nullptr) != v)
    std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

/// A train setting's call or list as text: `[random_crop(padding = 2),
/// hflip]` is "random_crop(padding=2),hflip". Empty for anything else.
static std::string expressionText(const ast::Expr &e) {
  if (auto *n = llvm::dyn_cast<ast::NumberExpr>(&e))
    return n->isInteger ? std::to_string(static_cast<int64_t>(n->value))
                        : shortestText(n->value);
  if (auto *id = llvm::dyn_cast<ast::IdentExpr>(&e))
    return id->name;
  if (auto *str = llvm::dyn_cast<ast::StringExpr>(&e))
    return str->value; // `text("corpus.txt")` is "text(corpus.txt)"
  std::vector<std::string> parts;
  if (auto *call = llvm::dyn_cast<ast::CallExpr>(&e)) {
    for (const ast::ExprPtr &arg : call->args)
      parts.push_back(expressionText(*arg));
    for (const ast::KeywordArg &kw : call->kwargs)
      parts.push_back(kw.name + "=" + expressionText(*kw.value));
    return call->callee + "(" + llvm::join(parts, ",") + ")";
  }
  if (auto *array = llvm::dyn_cast<ast::ArrayExpr>(&e)) {
    for (const ast::ExprPtr &element : array->elements)
      parts.push_back(expressionText(*element));
    return llvm::join(parts, ",");
  }
  return "";
}

std::vector<TrainBlockSetting> Source::trainSettings() const {
  std::vector<TrainBlockSetting> settings;
  if (!impl->module->train)
    return settings;
  for (const auto &assign : impl->module->train->settings) {
    TrainBlockSetting setting;
    setting.name = assign->name;
    setting.loc = assign->getLoc();
    const ast::Expr &e = *assign->value;
    setting.valueLoc = e.getLoc();
    if (auto *n = llvm::dyn_cast<ast::NumberExpr>(&e)) {
      setting.kind = n->isInteger ? TrainBlockSetting::Kind::Integer
                                  : TrainBlockSetting::Kind::Number;
      setting.value = n->isInteger
                          ? std::to_string(static_cast<int64_t>(n->value))
                          : shortestText(n->value);
    } else if (auto *str = llvm::dyn_cast<ast::StringExpr>(&e)) {
      setting.kind = TrainBlockSetting::Kind::String;
      setting.value = str->value;
    } else if (auto *id = llvm::dyn_cast<ast::IdentExpr>(&e)) {
      setting.kind = TrainBlockSetting::Kind::Name;
      setting.value = id->name;
    } else if (llvm::isa<ast::CallExpr, ast::ArrayExpr>(e)) {
      setting.kind = TrainBlockSetting::Kind::Expression;
      setting.value = expressionText(e);
    }
    settings.push_back(std::move(setting));
  }
  return settings;
}

llvm::Expected<std::vector<std::string>>
Source::inputNames(llvm::StringRef model) const {
  const ast::Function *fn = impl->findModel(model);
  if (!fn)
    return makeError(
        name + ": error: no model" +
        (model.empty() ? llvm::Twine("") : " named '" + model + "'"));
  std::vector<std::string> names;
  for (const ast::Argument &arg : fn->args)
    names.push_back(arg.name);
  return names;
}

std::string Source::batchDim(llvm::StringRef model) const {
  const ast::Function *fn = impl->findModel(model);
  if (fn && !fn->args.empty() && fn->args[0].type &&
      !fn->args[0].type->dims.empty() && fn->args[0].type->dims[0].isNamed())
    return fn->args[0].type->dims[0].name;
  return "N";
}

llvm::Error
Source::inferDims(const std::map<std::string, std::vector<int64_t>> &shapes,
                  CompileOptions &options) const {
  const ast::Function *fn = impl->findModel(options.model);
  if (!fn)
    return llvm::Error::success(); // reported when compiling
  DiagnosticCapture capture(impl->sourceMgr);
  std::map<std::string, int64_t> counts;
  for (const ast::Argument &arg : fn->args) {
    auto it = shapes.find(arg.name);
    if (it == shapes.end() || !arg.type)
      continue;
    const std::vector<int64_t> &shape = it->second;
    bool flat = shape.size() == 2 && shape[0] == -1;
    if (flat) {
      counts[arg.name] = shape[1];
      continue;
    }
    if (shape.size() != arg.type->dims.size()) {
      capture.diags.error(arg.loc, "input '" + arg.name +
                                       "' is declared with " +
                                       llvm::Twine(arg.type->dims.size()) +
                                       " dimensions but its data has " +
                                       llvm::Twine(shape.size()));
      return capture.error();
    }
    for (auto [i, dim] : llvm::enumerate(arg.type->dims)) {
      if (!dim.isNamed())
        continue;
      auto [pos, inserted] = options.dims.emplace(dim.name, shape[i]);
      if (!inserted && pos->second != shape[i]) {
        capture.diags.error(
            dim.loc, "dimension " + dim.name + " is " +
                         llvm::Twine(pos->second) + " but input '" + arg.name +
                         "' has size " + llvm::Twine(shape[i]) + " there");
        return capture.error();
      }
    }
  }
  if (!inferDimsFromInputCounts(*fn, counts, options.dims, capture.diags))
    return capture.error();
  return llvm::Error::success();
}

/// Elaborates `source` into the nabla dialect.
static llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
generateModule(mlir::MLIRContext &context, Source::Impl &impl,
               const CompileOptions &options) {
  DiagnosticCapture capture(impl.sourceMgr);
  mlir::SourceMgrDiagnosticHandler handler(impl.sourceMgr, &context,
                                           capture.os);
  MLIRGenOptions genOptions;
  genOptions.dims = options.dims;
  genOptions.model = options.model;
  genOptions.requireScalarLoss = options.requireScalarLoss || options.gradients;
  genOptions.promoteToF64 = options.promoteToF64;
  genOptions.training = options.training;
  registerOnnxFrontend();
  auto module = mlirGen(context, *impl.module, capture.diags, genOptions);
  if (!module || capture.diags.hadError() || !capture.text.empty())
    return capture.error();
  if (options.predict)
    if (auto e = makePredictionForm(*module))
      return makeError(
          impl.sourceMgr.getMemoryBuffer(impl.sourceMgr.getMainFileID())
              ->getBufferIdentifier() +
          ": " + llvm::toString(std::move(e)));
  if (options.gradients) {
    // Errors of nabla-autodiff (a wrt name that is no parameter) are the
    // user's: reported as the frontend's are.
    auto run = [&](mlir::PassManager &pm) -> llvm::Error {
      if (mlir::failed(pm.run(*module)))
        return capture.error();
      return llvm::Error::success();
    };
    if (auto e = runToStage(*module, Stage::Grad, stageOptions(options), run))
      return std::move(e);
  }
  return module;
}

/// With gradients on, keeps only the @M_grad functions (what gets compiled).
static void keepCompiledFunctions(mlir::ModuleOp module,
                                  const CompileOptions &options) {
  if (!options.gradients)
    return;
  for (auto func : llvm::to_vector(module.getOps<mlir::func::FuncOp>()))
    if (!func->hasAttr(attrs::kGradientOf))
      func.erase();
}

/// Runs `pm` on `module`, reporting diagnostics at the .nb source.
static llvm::Error runWithSourceDiagnostics(mlir::PassManager &pm,
                                            mlir::ModuleOp module,
                                            Source::Impl &impl) {
  DiagnosticCapture capture(impl.sourceMgr);
  mlir::SourceMgrDiagnosticHandler handler(impl.sourceMgr, module->getContext(),
                                           capture.os);
  if (mlir::failed(pm.run(module)))
    return makeError("error: lowering failed (a compiler bug; please report "
                     "it with the model):\n" +
                     llvm::StringRef(capture.text).rtrim());
  return llvm::Error::success();
}

static void printTokens(Source::Impl &impl, llvm::raw_ostream &os) {
  DiagnosticCapture capture(impl.sourceMgr);
  auto *buffer = impl.sourceMgr.getMemoryBuffer(impl.sourceMgr.getMainFileID());
  Lexer lexer(buffer->getBuffer(), capture.diags);
  for (const Token &token : lexer.tokenize()) {
    auto [line, col] = capture.diags.getLineAndColumn(token.loc);
    os << line << ":" << col << " " << describe(token.kind);
    if (token.is(TokenKind::Ident) || token.is(TokenKind::Number) ||
        token.is(TokenKind::String))
      os << " " << token.text;
    os << "\n";
  }
}

llvm::Error Source::emit(Stage stage, const CompileOptions &options,
                         llvm::raw_ostream &os,
                         const TrainPipelineSettings &train) const {
  if (stage == Stage::Tokens) {
    printTokens(*impl, os);
    return llvm::Error::success();
  }
  if (stage == Stage::AST) {
    ast::dump(*impl->module, os);
    return llvm::Error::success();
  }
  auto context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (stage == Stage::Mixed || stage == Stage::Fused) {
    // The casts and groups that matter are the whole training step's.
    TrainPipelineSettings settings = train;
    if (stage == Stage::Mixed && settings.precision == Precision::F32)
      settings.precision = Precision::BF16;
    std::string model;
    auto step = buildTrainingStep(*context, options, settings, stage, model);
    if (!step)
      return step.takeError();
    module = std::move(*step);
  } else {
    CompileOptions generate = options;
    generate.gradients = stage == Stage::Grad;
    auto generated = generateModule(*context, *impl, generate);
    if (!generated)
      return generated.takeError();
    module = std::move(*generated);
    if (stage != Stage::Grad)
      if (auto e = runToStage(*module, stage, stageOptions(options),
                              [&](mlir::PassManager &pm) {
                                return runWithSourceDiagnostics(pm, *module,
                                                                *impl);
                              }))
        return e;
  }
  if (stage == Stage::LLVM)
    return printLLVMIR(*module, os);
  module->print(os);
  os << "\n";
  return llvm::Error::success();
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> Source::buildTrainingStep(
    mlir::MLIRContext &context, const CompileOptions &options,
    const TrainPipelineSettings &train, Stage stage, std::string &model) const {
  CompileOptions generate = options;
  generate.gradients = false; // the train pipeline differentiates
  generate.requireScalarLoss = true;
  generate.training = true;
  auto module = generateModule(context, *impl, generate);
  if (!module)
    return module.takeError();
  auto models = llvm::to_vector(llvm::make_filter_range(
      (*module)->getOps<mlir::func::FuncOp>(),
      [](mlir::func::FuncOp f) { return f->hasAttr(attrs::kModel); }));
  if (models.size() != 1)
    return makeError(name + ": error: the file defines several models; "
                            "choose one with --model NAME");
  model = models[0].getSymName().str();
  StageOptions stages = stageOptions(options);
  stages.program = Program::TrainingStep;
  stages.train = train;
  if (auto e = runToStage(**module, std::max(stage, Stage::Mixed), stages,
                          [&](mlir::PassManager &pm) {
                            return runWithSourceDiagnostics(pm, **module,
                                                            *impl);
                          }))
    return std::move(e);
  return module;
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
Source::generate(mlir::MLIRContext &context,
                 const CompileOptions &options) const {
  return generateModule(context, *impl, options);
}

llvm::Expected<Signature> Source::check(const CompileOptions &options) const {
  auto context = createContext();
  auto module = generateModule(*context, *impl, options);
  if (!module)
    return module.takeError();
  keepCompiledFunctions(**module, options);
  auto funcs = llvm::to_vector((*module)->getOps<mlir::func::FuncOp>());
  return readSignature(funcs.front());
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Model::~Model() = default;

llvm::Expected<std::unique_ptr<Model>>
Model::compileFile(llvm::StringRef path, const CompileOptions &options) {
  auto source = Source::fromFile(path);
  if (!source)
    return source.takeError();
  return compile(**source, options);
}

llvm::Expected<std::unique_ptr<Model>>
Model::compile(const Source &source, const CompileOptions &options) {
  auto context = createContext();
  auto module = generateModule(*context, *source.impl, options);
  if (!module)
    return module.takeError();
  keepCompiledFunctions(**module, options);
  auto funcs = llvm::to_vector((*module)->getOps<mlir::func::FuncOp>());
  if (funcs.size() != 1)
    return makeError(source.getName() +
                     ": error: the file defines several models; choose one "
                     "with --model NAME");
  auto signature = readSignature(funcs.front());
  if (!signature)
    return signature.takeError();
  return fromModule(
      **module, std::move(*signature), options, [&](mlir::PassManager &pm) {
        return runWithSourceDiagnostics(pm, **module, *source.impl);
      });
}

llvm::Expected<std::unique_ptr<Model>>
Model::compileModule(mlir::ModuleOp module, llvm::StringRef function,
                     const CompileOptions &options) {
  mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
  auto func = copy->lookupSymbol<mlir::func::FuncOp>(function);
  if (!func)
    return makeError("error: the module has no function @" + function);
  // Only `function` is compiled.
  for (auto other : llvm::to_vector(copy->getOps<mlir::func::FuncOp>()))
    if (other != func)
      other.erase();
  auto signature = readSignature(func);
  if (!signature)
    return signature.takeError();
  return fromModule(*copy, std::move(*signature), options,
                    [&](mlir::PassManager &pm) -> llvm::Error {
                      std::string text;
                      llvm::raw_string_ostream os(text);
                      mlir::ScopedDiagnosticHandler handler(
                          copy->getContext(), [&](mlir::Diagnostic &d) {
                            os << d << "\n";
                            return mlir::success();
                          });
                      if (mlir::failed(pm.run(*copy)))
                        return makeError("error: lowering failed: " +
                                         llvm::StringRef(text).rtrim());
                      return llvm::Error::success();
                    });
}

llvm::Expected<std::unique_ptr<Model>>
Model::fromModule(mlir::ModuleOp module, Signature signature,
                  const CompileOptions &options,
                  llvm::function_ref<llvm::Error(mlir::PassManager &)> run) {
  auto engine = createEngine(module, options, run);
  if (!engine)
    return engine.takeError();
  if (auto e = (*engine)->prepare(signature.function))
    return makeError("error: JIT compilation failed: " +
                     llvm::toString(std::move(e)));
  uint64_t bytes = 0;
  for (const ArgInfo &arg : signature.args)
    if (arg.isHeld())
      bytes += arg.sizeInBytes();
  if (auto e = checkFitsInMemory(bytes, "the parameters"))
    return std::move(e);
  std::unique_ptr<Model> model(new Model());
  model->signature = std::move(signature);
  model->engine = std::move(*engine);
  for (const ArgInfo &arg : model->signature.args)
    if (arg.isHeld())
      model->parameters.emplace_back(arg.type, arg.shape);
  // Parameters stay on a GPU between runs; only the host writes them.
  for (const Tensor &t : model->parameters)
    model->engine->setResident(&t);
  return model;
}

const CompileInfo &Model::getCompileInfo() const {
  return engine->getCompileInfo();
}

llvm::Error Model::initParameters(uint64_t seed) {
  size_t p = 0;
  for (const ArgInfo &arg : signature.args) {
    if (!arg.isHeld())
      continue;
    std::string error;
    engine->hostChanged(&parameters[p]);
    if (!initialize(parameters[p++], arg.init, seed, arg.name, error))
      return makeError("error: cannot initialize " +
                       llvm::Twine(arg.isParam ? "parameter" : "held value") +
                       " '" + arg.name + "': " + error);
  }
  return llvm::Error::success();
}

Tensor *Model::getParameter(llvm::StringRef name) {
  size_t p = 0;
  for (const ArgInfo &arg : signature.args) {
    if (!arg.isHeld())
      continue;
    if (arg.name == name) {
      engine->hostChanged(&parameters[p]); // the caller may write it
      return &parameters[p];
    }
    ++p;
  }
  return nullptr;
}

llvm::Expected<std::vector<Tensor>>
Model::run(const std::map<std::string, Tensor> &inputs) {
  std::vector<Tensor> converted; // inputs in argument order
  std::vector<std::string> names;
  for (const ArgInfo &arg : signature.args)
    if (!arg.isHeld())
      names.push_back(arg.name);
  for (const auto &[name, tensor] : inputs)
    if (!llvm::is_contained(names, name))
      return makeError("error: model " + signature.function +
                       " has no input '" + name +
                       "' (its inputs: " + llvm::join(names, ", ") + ")");
  converted.reserve(names.size());
  for (const ArgInfo &arg : signature.args) {
    if (arg.isHeld())
      continue;
    auto it = inputs.find(arg.name);
    if (it == inputs.end())
      return makeError("error: missing input '" + arg.name + "' (" +
                       arg.typeString() + ")");
    const Tensor &t = it->second;
    if (t.getShape() != arg.shape)
      return makeError("error: input '" + arg.name + "' must be " +
                       arg.typeString() + ", got " + t.typeString());
    converted.push_back(t.convertTo(arg.type));
    if (auto e = checkLabels(arg, converted.back()))
      return std::move(e);
  }

  auto inputPtrs = [](std::vector<Tensor> &tensors) {
    std::vector<Tensor *> ptrs;
    for (Tensor &t : tensors)
      ptrs.push_back(&t);
    return ptrs;
  };
  std::vector<Tensor> outputs;
  for (const TensorInfo &out : signature.outputs)
    outputs.emplace_back(out.type, out.shape);
  std::vector<Tensor *> outPtrs;
  for (Tensor &t : outputs)
    outPtrs.push_back(&t);
  if (auto err = runInPlace(inputPtrs(converted), outPtrs))
    return std::move(err);
  return outputs;
}

llvm::Error Model::runInPlace(llvm::ArrayRef<Tensor *> inputs,
                              llvm::ArrayRef<Tensor *> outputs) {
  std::vector<Tensor *> args;
  size_t input = 0, param = 0;
  for (const ArgInfo &arg : signature.args) {
    if (arg.isHeld()) {
      args.push_back(&parameters[param++]);
      continue;
    }
    if (input >= inputs.size())
      return makeError("error: missing input '" + arg.name + "' (" +
                       arg.typeString() + ")");
    Tensor *t = inputs[input++];
    if (t->getShape() != arg.shape || t->getElementType() != arg.type)
      return makeError("error: input '" + arg.name + "' must be " +
                       arg.typeString() + ", got " + t->typeString());
    args.push_back(t);
  }
  if (input != inputs.size() || outputs.size() != signature.outputs.size())
    return makeError("error: model " + signature.function + " takes " +
                     llvm::Twine(input) + " inputs and " +
                     llvm::Twine(signature.outputs.size()) + " outputs");
  for (auto [t, out] : llvm::zip(outputs, signature.outputs))
    if (t->getShape() != out.shape || t->getElementType() != out.type)
      return makeError("error: output '" + out.name + "' must be " +
                       out.typeString() + ", got " + t->typeString());
  if (auto err = engine->call(signature.function, args, outputs))
    return makeError("error: running " + signature.function +
                     " failed: " + llvm::toString(std::move(err)));
  return llvm::Error::success();
}

} // namespace nabla
