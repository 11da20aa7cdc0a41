//===- Export.cpp - A trained model as a C library ------------------------===//
//
// The prediction form is lowered by the CPU pipeline as the JIT's is, for
// the chosen CPU, translated to LLVM IR and compiled to an object file
// with LLVM (-O3, position-independent). The weights become read-only
// globals of that object. A small C file, generated here and compiled
// with the system's C compiler, holds the public function: it scales the
// rows, cuts them into batches and calls the model with each tensor's
// memref descriptor expanded to scalars, the lowered function's ABI.
//
//===----------------------------------------------------------------------===//
#include "nabla/Export.h"
#include "nabla/Backend.h"
#include "nabla/Version.h"
#include "nabla/ir/NablaDialect.h"
#include "nabla/runtime/OptimizeLlvm.h"
#include "nabla/runtime/Signature.h"
#include "nabla/support/Error.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <cctype>

namespace nabla {

namespace {

//===----------------------------------------------------------------------===//
// The target
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
targetMachine(llvm::StringRef cpu) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::orc::JITTargetMachineBuilder builder(
      (llvm::Triple(llvm::sys::getProcessTriple())));
  if (cpu == "native") {
    // This machine's CPU and features, exactly as the JIT compiles.
    auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!host)
      return host.takeError();
    builder = std::move(*host);
  } else {
    builder.setCPU(cpu.str());
  }
  builder.setRelocationModel(llvm::Reloc::PIC_);
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder.createTargetMachine();
  if (!machine)
    return machine.takeError();
  if (cpu != "native" &&
      !(*machine)->getMCSubtargetInfo()->isCPUStringValid(cpu))
    return makeError("error: --cpu " + cpu +
                     ": not a CPU LLVM knows (try x86-64-v3, x86-64-v4, "
                     "native, or a name such as znver4 or sapphirerapids)");
  return machine;
}

/// The vector shape the kernels are tiled for, from the CPU's features.
CpuTarget cpuTarget(const llvm::TargetMachine &machine) {
  CpuTarget target = CpuTarget::forFeatures([&](llvm::StringRef name) {
    return machine.getMCSubtargetInfo()->checkFeatures(("+" + name).str());
  });
  target.threads = false; // no libomp at run time
  return target;
}

//===----------------------------------------------------------------------===//
// The model as an object file
//===----------------------------------------------------------------------===//

/// Lowers the prediction form to the LLVM dialect; returns its signature.
llvm::Expected<Signature> lower(mlir::ModuleOp module,
                                const CompileOptions &compile,
                                const CpuTarget &target) {
  auto funcs = llvm::to_vector(module.getOps<mlir::func::FuncOp>());
  if (funcs.size() != 1)
    return makeError("error: the file defines several models; choose one "
                     "with --model NAME");
  auto signature = readSignature(funcs.front());
  if (!signature)
    return signature.takeError();
  StageOptions stages = stageOptions(compile);
  stages.cpu = target;
  auto run = [&](mlir::PassManager &pm) -> llvm::Error {
    std::string text;
    llvm::raw_string_ostream os(text);
    mlir::ScopedDiagnosticHandler handler(module.getContext(),
                                          [&](mlir::Diagnostic &d) {
                                            os << d << "\n";
                                            return mlir::success();
                                          });
    if (mlir::failed(pm.run(module)))
      return makeError("error: lowering failed (a compiler bug; please "
                       "report it with the model): " +
                       llvm::StringRef(text).rtrim());
    return llvm::Error::success();
  };
  if (auto e = runToStage(module, Stage::LLVMDialect, stages, run))
    return std::move(e);
  return signature;
}

