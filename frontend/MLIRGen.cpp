//===- MLIRGen.cpp - Elaborate a .nb module into the nabla dialect --------===//
//
// An interpreter over the AST whose tensor values are SSA values: numbers,
// dims, functions and inits are compile-time values; tensors are emitted as
// nabla ops as they are computed. Layers are inlined at each call (with a
// fresh naming scope), `repeat` is unrolled, and every shape is checked
// before an op is built so that errors point at the user's text.
//
//===----------------------------------------------------------------------===//
#include "nabla/frontend/MLIRGen.h"

#include "Shapes.h"
#include "nabla/frontend/Parser.h"
#include "nabla/ir/NablaOps.h"
#include "nabla/ir/ShapeUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>

using namespace mlir;
using namespace nabla::ast;
using llvm::SMLoc;
using llvm::StringRef;

namespace nabla {
namespace {

/// The largest integer a compile-time number (a double) holds exactly.
constexpr double kMaxExactInteger = 9007199254740992.0; // 2^53

/// The most elements a declared tensor may have (2^32: 16 GiB of f32).
constexpr int64_t kMaxElements = int64_t(1) << 32;

/// Initializers a `param` may name.
const char *const kInits[] = {
    "zeros",          "ones",         "xavier",        "xavier_normal",
    "xavier_uniform", "he",           "he_normal",     "he_uniform",
    "lecun",          "lecun_normal", "lecun_uniform", "normal",
    "uniform",        "load"};

bool isOneOf(StringRef name, llvm::ArrayRef<const char *> list) {
  return llvm::any_of(list, [&](const char *s) { return name == s; });
}

constexpr int kMaxLayerDepth = 64;
constexpr int64_t kMaxRepeat = 100000;
/// The most statements a model may unroll to, all repeats and layer calls
/// counted: a bound on compile time and memory, both linear in the count
/// (a chain of Dense layers, four statements each, compiles in about 0.08 s
/// and 1.3 MB a layer on a 2-core Zen 3; 1000 layers in 74 s). Far above
/// the largest models in examples/ and bench/ (W8's LSTM unrolled over 128
/// steps: about 1,100).
constexpr int64_t kMaxStatements = 20000;

/// A compile-time or run-time value of the language.
struct Val {
  enum class Kind {
    None,
    Tensor,
    Number,
    Function,
    Init,
    Array,
    String,
    DType,
    Tuple
  };
  Kind kind = Kind::None;
  mlir::Value tensor;           // Tensor
  double number = 0;            // Number
  bool isInt = false;           // Number
  std::string name;             // Function, Init, String, DType
  const Expr *expr = nullptr;   // Array literal, Init call with arguments
  std::vector<Val> elements;    // Tuple: split's pieces
  SMLoc loc;                    // where it was written

  static Val ofTensor(mlir::Value v, SMLoc loc) {
    Val r;
    r.kind = Kind::Tensor;
    r.tensor = v;
    r.loc = loc;
    return r;
  }
  static Val ofNumber(double n, bool isInt, SMLoc loc) {
    Val r;
    r.kind = Kind::Number;
    r.number = n;
    r.isInt = isInt;
    r.loc = loc;
    return r;
  }
  static Val ofName(Kind kind, std::string name, SMLoc loc,
                    const Expr *expr = nullptr) {
    Val r;
    r.kind = kind;
    r.name = std::move(name);
    r.loc = loc;
    r.expr = expr;
    return r;
  }
  bool ok() const { return kind != Kind::None; }
  RankedTensorType type() const {
    return cast<RankedTensorType>(tensor.getType());
  }
};

/// nabla.compare's predicate for a comparison operator, or nullopt.
std::optional<StringRef> comparison(BinaryExpr::Op op) {
  switch (op) {
  case BinaryExpr::Op::Lt:
    return StringRef("lt");
  case BinaryExpr::Op::Le:
    return StringRef("le");
  case BinaryExpr::Op::Gt:
    return StringRef("gt");
  case BinaryExpr::Op::Ge:
    return StringRef("ge");
  case BinaryExpr::Op::Eq:
    return StringRef("eq");
  case BinaryExpr::Op::Ne:
    return StringRef("ne");
  default:
    return std::nullopt;
  }
}

std::string describe(const Val &v) {
  switch (v.kind) {
  case Val::Kind::Tensor: return "a tensor " + formatType(v.type());
  case Val::Kind::Number: return "the number " + llvm::formatv("{0}", v.number).str();
  case Val::Kind::Function: return "the function '" + v.name + "'";
  case Val::Kind::Init: return "the initializer '" + v.name + "'";
  case Val::Kind::Array: return "an array literal";
  case Val::Kind::String: return "a string";
  case Val::Kind::DType: return "the type '" + v.name + "'";
  case Val::Kind::Tuple:
    if (v.name == "list")
      return "a list of " + std::to_string(v.elements.size()) + " tensors";
    return std::to_string(v.elements.size()) + " tensors (from " + v.name + ")";
  case Val::Kind::None: break;
  }
  return "nothing";
}

/// Names bound in one model or layer instance.
struct Scope {
  llvm::StringMap<Val> values;
  std::string prefix;                   // `Residual_2.` for nested params
  llvm::StringMap<unsigned> layerCalls; // for `Dense_1`, `Dense_2`, ...
  llvm::StringSet<> paramNames;
};

/// Arguments of a call matched to the callee's parameter names.
struct BoundArgs {
  std::vector<const Expr *> exprs; // null where the default applies
  std::vector<SMLoc> locs;
};

/// A parameter of a built-in function. Arguments bind by position or by
/// keyword (`softmax(x, axis = 0)`); an optional one that is not given
/// takes `defaultValue`, or, without one, a default its builder computes
/// (all axes, the reversed permutation).
struct BuiltinParam {
  const char *name;
  bool required;
  std::optional<double> defaultValue;
};

BuiltinParam required(const char *name) { return {name, true, std::nullopt}; }
BuiltinParam optional(const char *name,
                      std::optional<double> defaultValue = std::nullopt) {
  return {name, false, defaultValue};
}

class Generator;
struct BuiltinCall;

/// A built-in function: its name, its parameters in order, and the builder
/// that checks the bound arguments and emits its ops.
struct Builtin {
  const char *name;
  std::vector<BuiltinParam> params;
  Val (*build)(Generator &gen, BuiltinCall &call);
};

/// A call of a built-in, its arguments bound to the builtin's parameters.
struct BuiltinCall {
  const Builtin &builtin;
  const CallExpr &call;
  BoundArgs bound;
  Scope &scope;

  StringRef name() const { return builtin.name; }
  SMLoc loc() const { return call.getLoc(); }
  /// The argument bound to parameter `i`, or null where it is defaulted.
  const Expr *arg(unsigned i) const { return bound.exprs[i]; }
  /// Where to point at parameter `i`: its argument, else the call.
  SMLoc argLoc(unsigned i) const { return arg(i) ? arg(i)->getLoc() : loc(); }
};

class Generator {
public:
  Generator(MLIRContext &ctx, const ast::Module &module,
            DiagnosticEngine &diags, const MLIRGenOptions &options)
      : ctx(ctx), module(module), diags(diags), options(options),
        builder(&ctx) {}

  OwningOpRef<ModuleOp> run();

private:
  // Models and layers.
  enum class Flow { Error, Continue, Returned };
  bool emitModel(const Function &model);
  Flow exec(const std::vector<StmtPtr> &stmts, Scope &scope,
            std::vector<Val> &results, bool inRepeat);
  std::optional<std::vector<Val>> runBody(const std::vector<StmtPtr> &body,
                                          const Function &fn, Scope &scope);
  Val callLayer(const Function &layer, const CallExpr &call, Scope &caller);
  Val instantiate(const Function &layer, const CallExpr &call,
                  ArrayRef<Val> args, ArrayRef<SMLoc> locs, Scope &caller);
  Val callImport(const Import &import, const CallExpr &call, Scope &caller);
  std::string besideSource(StringRef file, SMLoc loc);
  const Function *importedLayer(const Import &import, const CallExpr &call,
                                ArrayRef<Val> args);
  bool bindTyped(const Argument &arg, const Val &value, Scope &scope,
                 SMLoc useLoc);

  // Statements.
  bool emitParam(const ParamStmt &stmt, Scope &scope);
  std::optional<SmallVector<NamedAttribute>> loadSpec(const Val &init, SMLoc l,
                                                      Scope &scope);
  DictionaryAttr initSpec(const Val &init, RankedTensorType type, SMLoc loc,
                          Scope &scope);

  // Expressions.
  Val eval(const Expr &expr, Scope &scope);
  Val evalIdent(const IdentExpr &expr, Scope &scope);
  Val evalUnary(const UnaryExpr &expr, Scope &scope);
  Val evalBinary(const BinaryExpr &expr, Scope &scope);
  Val evalCall(const CallExpr &expr, Scope &scope);
  Val evalIndex(const IndexExpr &expr, Scope &scope);
  Val matmul(const Val &a, const Val &b, SMLoc at);
  std::optional<SmallVector<const IndexItem *>>
  expandIndex(const IndexExpr &expr, int64_t rank, RankedTensorType type);
  Val callBuiltin(const Builtin &builtin, const CallExpr &call, Scope &scope);

  // Built-in functions: the table (builtins()) and the builders it names.
  static llvm::ArrayRef<Builtin> builtins();
  static const Builtin *findBuiltin(StringRef name);
  template <typename OpTy> static Val unary(Generator &g, BuiltinCall &c);
  static Val identity(Generator &g, BuiltinCall &c);
  static Val gelu(Generator &g, BuiltinCall &c);
  static Val softmaxLike(Generator &g, BuiltinCall &c);
  static Val reduction(Generator &g, BuiltinCall &c);
  static Val maximum(Generator &g, BuiltinCall &c);
  static Val transpose(Generator &g, BuiltinCall &c);
  static Val reshape(Generator &g, BuiltinCall &c);
  static Val flatten(Generator &g, BuiltinCall &c);
  static Val globalAvgPool(Generator &g, BuiltinCall &c);
  static Val batchNorm(Generator &g, BuiltinCall &c);
  static Val dropout(Generator &g, BuiltinCall &c);
  static Val convolution(Generator &g, BuiltinCall &c);
  static Val convTranspose(Generator &g, BuiltinCall &c);
  static Val maxPool(Generator &g, BuiltinCall &c);
  static Val avgPool(Generator &g, BuiltinCall &c);
  static Val pad(Generator &g, BuiltinCall &c);
  static Val concat(Generator &g, BuiltinCall &c);
  static Val where(Generator &g, BuiltinCall &c);
  static Val triangle(Generator &g, BuiltinCall &c);
  static Val causalMask(Generator &g, BuiltinCall &c);
  static Val arange(Generator &g, BuiltinCall &c);
  static Val layerNorm(Generator &g, BuiltinCall &c);
  static Val logsumexp(Generator &g, BuiltinCall &c);
  static Val embedding(Generator &g, BuiltinCall &c);
  static Val oneHot(Generator &g, BuiltinCall &c);
  static Val take(Generator &g, BuiltinCall &c);
  static Val split(Generator &g, BuiltinCall &c);
  bool listOfTensors(const Val &v);
  Val joinLists(const Val &lhs, const Val &rhs, SMLoc loc, Scope &scope);
  bool bindAssigned(const AssignStmt &assign, const Val &v, Scope &scope);
  mlir::Value gatherRows(mlir::Value table, mlir::Value ids, Location l);
  mlir::Value flatOneHot(mlir::Value ids, int64_t classes, Type element,
                         Location l);
  Val idsArg(BuiltinCall &c, unsigned i);
  mlir::Value boolMatrix(int64_t rows, int64_t cols, int64_t diagonal,
                         bool lower, SMLoc l);
  std::optional<SmallVector<Val>> tensorList(BuiltinCall &c, unsigned i);
  static Val broadcastTo(Generator &g, BuiltinCall &c);
  static Val castTo(Generator &g, BuiltinCall &c);
  static Val crossEntropy(Generator &g, BuiltinCall &c);
  static Val pairLoss(Generator &g, BuiltinCall &c);
  // Arguments of built-ins, evaluated and checked.
  Val tensorArg(BuiltinCall &c, unsigned i, Type elementType = Type());
  Val floatArg(BuiltinCall &c, unsigned i);
  std::optional<double> numberArg(BuiltinCall &c, unsigned i);
  // Arguments and pieces of the window builtins (conv, pooling).
  struct Window {
    SmallVector<int64_t> kernel, stride, padding;
  };
  std::optional<SmallVector<int64_t>> spatialArg(BuiltinCall &c, unsigned i,
                                                 int64_t spatial,
                                                 ArrayRef<int64_t> fallback,
                                                 int64_t least);
  Val imageArg(BuiltinCall &c, unsigned i, int64_t spatial);
  Val weightArg(BuiltinCall &c, unsigned i, const Val &x, int64_t spatial,
                StringRef layout);
  std::optional<int64_t> intArg(BuiltinCall &c, unsigned i);
  std::optional<int64_t> axisArg(BuiltinCall &c, unsigned i,
                                 RankedTensorType type);
  std::optional<Window> poolWindow(BuiltinCall &c, int64_t spatial);
  mlir::Value padSpatial(mlir::Value x, ArrayRef<int64_t> low,
                         ArrayRef<int64_t> high, double value, SMLoc l);
  std::optional<SmallVector<int64_t>>
  windowOutput(BuiltinCall &c, RankedTensorType x, ArrayRef<int64_t> in,
               ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
               ArrayRef<int64_t> dilation);
  Val addChannelBias(BuiltinCall &c, unsigned i, mlir::Value y);

  // Helpers.
  std::optional<BoundArgs> bindArgs(const CallExpr &call, StringRef callee,
                                    llvm::ArrayRef<std::string> params,
                                    llvm::ArrayRef<bool> required);
  /// False (after an error at `l`) when `shape` has more than
  /// kMaxElements elements.
  bool checkSize(ArrayRef<int64_t> shape, SMLoc l);
  std::optional<RankedTensorType> resolveType(const TypeExpr &type,
                                              Scope &scope);
  Val asTensor(const Val &v, Type elementType, SMLoc loc);
  std::optional<RankedTensorType> literalType(const Expr &expr,
                                              SmallVector<double> &values);
  std::optional<int64_t> evalInt(const Expr *expr, Scope &scope,
                                 StringRef what);
  std::optional<SmallVector<int64_t>> evalIntList(const Expr *expr,
                                                  Scope &scope, StringRef what);
  Val fail(SMLoc loc, const Twine &message) {
    diags.error(loc, message);
    return {};
  }
  /// file:line:col, wrapped in the layer instance's name inside a layer
  /// (`"Residual_2.Dense_1"(file:line:col)`), so a report about an op can
  /// say which call of a layer it belongs to.
  Location loc(SMLoc l) {
    auto [line, col] = diags.getLineAndColumn(l);
    Location fileLoc =
        FileLineColLoc::get(&ctx, diags.getBufferName(l), line, col);
    // Named after the layer instance and the repeat iterations inside it
    // ("Block_2", "t = 5", "Block_2, iteration 1"): an unrolled body's ops
    // share their file position, and --check-numerics names the one that
    // failed.
    std::string name = currentLayer;
    for (const std::string &iteration : iterations)
      name += (name.empty() ? "" : ", ") + iteration;
    if (name.empty())
      return fileLoc;
    return NameLoc::get(StringAttr::get(&ctx, name), fileLoc);
  }
  mlir::Value scalarConstant(Type elementType, double value, SMLoc l);
  Type elementType(DType dtype) {
    switch (dtype) {
    case DType::F32: return defaultFloat();
    case DType::F16: return builder.getF16Type();
    case DType::BF16: return builder.getBF16Type();
    case DType::I32: return builder.getI32Type();
    case DType::I1: return builder.getI1Type();
    }
    return defaultFloat();
  }
  /// f32, or f64 when the model is compiled in double precision.
  Type defaultFloat() {
    return options.promoteToF64 ? Type(builder.getF64Type())
                                : Type(builder.getF32Type());
  }

