//===- JitEngine.cpp - Run lowered modules on the host CPU ----------------===//
//
// The lowered function takes each memref as its expanded descriptor fields
// (allocated ptr, aligned ptr, offset, sizes..., strides...). The engine's
// packed wrapper `_mlir_<name>(void **)` takes one pointer per field, so a
// call builds the descriptors of every tensor and passes their addresses.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/JitEngine.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"

#include <mutex>

namespace nabla {

namespace {

void initializeLLVMOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

void registerTranslations(mlir::ModuleOp module) {
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
}

/// Storage for one memref descriptor, flattened to the packed ABI.
struct Descriptor {
  void *allocated;
  void *aligned;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;

  explicit Descriptor(Tensor &t) : allocated(t.data()), aligned(t.data()) {
    sizes = t.getShape();
    strides.assign(sizes.size(), 1);
    for (int64_t i = static_cast<int64_t>(sizes.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * sizes[i + 1];
  }
  void appendTo(std::vector<void *> &packed) {
    packed.push_back(&allocated);
    packed.push_back(&aligned);
    packed.push_back(&offset);
    for (int64_t &s : sizes)
      packed.push_back(&s);
    for (int64_t &s : strides)
      packed.push_back(&s);
  }
};

} // namespace

JitEngine::JitEngine(std::unique_ptr<mlir::ExecutionEngine> engine)
    : engine(std::move(engine)) {}
JitEngine::~JitEngine() = default;

llvm::Expected<std::unique_ptr<JitEngine>>
JitEngine::create(mlir::ModuleOp module) {
  initializeLLVMOnce();
  registerTranslations(module);
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder->createTargetMachine();
  if (!machine)
    return machine.takeError();
  std::function<llvm::Error(llvm::Module *)> optimize =
      mlir::makeOptimizingTransformer(3, 0, machine->get());
  mlir::ExecutionEngineOptions options;
  options.transformer = optimize;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  options.enableGDBNotificationListener = false;
  options.enablePerfNotificationListener = false;
  auto engine =
      mlir::ExecutionEngine::create(module, options, std::move(*machine));
  if (!engine)
    return engine.takeError();
  return std::unique_ptr<JitEngine>(new JitEngine(std::move(*engine)));
}

llvm::Error JitEngine::call(llvm::StringRef function,
                            llvm::ArrayRef<Tensor *> args,
                            llvm::ArrayRef<Tensor *> outputs) {
  std::vector<Descriptor> descriptors;
  descriptors.reserve(args.size() + outputs.size());
  for (Tensor *t : args)
    descriptors.emplace_back(*t);
  for (Tensor *t : outputs)
    descriptors.emplace_back(*t);
  std::vector<void *> packed;
  for (Descriptor &d : descriptors)
    d.appendTo(packed);
  return engine->invokePacked(function, packed);
}

llvm::Error JitEngine::prepare(llvm::StringRef function) {
  auto fn = engine->lookupPacked(function);
  if (!fn)
    return fn.takeError();
  return llvm::Error::success();
}

llvm::Error printLLVMIR(mlir::ModuleOp module, llvm::raw_ostream &os) {
  registerTranslations(module);
  llvm::LLVMContext context;
  auto llvmModule = mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot translate the module to LLVM IR");
  llvmModule->print(os, nullptr);
  return llvm::Error::success();
}

} // namespace nabla