/// The model's code and weights in one object file: the entry renamed
/// `entry`, every other function internal (no symbol a program could
/// clash with), weight i as the hidden read-only global `weights[i]`.
llvm::Expected<llvm::SmallVector<char, 0>>
compileObject(mlir::ModuleOp module, const Signature &signature,
              llvm::TargetMachine &machine, llvm::StringRef entry,
              llvm::ArrayRef<std::pair<std::string, const Tensor *>> weights) {
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  llvm::LLVMContext context;
  auto m = mlir::translateModuleToLLVMIR(module, context, entry);
  if (!m)
    return makeError("error: cannot translate the model to LLVM IR");
  m->setDataLayout(machine.createDataLayout());
  m->setTargetTriple(machine.getTargetTriple());
  llvm::Function *model = m->getFunction(signature.function);
  if (!model)
    return makeError("error: the lowered module has no @" + signature.function);
  for (llvm::Function &f : *m)
    if (!f.isDeclaration() && &f != model)
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  model->setName(entry);
  for (const auto &[symbol, tensor] : weights) {
    llvm::StringRef bytes(static_cast<const char *>(tensor->data()),
                          tensor->sizeInBytes());
    auto *init = llvm::ConstantDataArray::getRaw(
        bytes, bytes.size(), llvm::Type::getInt8Ty(context));
    auto *global = new llvm::GlobalVariable(
        *m, init->getType(), /*isConstant=*/true,
        llvm::GlobalValue::ExternalLinkage, init, symbol);
    global->setAlignment(llvm::Align(64));
    global->setVisibility(llvm::GlobalValue::HiddenVisibility);
  }
  // As the JIT optimizes (JitEngine.cpp): -O3, the widest vectors.
  setPreferVectorWidth(*m, "512");
  optimizeLlvmModule(*m, &machine);
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return makeError("error: LLVM cannot emit an object file for this CPU");
  pm.run(*m);
  return object;
}

//===----------------------------------------------------------------------===//
// The C side
//===----------------------------------------------------------------------===//

std::string cType(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "float";
  case ElementType::F64:
    return "double";
  case ElementType::I32:
    return "int32_t";
  case ElementType::F16:
  case ElementType::BF16:
    return "uint16_t";
  case ElementType::I1:
    return "uint8_t";
  }
  return "void";
}

std::string shapeText(const TensorInfo &t) {
  std::vector<std::string> dims = {"n"};
  for (size_t i = 1; i < t.shape.size(); ++i)
    dims.push_back(std::to_string(t.shape[i]));
  return toString(t.type).str() + "[" + llvm::join(dims, ", ") + "]";
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

/// The expanded memref descriptor of a tensor of `shape` at `pointer`:
/// allocated and aligned pointers, offset 0, sizes, row-major strides.
std::string descriptorArgs(const std::string &pointer,
                           const std::vector<int64_t> &shape) {
  std::vector<std::string> args = {pointer, pointer, "0"};
  for (int64_t d : shape)
    args.push_back(std::to_string(d));
  int64_t stride = 1;
  std::vector<std::string> strides(shape.size());
  for (int64_t i = int64_t(shape.size()) - 1; i >= 0; --i) {
    strides[i] = std::to_string(stride);
    stride *= shape[i];
  }
  args.insert(args.end(), strides.begin(), strides.end());
  return llvm::join(args, ", ");
}

std::string descriptorParams(ElementType type, size_t rank) {
  std::string t = cType(type) + " *";
  std::vector<std::string> params = {t, t, "int64_t"};
  for (size_t i = 0; i < 2 * rank; ++i)
    params.push_back("int64_t");
  return llvm::join(params, ", ");
}

struct CNames {
  std::string prefix, macro; // digits, DIGITS
};

CNames namesOf(llvm::StringRef model) {
  CNames n;
  for (char c : model) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    n.prefix += ok ? char(std::tolower(static_cast<unsigned char>(c))) : '_';
    n.macro += ok ? char(std::toupper(static_cast<unsigned char>(c))) : '_';
  }
  if (n.prefix.empty() ||
      std::isdigit(static_cast<unsigned char>(n.prefix[0]))) {
    n.prefix = "model_" + n.prefix;
    n.macro = "MODEL_" + n.macro;
  }
  return n;
}

std::string scalingNote(const Scaler &s) {
  switch (s.kind) {
  case Scaler::Kind::None:
    return "used as given";
  case Scaler::Kind::Divide:
    return "divided by " + number(s.divisor) +
           " in the library, as in training";
  case Scaler::Kind::Standardize:
    return "standardized in the library with the training rows' mean and "
           "deviation";
  case Scaler::Kind::MinMax:
    return "scaled to [0, 1] in the library with the training rows' range";
  }
  return "";
}