  MLIRContext &ctx;
  const ast::Module &module;
  DiagnosticEngine &diags;
  const MLIRGenOptions &options;
  OpBuilder builder;
  func::FuncOp func;
  std::vector<DictionaryAttr> argAttrs;
  /// The model's `state` arguments in declaration order, with their names
  /// ("state:BatchNorm_1.running_mean"), and the value each holds after
  /// the ops emitted so far (training form: batch_norm's updates).
  SmallVector<std::pair<mlir::Value, std::string>> stateArgs;
  llvm::DenseMap<mlir::Value, mlir::Value> stateValues;
  /// The training form's generator key, made by the first dropout: the
  /// run's seed and the count of forward calls so far (nabla.hyper
  /// "dropout_seed" and "dropout_counter"), and the next op's stream.
  mlir::Value dropoutSeed, dropoutCounter;
  int64_t dropoutStreams = 0;
  llvm::SmallPtrSet<const Function *, 8> activeLayers;
  std::string currentLayer; // "Residual_2.Dense_1" inside that instance
  // The layers imports made, parsed, by import name and argument types.
  std::map<std::string, std::unique_ptr<ast::Module>> importedLayers;
  /// The repeat iterations being unrolled, outermost first: "t = 3" for
  /// `repeat t in ...`, "iteration 3" for `repeat k`.
  std::vector<std::string> iterations;
  int depth = 0;
  int64_t statementsRun = 0; // see kMaxStatements
};

//===----------------------------------------------------------------------===//
// Models and layers
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> Generator::run() {
  ctx.loadDialect<NablaDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> result = ModuleOp::create(builder.getUnknownLoc());
  builder.setInsertionPointToEnd(result->getBody());
  bool found = false;
  for (const Function *model : module.models()) {
    if (!options.model.empty() && model->name != options.model)
      continue;
    found = true;
    if (!emitModel(*model))
      return nullptr;
    builder.setInsertionPointToEnd(result->getBody());
  }
  if (!found) {
    if (options.model.empty())
      diags.error("the file defines no model (write `model Name(...) { ... }`)");
    else
      diags.error("the file has no model named '" + options.model + "'");
    return nullptr;
  }
  if (failed(mlir::verify(*result))) {
    diags.error("internal error: the generated IR does not verify");
    return nullptr;
  }
  return result;
}

bool Generator::emitModel(const Function &model) {
  Scope scope;
  for (auto &[name, size] : options.dims)
    scope.values[name] = Val::ofNumber(size, true, model.nameLoc);

  // Inputs first; parameters are appended as the body declares them.
  SmallVector<Type> inputTypes;
  argAttrs.clear();
  stateArgs.clear();
  stateValues.clear();
  dropoutSeed = dropoutCounter = nullptr;
  dropoutStreams = 0;
  for (const Argument &arg : model.args) {
    if (!arg.type || arg.type->kind != TypeExpr::Kind::Tensor) {
      diags.error(arg.loc, "model input '" + arg.name +
                               "' needs a tensor type, e.g. `" + arg.name +
                               ": f32[N, 64]`");
      return false;
    }
    if (arg.defaultValue) {
      diags.error(arg.loc, "model inputs cannot have default values");
      return false;
    }
    auto type = resolveType(*arg.type, scope);
    if (!type)
      return false;
    inputTypes.push_back(*type);
    argAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        attrs::kInput, builder.getStringAttr(arg.name))));
  }
  func = func::FuncOp::create(builder, loc(model.nameLoc), model.name,
                              builder.getFunctionType(inputTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, arg] : llvm::enumerate(model.args)) {
    entry->getArgument(i).setLoc(loc(arg.loc));
    scope.values[arg.name] = Val::ofTensor(entry->getArgument(i), arg.loc);
  }
  builder.setInsertionPointToStart(entry);

  auto results = runBody(model.body, model, scope);
  if (!results)
    return false;

  SmallVector<mlir::Value> values;
  SmallVector<Attribute> resultAttrs;
  llvm::StringSet<> used;
  const auto *ret = cast<ReturnStmt>(
      llvm::find_if(model.body, [](const StmtPtr &s) {
        return isa<ReturnStmt>(s.get());
      })->get());
  for (auto [i, v] : llvm::enumerate(*results)) {
    const Expr &expr = *ret->values[i];
    Val t = asTensor(v, defaultFloat(), expr.getLoc());
    if (!t.ok())
      return false;
    if (i == 0 && options.requireScalarLoss &&
        (t.type().getRank() != 0 || !isa<FloatType>(t.type().getElementType()))) {
      diags.error(expr.getLoc(),
                  "the first value a model returns is the loss that training "
                  "minimizes, so it must be a float scalar, but here it is " +
                      formatType(t.type()) +
                      " (reduce it, e.g. with mean(...))");
      return false;
    }
    std::string name = i == 0 ? "loss" : "output_" + std::to_string(i);
    if (auto *id = dyn_cast<IdentExpr>(&expr))
      name = id->name;
    while (!used.insert(name).second)
      name += "_";
    values.push_back(t.tensor);
    resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        attrs::kOutput, builder.getStringAttr(name))));
  }
  // The training form returns every state's new value (its old one when
  // nothing updated it), so that a step always writes the whole state.
  if (options.training)
    for (auto &[arg, name] : stateArgs) {
      values.push_back(stateValues.lookup(arg));
      resultAttrs.push_back(builder.getDictionaryAttr(
          builder.getNamedAttr(attrs::kState, builder.getStringAttr(name))));
    }
  func::ReturnOp::create(builder, loc(ret->getLoc()), values);

  SmallVector<Type> argTypes(entry->getArgumentTypes());
  func.setType(builder.getFunctionType(argTypes, ValueRange(values).getTypes()));
  SmallVector<Attribute> argAttrList(argAttrs.begin(), argAttrs.end());
  func.setAllArgAttrs(argAttrList);
  func.setAllResultAttrs(resultAttrs);
  func->setAttr(attrs::kModel, builder.getUnitAttr());
  return true;
}

std::optional<std::vector<Val>>
Generator::runBody(const std::vector<StmtPtr> &body, const Function &fn,
                   Scope &scope) {
  std::vector<Val> results;
  switch (exec(body, scope, results, /*inRepeat=*/false)) {
  case Flow::Error:
    return std::nullopt;
  case Flow::Returned:
    return results;
  case Flow::Continue:
    break;
  }
  diags.error(fn.endLoc, std::string(fn.kind == Function::Kind::Model
                                         ? "model '"
                                         : "layer '") +
                             fn.name + "' ends without a return");
  return std::nullopt;
}

Generator::Flow Generator::exec(const std::vector<StmtPtr> &stmts,
                                Scope &scope, std::vector<Val> &results,
                                bool inRepeat) {
  for (auto [i, stmt] : llvm::enumerate(stmts)) {
    // Repeats and layer calls multiply: the statements run (each emits
    // ops) are counted, so that `repeat 100000 { repeat 100000 {...} }` or
    // layers calling the next twice, 40 deep, end in an error, not a hang.
    if (++statementsRun > kMaxStatements) {
      diags.error(stmt->getLoc(),
                  "the model unrolls to more than " +
                      std::to_string(kMaxStatements) +
                      " statements (repeat counts and layer calls "
                      "multiply); nabla compiles each one, about 5000 "
                      "layers' worth in minutes and gigabytes");
      return Flow::Error;
    }
    if (auto *assign = dyn_cast<AssignStmt>(stmt.get())) {
      Val v = eval(*assign->value, scope);
      if (!v.ok())
        return Flow::Error;
      if (!bindAssigned(*assign, v, scope))
        return Flow::Error;
    } else if (auto *param = dyn_cast<ParamStmt>(stmt.get())) {
      if (inRepeat) {
        diags.error(param->getLoc(),
                    std::string(param->isState ? "state" : "param") +
                        " is not allowed inside repeat (call a layer "
                        "instead, so each iteration gets its own " +
                        (param->isState ? "state)" : "parameters)"));
        return Flow::Error;
      }
      if (!emitParam(*param, scope))
        return Flow::Error;
    } else if (auto *repeat = dyn_cast<RepeatStmt>(stmt.get())) {
      auto count = evalInt(repeat->count.get(), scope, "a repeat count");
      if (!count)
        return Flow::Error;
      if (*count < 0 || *count > kMaxRepeat) {
        diags.error(repeat->count->getLoc(),
                    "repeat count must be between 0 and " +
                        std::to_string(kMaxRepeat) + ", got " +
                        std::to_string(*count));
        return Flow::Error;
      }
      // Unrolled: later iterations see the names earlier ones assigned.
      // The index is a compile-time integer (usable in slices), bound
      // only inside; a name it hides comes back after the loop.
      std::optional<Val> hidden;
      if (!repeat->index.empty()) {
        auto it = scope.values.find(repeat->index);
        if (it != scope.values.end())
          hidden = it->second;
      }
      for (int64_t k = 0; k < *count; ++k) {
        if (!repeat->index.empty())
          scope.values[repeat->index] =
              Val::ofNumber(static_cast<double>(k), true, repeat->indexLoc);
        iterations.push_back(repeat->index.empty()
                                 ? "iteration " + std::to_string(k)
                                 : repeat->index + " = " + std::to_string(k));
        Flow flow = exec(repeat->body, scope, results, /*inRepeat=*/true);
        iterations.pop_back();
        if (flow == Flow::Error)
          return Flow::Error;
      }
      if (!repeat->index.empty()) {
        if (hidden)
          scope.values[repeat->index] = *hidden;
        else
          scope.values.erase(repeat->index);
      }
    } else if (auto *ret = dyn_cast<ReturnStmt>(stmt.get())) {
      if (inRepeat) {
        diags.error(ret->getLoc(), "return is not allowed inside repeat");
        return Flow::Error;
      }
      if (i + 1 != stmts.size()) {
        diags.error(stmts[i + 1]->getLoc(),
                    "statement after return is never reached");
        return Flow::Error;
      }
      for (const ExprPtr &e : ret->values) {
        Val v = eval(*e, scope);
        if (!v.ok())
          return Flow::Error;
        results.push_back(v);
      }
      return Flow::Returned;
    }
  }
  return Flow::Continue;
}

/// Inlines one call of `layer`: binds its arguments in a fresh scope named
/// `Layer_k` inside the caller's, runs its body and checks its result type.
/// `file` as written in the source at `loc`: a relative path is relative
/// to the folder of the .nb file that names it, as data files are.
std::string Generator::besideSource(StringRef file, SMLoc loc) {
  SmallString<256> path(file);
  StringRef source = diags.getBufferName(loc);
  if (llvm::sys::path::is_relative(path) &&
      llvm::sys::path::has_parent_path(source)) {
    path = llvm::sys::path::parent_path(source);
    llvm::sys::path::append(path, file);
  }
  return path.str().str();
}

/// `Net(x, mask)` where the file says `import "net.onnx" as Net`: the
/// model becomes a layer for the types of this call's arguments (its
/// symbolic dims bound from their shapes), then runs as any layer, its
/// parameters `Net_1.fc1_weight`, ...
Val Generator::callImport(const Import &import, const CallExpr &call,
                          Scope &caller) {
  if (!call.kwargs.empty())
    return fail(call.kwargs.front().loc,
                "'" + import.name +
                    "' is an imported model: its inputs are passed in order, "
                    "not by name");
  SmallVector<Val> values;
  SmallVector<SMLoc> locs;
  for (const ExprPtr &arg : call.args) {
    values.push_back(eval(*arg, caller));
    if (!values.back().ok())
      return {};
    if (values.back().kind != Val::Kind::Tensor)
      return fail(arg->getLoc(), "'" + import.name + "' takes tensors, got " +
                                     describe(values.back()));
    locs.push_back(arg->getLoc());
  }
  const Function *layer = importedLayer(import, call, values);
  if (!layer)
    return {};
  return instantiate(*layer, call, values, locs, caller);
}

namespace {
struct LayerImporters {
  std::mutex mutex;
  llvm::StringMap<LayerImporter> byExtension;
};
LayerImporters &layerImporters() {
  static LayerImporters importers;
  return importers;
}
} // namespace

/// The layer `import` makes of its file for arguments `args`: imported
/// and parsed once per set of argument types.
const Function *Generator::importedLayer(const Import &import,
                                         const CallExpr &call,
                                         ArrayRef<Val> args) {
  std::string key = import.name;
  std::vector<std::vector<int64_t>> shapes;
  for (const Val &v : args) {
    key += " " + formatType(v.type());
    shapes.emplace_back(v.type().getShape().begin(), v.type().getShape().end());
  }
  auto it = importedLayers.find(key);
  if (it != importedLayers.end())
    return it->second->lookup(import.name);

  // Absolute: the layer's load()s name it, from a buffer of its own.
  SmallString<256> path(besideSource(import.path, import.pathLoc));
  llvm::sys::fs::make_absolute(path);
  LayerImporter importer;
  {
    LayerImporters &importers = layerImporters();
    std::lock_guard<std::mutex> lock(importers.mutex);
    for (const auto &entry : importers.byExtension)
      if (path.ends_with(entry.getKey()))
        importer = entry.getValue();
  }
  if (!importer) {
    fail(import.pathLoc, "cannot import '" + import.path +
                             "': import reads ONNX models (.onnx)");
    return nullptr;
  }
  auto text = importer(path, import.name, shapes);
  if (!text) {
    std::string message = llvm::toString(text.takeError());
    StringRef why = StringRef(message).trim();
    why.consume_front("error: ");
    fail(call.getLoc(),
         "cannot import '" + import.name + "' for this call: " + why);
    return nullptr;
  }
  // The layer's source goes beside the user's in the SourceMgr, so an
  // error inside it still shows a line (`nablac import` writes it out).
  llvm::SourceMgr &sourceMgr = diags.getSourceMgr();
  unsigned id = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(*text, path + " (imported as " +
                                                      import.name + ")"),
      call.getLoc());
  std::unique_ptr<ast::Module> parsed = parseModule(diags, id);
  if (!parsed)
    return nullptr;
  const Function *layer = parsed->lookup(import.name);
  if (!layer || layer->kind != Function::Kind::Layer) {
    fail(call.getLoc(), "the import of '" + import.name + "' made no layer");
    return nullptr;
  }
  importedLayers[key] = std::move(parsed);
  return layer;
}

Val Generator::callLayer(const Function &layer, const CallExpr &call,
                         Scope &caller) {
  if (activeLayers.contains(&layer))
    return fail(call.getLoc(), "layer '" + layer.name +
                                   "' calls itself (directly or through "
                                   "other layers); layers cannot recurse");
  if (depth >= kMaxLayerDepth)
    return fail(call.getLoc(), "layer '" + layer.name + "' is called " +
                                   std::to_string(depth + 1) +
                                   " layers deep; layers nest at most " +
                                   std::to_string(kMaxLayerDepth) + " deep");
  std::vector<std::string> names;
  SmallVector<bool> required;
  for (const Argument &arg : layer.args) {
    names.push_back(arg.name);
    required.push_back(arg.defaultValue == nullptr);
  }
  auto bound = bindArgs(call, layer.name, names, required);
  if (!bound)
    return {};

  // Evaluate the arguments in the caller's scope before entering the layer.
  SmallVector<Val> values;
  SmallVector<SMLoc> locs;
  for (auto [i, arg] : llvm::enumerate(layer.args)) {
    const Expr *e = bound->exprs[i];
    Scope empty; // defaults see only built-ins and other layers
    values.push_back(e ? eval(*e, caller) : eval(*arg.defaultValue, empty));
    if (!values.back().ok())
      return {};
    locs.push_back(e ? e->getLoc() : call.getLoc());
  }
  return instantiate(layer, call, values, locs, caller);
}

/// Runs one instance of `layer` on the evaluated `args` (written at `locs`).
Val Generator::instantiate(const Function &layer, const CallExpr &call,
                           ArrayRef<Val> args, ArrayRef<SMLoc> locs,
                           Scope &caller) {
  Scope scope;
  for (auto [i, arg] : llvm::enumerate(layer.args))
    if (!bindTyped(arg, args[i], scope, locs[i]))
      return {};
  // Numbered after the arguments, so in `Dense(Dense(x, 8), 4)` the inner
  // call, which runs first, is Dense_1.
  unsigned index = ++caller.layerCalls[layer.name];
  scope.prefix = caller.prefix + layer.name + "_" + std::to_string(index) + ".";

  activeLayers.insert(&layer);
  ++depth;
  std::string outerLayer = currentLayer;
  currentLayer = scope.prefix.substr(0, scope.prefix.size() - 1);
  // The instance's name (Dense_6) already tells the iterations of the
  // repeats around the call apart.
  std::vector<std::string> outerIterations = std::move(iterations);
  iterations.clear();
  llvm::scope_exit restore([&] {
    iterations = std::move(outerIterations);
    activeLayers.erase(&layer);
    --depth;
    currentLayer = outerLayer;
  });
  auto results = runBody(layer.body, layer, scope);
  if (!results)
    return {};
  if (results->size() != 1)
    return fail(call.getLoc(), "layer '" + layer.name + "' returns " +
                                   std::to_string(results->size()) +
                                   " values; a layer used in an expression "
                                   "must return one");
  Val result = (*results)[0];
  if (layer.resultType) {
    auto expected = resolveType(*layer.resultType, scope);
    if (!expected)
      return {};
    Val t = asTensor(result, expected->getElementType(), call.getLoc());
    if (!t.ok())
      return {};
    if (t.type() != *expected)
      return fail(call.getLoc(),
                  "layer '" + layer.name + "' declares it returns " +
                      formatType(*expected) + " but returns " +
                      formatType(t.type()));
    result = t;
  }
  result.loc = call.getLoc();
  return result;
}

/// Binds `value` to `arg` in `scope`, checking it against the declared type
/// and binding the named dims it mentions.
bool Generator::bindTyped(const Argument &arg, const Val &value, Scope &scope,
                          SMLoc useLoc) {
  if (!arg.type) {
    scope.values[arg.name] = value;
    return true;
  }
  const TypeExpr &type = *arg.type;
  if (type.kind != TypeExpr::Kind::Tensor) {
    bool wantInt = type.kind == TypeExpr::Kind::Int;
    if (value.kind != Val::Kind::Number || (wantInt && !value.isInt)) {
      diags.error(useLoc, "argument '" + arg.name + "' must be " +
                              (wantInt ? "an integer" : "a number") +
                              ", got " + describe(value));
      return false;
    }
    scope.values[arg.name] = value;
    return true;
  }
  Val t = asTensor(value, defaultFloat(), useLoc);
  if (!t.ok())
    return false;
  RankedTensorType actual = t.type();
  std::string declared;
  {
    llvm::raw_string_ostream os(declared);
    os << toString(type.dtype);
    if (!type.dims.empty()) {
      os << "[";
      llvm::interleaveComma(type.dims, os, [&](const Dim &d) {
        if (d.isNamed())
          os << d.name;
        else
          os << d.size;
      });
      os << "]";
    }
  }
  if (actual.getElementType() != elementType(type.dtype) ||
      actual.getRank() != static_cast<int64_t>(type.dims.size())) {
    diags.error(useLoc, "argument '" + arg.name + "' must be " + declared +
                            ", got " + formatType(actual));
    return false;
  }
  for (auto [i, dim] : llvm::enumerate(type.dims)) {
    int64_t size = actual.getDimSize(i);
    if (!dim.isNamed()) {
      if (dim.size != size) {
        diags.error(useLoc, "argument '" + arg.name + "' must be " + declared +
                                ", got " + formatType(actual));
        return false;
      }
      continue;
    }
    auto it = scope.values.find(dim.name);
    if (it == scope.values.end()) {
      scope.values[dim.name] = Val::ofNumber(size, true, dim.loc);
    } else if (it->second.kind != Val::Kind::Number ||
               it->second.number != size) {
      diags.error(useLoc, "argument '" + arg.name + "' must be " + declared +
                              ", got " + formatType(actual) + ": dimension " +
                              dim.name + " is already " +
                              (it->second.kind == Val::Kind::Number
                                   ? std::to_string((int64_t)it->second.number)
                                   : describe(it->second)));
      return false;
    }
  }
  scope.values[arg.name] = t;
  return true;
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

bool Generator::emitParam(const ParamStmt &stmt, Scope &scope) {
  StringRef what = stmt.isState ? "state" : "parameter";
  if (!scope.paramNames.insert(stmt.name).second) {
    diags.error(stmt.nameLoc,
                "duplicate definition of " + what + " '" + stmt.name + "'");
    return false;
  }
  if (stmt.type.kind != TypeExpr::Kind::Tensor) {
    diags.error(stmt.type.loc,
                "a " + what + " needs a tensor type such as f32[4]");
    return false;
  }
  auto type = resolveType(stmt.type, scope);
  if (!type)
    return false;
  if (!isa<FloatType>(type->getElementType())) {
    diags.error(stmt.type.loc, (stmt.isState ? "state" : "parameters") +
                                   Twine(" must have a float type (f32, f16 "
                                         "or bf16), not ") +
                                   formatType(*type));
    return false;
  }
  Val init = eval(*stmt.init, scope);
  if (!init.ok())
    return false;
  DictionaryAttr spec = initSpec(init, *type, stmt.init->getLoc(), scope);
  if (!spec)
    return false;
  std::string fullName = scope.prefix + stmt.name;
  // Inputs and parameters are found by name (data, checkpoints): a
  // parameter named like an input once shadowed the input silently.
  for (DictionaryAttr attrsOfArg : argAttrs)
    if (auto input = attrsOfArg.getAs<StringAttr>(attrs::kInput);
        input && input.getValue() == fullName) {
      diags.error(stmt.nameLoc, what + " '" + fullName +
                                    "' has the name of an input of the "
                                    "model; rename one of them");
      return false;
    }
  Block &entry = func.getBody().front();
  mlir::Value arg = entry.addArgument(*type, loc(stmt.nameLoc));
  // State is named "state:NAME", as the trainer and checkpoints know it
  // (beside optimizer state such as "exp_avg:NAME").
  std::string argName = stmt.isState ? "state:" + fullName : fullName;
  argAttrs.push_back(builder.getDictionaryAttr(
      {builder.getNamedAttr(stmt.isState ? attrs::kState : attrs::kParam,
                            builder.getStringAttr(argName)),
       builder.getNamedAttr(attrs::kInit, spec)}));
  if (stmt.isState) {
    stateArgs.push_back({arg, argName});
    stateValues[arg] = arg;
  }
  scope.values[stmt.name] = Val::ofTensor(arg, stmt.nameLoc);
  return true;
}

/// `{kind = "he"}`, `{kind = "normal", mean = 0.0, std = 0.02}`,
/// `{kind = "literal", value = dense<...>}`, `{kind = "constant", value =
/// 0.5}`. load("weights.safetensors", "fc1.weight"): the parameter's values are
/// the tensor `key` of a file (a .safetensors file, or an ONNX model's
/// initializer), read when parameters are initialised; a relative path is
/// relative to the .nb file's folder.
std::optional<SmallVector<NamedAttribute>>
Generator::loadSpec(const Val &init, SMLoc l, Scope &scope) {
  const auto *call = dyn_cast_or_null<CallExpr>(init.expr);
  if (!call) {
    fail(l, "load needs the file and the tensor's name: "
            "load(\"weights.safetensors\", \"fc1.weight\")");
    return std::nullopt;
  }
  auto bound = bindArgs(*call, "load", {"file", "key"}, {true, true});
  if (!bound)
    return std::nullopt;
  std::string texts[2];
  for (int i = 0; i < 2; ++i) {
    Val arg = eval(*bound->exprs[i], scope);
    if (!arg.ok())
      return std::nullopt;
    if (arg.kind != Val::Kind::String) {
      fail(bound->exprs[i]->getLoc(),
           std::string("load's '") + (i == 0 ? "file" : "key") +
               "' must be a string, got " + describe(arg));
      return std::nullopt;
    }
    texts[i] = arg.name;
  }
  std::string path = besideSource(texts[0], call->getLoc());
  return SmallVector<NamedAttribute>{
      builder.getNamedAttr("kind", builder.getStringAttr("load")),
      builder.getNamedAttr("file", builder.getStringAttr(path)),
      builder.getNamedAttr("key", builder.getStringAttr(texts[1]))};
}

DictionaryAttr Generator::initSpec(const Val &init, RankedTensorType type,
                                   SMLoc l, Scope &scope) {
  SmallVector<NamedAttribute> fields;
  auto kind = [&](StringRef k) {
    fields.push_back(builder.getNamedAttr("kind", builder.getStringAttr(k)));
  };
  switch (init.kind) {
  case Val::Kind::Number:
    kind("constant");
    fields.push_back(
        builder.getNamedAttr("value", builder.getF64FloatAttr(init.number)));
    break;
  case Val::Kind::Array: {
    SmallVector<double> values;
    auto litType = literalType(*init.expr, values);
    if (!litType)
      return {};
    if (litType->getShape() != type.getShape()) {
      fail(l, "the literal has shape " + formatType(*litType) +
                  " but the parameter is " + formatType(type));
      return {};
    }
    SmallVector<APFloat> floats;
    for (double v : values) {
      APFloat f(v);
      bool lost;
      f.convert(cast<FloatType>(type.getElementType()).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      floats.push_back(f);
    }
    kind("literal");
    fields.push_back(builder.getNamedAttr(
        "value", DenseElementsAttr::get(type, floats)));
    break;
  }
  case Val::Kind::Init: {
    StringRef name = init.name;
    // Aliases: `xavier`, `he` and `lecun` are the normal variants.
    std::string canonical = name.str();
    if (name == "xavier" || name == "he" || name == "lecun")
      canonical += "_normal";
    if (name == "load") {
      auto fields = loadSpec(init, l, scope);
      return fields ? builder.getDictionaryAttr(*fields) : DictionaryAttr();
    }
    kind(canonical);
    if (const auto *call = dyn_cast_or_null<CallExpr>(init.expr)) {
      std::vector<std::string> names;
      std::vector<double> defaults;
      if (name == "normal") {
        names = {"mean", "std"};
        defaults = {0.0, 1.0};
      } else if (name == "uniform") {
        names = {"low", "high"};
        defaults = {-1.0, 1.0};
      } else {
        names = {"gain"};
        defaults = {1.0};
      }
      SmallVector<bool> optional(names.size(), false);
      auto bound = bindArgs(*call, name, names, optional);
      if (!bound)
        return {};
      for (auto [i, n] : llvm::enumerate(names)) {
        double v = defaults[i];
        if (const Expr *e = bound->exprs[i]) {
          Val arg = eval(*e, scope);
          if (!arg.ok())
            return {};
          if (arg.kind != Val::Kind::Number) {
            fail(e->getLoc(), "'" + n + "' of " + name.str() +
                                  " must be a number, got " + describe(arg));
            return {};
          }
          v = arg.number;
        }
        fields.push_back(
            builder.getNamedAttr(n, builder.getF64FloatAttr(v)));
      }
    }
    break;
  }
  default:
    fail(l, "a parameter's initializer must be zeros, ones, xavier, he, "
            "lecun (or their _normal/_uniform variants), normal(...), "
            "uniform(...), load(FILE, KEY), a number or a literal array; "
            "got " +
                describe(init));
    return {};
  }
  return builder.getDictionaryAttr(fields);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Val Generator::eval(const Expr &expr, Scope &scope) {
  switch (expr.getKind()) {
  case Expr::Kind::Number: {
    const auto &n = cast<NumberExpr>(expr);
    return Val::ofNumber(n.value, n.isInteger, n.getLoc());
  }
  case Expr::Kind::String:
    return Val::ofName(Val::Kind::String, cast<StringExpr>(expr).value,
                       expr.getLoc());
  case Expr::Kind::Ident:
    return evalIdent(cast<IdentExpr>(expr), scope);
  case Expr::Kind::Unary:
    return evalUnary(cast<UnaryExpr>(expr), scope);
  case Expr::Kind::Binary:
    return evalBinary(cast<BinaryExpr>(expr), scope);
  case Expr::Kind::Call:
    return evalCall(cast<CallExpr>(expr), scope);
  case Expr::Kind::Index:
    return evalIndex(cast<IndexExpr>(expr), scope);
  case Expr::Kind::Array: {
    // Checked when used, so a literal can initialise a param of any dtype.
    // A list of tensors (`[h]`, or `[]` to start one) is evaluated when
    // joined or used.
    Val array = Val::ofName(Val::Kind::Array, "", expr.getLoc(), &expr);
    if (listOfTensors(array))
      return array;
    SmallVector<double> values;
    if (!literalType(expr, values))
      return {};
    return array;
  }
  }
  return {};
}

Val Generator::evalIdent(const IdentExpr &expr, Scope &scope) {
  auto it = scope.values.find(expr.name);
  if (it != scope.values.end()) {
    Val v = it->second;
    v.loc = expr.getLoc();
    return v;
  }
  if (isOneOf(expr.name, kInits))
    return Val::ofName(Val::Kind::Init, expr.name, expr.getLoc());
  if (findBuiltin(expr.name) || module.lookup(expr.name))
    return Val::ofName(Val::Kind::Function, expr.name, expr.getLoc());
  if (parseDType(expr.name))
    return Val::ofName(Val::Kind::DType, expr.name, expr.getLoc());
  return fail(expr.getLoc(), "unknown name '" + expr.name + "'");
}

Val Generator::evalUnary(const UnaryExpr &expr, Scope &scope) {
  Val v = eval(*expr.operand, scope);
  if (!v.ok())
    return {};
  if (v.kind == Val::Kind::Number)
    return Val::ofNumber(-v.number, v.isInt, expr.getLoc());
  Val t = asTensor(v, defaultFloat(), expr.operand->getLoc());
  if (!t.ok())
    return {};
  if (t.type().getElementType().isInteger(1))
    return fail(expr.getLoc(), "cannot negate " + formatType(t.type()));
  return Val::ofTensor(NegOp::create(builder, loc(expr.getLoc()), t.tensor),
                       expr.getLoc());
}

Val Generator::evalBinary(const BinaryExpr &expr, Scope &scope) {
  Val lhs = eval(*expr.lhs, scope);
  if (!lhs.ok())
    return {};
  Val rhs = eval(*expr.rhs, scope);
  if (!rhs.ok())
    return {};
  StringRef op = toString(expr.op);

  // Lists of tensors join with '+', as Python's: `hs = hs + [h]`.
  auto isList = [&](const Val &v) {
    return (v.kind == Val::Kind::Tuple && v.name == "list") ||
           (v.kind == Val::Kind::Array && listOfTensors(v));
  };
  if (expr.op == BinaryExpr::Op::Add && isList(lhs) && isList(rhs))
    return joinLists(lhs, rhs, expr.getLoc(), scope);

  // Compile-time arithmetic on numbers (dims, counts).
  if (lhs.kind == Val::Kind::Number && rhs.kind == Val::Kind::Number) {
    double a = lhs.number, b = rhs.number, r = 0;
    bool isInt = lhs.isInt && rhs.isInt;
    switch (expr.op) {
    case BinaryExpr::Op::Add: r = a + b; break;
    case BinaryExpr::Op::Sub: r = a - b; break;
    case BinaryExpr::Op::Mul: r = a * b; break;
    case BinaryExpr::Op::Div:
      if (b == 0)
        return fail(expr.getLoc(), "division by zero");
      r = a / b;
      isInt = isInt && std::fmod(a, b) == 0;
      break;
    case BinaryExpr::Op::Pow: r = std::pow(a, b); isInt = isInt && b >= 0; break;
    case BinaryExpr::Op::MatMul:
      return fail(expr.getLoc(), "'@' needs tensors, not numbers");
    case BinaryExpr::Op::Lt:
      r = a < b;
      isInt = true;
      break;
    case BinaryExpr::Op::Le:
      r = a <= b;
      isInt = true;
      break;
    case BinaryExpr::Op::Gt:
      r = a > b;
      isInt = true;
      break;
    case BinaryExpr::Op::Ge:
      r = a >= b;
      isInt = true;
      break;
    case BinaryExpr::Op::Eq:
      r = a == b;
      isInt = true;
      break;
    case BinaryExpr::Op::Ne:
      r = a != b;
      isInt = true;
      break;
    }
    return Val::ofNumber(r, isInt, expr.getLoc());
  }

  // A number next to a tensor takes the tensor's element type.
  Type et = defaultFloat();
  if (lhs.kind == Val::Kind::Tensor)
    et = lhs.type().getElementType();
  else if (rhs.kind == Val::Kind::Tensor)
    et = rhs.type().getElementType();
  Val a = asTensor(lhs, et, expr.lhs->getLoc());
  if (!a.ok())
    return {};
  Val b = asTensor(rhs, et, expr.rhs->getLoc());
  if (!b.ok())
    return {};
  Location l = loc(expr.getLoc());

  if (expr.op == BinaryExpr::Op::MatMul)
    return matmul(a, b, expr.getLoc());
  ShapeResult r = inferBroadcast(a.type(), b.type(), op);
  if (auto *msg = std::get_if<std::string>(&r))
    return fail(expr.getLoc(), *msg);
  if (a.type().getElementType().isInteger(1))
    return fail(expr.getLoc(), "cannot apply '" + op.str() + "' to " +
                                   formatType(a.type()) + " (booleans)");
  mlir::Value x = a.tensor, y = b.tensor, out;
  if (std::optional<StringRef> pred = comparison(expr.op)) {
    auto type = std::get<RankedTensorType>(r).clone(builder.getI1Type());
    return Val::ofTensor(
        CompareOp::create(builder, l, type, builder.getStringAttr(*pred), x, y),
        expr.getLoc());
  }
  switch (expr.op) {
  case BinaryExpr::Op::Add: out = AddOp::create(builder, l, x, y); break;
  case BinaryExpr::Op::Sub: out = SubOp::create(builder, l, x, y); break;
  case BinaryExpr::Op::Mul: out = MulOp::create(builder, l, x, y); break;
  case BinaryExpr::Op::Div: out = DivOp::create(builder, l, x, y); break;
  case BinaryExpr::Op::Pow: out = PowOp::create(builder, l, x, y); break;
  default:
    break;
  }
  return Val::ofTensor(out, expr.getLoc());
}

Val Generator::evalCall(const CallExpr &call, Scope &scope) {
  std::string callee = call.callee;
  // A name bound to a function (`act = relu`) calls that function.
  auto it = scope.values.find(callee);
  if (it != scope.values.end()) {
    if (it->second.kind != Val::Kind::Function &&
        it->second.kind != Val::Kind::Init)
      return fail(call.getLoc(), "'" + callee + "' is " +
                                     describe(it->second) +
                                     ", not a function");
    callee = it->second.name;
  }
  if (isOneOf(callee, kInits))
    return Val::ofName(Val::Kind::Init, callee, call.getLoc(), &call);
  if (const Import *import = module.lookupImport(callee))
    return callImport(*import, call, scope);
  if (const Function *fn = module.lookup(callee)) {
    if (fn->kind == Function::Kind::Model)
      return fail(call.getLoc(), "'" + callee +
                                     "' is a model; only layers can be called");
    return callLayer(*fn, call, scope);
  }
  if (const Builtin *builtin = findBuiltin(callee))
    return callBuiltin(*builtin, call, scope);
  return fail(call.getLoc(), "unknown function '" + callee + "'");
}

/// a @ b as torch.matmul for operands of rank 2 or more: stacks of
/// matrices whose batch dims broadcast ([B, H, T, D] @ [B, H, D, T],
/// [B, T, D] @ [D, E]). nabla.matmul takes matrices or one batch dim, so
/// a rank-2 b multiplies a's rows flattened, and other batches are
/// broadcast, flattened to one dim and reshaped back.
Val Generator::matmul(const Val &a, const Val &b, SMLoc at) {
  Location l = loc(at);
  RankedTensorType ta = a.type(), tb = b.type();
  ShapeResult direct = inferMatmul(ta, tb);
  if (auto *type = std::get_if<RankedTensorType>(&direct))
    return Val::ofTensor(
        MatmulOp::create(builder, l, *type, a.tensor, b.tensor), at);
  int64_t ra = ta.getRank(), rb = tb.getRank();
  std::string what =
      "cannot multiply " + formatType(ta) + " by " + formatType(tb);
  if (ta.getElementType() != tb.getElementType() || ra < 2 || rb < 2)
    return fail(at, std::get<std::string>(direct));
  int64_t m = ta.getDimSize(ra - 2), k = ta.getDimSize(ra - 1),
          k2 = tb.getDimSize(rb - 2), n = tb.getDimSize(rb - 1);
  if (k != k2)
    return fail(at, what + ": inner dimensions " + std::to_string(k) + " and " +
                        std::to_string(k2) + " differ");
  ArrayRef<int64_t> batchA = ta.getShape().drop_back(2),
                    batchB = tb.getShape().drop_back(2);
  auto batch = broadcastShapes(batchA, batchB);
  if (!batch)
    return fail(at, what + ": batch dims do not broadcast");
  SmallVector<int64_t> shape(*batch);
  shape.append({m, n});
  if (!checkSize(shape, at))
    return {};
  auto reshaped = [&](mlir::Value v, ArrayRef<int64_t> dims) -> mlir::Value {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getShape() == dims)
      return v;
    return ReshapeOp::create(builder, l, type.clone(dims), v);
  };
  int64_t count = numElements(*batch);
  mlir::Value product;
  if (rb == 2) {
    // Every matrix of a times the one b: a's rows as one matrix.
    mlir::Value rows = reshaped(a.tensor, {count * m, k});
    product =
        MatmulOp::create(builder, l, ta.clone({count * m, n}), rows, b.tensor);
  } else {
    auto stacked = [&](mlir::Value v, RankedTensorType t, int64_t r,
                       int64_t c) -> mlir::Value {
      SmallVector<int64_t> full(*batch);
      full.append({r, c});
      if (t.getShape() != ArrayRef<int64_t>(full))
        v = BroadcastToOp::create(builder, l, t.clone(full), v);
      return reshaped(v, {count, r, c});
    };
    product = MatmulOp::create(builder, l, ta.clone({count, m, n}),
                               stacked(a.tensor, ta, m, k),
                               stacked(b.tensor, tb, k, n));
  }
  return Val::ofTensor(reshaped(product, shape), at);
}

/// The index's items with `...` replaced by full slices and full slices
/// appended for the dims it leaves out: one item per dim of a tensor of
/// `rank`, null for a full slice.
std::optional<SmallVector<const IndexItem *>>
Generator::expandIndex(const IndexExpr &expr, int64_t rank,
                       RankedTensorType type) {
  const IndexItem *ellipsis = nullptr;
  int64_t explicitDims = 0;
  for (const IndexItem &item : expr.items) {
    if (item.kind != IndexItem::Kind::Ellipsis) {
      ++explicitDims;
      continue;
    }
    if (ellipsis) {
      diags.error(item.loc, "an index can have only one '...'");
      diags.note(ellipsis->loc, "the first is here");
      return std::nullopt;
    }
    ellipsis = &item;
  }
  if (explicitDims > rank) {
    diags.error(expr.getLoc(), "too many indices for " + formatType(type) +
                                   ": " + std::to_string(explicitDims) +
                                   " for " + std::to_string(rank) + " dims");
    return std::nullopt;
  }
  SmallVector<const IndexItem *> items;
  for (const IndexItem &item : expr.items) {
    if (item.kind == IndexItem::Kind::Ellipsis)
      items.append(rank - explicitDims, nullptr);
    else
      items.push_back(&item);
  }
  items.resize(rank, nullptr);
  return items;
}

/// `x[...]` as numpy and PyTorch: an integer index picks one element of
/// its dim and drops the dim (negative counts from the end), a slice
/// `start:stop:step` keeps a strided range of it (bounds clamped to the
/// dim, as Python's), `...` stands for every dim not named. The indices
/// are compile-time integers; the result is a nabla.slice, then a reshape
/// that drops the indexed dims. Its gradient is a pad with zeros.
Val Generator::evalIndex(const IndexExpr &expr, Scope &scope) {
  Val base = eval(*expr.base, scope);
  if (!base.ok())
    return {};
  if (base.kind != Val::Kind::Tensor)
    return fail(expr.getLoc(),
                "only a tensor can be indexed, got " + describe(base));
  RankedTensorType type = base.type();
  int64_t rank = type.getRank();
  auto items = expandIndex(expr, rank, type);
  if (!items)
    return {};
  SmallVector<int64_t> offsets, sizes, strides, kept;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = type.getDimSize(d);
    const IndexItem *item = (*items)[d];
    int64_t start = 0, size = n, step = 1;
    auto dimText = [&] {
      return "dim " + std::to_string(d) + " of " + formatType(type) +
             " (size " + std::to_string(n) + ")";
    };
    if (item && item->kind == IndexItem::Kind::Index) {
      auto i = evalInt(item->index.get(), scope, "an index");
      if (!i)
        return {};
      if (*i < -n || *i >= n)
        return fail(item->index->getLoc(), "index " + std::to_string(*i) +
                                               " is out of range for " +
                                               dimText());
      start = *i < 0 ? *i + n : *i;
      size = 1;
    } else if (item) {
      if (item->step) {
        auto s = evalInt(item->step.get(), scope, "a slice step");
        if (!s)
          return {};
        if (*s <= 0)
          return fail(item->step->getLoc(),
                      "a slice step must be positive (as in PyTorch), got " +
                          std::to_string(*s));
        step = *s;
      }
      // Python's bounds: negative counts from the end, then clamped.
      auto bound = [&](const ExprPtr &e,
                       int64_t fallback) -> std::optional<int64_t> {
        if (!e)
          return fallback;
        auto v = evalInt(e.get(), scope, "a slice bound");
        if (!v)
          return std::nullopt;
        int64_t b = *v < 0 ? *v + n : *v;
        return std::clamp<int64_t>(b, 0, n);
      };
      auto lo = bound(item->start, 0);
      auto hi = lo ? bound(item->stop, n) : std::nullopt;
      if (!hi)
        return {};
      start = *lo;
      size = *hi > *lo ? (*hi - *lo + step - 1) / step : 0;
      if (size == 0)
        return fail(item->loc, "the slice selects nothing of " + dimText() +
                                   " (empty tensors are not supported)");
    }
    offsets.push_back(start);
    sizes.push_back(size);
    strides.push_back(step);
    if (!item || item->kind != IndexItem::Kind::Index)
      kept.push_back(size);
  }
  Location l = loc(expr.getLoc());
  Value v = base.tensor;
  if (ArrayRef<int64_t>(sizes) != type.getShape())
    v = SliceOp::create(builder, l, type.clone(sizes), v, offsets, strides);
  if (kept.size() != sizes.size())
    v = ReshapeOp::create(builder, l, type.clone(kept), v);
  return Val::ofTensor(v, expr.getLoc());
}

//===----------------------------------------------------------------------===//
// Built-in functions
//===----------------------------------------------------------------------===//

/// Every built-in function, one entry each: adding one is a line here and
/// its builder.
llvm::ArrayRef<Builtin> Generator::builtins() {
  static const Builtin table[] = {
      // Elementwise functions of one float tensor.
      {"identity", {required("x")}, identity},
      {"relu", {required("x")}, unary<ReluOp>},
      {"sigmoid", {required("x")}, unary<SigmoidOp>},
      {"tanh", {required("x")}, unary<TanhOp>},
      {"exp", {required("x")}, unary<ExpOp>},
      {"log", {required("x")}, unary<LogOp>},
      {"sqrt", {required("x")}, unary<SqrtOp>},
      {"abs", {required("x")}, unary<AbsOp>},
      {"square", {required("x")}, unary<SquareOp>},
      {"rsqrt", {required("x")}, unary<RsqrtOp>},
      {"erf", {required("x")}, unary<ErfOp>},
      {"silu", {required("x")}, unary<SiluOp>},
      {"selu", {required("x")}, unary<SeluOp>},
      {"gelu", {required("x"), optional("approximate")}, gelu},
      {"leaky_relu",
       {required("x"), optional("slope", 0.01)},
       unary<LeakyReluOp>},
      {"elu", {required("x"), optional("alpha", 1.0)}, unary<EluOp>},
      {"softplus",
       {required("x"), optional("beta", 1.0), optional("threshold", 20.0)},
       unary<SoftplusOp>},
      {"clamp",
       {required("x"), required("lo"), required("hi")},
       unary<ClampOp>},
      // Elementwise functions of two tensors.
      {"maximum", {required("a"), required("b")}, maximum},
      // Reductions and normalizations.
      {"sum",
       {required("x"), optional("axis"), optional("keepdims", 0)},
       reduction},
      {"mean",
       {required("x"), optional("axis"), optional("keepdims", 0)},
       reduction},
      {"max",
       {required("x"), optional("axis"), optional("keepdims", 0)},
       reduction},
      {"global_avg_pool", {required("x")}, globalAvgPool},
      {"dropout", {required("x"), optional("p", 0.5)}, dropout},
      {"batch_norm",
       {required("x"), required("running_mean"), required("running_var"),
        optional("weight"), optional("bias"), optional("momentum", 0.1),
        optional("eps", 1e-5)},
       batchNorm},
      {"softmax", {required("x"), optional("axis", -1)}, softmaxLike},
      {"log_softmax", {required("x"), optional("axis", -1)}, softmaxLike},
      // Convolution, pooling and padding ([N, C, spatial...] activations).
      {"conv1d",
       {required("x"), required("weight"), optional("bias"), optional("stride"),
        optional("padding"), optional("dilation"), optional("groups", 1)},
       convolution},
      {"conv2d",
       {required("x"), required("weight"), optional("bias"), optional("stride"),
        optional("padding"), optional("dilation"), optional("groups", 1)},
       convolution},
      {"conv_transpose1d",
       {required("x"), required("weight"), optional("bias"), optional("stride"),
        optional("padding"), optional("output_padding"), optional("groups", 1),
        optional("dilation")},
       convTranspose},
      {"conv_transpose2d",
       {required("x"), required("weight"), optional("bias"), optional("stride"),
        optional("padding"), optional("output_padding"), optional("groups", 1),
        optional("dilation")},
       convTranspose},
      {"max_pool1d",
       {required("x"), required("kernel"), optional("stride"),
        optional("padding"), optional("dilation")},
       maxPool},
      {"max_pool2d",
       {required("x"), required("kernel"), optional("stride"),
        optional("padding"), optional("dilation")},
       maxPool},
      {"avg_pool1d",
       {required("x"), required("kernel"), optional("stride"),
        optional("padding"), optional("count_include_pad", 1)},
       avgPool},
      {"avg_pool2d",
       {required("x"), required("kernel"), optional("stride"),
        optional("padding"), optional("count_include_pad", 1)},
       avgPool},
      {"pad", {required("x"), required("pads"), optional("value", 0)}, pad},
      {"concat", {required("xs"), optional("axis", 0)}, concat},
      {"stack", {required("xs"), optional("axis", 0)}, concat},
      // Selection, masks and ranges.
      {"where", {required("condition"), required("x"), required("y")}, where},
      {"masked_fill",
       {required("x"), required("mask"), required("value")},
       where},
      {"tril", {required("x"), optional("diagonal", 0)}, triangle},
      {"triu", {required("x"), optional("diagonal", 0)}, triangle},
      {"causal_mask", {required("size")}, causalMask},
      {"arange",
       {required("start"), optional("stop"), optional("step", 1)},
       arange},
      // Sequence models.
      {"layer_norm",
       {required("x"), optional("weight"), optional("bias"),
        optional("eps", 1e-5)},
       layerNorm},
      {"rms_norm",
       {required("x"), optional("weight"),
        optional("eps", 1.1920928955078125e-07)},
       layerNorm},
      {"logsumexp",
       {required("x"), optional("axis", -1), optional("keepdims", 0)},
       logsumexp},
      {"embedding", {required("table"), required("ids")}, embedding},
      {"one_hot", {required("ids"), required("classes")}, oneHot},
      {"take", {required("x"), required("ids"), optional("axis", 0)}, take},
      {"split", {required("x"), required("sizes"), optional("axis", 0)}, split},
      {"chunk",
       {required("x"), required("chunks"), optional("axis", 0)},
       split},
      // Layout and types.
      {"transpose", {required("x"), optional("perm")}, transpose},
      {"reshape", {required("x"), required("shape")}, reshape},
      {"flatten",
       {required("x"), optional("start", 1), optional("end", -1)},
       flatten},
      {"broadcast_to", {required("x"), required("shape")}, broadcastTo},
      {"cast", {required("x"), required("dtype")}, castTo},
      // Losses.
      {"mse", {required("input"), required("target")}, pairLoss},
      {"cross_entropy", {required("input"), required("target")}, crossEntropy},
      {"binary_cross_entropy",
       {required("input"), required("target")},
       pairLoss},
  };
  return table;
}

const Builtin *Generator::findBuiltin(StringRef name) {
  for (const Builtin &b : builtins())
    if (name == b.name)
      return &b;
  return nullptr;
}

Val Generator::callBuiltin(const Builtin &builtin, const CallExpr &call,
                           Scope &scope) {
  std::vector<std::string> names;
  SmallVector<bool> isRequired;
  for (const BuiltinParam &p : builtin.params) {
    names.push_back(p.name);
    isRequired.push_back(p.required);
  }
  auto bound = bindArgs(call, builtin.name, names, isRequired);
  if (!bound)
    return {};
  BuiltinCall c{builtin, call, std::move(*bound), scope};
  return builtin.build(*this, c);
}

Val Generator::tensorArg(BuiltinCall &c, unsigned i, Type et) {
  const Expr *e = c.arg(i);
  Val v = eval(*e, c.scope);
  if (!v.ok())
    return {};
  return asTensor(v, et ? et : defaultFloat(), e->getLoc());
}

Val Generator::floatArg(BuiltinCall &c, unsigned i) {
  Val t = tensorArg(c, i);
  if (t.ok() && !isa<FloatType>(t.type().getElementType()))
    return fail(c.arg(i)->getLoc(), c.name() + " needs a float tensor, got " +
                                        formatType(t.type()));
  return t;
}

/// A compile-time number, or the parameter's default when not given.
std::optional<double> Generator::numberArg(BuiltinCall &c, unsigned i) {
  const Expr *e = c.arg(i);
  if (!e) {
    assert(c.builtin.params[i].defaultValue &&
           "an optional number parameter needs a default");
    return c.builtin.params[i].defaultValue;
  }
  Val v = eval(*e, c.scope);
  if (!v.ok())
    return std::nullopt;
  if (v.kind != Val::Kind::Number) {
    diags.error(e->getLoc(), "'" + std::string(c.builtin.params[i].name) +
                                 "' of " + c.name().str() +
                                 " must be a number, got " + describe(v));
    return std::nullopt;
  }
  return v.number;
}

/// An elementwise function of one float tensor. Its other parameters are
/// numbers (leaky_relu's slope), passed to the op as the f64 attributes of
/// the same names.
template <typename OpTy> Val Generator::unary(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  if (!isa<FloatType>(x.type().getElementType()))
    return g.fail(c.loc(), c.name() + " needs a float tensor, got " +
                               formatType(x.type()));
  SmallVector<NamedAttribute> attrs;
  for (unsigned i = 1; i < c.builtin.params.size(); ++i) {
    std::optional<double> v = g.numberArg(c, i);
    if (!v)
      return {};
    attrs.push_back(g.builder.getNamedAttr(c.builtin.params[i].name,
                                           g.builder.getF64FloatAttr(*v)));
  }
  return Val::ofTensor(OpTy::create(g.builder, g.loc(c.loc()),
                                    TypeRange{x.type()}, ValueRange{x.tensor},
                                    attrs),
                       c.loc());
}

Val Generator::identity(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  return Val::ofTensor(x.tensor, c.loc());
}

/// gelu(x, approximate = "none"), or "tanh" (as PyTorch spells them).
Val Generator::gelu(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  if (!isa<FloatType>(x.type().getElementType()))
    return g.fail(c.loc(),
                  "gelu needs a float tensor, got " + formatType(x.type()));
  std::string approximate = "none";
  if (const Expr *e = c.arg(1)) {
    Val v = g.eval(*e, c.scope);
    if (!v.ok())
      return {};
    bool known =
        v.kind == Val::Kind::String && (v.name == "none" || v.name == "tanh");
    if (!known)
      return g.fail(e->getLoc(),
                    "'approximate' of gelu must be \"none\" or \"tanh\", got " +
                        (v.kind == Val::Kind::String ? "\"" + v.name + "\""
                                                     : describe(v)));
    approximate = v.name;
  }
  return Val::ofTensor(GeluOp::create(g.builder, g.loc(c.loc()), x.tensor,
                                      g.builder.getStringAttr(approximate)),
                       c.loc());
}

Val Generator::softmaxLike(Generator &g, BuiltinCall &c) {
  Val x = g.floatArg(c, 0);
  if (!x.ok())
    return {};
  int64_t axis = -1;
  if (c.arg(1)) {
    auto a = g.evalInt(c.arg(1), c.scope, "an axis");
    if (!a)
      return {};
    axis = *a;
  }
  int64_t rank = x.type().getRank();
  int64_t norm = normalizeAxis(axis, rank);
  if (norm < 0)
    return g.fail(c.argLoc(1), "axis " + std::to_string(axis) +
                                   " is out of range for " +
                                   formatType(x.type()));
  Location ml = g.loc(c.loc());
  mlir::Value out =
      c.name() == "softmax"
          ? SoftmaxOp::create(g.builder, ml, x.tensor, norm).getResult()
          : LogSoftmaxOp::create(g.builder, ml, x.tensor, norm).getResult();
  return Val::ofTensor(out, c.loc());
}

Val Generator::reduction(Generator &g, BuiltinCall &c) {
  StringRef name = c.name();
  Val x = name == "mean" ? g.floatArg(c, 0) : g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  int64_t rank = x.type().getRank();
  SmallVector<int64_t> axes;
  if (const Expr *e = c.arg(1)) {
    auto list = g.evalIntList(e, c.scope, "an axis");
    if (!list)
      return {};
    for (int64_t a : *list) {
      int64_t norm = normalizeAxis(a, rank);
      if (norm < 0)
        return g.fail(e->getLoc(), "axis " + std::to_string(a) +
                                       " is out of range for " +
                                       formatType(x.type()));
      if (llvm::is_contained(axes, norm))
        return g.fail(e->getLoc(),
                      "axis " + std::to_string(a) + " is given twice");
      axes.push_back(norm);
    }
    llvm::sort(axes);
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  bool keepdims = false;
  if (const Expr *e = c.arg(2)) {
    auto k = g.evalInt(e, c.scope, "keepdims (0 or 1)");
    if (!k)
      return {};
    keepdims = *k != 0;
  }
  Location ml = g.loc(c.loc());
  mlir::Value out;
  if (name == "sum")
    out = SumOp::create(g.builder, ml, x.tensor, axes, keepdims);
  else if (name == "mean")
    out = MeanOp::create(g.builder, ml, x.tensor, axes, keepdims);
  else
    out = ReduceMaxOp::create(g.builder, ml, x.tensor, axes, keepdims);
  return Val::ofTensor(out, c.loc());
}

/// global_avg_pool(x), x: [N, C, spatial...]: the mean over the spatial
/// dims, kept as size 1 ([N, C, 1, 1] for images), as PyTorch's
/// adaptive_avg_pool2d(x, 1) (and its 1-D and 3-D forms).
Val Generator::globalAvgPool(Generator &g, BuiltinCall &c) {
  Val x = g.floatArg(c, 0);
  if (!x.ok())
    return {};
  int64_t rank = x.type().getRank();
  if (rank < 3)
    return g.fail(c.argLoc(0), "global_avg_pool needs [N, C, spatial...] "
                               "(rank 3 or more), but here it is " +
                                   formatType(x.type()));
  auto axes = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  return Val::ofTensor(MeanOp::create(g.builder, g.loc(c.loc()), x.tensor, axes,
                                      /*keepdims=*/true),
                       c.loc());
}

/// batch_norm(x, running_mean, running_var, weight, bias, momentum = 0.1,
/// eps = 1e-5), as torch.nn.functional.batch_norm: x is [N, C, ...], the
/// running statistics are `state` of [C], weight and bias [C] (optional).
/// The training form normalises with the batch's mean and biased variance
/// over every axis but the channels' and moves the running statistics
/// towards them: r' = (1 - momentum) r + momentum b, the variance unbiased
/// (times n / (n - 1)) as PyTorch does. The inference form normalises with
/// the running statistics. Built from ordinary ops, so autodiff gives the
/// full adjoint through the batch statistics, and every backend runs it.
Val Generator::batchNorm(Generator &g, BuiltinCall &c) {
  Val x = g.floatArg(c, 0);
  if (!x.ok())
    return {};
  RankedTensorType type = x.type();
  if (type.getRank() < 2)
    return g.fail(c.argLoc(0), "batch_norm needs [N, C, ...] (rank 2 or "
                               "more), but here it is " +
                                   formatType(type));
  int64_t channels = type.getDimSize(1);
  auto perChannel = [&](unsigned i, bool isState) -> Val {
    Val v = g.floatArg(c, i);
    if (!v.ok())
      return {};
    std::string what = "'" + std::string(c.builtin.params[i].name) + "'";
    if (v.type() != type.clone({channels}))
      return g.fail(c.argLoc(i), "batch_norm's " + what + " must be " +
                                     formatType(type.clone({channels})) +
                                     " (one per channel of " +
                                     formatType(type) + "), got " +
                                     formatType(v.type()));
    if (isState && !g.stateValues.count(v.tensor))
      return g.fail(c.argLoc(i),
                    "batch_norm's " + what +
                        " must be a `state` value, which the training step "
                        "updates (declare `state " +
                        c.builtin.params[i].name + ": " +
                        formatType(type.clone({channels})) + " = " +
                        (i == 1 ? "zeros" : "ones") + "`)");
    return v;
  };
  Val runningMean = perChannel(1, true);
  if (!runningMean.ok())
    return {};
  Val runningVar = perChannel(2, true);
  if (!runningVar.ok())
    return {};
  auto momentum = g.numberArg(c, 5);
  auto eps = g.numberArg(c, 6);
  if (!momentum || !eps)
    return {};
  if (!(*momentum >= 0 && *momentum <= 1))
    return g.fail(c.argLoc(5), "batch_norm's momentum must be in [0, 1]");
  if (!(*eps > 0))
    return g.fail(c.argLoc(6), "batch_norm's eps must be positive");

  Val weight, bias;
  if (c.arg(3) && !(weight = perChannel(3, false)).ok())
    return {};
  if (c.arg(4) && !(bias = perChannel(4, false)).ok())
    return {};

  Location l = g.loc(c.loc());
  OpBuilder &b = g.builder;
  Type et = type.getElementType();
  auto constant = [&](double v) { return g.scalarConstant(et, v, c.loc()); };
  SmallVector<int64_t> columnShape(type.getRank(), 1);
  columnShape[1] = channels;
  auto column = [&](mlir::Value v) -> mlir::Value {
    return ReshapeOp::create(b, l, type.clone(columnShape), v);
  };
  if (!g.options.training) {
    // x * scale + shift, scale and shift per channel: two ops on x, and a
    // scale that nabla-fold-conv-scale moves into a preceding conv.
    mlir::Value scale = RsqrtOp::create(
        b, l, AddOp::create(b, l, runningVar.tensor, constant(*eps)));
    if (weight.ok())
      scale = MulOp::create(b, l, scale, weight.tensor);
    mlir::Value shift =
        NegOp::create(b, l, MulOp::create(b, l, runningMean.tensor, scale));
    if (bias.ok())
      shift = AddOp::create(b, l, shift, bias.tensor);
    return Val::ofTensor(
        AddOp::create(b, l, MulOp::create(b, l, x.tensor, column(scale)),
                      column(shift)),
        c.loc());
  }
  mlir::Value mean, var;
  {
    SmallVector<int64_t> axes = {0};
    int64_t count = type.getDimSize(0);
    for (int64_t d = 2; d < type.getRank(); ++d) {
      axes.push_back(d);
      count *= type.getDimSize(d);
    }
    if (count < 2)
      return g.fail(c.argLoc(0),
                    "batch_norm in training needs more than one value per "
                    "channel to take a variance, but " +
                        formatType(type) + " has " + Twine(count));
    mean = MeanOp::create(b, l, x.tensor, axes, /*keepdims=*/true);
    mlir::Value centered = SubOp::create(b, l, x.tensor, mean);
    var = MeanOp::create(b, l, MulOp::create(b, l, centered, centered), axes,
                         /*keepdims=*/true);
    auto flat = [&](mlir::Value v) -> mlir::Value {
      return ReshapeOp::create(b, l, type.clone({channels}), v);
    };
    auto update = [&](const Val &state, mlir::Value batch, double factor) {
      mlir::Value &current = g.stateValues[state.tensor];
      current = AddOp::create(
          b, l, MulOp::create(b, l, current, constant(1 - *momentum)),
          MulOp::create(b, l, flat(batch), constant(*momentum * factor)));
    };
    update(runningMean, mean, 1.0);
    update(runningVar, var, double(count) / double(count - 1));
  }
  mlir::Value y = MulOp::create(
      b, l, SubOp::create(b, l, x.tensor, mean),
      RsqrtOp::create(b, l, AddOp::create(b, l, var, constant(*eps))));
  if (weight.ok())
    y = MulOp::create(b, l, y, column(weight.tensor));
  if (bias.ok())
    y = AddOp::create(b, l, y, column(bias.tensor));
  return Val::ofTensor(y, c.loc());
}

/// dropout(x, p = 0.5), as torch.nn.functional.dropout: in the training
/// form, each element is zeroed with probability p and the others scaled by
/// 1 / (1 - p); in the inference form, x itself. The mask comes from
/// nabla.dropout_mask, keyed by the run's seed, the count of forward calls
/// and this op's number in the model, so a run is the same at any thread
/// count and on any device, and the backward pass reuses the same mask.
Val Generator::dropout(Generator &g, BuiltinCall &c) {
  Val x = g.floatArg(c, 0);
  if (!x.ok())
    return {};
  auto p = g.numberArg(c, 1);
  if (!p)
    return {};
  if (!(*p >= 0 && *p <= 1))
    return g.fail(c.argLoc(1), "dropout's p is the probability of zeroing "
                               "an element: it must be in [0, 1], got " +
                                   llvm::formatv("{0}", *p).str());
  if (!g.options.training || *p == 0)
    return x;
  if (!g.dropoutSeed) {
    // Scalar i32 hyper-parameters the caller sets (the trainer: its seed
    // and call count; a Model: zeros unless set).
    auto scalar = RankedTensorType::get({}, g.builder.getI32Type());
    Block &entry = g.func.getBody().front();
    auto add = [&](StringRef name) {
      g.argAttrs.push_back(g.builder.getDictionaryAttr(
          {g.builder.getNamedAttr(attrs::kHyper, g.builder.getStringAttr(name)),
           g.builder.getNamedAttr(
               attrs::kInit, g.builder.getDictionaryAttr(g.builder.getNamedAttr(
                                 "kind", g.builder.getStringAttr("zeros"))))}));
      return entry.addArgument(scalar, g.loc(c.loc()));
    };
    g.dropoutSeed = add("dropout_seed");
    g.dropoutCounter = add("dropout_counter");
  }
  Location l = g.loc(c.loc());
  mlir::Value mask =
      DropoutMaskOp::create(g.builder, l, x.type(), g.dropoutSeed,
                            g.dropoutCounter, g.builder.getF64FloatAttr(*p),
                            g.builder.getI64IntegerAttr(g.dropoutStreams++));
  return Val::ofTensor(MulOp::create(g.builder, l, x.tensor, mask), c.loc());
}

Val Generator::maximum(Generator &g, BuiltinCall &c) {
  Val a = g.tensorArg(c, 0);
  if (!a.ok())
    return {};
  Val b = g.tensorArg(c, 1, a.type().getElementType());
  if (!b.ok())
    return {};
  ShapeResult r = inferBroadcast(a.type(), b.type(), "maximum");
  if (auto *msg = std::get_if<std::string>(&r))
    return g.fail(c.loc(), *msg);
  return Val::ofTensor(
      MaxOp::create(g.builder, g.loc(c.loc()), a.tensor, b.tensor), c.loc());
}

Val Generator::transpose(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  int64_t rank = x.type().getRank();
  SmallVector<int64_t> perm;
  if (const Expr *e = c.arg(1)) {
    auto list = g.evalIntList(e, c.scope, "a permutation");
    if (!list)
      return {};
    perm = *list;
    SmallVector<int64_t> sorted = perm;
    llvm::sort(sorted);
    if (!llvm::equal(sorted, llvm::seq<int64_t>(0, rank)))
      return g.fail(e->getLoc(), "perm must list each axis of " +
                                     formatType(x.type()) + " once");
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(x.type().getDimSize(p));
  auto type = RankedTensorType::get(shape, x.type().getElementType());
  return Val::ofTensor(
      TransposeOp::create(g.builder, g.loc(c.loc()), type, x.tensor, perm),
      c.loc());
}

Val Generator::reshape(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  auto shape = g.evalIntList(c.arg(1), c.scope, "a dimension");
  if (!shape)
    return {};
  SMLoc shapeLoc = c.arg(1)->getLoc();
  int64_t total = numElements(x.type().getShape());
  // One -1 takes whatever size makes the element counts agree.
  int64_t known = 1, unknown = -1;
  for (auto [i, d] : llvm::enumerate(*shape)) {
    if (d == -1 && unknown < 0)
      unknown = i;
    else if (d <= 0)
      return g.fail(shapeLoc, "bad dimension " + std::to_string(d) +
                                  " in reshape (sizes are positive; one "
                                  "may be -1)");
    else
      known *= d;
  }
  if (unknown >= 0 && known > 0 && total % known == 0)
    (*shape)[unknown] = total / known;
  auto type = RankedTensorType::get(*shape, x.type().getElementType());
  if (unknown >= 0 ? total % known != 0 : known != total)
    return g.fail(shapeLoc, "cannot reshape " + formatType(x.type()) + " (" +
                                std::to_string(total) + " elements) to " +
                                formatType(type));
  return Val::ofTensor(
      ReshapeOp::create(g.builder, g.loc(c.loc()), type, x.tensor), c.loc());
}

/// flatten(x, start = 1, end = -1): dims start..end (inclusive, negative
/// from the back) become one, as torch.flatten(x, start_dim, end_dim); the
/// default keeps the batch dim, as nn.Flatten. A reshape: row-major order.
Val Generator::flatten(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  int64_t rank = x.type().getRank();
  int64_t dims[2] = {1, -1};
  for (unsigned i = 0; i < 2; ++i) {
    if (!c.arg(i + 1))
      continue;
    auto d =
        g.evalInt(c.arg(i + 1), c.scope, i == 0 ? "a start dim" : "an end dim");
    if (!d)
      return {};
    dims[i] = *d;
  }
  int64_t start = normalizeAxis(dims[0], rank),
          end = normalizeAxis(dims[1], rank);
  for (unsigned i = 0; i < 2; ++i)
    if ((i == 0 ? start : end) < 0)
      return g.fail(c.argLoc(i + 1),
                    (i == 0 ? "start " : "end ") + std::to_string(dims[i]) +
                        " is out of range for " + formatType(x.type()));
  if (start > end)
    return g.fail(c.loc(), "flatten's start dim " + std::to_string(dims[0]) +
                               " comes after its end dim " +
                               std::to_string(dims[1]) + " for " +
                               formatType(x.type()));
  ArrayRef<int64_t> in = x.type().getShape();
  SmallVector<int64_t> shape(in.begin(), in.begin() + start);
  shape.push_back(numElements(in.slice(start, end - start + 1)));
  shape.append(in.begin() + end + 1, in.end());
  auto type = RankedTensorType::get(shape, x.type().getElementType());
  return Val::ofTensor(
      ReshapeOp::create(g.builder, g.loc(c.loc()), type, x.tensor), c.loc());
}

//===----------------------------------------------------------------------===//
// Convolution, pooling and padding (PyTorch's torch.nn.functional forms)
//===----------------------------------------------------------------------===//

/// The spatial rank a window builtin works on, from its name (conv1d: 1).
int64_t spatialRankOf(StringRef name) {
  return name.contains("1d") ? 1 : name.contains("3d") ? 3 : 2;
}

/// An int or a list of `spatial` ints (stride = 2, stride = [2, 1]), each
/// at least `least`; `fallback` (already per dim) where not given.
std::optional<SmallVector<int64_t>>
Generator::spatialArg(BuiltinCall &c, unsigned i, int64_t spatial,
                      ArrayRef<int64_t> fallback, int64_t least) {
  const Expr *e = c.arg(i);
  if (!e)
    return SmallVector<int64_t>(fallback);
  std::string what = "'" + std::string(c.builtin.params[i].name) + "'";
  auto list = evalIntList(e, c.scope, what);
  if (!list)
    return std::nullopt;
  if (list->size() == 1)
    list->assign(spatial, list->front());
  if (static_cast<int64_t>(list->size()) != spatial) {
    diags.error(e->getLoc(), what + " of " + c.name().str() +
                                 " needs one int or " +
                                 std::to_string(spatial) + ", got " +
                                 std::to_string(list->size()));
    return std::nullopt;
  }
  // Window sizes stay far from int64's range, so their products cannot wrap.
  constexpr int64_t kMaxWindow = int64_t(1) << 31;
  for (int64_t v : *list)
    if (v < least || v > kMaxWindow) {
      diags.error(e->getLoc(),
                  what + " of " + c.name().str() + " must be " +
                      (v < least ? "at least " + std::to_string(least)
                                 : std::string("at most 2^31")) +
                      ", got " + std::to_string(v));
      return std::nullopt;
    }
  return list;
}

/// A compile-time integer, or the parameter's default when not given.
std::optional<int64_t> Generator::intArg(BuiltinCall &c, unsigned i) {
  if (!c.arg(i))
    return static_cast<int64_t>(*c.builtin.params[i].defaultValue);
  return evalInt(c.arg(i), c.scope,
                 "'" + std::string(c.builtin.params[i].name) + "'");
}

/// Argument `i`, an axis of `type` (negative counts from the end), made
/// non-negative; out of range, an error at the argument.
std::optional<int64_t> Generator::axisArg(BuiltinCall &c, unsigned i,
                                          RankedTensorType type) {
  auto axis = intArg(c, i);
  if (!axis)
    return std::nullopt;
  int64_t a = normalizeAxis(*axis, type.getRank());
  if (a < 0) {
    fail(c.argLoc(i), "axis " + std::to_string(*axis) +
                          " is out of range for " + formatType(type));
    return std::nullopt;
  }
  return a;
}

/// A float tensor argument of shape [N, C, spatial...].
Val Generator::imageArg(BuiltinCall &c, unsigned i, int64_t spatial) {
  Val x = floatArg(c, i);
  if (x.ok() && x.type().getRank() != spatial + 2) {
    static const char *layouts[] = {"", "[N, C, L]", "[N, C, H, W]",
                                    "[N, C, D, H, W]"};
    return fail(c.argLoc(i), c.name() + " needs '" + c.builtin.params[i].name +
                                 "' as " + layouts[spatial] + ", got " +
                                 formatType(x.type()));
  }
  return x;
}

/// A convolution's weight: x's element type and rank, its dims `layout`
/// then the kernel's (named in the error).
Val Generator::weightArg(BuiltinCall &c, unsigned i, const Val &x,
                         int64_t spatial, StringRef layout) {
  Type et = x.type().getElementType();
  Val w = tensorArg(c, i, et);
  if (w.ok() &&
      (w.type().getRank() != spatial + 2 || w.type().getElementType() != et))
    return fail(c.argLoc(i), c.name() + "'s weight must be " +
                                 formatElementType(et) + "[" + layout +
                                 ", kernel...] of rank " +
                                 std::to_string(spatial + 2) + ", got " +
                                 formatType(w.type()));
  return w;
}

/// `x` padded with `value` by `low` and `high` along its spatial dims
/// (nothing when both are zero).
mlir::Value Generator::padSpatial(mlir::Value x, ArrayRef<int64_t> low,
                                  ArrayRef<int64_t> high, double value,
                                  SMLoc l) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return x;
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> lows = {0, 0}, highs = {0, 0}, shape;
  llvm::append_range(lows, low);
  llvm::append_range(highs, high);
  for (int64_t i = 0; i < type.getRank(); ++i)
    shape.push_back(type.getDimSize(i) + lows[i] + highs[i]);
  if (!checkSize(shape, l))
    return {};
  SmallVector<int64_t> interior(type.getRank(), 0);
  return PadOp::create(builder, loc(l), type.clone(shape), x, lows, highs,
                       interior, llvm::APFloat(value));
}

/// The output sizes of windows sliding over `in` (already padded), or an
/// error at the call naming the dim where not even one window fits.
std::optional<SmallVector<int64_t>>
Generator::windowOutput(BuiltinCall &c, RankedTensorType x,
                        ArrayRef<int64_t> in, ArrayRef<int64_t> kernel,
                        ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation) {
  SmallVector<int64_t> out;
  for (size_t i = 0; i < in.size(); ++i) {
    out.push_back(windowCount(in[i], kernel[i], stride[i], dilation[i]));
    if (out.back() < 1) {
      diags.error(
          c.loc(),
          c.name() + ": the window of size " + std::to_string(kernel[i]) +
              (dilation[i] > 1 ? " with dilation " + std::to_string(dilation[i])
                               : std::string()) +
              " is larger than the padded input (" + std::to_string(in[i]) +
              ") along spatial dim " + std::to_string(i + 1) + " of x " +
              formatType(x) + ": the output would be empty");
      return std::nullopt;
    }
  }
  return out;
}

/// `y + bias` with bias [C] broadcast over [N, C, spatial...], when given.
Val Generator::addChannelBias(BuiltinCall &c, unsigned i, mlir::Value y) {
  auto type = cast<RankedTensorType>(y.getType());
  if (!c.arg(i))
    return Val::ofTensor(y, c.loc());
  Val b = floatArg(c, i);
  if (!b.ok())
    return {};
  int64_t channels = type.getDimSize(1);
  if (b.type().getShape() != ArrayRef<int64_t>{channels} ||
      b.type().getElementType() != type.getElementType())
    return fail(c.argLoc(i), c.name() + "'s bias must be " +
                                 formatType(type.clone({channels})) +
                                 " (one per output channel), got " +
                                 formatType(b.type()));
  SmallVector<int64_t> shape(type.getRank(), 1);
  shape[1] = channels;
  Location l = loc(c.loc());
  Value column = ReshapeOp::create(builder, l, type.clone(shape), b.tensor);
  return Val::ofTensor(AddOp::create(builder, l, y, column), c.loc());
}

/// conv1d/conv2d/conv3d(x, w, bias, stride = 1, padding = 0, dilation = 1,
/// groups = 1): x [N, C, spatial...], w [O, C / groups, k...], padding an
/// int, a list, "valid" or "same" (stride 1 only), as in PyTorch.
Val Generator::convolution(Generator &g, BuiltinCall &c) {
  int64_t spatial = spatialRankOf(c.name());
  Val x = g.imageArg(c, 0, spatial);
  if (!x.ok())
    return {};
  Val w = g.weightArg(c, 1, x, spatial, "out channels, in channels / groups");
  if (!w.ok())
    return {};
  auto xt = x.type(), wt = w.type();
  SmallVector<int64_t> ones(spatial, 1), zeros(spatial, 0);
  auto stride = g.spatialArg(c, 3, spatial, ones, 1);
  auto dilation = stride ? g.spatialArg(c, 5, spatial, ones, 1) : std::nullopt;
  auto groups = dilation ? g.intArg(c, 6) : std::nullopt;
  if (!groups)
    return {};
  int64_t G = *groups;
  int64_t C = xt.getDimSize(1), O = wt.getDimSize(0);
  if (G < 1 || C % G != 0 || O % G != 0)
    return g.fail(c.argLoc(6), "groups = " + std::to_string(G) +
                                   " must be a positive integer dividing the " +
                                   std::to_string(C) + " input and " +
                                   std::to_string(O) + " output channels");
  if (wt.getDimSize(1) * G != C)
    return g.fail(c.argLoc(1),
                  c.name() + ": x " + formatType(xt) + " has " +
                      std::to_string(C) + " channels, but the weight " +
                      formatType(wt) + " expects " +
                      std::to_string(wt.getDimSize(1) * G) +
                      " (its dim 1 times groups = " + std::to_string(G) + ")");
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  SmallVector<int64_t> low = zeros, high = zeros;
  if (const Expr *e = c.arg(4)) {
    Val p = g.eval(*e, c.scope);
    if (!p.ok())
      return {};
    if (p.kind == Val::Kind::String) {
      if (p.name == "same") {
        if (llvm::any_of(*stride, [](int64_t s) { return s != 1; }))
          return g.fail(e->getLoc(), "padding = \"same\" needs stride 1 (as "
                                     "in PyTorch); give the padding instead");
        for (int64_t i = 0; i < spatial; ++i) {
          int64_t total = (*dilation)[i] * (kernel[i] - 1);
          low[i] = total / 2;
          high[i] = total - low[i];
        }
      } else if (p.name != "valid") {
        return g.fail(e->getLoc(), "padding must be an int, a list of ints, "
                                   "\"valid\" or \"same\", got \"" +
                                       p.name + "\"");
      }
    } else {
      auto pads = g.spatialArg(c, 4, spatial, zeros, 0);
      if (!pads)
        return {};
      low = high = *pads;
    }
  }
  Value padded = g.padSpatial(x.tensor, low, high, 0.0, c.loc());
  if (!padded)
    return {};
  auto in = cast<RankedTensorType>(padded.getType()).getShape().drop_front(2);
  auto out = g.windowOutput(c, x.type(), in, kernel, *stride, *dilation);
  if (!out)
    return {};
  SmallVector<int64_t> shape = {xt.getDimSize(0), O};
  llvm::append_range(shape, *out);
  Value y = ConvOp::create(g.builder, g.loc(c.loc()), xt.clone(shape), padded,
                           w.tensor, *stride, *dilation, G);
  return g.addChannelBias(c, 2, y);
}

/// conv_transpose1d/2d(x, w, bias, stride = 1, padding = 0,
/// output_padding = 0, groups = 1, dilation = 1): x [N, C, spatial...],
/// w [C, O / groups, k...], as torch.nn.functional.conv_transpose2d. The
/// full transposed convolution, then `padding` cut from each side and
/// `output_padding` zeros (where nothing lands) added at the end.
Val Generator::convTranspose(Generator &g, BuiltinCall &c) {
  int64_t spatial = spatialRankOf(c.name());
  Val x = g.imageArg(c, 0, spatial);
  if (!x.ok())
    return {};
  Val w = g.weightArg(c, 1, x, spatial, "in channels, out channels / groups");
  if (!w.ok())
    return {};
  auto xt = x.type(), wt = w.type();
  SmallVector<int64_t> ones(spatial, 1), zeros(spatial, 0);
  auto stride = g.spatialArg(c, 3, spatial, ones, 1);
  auto padding = stride ? g.spatialArg(c, 4, spatial, zeros, 0) : std::nullopt;
  auto outPad = padding ? g.spatialArg(c, 5, spatial, zeros, 0) : std::nullopt;
  auto groups = outPad ? g.intArg(c, 6) : std::nullopt;
  auto dilation = groups ? g.spatialArg(c, 7, spatial, ones, 1) : std::nullopt;
  if (!dilation)
    return {};
  int64_t G = *groups;
  int64_t C = xt.getDimSize(1);
  if (G < 1 || C % G != 0)
    return g.fail(c.argLoc(6), "groups = " + std::to_string(G) +
                                   " must be a positive integer dividing the " +
                                   std::to_string(C) + " input channels");
  if (wt.getDimSize(0) != C)
    return g.fail(c.argLoc(1),
                  c.name() + ": x " + formatType(xt) + " has " +
                      std::to_string(C) + " channels, but the weight " +
                      formatType(wt) + " has " +
                      std::to_string(wt.getDimSize(0)) + " in its dim 0");
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  SmallVector<int64_t> full = {xt.getDimSize(0), wt.getDimSize(1) * G};
  SmallVector<int64_t> final = full, offsets = {0, 0}, extra = {0, 0};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t s = (*stride)[i], d = (*dilation)[i], p = (*padding)[i],
            op = (*outPad)[i];
    if (op >= std::max(s, d))
      return g.fail(c.argLoc(5), "output_padding must be smaller than the "
                                 "stride or the dilation (as in PyTorch)");
    full.push_back((xt.getDimSize(2 + i) - 1) * s + d * (kernel[i] - 1) + 1);
    final.push_back(full.back() - 2 * p + op);
    if (final.back() < 1)
      return g.fail(c.argLoc(4), c.name() + ": padding " + std::to_string(p) +
                                     " leaves no output along spatial dim " +
                                     std::to_string(i + 1));
    offsets.push_back(p);
    extra.push_back(std::max<int64_t>(0, op - p));
  }
  if (!g.checkSize(full, c.loc()) || !g.checkSize(final, c.loc()))
    return {};
  Location l = g.loc(c.loc());
  Value y = ConvTransposeOp::create(g.builder, l, xt.clone(full), x.tensor,
                                    w.tensor, *stride, *dilation, G);
  y = g.padSpatial(y, zeros, ArrayRef<int64_t>(extra).drop_front(2), 0.0,
                   c.loc());
  if (!y)
    return {};
  if (cast<RankedTensorType>(y.getType()).getShape() != ArrayRef(final))
    y = SliceOp::create(g.builder, l, xt.clone(final), y, offsets,
                        SmallVector<int64_t>(final.size(), 1));
  return g.addChannelBias(c, 2, y);
}

/// Pooling's window (kernel, stride = kernel, padding = 0) with PyTorch's
/// limit: padding at most half the kernel.
std::optional<Generator::Window> Generator::poolWindow(BuiltinCall &c,
                                                       int64_t spatial) {
  SmallVector<int64_t> zeros(spatial, 0), ones(spatial, 1);
  Window win;
  auto kernel = spatialArg(c, 1, spatial, {}, 1);
  auto stride = kernel ? spatialArg(c, 2, spatial, *kernel, 1) : std::nullopt;
  auto padding = stride ? spatialArg(c, 3, spatial, zeros, 0) : std::nullopt;
  if (!padding)
    return std::nullopt;
  for (int64_t i = 0; i < spatial; ++i)
    if (2 * (*padding)[i] > (*kernel)[i]) {
      diags.error(c.argLoc(3), "padding " + std::to_string((*padding)[i]) +
                                   " of " + c.name().str() +
                                   " must be at most half the kernel size " +
                                   std::to_string((*kernel)[i]));
      return std::nullopt;
    }
  win.kernel = *kernel;
  win.stride = *stride;
  win.padding = *padding;
  return win;
}

/// max_pool1d/2d(x, kernel, stride = kernel, padding = 0, dilation = 1):
/// padding is -inf, so it never wins.
Val Generator::maxPool(Generator &g, BuiltinCall &c) {
  int64_t spatial = spatialRankOf(c.name());
  Val x = g.imageArg(c, 0, spatial);
  if (!x.ok())
    return {};
  auto win = g.poolWindow(c, spatial);
  auto dilation =
      win ? g.spatialArg(c, 4, spatial, SmallVector<int64_t>(spatial, 1), 1)
          : std::nullopt;
  if (!dilation)
    return {};
  Value padded =
      g.padSpatial(x.tensor, win->padding, win->padding,
                   -std::numeric_limits<double>::infinity(), c.loc());
  if (!padded)
    return {};
  auto in = cast<RankedTensorType>(padded.getType()).getShape().drop_front(2);
  auto out =
      g.windowOutput(c, x.type(), in, win->kernel, win->stride, *dilation);
  if (!out)
    return {};
  SmallVector<int64_t> shape(x.type().getShape().take_front(2));
  llvm::append_range(shape, *out);
  return Val::ofTensor(MaxPoolOp::create(g.builder, g.loc(c.loc()),
                                         x.type().clone(shape), padded,
                                         win->kernel, win->stride, *dilation),
                       c.loc());
}

/// avg_pool1d/2d(x, kernel, stride = kernel, padding = 0,
/// count_include_pad = 1): a depthwise convolution with a kernel of ones,
/// divided by the window size, or (count_include_pad = 0) by the number of
/// elements of each window inside the unpadded input, a constant.
Val Generator::avgPool(Generator &g, BuiltinCall &c) {
  int64_t spatial = spatialRankOf(c.name());
  Val x = g.imageArg(c, 0, spatial);
  if (!x.ok())
    return {};
  auto win = g.poolWindow(c, spatial);
  auto includePad = win ? g.numberArg(c, 4) : std::nullopt;
  if (!includePad)
    return {};
  auto xt = x.type();
  Type et = xt.getElementType();
  Value padded =
      g.padSpatial(x.tensor, win->padding, win->padding, 0.0, c.loc());
  if (!padded)
    return {};
  auto in = cast<RankedTensorType>(padded.getType()).getShape().drop_front(2);
  SmallVector<int64_t> ones(spatial, 1);
  auto out = g.windowOutput(c, x.type(), in, win->kernel, win->stride, ones);
  if (!out)
    return {};
  Location l = g.loc(c.loc());
  int64_t C = xt.getDimSize(1);
  SmallVector<int64_t> wShape = {C, 1};
  llvm::append_range(wShape, win->kernel);
  auto wType = RankedTensorType::get(wShape, et);
  Value w = ConstantOp::create(
      g.builder, l,
      DenseElementsAttr::get(wType, g.builder.getFloatAttr(et, 1.0)));
  SmallVector<int64_t> shape = {xt.getDimSize(0), C};
  llvm::append_range(shape, *out);
  Value sums = ConvOp::create(g.builder, l, xt.clone(shape), padded, w,
                              win->stride, ones, C);
  // Every window counts its whole kernel when padding counts or there is
  // none: one scalar divides them all.
  bool whole = *includePad != 0 ||
               llvm::all_of(win->padding, [](int64_t p) { return p == 0; });
  if (whole)
    return Val::ofTensor(
        MulOp::create(
            g.builder, l, sums,
            g.scalarConstant(et, 1.0 / numElements(win->kernel), c.loc())),
        c.loc());
  // Else 1 / count per output position: the product over dims of the
  // window's overlap with the unpadded input.
  SmallVector<double> reciprocal(numElements(*out), 1.0);
  for (int64_t flat = 0; flat < static_cast<int64_t>(reciprocal.size());
       ++flat) {
    int64_t rest = flat, count = 1;
    for (int64_t i = spatial - 1; i >= 0; --i) {
      int64_t p = rest % (*out)[i];
      rest /= (*out)[i];
      int64_t start = p * win->stride[i] - win->padding[i];
      int64_t size = xt.getDimSize(2 + i);
      count *=
          std::min(start + win->kernel[i], size) - std::max<int64_t>(start, 0);
    }
    reciprocal[flat] = 1.0 / static_cast<double>(count);
  }
  auto rType = RankedTensorType::get(*out, et);
  SmallVector<Attribute> values;
  for (double r : reciprocal)
    values.push_back(g.builder.getFloatAttr(et, r));
  Value scale =
      ConstantOp::create(g.builder, l, DenseElementsAttr::get(rType, values));
  return Val::ofTensor(MulOp::create(g.builder, l, sums, scale), c.loc());
}

/// pad(x, pads, value = 0), as torch.nn.functional.pad: `pads` lists
/// (before, after) pairs starting from the last dim; negative amounts cut.
Val Generator::pad(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  auto pads = g.evalIntList(c.arg(1), c.scope, "a pad amount");
  auto value = pads ? g.numberArg(c, 2) : std::nullopt;
  if (!value)
    return {};
  auto xt = x.type();
  int64_t rank = xt.getRank();
  if (pads->size() % 2 != 0 || static_cast<int64_t>(pads->size()) > 2 * rank)
    return g.fail(c.argLoc(1), "pad needs (before, after) pairs for at most " +
                                   std::to_string(rank) + " dims of " +
                                   formatType(xt) + ", got " +
                                   std::to_string(pads->size()) + " amounts");
  SmallVector<int64_t> low(rank, 0), high(rank, 0), cutLow(rank, 0),
      cutHigh(rank, 0), shape(xt.getShape());
  for (size_t j = 0; j < pads->size() / 2; ++j) {
    int64_t dim = rank - 1 - j, before = (*pads)[2 * j],
            after = (*pads)[2 * j + 1];
    (before >= 0 ? low : cutLow)[dim] = std::abs(before);
    (after >= 0 ? high : cutHigh)[dim] = std::abs(after);
    shape[dim] += before + after;
    if (shape[dim] < 1)
      return g.fail(c.argLoc(1), "pad leaves dim " + std::to_string(dim) +
                                     " of " + formatType(xt) + " empty");
  }
  if (!g.checkSize(shape, c.argLoc(1)))
    return {};
  Location l = g.loc(c.loc());
  Value v = x.tensor;
  if (llvm::any_of(cutLow, [](int64_t a) { return a; }) ||
      llvm::any_of(cutHigh, [](int64_t a) { return a; })) {
    SmallVector<int64_t> cut(xt.getShape());
    for (int64_t i = 0; i < rank; ++i)
      cut[i] -= cutLow[i] + cutHigh[i];
    if (llvm::any_of(cut, [](int64_t d) { return d < 1; }))
      return g.fail(c.argLoc(1), "pad cuts away all of " + formatType(xt));
    v = SliceOp::create(g.builder, l, xt.clone(cut), v, cutLow,
                        SmallVector<int64_t>(rank, 1));
  }
  if (llvm::any_of(low, [](int64_t a) { return a; }) ||
      llvm::any_of(high, [](int64_t a) { return a; }))
    v = PadOp::create(g.builder, l, xt.clone(shape), v, low, high,
                      SmallVector<int64_t>(rank, 0), llvm::APFloat(*value));
  return Val::ofTensor(v, c.loc());
}

/// The tensors of an array literal argument (`[a, b]`), evaluated.
std::optional<SmallVector<Val>> Generator::tensorList(BuiltinCall &c,
                                                      unsigned i) {
  auto *array = dyn_cast<ArrayExpr>(c.arg(i));
  if (!array) {
    // A list built in a repeat: `hs = hs + [h]`.
    Val v = eval(*c.arg(i), c.scope);
    if (!v.ok())
      return std::nullopt;
    if (v.kind == Val::Kind::Tuple && v.name == "list" && !v.elements.empty())
      return SmallVector<Val>(v.elements.begin(), v.elements.end());
  }
  if (!array || array->elements.empty()) {
    diags.error(c.argLoc(i), c.name() + " needs a list of tensors, as [a, b]");
    return std::nullopt;
  }
  SmallVector<Val> values;
  for (const ExprPtr &e : array->elements) {
    Val v = eval(*e, c.scope);
    if (!v.ok())
      return std::nullopt;
    if (v.kind != Val::Kind::Tensor) {
      diags.error(e->getLoc(), c.name() + " needs tensors, got " + describe(v));
      return std::nullopt;
    }
    values.push_back(v);
  }
  return values;
}

/// concat(xs, axis = 0) and stack(xs, axis = 0), as torch.cat and
/// torch.stack: one nabla.concat; stack first gives each piece a dim of 1
/// at the axis.
Val Generator::concat(Generator &g, BuiltinCall &c) {
  auto xs = g.tensorList(c, 0);
  auto axisArg = xs ? g.numberArg(c, 1) : std::nullopt;
  if (!axisArg)
    return {};
  bool stack = c.name() == "stack";
  RankedTensorType first = (*xs)[0].type();
  int64_t rank = first.getRank() + (stack ? 1 : 0);
  if (*axisArg != std::floor(*axisArg))
    return g.fail(c.argLoc(1), "expected an axis (an integer)");
  int64_t axis = static_cast<int64_t>(*axisArg);
  if (axis < -rank || axis >= rank)
    return g.fail(c.argLoc(1), "axis " + std::to_string(axis) +
                                   " is out of range for " + c.name() +
                                   " of rank-" + std::to_string(rank) +
                                   " results");
  if (axis < 0)
    axis += rank;
  Location l = g.loc(c.loc());
  SmallVector<Value> pieces;
  for (const Val &x : *xs) {
    RankedTensorType t = x.type();
    bool same = t.getRank() == first.getRank() &&
                t.getElementType() == first.getElementType();
    for (int64_t d = 0; same && d < t.getRank(); ++d)
      same = t.getDimSize(d) == first.getDimSize(d) || (!stack && d == axis);
    if (!same)
      return g.fail(
          x.loc,
          c.name() + " needs tensors of one element type " +
              (stack ? "and shape"
                     : "and one shape but for axis " + std::to_string(axis)) +
              ": " + formatType(t) + " does not match " + formatType(first));
    Value v = x.tensor;
    if (stack) {
      SmallVector<int64_t> shape(t.getShape());
      shape.insert(shape.begin() + axis, 1);
      v = ReshapeOp::create(g.builder, l, t.clone(shape), v);
    }
    pieces.push_back(v);
  }
  int64_t total = 0;
  for (Value v : pieces)
    total += cast<RankedTensorType>(v.getType()).getDimSize(axis);
  auto pieceType = cast<RankedTensorType>(pieces[0].getType());
  SmallVector<int64_t> shape(pieceType.getShape());
  shape[axis] = total;
  if (!g.checkSize(shape, c.loc()))
    return {};
  if (pieces.size() == 1)
    return Val::ofTensor(pieces[0], c.loc());
  return Val::ofTensor(
      ConcatOp::create(g.builder, l, pieceType.clone(shape), pieces, axis),
      c.loc());
}

/// where(condition, x, y): numpy's and PyTorch's where, the three
/// broadcast together; masked_fill(x, mask, value) is where(mask, value,
/// x). A number takes the other side's element type.
Val Generator::where(Generator &g, BuiltinCall &c) {
  bool fill = c.name() == "masked_fill";
  unsigned ci = fill ? 1 : 0, ai = fill ? 2 : 1, bi = fill ? 0 : 2;
  Val cond = g.eval(*c.arg(ci), c.scope);
  if (!cond.ok())
    return {};
  if (cond.kind != Val::Kind::Tensor ||
      !cond.type().getElementType().isInteger(1))
    return g.fail(c.argLoc(ci), c.name() +
                                    " needs a tensor of booleans "
                                    "(i1, as `x > 0`) for its " +
                                    (fill ? "mask" : "condition") + ", got " +
                                    describe(cond));
  Val a = g.eval(*c.arg(ai), c.scope);
  Val b = a.ok() ? g.eval(*c.arg(bi), c.scope) : Val();
  if (!b.ok())
    return {};
  Type et = a.kind == Val::Kind::Tensor   ? a.type().getElementType()
            : b.kind == Val::Kind::Tensor ? b.type().getElementType()
                                          : g.defaultFloat();
  a = g.asTensor(a, et, c.argLoc(ai));
  b = a.ok() ? g.asTensor(b, et, c.argLoc(bi)) : Val();
  if (!b.ok())
    return {};
  if (a.type().getElementType() != b.type().getElementType())
    return g.fail(c.loc(), c.name() +
                               " needs one element type on both "
                               "sides, got " +
                               formatType(a.type()) + " and " +
                               formatType(b.type()) + " (use cast)");
  auto shape = broadcastShapes(a.type().getShape(), b.type().getShape());
  if (shape)
    shape = broadcastShapes(cond.type().getShape(), *shape);
  if (!shape)
    return g.fail(c.loc(), c.name() + " cannot broadcast " +
                               formatType(cond.type()) + ", " +
                               formatType(a.type()) + " and " +
                               formatType(b.type()) + " together");
  return Val::ofTensor(SelectOp::create(g.builder, g.loc(c.loc()),
                                        RankedTensorType::get(*shape, et),
                                        cond.tensor, a.tensor, b.tensor),
                       c.loc());
}

/// An i1 [rows, cols] constant, true where col - row <= diagonal (lower)
/// or >= diagonal (upper).
mlir::Value Generator::boolMatrix(int64_t rows, int64_t cols, int64_t diagonal,
                                  bool lower, SMLoc l) {
  SmallVector<bool> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(lower ? j - i <= diagonal : j - i >= diagonal);
  auto type = RankedTensorType::get({rows, cols}, builder.getI1Type());
  return ConstantOp::create(builder, loc(l),
                            DenseElementsAttr::get(type, values));
}

/// tril(x, diagonal = 0) and triu(...), as torch.tril and torch.triu on the
/// last two dims: the other elements become 0.
Val Generator::triangle(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  auto diagonal = x.ok() ? g.intArg(c, 1) : std::nullopt;
  if (!diagonal)
    return {};
  RankedTensorType type = x.type();
  int64_t rank = type.getRank();
  if (rank < 2)
    return g.fail(c.argLoc(0), c.name() +
                                   " needs a matrix or a stack of "
                                   "them (rank 2 or more), got " +
                                   formatType(type));
  mlir::Value mask =
      g.boolMatrix(type.getDimSize(rank - 2), type.getDimSize(rank - 1),
                   *diagonal, c.name() == "tril", c.loc());
  mlir::Value zero = g.scalarConstant(type.getElementType(), 0, c.loc());
  return Val::ofTensor(
      SelectOp::create(g.builder, g.loc(c.loc()), type, mask, x.tensor, zero),
      c.loc());
}

/// causal_mask(T): i1 [T, T], true where a query at row i may attend to
/// the key at column j (j <= i), as the boolean attn_mask of PyTorch's
/// scaled_dot_product_attention with is_causal.
Val Generator::causalMask(Generator &g, BuiltinCall &c) {
  auto size = g.intArg(c, 0);
  if (!size)
    return {};
  if (*size < 1 || !g.checkSize({*size, *size}, c.argLoc(0)))
    return *size < 1 ? g.fail(c.argLoc(0), "causal_mask needs a size of at "
                                           "least 1, got " +
                                               std::to_string(*size))
                     : Val();
  return Val::ofTensor(g.boolMatrix(*size, *size, 0, true, c.loc()), c.loc());
}

/// arange(stop) or arange(start, stop, step = 1), as torch.arange: i32
/// where every bound is an integer, else f32.
Val Generator::arange(Generator &g, BuiltinCall &c) {
  SmallVector<double> bounds;
  bool ints = true;
  for (unsigned i = 0; i < 3; ++i) {
    if (i == 1 && !c.arg(1))
      continue;
    Val v =
        c.arg(i) ? g.eval(*c.arg(i), c.scope) : Val::ofNumber(1, true, c.loc());
    if (!v.ok())
      return {};
    if (v.kind != Val::Kind::Number)
      return g.fail(c.argLoc(i), "arange needs numbers, got " + describe(v));
    bounds.push_back(v.number);
    ints = ints && v.isInt;
  }
  double start = 0, stop = bounds[0], step = bounds.back();
  if (bounds.size() == 3) {
    start = bounds[0];
    stop = bounds[1];
  }
  if (step == 0)
    return g.fail(c.argLoc(2), "arange's step must not be 0");
  double count = std::ceil((stop - start) / step);
  auto text = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", v);
    return std::string(buffer);
  };
  if (!(count >= 1))
    return g.fail(c.loc(), "arange(" + text(start) + ", " + text(stop) + ", " +
                               text(step) +
                               ") is empty (empty tensors are not supported)");
  if (!g.checkSize({static_cast<int64_t>(std::min(count, 1e18))}, c.loc()))
    return {};
  int64_t n = static_cast<int64_t>(count);
  Type et = ints ? Type(g.builder.getI32Type()) : g.defaultFloat();
  auto type = RankedTensorType::get({n}, et);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < n; ++i) {
    double v = start + static_cast<double>(i) * step;
    values.push_back(
        ints ? Attribute(g.builder.getI32IntegerAttr(static_cast<int32_t>(v)))
             : Attribute(g.builder.getFloatAttr(et, v)));
  }
  return Val::ofTensor(ConstantOp::create(g.builder, g.loc(c.loc()),
                                          DenseElementsAttr::get(type, values)),
                       c.loc());
}