std::string header(const CNames &n, const Signature &sig,
                   const TensorInfo &input, const ExportOptions &options,
                   llvm::StringRef sourceName) {
  const TensorInfo &out = sig.outputs[0];
  std::string in = input.type == ElementType::I32 ? "int32_t" : "float";
  std::string guard = n.macro + "_H";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "/* " << n.prefix << ".h: model " << sig.function << " of "
     << llvm::sys::path::filename(sourceName) << " with trained weights.\n"
     << "   Written by nablac export (nabla " << NABLA_VERSION << ", "
     << NABLA_COMMIT << ") for CPU " << options.cpu << ".\n"
     << "   Link with lib" << n.prefix << ".so, or lib" << n.prefix
     << ".a and -lm. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Input " << input.name << ": " << shapeText(input) << ", "
     << scalingNote(options.scaler) << ". */\n"
     << "#define " << n.macro << "_INPUT_SIZE " << elementsPerRow(input.shape)
     << " /* values per row */\n"
     << "/* Output " << out.name << ": " << shapeText(out) << ". */\n"
     << "#define " << n.macro << "_OUTPUT_SIZE " << elementsPerRow(out.shape)
     << " /* values per row */\n"
     << "/* Rows per call of the compiled model: n may be any number. */\n"
     << "#define " << n.macro << "_BATCH " << options.batch << "\n\n"
     << "#define " << n.macro << "_OK 0\n"
     << "#define " << n.macro << "_EINVAL 1 /* n < 0, or x or y is null */\n"
     << "#define " << n.macro << "_ENOMEM 2 /* no memory for the batch */\n\n"
     << "/* Predicts rows [0, n) of x (n * " << n.macro
     << "_INPUT_SIZE values) into y (n * " << n.macro
     << "_OUTPUT_SIZE values).\n"
     << "   Thread-safe; keeps no state. Returns " << n.macro
     << "_OK or an error code. */\n"
     << "int " << n.prefix << "_predict(const " << in
     << " *x, int64_t n, float *y);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return s;
}

/// The public function in C. `weightSymbols` are in argument order.
std::string wrapper(const CNames &n, const Signature &sig,
                    const TensorInfo &input, const ExportOptions &options,
                    llvm::ArrayRef<std::string> weightSymbols) {
  std::string s;
  llvm::raw_string_ostream os(s);
  int64_t b = options.batch, in = elementsPerRow(input.shape);
  std::string inType = cType(input.type);
  const Scaler &scaler = options.scaler;
  bool perFeature = scaler.kind == Scaler::Kind::Standardize ||
                    scaler.kind == Scaler::Kind::MinMax;
  os << "/* Generated by nablac export; see " << n.prefix << ".h. */\n"
     << "#include \"" << n.prefix << ".h\"\n\n"
     << "#include <stdlib.h>\n#include <string.h>\n\n";
  for (const std::string &w : weightSymbols)
    os << "extern const unsigned char " << w << "[];\n";
  // The lowered model: every argument, then every result, as a memref.
  std::vector<std::string> params;
  for (const ArgInfo &a : sig.args)
    params.push_back(descriptorParams(a.type, a.shape.size()));
  for (const TensorInfo &o : sig.outputs)
    params.push_back(descriptorParams(o.type, o.shape.size()));
  os << "void " << n.prefix << "_nabla_model(" << llvm::join(params, ",\n    ")
     << ");\n\n";
  if (perFeature) {
    os << "static const double shift[" << in << "] = {";
    for (int64_t j = 0; j < in; ++j)
      os << (j ? ", " : "") << number(scaler.shift[j]);
    os << "};\nstatic const double scale[" << in << "] = {";
    for (int64_t j = 0; j < in; ++j)
      os << (j ? ", " : "") << number(scaler.scale[j]);
    os << "};\n\n";
  }
  os << "int " << n.prefix << "_predict(const " << inType
     << " *x, int64_t n, float *y) {\n"
     << "  if (n < 0 || (n > 0 && (x == NULL || y == NULL)))\n"
     << "    return " << n.macro << "_EINVAL;\n"
     << "  " << inType << " *in = malloc(sizeof(" << inType << ") * " << b * in
     << ");\n";
  for (auto [i, o] : llvm::enumerate(sig.outputs))
    os << "  " << cType(o.type) << " *out" << i << " = malloc(sizeof("
       << cType(o.type) << ") * " << b * elementsPerRow(o.shape) << ");\n";
  std::string all = "in";
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    all += " && out" + std::to_string(i);
  std::string frees = "free(in);";
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    frees += " free(out" + std::to_string(i) + ");";
  os << "  if (!(" << all << ")) {\n    " << frees << "\n    return " << n.macro
     << "_ENOMEM;\n  }\n"
     << "  for (int64_t start = 0; start < n; start += " << b << ") {\n"
     << "    int64_t count = n - start < " << b << " ? n - start : " << b
     << ";\n"
     << "    const " << inType << " *rows = x + start * " << in << ";\n"
     << "    memset(in, 0, sizeof(" << inType << ") * " << b * in << ");\n"
     << "    for (int64_t i = 0; i < count * " << in << "; ++i)\n";
  // Scaler::apply's arithmetic, in double, rounded to float once.
  if (input.type == ElementType::I32 || scaler.kind == Scaler::Kind::None)
    os << "      in[i] = rows[i];\n";
  else if (scaler.kind == Scaler::Kind::Divide)
    os << "      in[i] = (float)((double)rows[i] / "
       << number(scaler.divisor != 0 ? scaler.divisor : 1.0) << ");\n";
  else
    os << "      in[i] = (float)(((double)rows[i] - shift[i % " << in
       << "]) / scale[i % " << in << "]);\n";
  std::vector<std::string> args;
  size_t w = 0;
  for (const ArgInfo &a : sig.args) {
    if (a.isHeld())
      args.push_back(descriptorArgs(
          "(" + cType(a.type) + " *)" + weightSymbols[w++], a.shape));
    else
      args.push_back(descriptorArgs("in", a.shape));
  }
  for (auto [i, o] : llvm::enumerate(sig.outputs))
    args.push_back(descriptorArgs("out" + std::to_string(i), o.shape));
  int64_t out = elementsPerRow(sig.outputs[0].shape);
  os << "    " << n.prefix << "_nabla_model(" << llvm::join(args, ",\n        ")
     << ");\n"
     << "    memcpy(y + start * " << out << ", out0, sizeof(float) * count * "
     << out << ");\n  }\n"
     << "  " << frees << "\n  return " << n.macro << "_OK;\n}\n";
  return s;
}