/// layer_norm(x, weight, bias, eps = 1e-5) over the last dim, as
/// torch.nn.functional.layer_norm(x, [D], weight, bias, eps):
/// (x - mean) / sqrt(var + eps) * weight + bias with the biased variance.
/// rms_norm(x, weight, eps): x / sqrt(mean(x^2) + eps) * weight, as
/// torch.nn.functional.rms_norm (its default eps is f32's epsilon).
/// Composed of ordinary ops: autodiff derives the full adjoint.
Val Generator::layerNorm(Generator &g, BuiltinCall &c) {
  bool rms = c.name() == "rms_norm";
  Val x = g.floatArg(c, 0);
  auto eps = x.ok() ? g.numberArg(c, rms ? 2 : 3) : std::nullopt;
  if (!eps)
    return {};
  RankedTensorType type = x.type();
  if (type.getRank() < 1)
    return g.fail(c.argLoc(0), c.name() +
                                   " needs a tensor of rank 1 or "
                                   "more, got " +
                                   formatType(type));
  int64_t d = type.getDimSize(type.getRank() - 1);
  auto affine = [&](unsigned i) -> std::optional<Val> {
    if (!c.arg(i))
      return Val();
    Val v = g.floatArg(c, i);
    if (!v.ok())
      return std::nullopt;
    if (v.type() == type.clone({d}))
      return v;
    g.fail(c.argLoc(i), c.name() + "'s '" + c.builtin.params[i].name +
                            "' must be " + formatType(type.clone({d})) +
                            " (one per element of the last dim of " +
                            formatType(type) + "), got " +
                            formatType(v.type()));
    return std::nullopt;
  };
  auto weight = affine(1);
  auto bias = weight && !rms ? affine(2) : std::optional<Val>(Val());
  if (!weight || !bias)
    return {};
  OpBuilder &b = g.builder;
  Location l = g.loc(c.loc());
  SmallVector<int64_t> axes = {type.getRank() - 1};
  mlir::Value centered = x.tensor;
  if (!rms) {
    mlir::Value mean = MeanOp::create(b, l, x.tensor, axes, true);
    centered = SubOp::create(b, l, x.tensor, mean);
  }
  mlir::Value var =
      MeanOp::create(b, l, MulOp::create(b, l, centered, centered), axes, true);
  mlir::Value epsilon = g.scalarConstant(type.getElementType(), *eps, c.loc());
  mlir::Value y = MulOp::create(
      b, l, centered, RsqrtOp::create(b, l, AddOp::create(b, l, var, epsilon)));
  if (weight->ok())
    y = MulOp::create(b, l, y, weight->tensor);
  if (bias->ok())
    y = AddOp::create(b, l, y, bias->tensor);
  return Val::ofTensor(y, c.loc());
}

/// logsumexp(x, axis = -1, keepdims = 0), as torch.logsumexp: computed as
/// m + log(sum(exp(x - m))) with m the maximum, so it neither overflows
/// nor underflows; its gradient is softmax(x).
Val Generator::logsumexp(Generator &g, BuiltinCall &c) {
  Val x = g.floatArg(c, 0);
  auto axis = x.ok() ? g.axisArg(c, 1, x.type()) : std::nullopt;
  auto keep = axis ? g.intArg(c, 2) : std::nullopt;
  if (!keep)
    return {};
  RankedTensorType type = x.type();
  int64_t a = *axis;
  OpBuilder &b = g.builder;
  Location l = g.loc(c.loc());
  SmallVector<int64_t> axes = {a};
  mlir::Value m = ReduceMaxOp::create(b, l, x.tensor, axes, true);
  mlir::Value sum = SumOp::create(
      b, l, ExpOp::create(b, l, SubOp::create(b, l, x.tensor, m)), axes, true);
  mlir::Value y = AddOp::create(b, l, LogOp::create(b, l, sum), m);
  if (!*keep) {
    SmallVector<int64_t> shape(type.getShape());
    shape.erase(shape.begin() + a);
    y = ReshapeOp::create(b, l, type.clone(shape), y);
  }
  return Val::ofTensor(y, c.loc());
}