//===----------------------------------------------------------------------===//
// Building the libraries
//===----------------------------------------------------------------------===//

llvm::Error writeFile(llvm::StringRef path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError("error: cannot write '" + path + "': " + ec.message());
  os << bytes;
  os.close();
  if (os.has_error())
    return makeError("error: cannot write '" + path +
                     "': " + os.error().message());
  return llvm::Error::success();
}

/// Runs the C compiler with `args`; its errors become the error's text.
llvm::Error runCompiler(llvm::ArrayRef<std::string> args) {
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return makeError("error: nablac export builds the libraries with a C "
                     "compiler, and there is no `cc` on the PATH (Debian: "
                     "apt install gcc)");
  llvm::SmallString<128> log;
  if (auto ec = llvm::sys::fs::createTemporaryFile("nabla-cc", "log", log))
    return makeError("error: cannot create a temporary file: " + ec.message());
  std::vector<llvm::StringRef> argv = {*cc};
  argv.insert(argv.end(), args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.str(),
                                                log.str()};
  std::string message;
  int code = llvm::sys::ExecuteAndWait(*cc, argv, std::nullopt, redirects, 0, 0,
                                       &message);
  auto output = llvm::MemoryBuffer::getFile(log);
  llvm::sys::fs::remove(log);
  if (code != 0)
    return makeError("error: `" + llvm::join(argv, " ") + "` failed" +
                     (message.empty() ? "" : " (" + message + ")") + ":\n" +
                     (output ? (*output)->getBuffer().rtrim() : ""));
  return llvm::Error::success();
}

llvm::Error writeStaticLibrary(llvm::StringRef path,
                               llvm::ArrayRef<std::string> objects) {
  std::vector<llvm::NewArchiveMember> members;
  for (const std::string &object : objects) {
    auto member = llvm::NewArchiveMember::getFile(object, true);
    if (!member)
      return member.takeError();
    members.push_back(std::move(*member));
  }
  return llvm::writeArchive(path, members,
                            llvm::SymtabWritingMode::NormalSymtab,
                            llvm::object::Archive::K_GNU,
                            /*Deterministic=*/true, /*Thin=*/false);
}

} // namespace