/// embedding(table, ids), as torch.nn.functional.embedding: row ids[...]
/// of table [V, D], for i32 ids of any shape S, giving S + [D]. Computed as
/// one_hot(ids) @ table, so the gradient of the table adds each id's rows
/// of dy (a repeated id gets the sum) through the matmul kernels; an id
/// outside [0, V) gives a row of zeros.
/// Rows `ids` (i32, any shape S) of `table` [V, D], giving S + [D]:
/// one_hot(ids) @ table, so the table's gradient is one_hot(ids)^T @ dy,
/// a scatter-add (repeated ids add); ids outside [0, V) give zeros.
mlir::Value Generator::gatherRows(mlir::Value table, mlir::Value ids,
                                  Location l) {
  auto t = cast<RankedTensorType>(table.getType());
  auto it = cast<RankedTensorType>(ids.getType());
  int64_t v = t.getDimSize(0), d = t.getDimSize(1), n = it.getNumElements();
  OpBuilder &b = builder;
  mlir::Value onehot = flatOneHot(ids, v, t.getElementType(), l);
  mlir::Value rows = MatmulOp::create(b, l, t.clone({n, d}), onehot, table);
  SmallVector<int64_t> shape(it.getShape());
  shape.push_back(d);
  if (it.getRank() != 1)
    rows = ReshapeOp::create(b, l, t.clone(shape), rows);
  return rows;
}

/// The one-hot rows [n, classes] of the n ids of `ids` (any shape),
/// flattened in row-major order.
mlir::Value Generator::flatOneHot(mlir::Value ids, int64_t classes,
                                  Type element, Location l) {
  auto it = cast<RankedTensorType>(ids.getType());
  int64_t n = it.getNumElements();
  if (it.getRank() != 1)
    ids = ReshapeOp::create(builder, l, it.clone({n}), ids);
  return OneHotOp::create(builder, l,
                          RankedTensorType::get({n, classes}, element), ids);
}

/// The i32 ids of argument `i`, or an error naming the builtin.
Val Generator::idsArg(BuiltinCall &c, unsigned i) {
  Val ids = eval(*c.arg(i), c.scope);
  if (!ids.ok())
    return {};
  if (ids.kind != Val::Kind::Tensor ||
      !ids.type().getElementType().isInteger(32))
    return fail(c.argLoc(i), c.name() + " needs i32 ids, got " + describe(ids));
  return ids;
}

Val Generator::embedding(Generator &g, BuiltinCall &c) {
  Val table = g.floatArg(c, 0);
  Val ids = table.ok() ? g.idsArg(c, 1) : Val();
  if (!ids.ok())
    return {};
  RankedTensorType t = table.type(), it = ids.type();
  if (t.getRank() != 2)
    return g.fail(c.argLoc(0), "embedding needs a table [V, D] (rank 2), "
                               "got " +
                                   formatType(t));
  if (!g.checkSize({it.getNumElements(), t.getDimSize(0)}, c.loc()))
    return {};
  return Val::ofTensor(g.gatherRows(table.tensor, ids.tensor, g.loc(c.loc())),
                       c.loc());
}

/// one_hot(ids, classes), as torch.nn.functional.one_hot but f32: for i32
/// ids of any shape S, S + [classes], 1 at each id and 0 elsewhere (all 0
/// for an id outside [0, classes)).
Val Generator::oneHot(Generator &g, BuiltinCall &c) {
  Val ids = g.idsArg(c, 0);
  std::optional<int64_t> classes = ids.ok() ? g.intArg(c, 1) : std::nullopt;
  if (!classes)
    return {};
  if (*classes < 1)
    return g.fail(c.argLoc(1), "one_hot needs 1 class or more, got " +
                                   std::to_string(*classes));
  RankedTensorType it = ids.type();
  int64_t n = it.getNumElements();
  if (!g.checkSize({n, *classes}, c.loc()))
    return {};
  OpBuilder &b = g.builder;
  Location l = g.loc(c.loc());
  Type f32 = b.getF32Type();
  mlir::Value hot = g.flatOneHot(ids.tensor, *classes, f32, l);
  SmallVector<int64_t> shape(it.getShape());
  shape.push_back(*classes);
  if (it.getRank() != 1)
    hot = ReshapeOp::create(b, l, RankedTensorType::get(shape, f32), hot);
  return Val::ofTensor(hot, c.loc());
}

/// take(x, ids, axis = 0), as numpy.take (torch.index_select for 1-D
/// ids): the slices of x at `ids` along `axis`, giving x.shape[:axis] +
/// ids.shape + x.shape[axis + 1:]. The axis is moved to the front, the
/// rest flattened, and the rows gathered as embedding does (the gradient
/// adds the slices of repeated ids); ids outside [0, x.shape[axis]) give
/// zeros.
Val Generator::take(Generator &g, BuiltinCall &c) {
  Val x = g.floatArg(c, 0);
  Val ids = x.ok() ? g.idsArg(c, 1) : Val();
  auto axisArg = ids.ok() ? g.axisArg(c, 2, x.type()) : std::nullopt;
  if (!axisArg)
    return {};
  RankedTensorType xt = x.type(), it = ids.type();
  int64_t rank = xt.getRank(), axis = *axisArg;
  OpBuilder &b = g.builder;
  Location l = g.loc(c.loc());
  // x as [V, R]: the axis first, the other dims (in order) flattened.
  SmallVector<int64_t> perm = {axis}, rest;
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis) {
      perm.push_back(i);
      rest.push_back(xt.getDimSize(i));
    }
  int64_t v = xt.getDimSize(axis), r = 1;
  for (int64_t d : rest)
    r *= d;
  if (!g.checkSize({it.getNumElements(), v}, c.loc()))
    return {};
  mlir::Value front = x.tensor;
  if (axis != 0) {
    SmallVector<int64_t> shape = {v};
    shape.append(rest);
    front = TransposeOp::create(b, l, xt.clone(shape), front, perm);
  }
  front = ReshapeOp::create(b, l, xt.clone({v, r}), front);
  // [ids..., R] -> [ids..., rest...] -> [before..., ids..., after...].
  SmallVector<int64_t> gathered(it.getShape());
  gathered.append(rest);
  mlir::Value rows = ReshapeOp::create(b, l, xt.clone(gathered),
                                       g.gatherRows(front, ids.tensor, l));
  if (axis == 0)
    return Val::ofTensor(rows, c.loc());
  int64_t k = it.getRank();
  SmallVector<int64_t> order, shape;
  for (int64_t i = 0; i < axis; ++i)
    order.push_back(k + i);
  for (int64_t i = 0; i < k; ++i)
    order.push_back(i);
  for (int64_t i = axis; i < rank - 1; ++i)
    order.push_back(k + i);
  for (int64_t o : order)
    shape.push_back(gathered[o]);
  return Val::ofTensor(TransposeOp::create(b, l, xt.clone(shape), rows, order),
                       c.loc());
}

/// Whether an array literal is empty or holds tensors (an array of
/// numbers is a constant, not a list).
bool Generator::listOfTensors(const Val &v) {
  auto *array = dyn_cast_or_null<ArrayExpr>(v.expr);
  if (!array)
    return false;
  if (array->elements.empty())
    return true;
  const Expr *first = array->elements.front().get();
  if (auto *neg = dyn_cast<UnaryExpr>(first))
    first = neg->operand.get();
  return !isa<NumberExpr>(first) && !isa<ArrayExpr>(first);
}

/// lhs + rhs for lists: their tensors in order, as a list value.
Val Generator::joinLists(const Val &lhs, const Val &rhs, SMLoc loc,
                         Scope &scope) {
  Val list;
  list.kind = Val::Kind::Tuple;
  list.name = "list";
  list.loc = loc;
  for (const Val *side : {&lhs, &rhs}) {
    if (side->kind == Val::Kind::Tuple) {
      list.elements.insert(list.elements.end(), side->elements.begin(),
                           side->elements.end());
      continue;
    }
    for (const ExprPtr &e : cast<ArrayExpr>(side->expr)->elements) {
      Val v = eval(*e, scope);
      if (!v.ok())
        return {};
      if (v.kind != Val::Kind::Tensor)
        return fail(e->getLoc(), "a list holds tensors, got " + describe(v));
      list.elements.push_back(v);
    }
  }
  return list;
}