llvm::Expected<ExportResult>
exportLibrary(const Source &source, CompileOptions compile,
              const std::map<std::string, const Tensor *> &weights,
              const ExportOptions &options) {
  if (options.directory.empty() || options.directory == "-")
    return makeError("error: export writes a directory: -o DIR");
  if (options.batch < 1)
    return makeError("error: --batch must be 1 or more");
  auto machine = targetMachine(options.cpu);
  if (!machine)
    return machine.takeError();
  compile.predict = true;
  compile.training = false;
  compile.dims[source.batchDim(compile.model)] = options.batch;
  auto context = createContext();
  auto module = source.generate(*context, compile);
  if (!module)
    return module.takeError();
  auto signature = lower(**module, compile, cpuTarget(**machine));
  if (!signature)
    return signature.takeError();
  const Signature &sig = *signature;

  const TensorInfo *input = nullptr;
  std::vector<std::pair<std::string, const Tensor *>> globals;
  std::vector<std::string> symbols;
  CNames names = namesOf(sig.function);
  for (const ArgInfo &a : sig.args) {
    if (!a.isHeld()) {
      input = &a;
      continue;
    }
    auto it = weights.find(a.name);
    if (it == weights.end())
      return makeError("error: no weights for '" + a.name + "'");
    if (it->second->getShape() != a.shape ||
        it->second->getElementType() != a.type)
      return makeError("error: the weights of '" + a.name + "' are " +
                       it->second->typeString() + ", not " + a.typeString());
    symbols.push_back(names.prefix + "_nabla_weight_" +
                      std::to_string(symbols.size()));
    globals.emplace_back(symbols.back(), it->second);
  }
  if (!input ||
      (input->type != ElementType::F32 && input->type != ElementType::I32))
    return makeError("error: export needs a model whose first input is f32 "
                     "or i32 rows");
  if (sig.outputs[0].type != ElementType::F32)
    return makeError("error: export needs a first output of f32, not " +
                     sig.outputs[0].typeString());
  if (sig.outputs[0].shape.empty() || sig.outputs[0].shape[0] != options.batch)
    return makeError("error: export needs a first output with a row per "
                     "input row, not " +
                     sig.outputs[0].typeString());
  if ((options.scaler.kind == Scaler::Kind::Standardize ||
       options.scaler.kind == Scaler::Kind::MinMax) &&
      int64_t(options.scaler.shift.size()) != elementsPerRow(input->shape))
    return makeError("error: the scaling has " +
                     llvm::Twine(options.scaler.shift.size()) +
                     " features, but a row of " + input->name + " has " +
                     llvm::Twine(elementsPerRow(input->shape)));
  auto object = compileObject(**module, sig, **machine,
                              names.prefix + "_nabla_model", globals);
  if (!object)
    return object.takeError();

  if (auto ec = llvm::sys::fs::create_directories(options.directory))
    return makeError("error: cannot create '" + options.directory +
                     "': " + ec.message());
  auto in = [&](llvm::StringRef file) {
    llvm::SmallString<256> p(options.directory);
    llvm::sys::path::append(p, file);
    return std::string(p);
  };
  ExportResult result;
  result.function = names.prefix + "_predict";
  result.header = in(names.prefix + ".h");
  result.sharedLibrary = in("lib" + names.prefix + ".so");
  result.staticLibrary = in("lib" + names.prefix + ".a");
  std::string modelObject = in(names.prefix + "_model.o");
  std::string wrapperSource = in(names.prefix + "_predict.c");
  std::string wrapperObject = in(names.prefix + "_predict.o");
  if (auto e = writeFile(result.header,
                         header(names, sig, *input, options, source.getName())))
    return std::move(e);
  if (auto e = writeFile(modelObject,
                         llvm::StringRef(object->data(), object->size())))
    return std::move(e);
  if (auto e = writeFile(wrapperSource,
                         wrapper(names, sig, *input, options, symbols)))
    return std::move(e);
  // No contraction: the scaling rounds exactly as nablac's does.
  if (auto e = runCompiler({"-std=c99", "-O2", "-fPIC", "-ffp-contract=off",
                            "-c", wrapperSource, "-o", wrapperObject}))
    return std::move(e);
  if (auto e = runCompiler({"-shared", "-o", result.sharedLibrary,
                            wrapperObject, modelObject, "-lm"}))
    return std::move(e);
  if (auto e = writeStaticLibrary(result.staticLibrary,
                                  {wrapperObject, modelObject}))
    return std::move(e);
  // The objects live on in the libraries; the C source stays to be read.
  llvm::sys::fs::remove(modelObject);
  llvm::sys::fs::remove(wrapperObject);
  return result;
}

} // namespace nabla