/// `name = value` binds a value; `a, b = value` binds the pieces of a
/// split, one name each.
bool Generator::bindAssigned(const AssignStmt &assign, const Val &v,
                             Scope &scope) {
  size_t names = assign.more.size() + 1;
  bool list = v.kind == Val::Kind::Tuple && v.name == "list";
  if (v.kind == Val::Kind::Tuple && !list && names != v.elements.size()) {
    diags.error(assign.getLoc(),
                v.name + " gives " + std::to_string(v.elements.size()) +
                    " tensors; name each (" +
                    (v.elements.size() == 2 ? "a, b" : "a, b, ...") + " = " +
                    v.name + "(...)), not " + std::to_string(names));
    return false;
  }
  if ((v.kind != Val::Kind::Tuple || list) && names > 1) {
    diags.error(assign.getLoc(),
                std::to_string(names) +
                    " names, but the value is one: " + describe(v));
    return false;
  }
  if (names == 1) { // a value, or a list (`hs = hs + [h]`)
    scope.values[assign.name] = v;
    return true;
  }
  scope.values[assign.name] = v.elements[0];
  for (auto [i, extra] : llvm::enumerate(assign.more))
    scope.values[extra.second] = v.elements[i + 1];
  return true;
}

/// split(x, sizes, axis = 0) and chunk(x, chunks, axis = 0), as torch.split
/// and torch.chunk: pieces of x along the axis, bound to one name each
/// (`i, f, g, o = chunk(gates, 4, axis = 1)`). split's sizes are a piece
/// size (the last piece takes what is left) or a list of sizes adding up to
/// the axis; chunk makes at most `chunks` pieces of ceil(size / chunks).
/// Each piece is a slice, so its gradient lands in its part of x's.
Val Generator::split(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  auto axisArg = x.ok() ? g.axisArg(c, 2, x.type()) : std::nullopt;
  if (!axisArg)
    return {};
  RankedTensorType type = x.type();
  int64_t rank = type.getRank(), axis = *axisArg;
  int64_t extent = type.getDimSize(axis);
  SmallVector<int64_t> sizes;
  const Expr *sizesExpr = c.arg(1);
  if (isa<ArrayExpr>(sizesExpr) && c.name() == "split") {
    auto list = g.evalIntList(sizesExpr, c.scope, "a piece size");
    if (!list)
      return {};
    sizes = *list;
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s <= 0)
        return g.fail(sizesExpr->getLoc(),
                      "piece sizes must be positive, got " + std::to_string(s));
      total += s;
    }
    if (total != extent)
      return g.fail(sizesExpr->getLoc(),
                    "the sizes add up to " + std::to_string(total) +
                        ", but axis " + std::to_string(*axisArg) + " of " +
                        formatType(type) + " has " + std::to_string(extent));
  } else {
    auto n = g.intArg(c, 1);
    if (!n)
      return {};
    if (*n <= 0)
      return g.fail(c.argLoc(1), c.name() + " needs a positive " +
                                     (c.name() == "chunk" ? "count" : "size") +
                                     ", got " + std::to_string(*n));
    int64_t piece = c.name() == "chunk" ? (extent + *n - 1) / *n : *n;
    for (int64_t at = 0; at < extent; at += piece)
      sizes.push_back(std::min(piece, extent - at));
  }
  Val result;
  result.kind = Val::Kind::Tuple;
  result.name = c.name().str();
  result.loc = c.loc();
  Location l = g.loc(c.loc());
  SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
  for (int64_t size : sizes) {
    SmallVector<int64_t> shape(type.getShape());
    shape[axis] = size;
    mlir::Value piece = x.tensor;
    if (size != extent)
      piece = SliceOp::create(g.builder, l, type.clone(shape), piece, offsets,
                              strides);
    result.elements.push_back(Val::ofTensor(piece, c.loc()));
    offsets[axis] += size;
  }
  return result;
}

Val Generator::broadcastTo(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  auto shape = g.evalIntList(c.arg(1), c.scope, "a dimension");
  if (!shape)
    return {};
  for (int64_t d : *shape)
    if (d <= 0)
      return g.fail(c.arg(1)->getLoc(),
                    "bad dimension " + std::to_string(d) + " in broadcast_to");
  if (!g.checkSize(*shape, c.arg(1)->getLoc()))
    return {};
  auto type = RankedTensorType::get(*shape, x.type().getElementType());
  if (!isBroadcastableTo(x.type().getShape(), *shape))
    return g.fail(c.loc(), "cannot broadcast " + formatType(x.type()) + " to " +
                               formatType(type));
  return Val::ofTensor(
      BroadcastToOp::create(g.builder, g.loc(c.loc()), type, x.tensor),
      c.loc());
}

Val Generator::castTo(Generator &g, BuiltinCall &c) {
  Val x = g.tensorArg(c, 0);
  if (!x.ok())
    return {};
  Val d = g.eval(*c.arg(1), c.scope);
  if (!d.ok())
    return {};
  if (d.kind != Val::Kind::DType)
    return g.fail(c.arg(1)->getLoc(),
                  "cast needs a type (f32, f16, bf16, i32 or i1), got " +
                      describe(d));
  auto type = RankedTensorType::get(x.type().getShape(),
                                    g.elementType(*parseDType(d.name)));
  return Val::ofTensor(
      CastOp::create(g.builder, g.loc(c.loc()), type, x.tensor), c.loc());
}

Val Generator::crossEntropy(Generator &g, BuiltinCall &c) {
  Val a = g.floatArg(c, 0);
  if (!a.ok())
    return {};
  auto scalarType = RankedTensorType::get({}, a.type().getElementType());
  Val labels = g.tensorArg(c, 1, g.builder.getI32Type());
  if (!labels.ok())
    return {};
  auto lt = labels.type(), at = a.type();
  if (at.getRank() != 2 || lt.getRank() != 1 ||
      !lt.getElementType().isInteger(32) ||
      at.getDimSize(0) != lt.getDimSize(0))
    return g.fail(c.loc(),
                  "cross_entropy needs logits f32[N, C] and integer labels "
                  "i32[N], got " +
                      formatType(at) + " and " + formatType(lt));
  return Val::ofTensor(CrossEntropyOp::create(g.builder, g.loc(c.loc()),
                                              scalarType, a.tensor,
                                              labels.tensor),
                       c.loc());
}

/// mse and binary_cross_entropy: a float input and a target of its type.
Val Generator::pairLoss(Generator &g, BuiltinCall &c) {
  Val a = g.floatArg(c, 0);
  if (!a.ok())
    return {};
  auto scalarType = RankedTensorType::get({}, a.type().getElementType());
  Val b = g.tensorArg(c, 1, a.type().getElementType());
  if (!b.ok())
    return {};
  if (a.type() != b.type())
    return g.fail(c.loc(), c.name() +
                               " needs input and target of the same type, "
                               "got " +
                               formatType(a.type()) + " and " +
                               formatType(b.type()));
  Location ml = g.loc(c.loc());
  mlir::Value out =
      c.name() == "mse"
          ? MseOp::create(g.builder, ml, scalarType, a.tensor, b.tensor)
                .getResult()
          : BinaryCrossEntropyOp::create(g.builder, ml, scalarType, a.tensor,
                                         b.tensor)
                .getResult();
  return Val::ofTensor(out, c.loc());
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::optional<BoundArgs>
Generator::bindArgs(const CallExpr &call, StringRef callee,
                    llvm::ArrayRef<std::string> params,
                    llvm::ArrayRef<bool> required) {
  BoundArgs bound;
  bound.exprs.assign(params.size(), nullptr);
  bound.locs.assign(params.size(), call.getLoc());
  if (call.args.size() > params.size()) {
    diags.error(call.args[params.size()]->getLoc(),
                "too many arguments to '" + callee + "': expected at most " +
                    std::to_string(params.size()) + ", got " +
                    std::to_string(call.args.size()));
    return std::nullopt;
  }
  for (auto [i, e] : llvm::enumerate(call.args)) {
    bound.exprs[i] = e.get();
    bound.locs[i] = e->getLoc();
  }
  for (const KeywordArg &kw : call.kwargs) {
    auto it = llvm::find(params, kw.name);
    if (it == params.end()) {
      diags.error(kw.loc, "'" + callee + "' has no argument named '" +
                              kw.name + "' (its arguments: " +
                              llvm::join(params, ", ") + ")");
      return std::nullopt;
    }
    size_t i = it - params.begin();
    if (bound.exprs[i]) {
      diags.error(kw.loc, "argument '" + kw.name + "' of '" + callee +
                              "' is given twice");
      return std::nullopt;
    }
    bound.exprs[i] = kw.value.get();
    bound.locs[i] = kw.loc;
  }
  for (auto [i, p] : llvm::enumerate(params)) {
    if (required[i] && !bound.exprs[i]) {
      diags.error(call.getLoc(), "missing argument '" + p + "' in call to '" +
                                     callee + "'");
      return std::nullopt;
    }
  }
  return bound;
}

std::optional<RankedTensorType> Generator::resolveType(const TypeExpr &type,
                                                       Scope &scope) {
  SmallVector<int64_t> shape;
  for (const Dim &dim : type.dims) {
    if (!dim.isNamed()) {
      if (dim.size <= 0) {
        diags.error(dim.loc, "dimension sizes must be positive, got " +
                                 std::to_string(dim.size));
        return std::nullopt;
      }
      shape.push_back(dim.size);
      continue;
    }
    auto it = scope.values.find(dim.name);
    if (it == scope.values.end()) {
      diags.error(dim.loc, "the size of dimension '" + dim.name +
                               "' is not known here; bind it with --dim " +
                               dim.name + "=SIZE or give an input that has it");
      return std::nullopt;
    }
    const Val &v = it->second;
    if (v.kind != Val::Kind::Number || !v.isInt || v.number <= 0 ||
        v.number > kMaxExactInteger) {
      diags.error(dim.loc, "dimension '" + dim.name +
                               "' must be a positive integer, but it is " +
                               describe(v));
      return std::nullopt;
    }
    shape.push_back(static_cast<int64_t>(v.number));
  }
  if (!checkSize(shape, type.loc))
    return std::nullopt;
  return RankedTensorType::get(shape, elementType(type.dtype));
}

bool Generator::checkSize(ArrayRef<int64_t> shape, SMLoc l) {
  // Checked before anything is allocated or multiplied again:
  // f32[4294967296, 4294967296] overflowed the element count.
  int64_t elements = 1;
  for (int64_t d : shape) {
    std::optional<int64_t> product = llvm::checkedMul(elements, d);
    if (!product || *product > kMaxElements) {
      auto dims =
          llvm::map_range(shape, [](int64_t s) { return std::to_string(s); });
      diags.error(l, "a tensor of shape [" + llvm::join(dims, ", ") +
                         "] has more than " + std::to_string(kMaxElements) +
                         " elements, the most a tensor may have");
      return false;
    }
    elements = *product;
  }
  return true;
}

mlir::Value Generator::scalarConstant(Type et, double value, SMLoc l) {
  auto type = RankedTensorType::get({}, et);
  Attribute attr = isa<FloatType>(et)
                       ? Attribute(builder.getFloatAttr(et, value))
                       : Attribute(builder.getIntegerAttr(et, (int64_t)value));
  return ConstantOp::create(builder, loc(l), DenseElementsAttr::get(type, attr));
}

/// Turns numbers and literal arrays into constants of `elementType`.
Val Generator::asTensor(const Val &v, Type elementType, SMLoc l) {
  switch (v.kind) {
  case Val::Kind::Tensor:
    return v;
  case Val::Kind::Number:
    if (!isa<FloatType>(elementType) && !v.isInt)
      return fail(l, "the number " + llvm::formatv("{0}", v.number).str() +
                         " is not a whole number, but it is used as " +
                         formatElementType(elementType));
    return Val::ofTensor(scalarConstant(elementType, v.number, l), l);
  case Val::Kind::Array: {
    SmallVector<double> values;
    auto type = literalType(*v.expr, values);
    if (!type)
      return {};
    auto tensorType = RankedTensorType::get(type->getShape(), elementType);
    DenseElementsAttr attr;
    if (auto ft = dyn_cast<FloatType>(elementType)) {
      SmallVector<APFloat> floats;
      for (double d : values) {
        APFloat f(d);
        bool lost;
        f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        floats.push_back(f);
      }
      attr = DenseElementsAttr::get(tensorType, floats);
    } else {
      SmallVector<APInt> ints;
      for (double d : values)
        ints.push_back(APInt(elementType.getIntOrFloatBitWidth(),
                             static_cast<int64_t>(d), /*isSigned=*/true));
      attr = DenseElementsAttr::get(tensorType, ints);
    }
    return Val::ofTensor(ConstantOp::create(builder, loc(l), attr), l);
  }
  default:
    return fail(l, "expected a tensor here, got " + describe(v));
  }
}

/// The shape of a (nested) literal array, with its values in row-major
/// order. Rows must have equal lengths and elements must be numbers.
std::optional<RankedTensorType>
Generator::literalType(const Expr &expr, SmallVector<double> &values) {
  if (auto *n = dyn_cast<NumberExpr>(&expr)) {
    values.push_back(n->value);
    return RankedTensorType::get({}, builder.getF32Type());
  }
  if (auto *u = dyn_cast<UnaryExpr>(&expr)) {
    if (auto *n = dyn_cast<NumberExpr>(u->operand.get())) {
      values.push_back(-n->value);
      return RankedTensorType::get({}, builder.getF32Type());
    }
  }
  auto *array = dyn_cast<ArrayExpr>(&expr);
  if (!array) {
    diags.error(expr.getLoc(),
                "bad literal: array elements must be numbers or arrays");
    return std::nullopt;
  }
  if (array->elements.empty()) {
    diags.error(expr.getLoc(), "bad literal: an array cannot be empty");
    return std::nullopt;
  }
  std::optional<RankedTensorType> rowType;
  for (const ExprPtr &e : array->elements) {
    auto t = literalType(*e, values);
    if (!t)
      return std::nullopt;
    if (rowType && *rowType != *t) {
      diags.error(e->getLoc(), "bad literal: rows have different shapes (" +
                                   formatType(*rowType) + " and " +
                                   formatType(*t) + ")");
      return std::nullopt;
    }
    rowType = t;
  }
  SmallVector<int64_t> shape = {static_cast<int64_t>(array->elements.size())};
  llvm::append_range(shape, rowType->getShape());
  return RankedTensorType::get(shape, builder.getF32Type());
}

std::optional<int64_t> Generator::evalInt(const Expr *expr, Scope &scope,
                                          StringRef what) {
  Val v = eval(*expr, scope);
  if (!v.ok())
    return std::nullopt;
  if (v.kind != Val::Kind::Number || !v.isInt) {
    diags.error(expr->getLoc(),
                "expected " + what + " (an integer), got " + describe(v));
    return std::nullopt;
  }
  // Compile-time numbers are doubles: integers are exact up to 2^53, and
  // a cast of 2^63 wrapped to -9223372036854775808 in messages.
  if (std::fabs(v.number) > kMaxExactInteger) {
    diags.error(expr->getLoc(), "expected " + what +
                                    ", got a number too "
                                    "large for an integer here (at most 2^53)");
    return std::nullopt;
  }
  return static_cast<int64_t>(v.number);
}

std::optional<SmallVector<int64_t>>
Generator::evalIntList(const Expr *expr, Scope &scope, StringRef what) {
  SmallVector<int64_t> result;
  if (auto *array = dyn_cast<ArrayExpr>(expr)) {
    for (const ExprPtr &e : array->elements) {
      auto v = evalInt(e.get(), scope, what);
      if (!v)
        return std::nullopt;
      result.push_back(*v);
    }
    return result;
  }
  auto v = evalInt(expr, scope, what);
  if (!v)
    return std::nullopt;
  result.push_back(*v);
  return result;
}

} // namespace
} // namespace nabla

namespace nabla {

void registerLayerImporter(llvm::StringRef extension, LayerImporter importer) {
  LayerImporters &importers = layerImporters();
  std::lock_guard<std::mutex> lock(importers.mutex);
  importers.byExtension[extension] = std::move(importer);
}

OwningOpRef<ModuleOp> mlirGen(MLIRContext &context, const ast::Module &module,
                              DiagnosticEngine &diags,
                              const MLIRGenOptions &options) {
  return Generator(context, module, diags, options).run();
}

bool inferDimsFromInputCounts(const ast::Function &model,
                              const std::map<std::string, int64_t> &counts,
                              std::map<std::string, int64_t> &dims,
                              DiagnosticEngine &diags) {
  for (const Argument &arg : model.args) {
    auto it = counts.find(arg.name);
    if (it == counts.end() || !arg.type ||
        arg.type->kind != TypeExpr::Kind::Tensor)
      continue;
    int64_t count = it->second, known = 1;
    const Dim *unknown = nullptr;
    for (const Dim &d : arg.type->dims) {
      if (!d.isNamed()) {
        known *= d.size;
      } else if (auto bound = dims.find(d.name); bound != dims.end()) {
        known *= bound->second;
      } else if (!unknown || unknown->name == d.name) {
        if (unknown) { // the same dim twice, e.g. f32[N, N]
          diags.error(arg.loc, "cannot infer dimension " + d.name +
                                   " of input '" + arg.name +
                                   "' from a flat list; pass --dim " + d.name +
                                   "=SIZE");
          return false;
        }
        unknown = &d;
      } else {
        diags.error(arg.loc, "cannot infer both " + unknown->name + " and " +
                                 d.name + " of input '" + arg.name +
                                 "' from its data; pass --dim " + d.name +
                                 "=SIZE");
        return false;
      }
    }
    if (unknown) {
      if (known == 0 || count % known != 0 || count / known == 0) {
        diags.error(arg.loc, "input '" + arg.name + "' has " +
                                 std::to_string(count) +
                                 " values, which is not a positive multiple "
                                 "of " + std::to_string(known) +
                                 " (the size of its other dimensions)");
        return false;
      }
      dims[unknown->name] = count / known;
    } else if (count != known) {
      diags.error(arg.loc, "input '" + arg.name + "' needs " +
                               std::to_string(known) + " values, got " +
                               std::to_string(count));
      return false;
    }
  }
  return true;
}

} // namespace nabla
