//===- JitEngine.cpp - Run lowered modules on the host CPU ----------------===//
//
// The lowered function takes each memref as its expanded descriptor fields
// (allocated ptr, aligned ptr, offset, sizes..., strides...). The engine's
// packed wrapper `_mlir_<name>(void **)` takes one pointer per field, so a
// call builds the descriptors of every tensor and passes their addresses.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/JitEngine.h"
#include "nabla/runtime/AllReduce.h"
#include "nabla/runtime/CompileCache.h"
#include "nabla/runtime/CpuFeatures.h"
#include "nabla/runtime/LiveRanges.h"
#include "nabla/runtime/OptimizeLlvm.h"
#include "nabla/runtime/Threads.h"
#include "nabla/support/Error.h"
#include "runtime/JitAllocator.h"
#include "runtime/JitMemory.h"
#include "runtime/KernelProfile.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace nabla {

namespace {

void initializeLLVMOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // NABLA_NUM_THREADS for every user of the API (nablac checks its value
    // and reports a bad one). This call is also what links libomp into the
    // process, where the JIT finds the __kmpc_* functions of parallel loops.
    (void)applyThreadsFromEnvironment();
  });
}

void registerTranslations(mlir::ModuleOp module) {
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerOpenMPDialectTranslation(registry); // parallel loops
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

JitEngine::JitEngine() = default;
JitEngine::~JitEngine() = default;

namespace {

/// The module's text without locations: what the cache key hashes.
std::string irText(mlir::ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
  return text;
}

/// A function of the module with a body, to look up so that ORC compiles
/// the module (it compiles the whole module on the first lookup).
std::optional<std::string> anyFunction(mlir::ModuleOp module) {
  for (auto f : module.getOps<mlir::LLVM::LLVMFuncOp>())
    if (!f.isExternal() && !f.getName().starts_with("_mlir_") &&
        f.getLinkage() != mlir::LLVM::Linkage::Internal)
      return f.getName().str();
  return std::nullopt;
}

/// The ExecutionEngine calls each function F through `_mlir_F(void **)`,
/// which loads every argument and calls F with all of them. A deep model's
/// training step takes thousands of scalar arguments (a memref is five;
/// 15,623 for 200 Dense layers), most of them on the stack, and
/// instruction selection merges those stores in time quadratic in their
/// number (a 64-layer gradient: 7 of its 9.5 s). Inlined into its wrapper,
/// F reads the arguments where they are, and, internal, is not compiled a
/// second time on its own.
void inlineIntoPackedWrappers(llvm::Module &m) {
  for (llvm::Function &f : m)
    if (!f.isDeclaration() && !f.hasLocalLinkage() &&
        m.getFunction(("_mlir_" + f.getName()).str())) {
      f.addFnAttr(llvm::Attribute::AlwaysInline);
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
    }
}

/// compiler-rt's f32 -> bf16 rounding (to nearest, ties to even; a NaN
/// stays a quiet NaN). LLVM calls it where the CPU has no conversion of
/// its own (AVX2; AVX-512 without AVX512-BF16) and a bf16 value it widened
/// goes back to bf16: the scalar bf16 copies of a small transpose in
/// tests/unit/models/small_residual.nb's bf16 step did. GCC's libgcc
/// before 13, which this process links, does not have it. The result goes
/// back as a __bf16 does, in the low 16 bits of xmm0: a float with those
/// bits.
float truncateToBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    bits = (bits >> 16) | 0x40u;
  else
    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

/// Compiled code's malloc and free are the caching allocator's
/// (runtime/JitAllocator.h), a profiled module's clock is
/// runtime/KernelProfile.h's, bf16 rounding is truncateToBF16, a
/// data-parallel step's all-reduce is runtime/AllReduce.h's;
/// everything else resolves in this process.
llvm::orc::SymbolMap runtimeSymbols(llvm::orc::MangleAndInterner mangle) {
  llvm::orc::SymbolMap symbols;
  auto bind = [&](llvm::StringRef name, auto *function) {
    symbols[mangle(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                             llvm::JITSymbolFlags::Exported};
  };
  bind("malloc", &jit::allocate);
  bind("free", &jit::release);
  bind("nabla_profile_start", &jit::nabla_profile_start);
  bind("nabla_profile_stop", &jit::nabla_profile_stop);
  bind("__truncsfbf2", &truncateToBF16);
  // A data-parallel step's buckets (runtime/AllReduce.h); the element type
  // in a name is the bucket's, which begin() sets.
  bind("nabla_all_reduce_begin_f32", &nabla_all_reduce_begin_f32);
  bind("nabla_all_reduce_begin_f64", &nabla_all_reduce_begin_f64);
  bind("nabla_all_reduce_begin_bf16", &nabla_all_reduce_begin_bf16);
  for (llvm::StringRef suffix : {"_f32", "_f64", "_bf16"}) {
    bind(("nabla_all_reduce_put" + suffix).str(), &nabla_all_reduce_put);
    bind(("nabla_all_reduce_get" + suffix).str(), &nabla_all_reduce_get);
  }
  bind("nabla_all_reduce_start", &nabla_all_reduce_start);
  bind("nabla_all_reduce_wait", &nabla_all_reduce_wait);
  return symbols;
}

llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>>
loadObject(std::unique_ptr<llvm::MemoryBuffer> object) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*builder))
                 .create();
  if (!jit)
    return jit.takeError();
  // libm, malloc/free and the compiler runtime come from this process, as
  // they do for mlir::ExecutionEngine.
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator)
    return generator.takeError();
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  llvm::orc::MangleAndInterner mangle((*jit)->getExecutionSession(),
                                      (*jit)->getDataLayout());
  if (auto e = (*jit)->getMainJITDylib().define(
          llvm::orc::absoluteSymbols(runtimeSymbols(mangle))))
    return std::move(e);
  if (auto e = (*jit)->addObjectFile(std::move(object)))
    return std::move(e);
  return std::move(*jit);
}

/// Vector width LLVM may use for all code (see create()).
constexpr const char kPreferVectorWidth[] = "512";

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// The host's LLVM target machine, as the JIT compiles for it: less the
/// features NABLA_CPU_FEATURES turns off, in the small code model
/// (runtime/JitMemory.h says why and how its sections stay near).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> hostMachine() {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  auto off = cpuFeaturesTurnedOff();
  if (!off)
    return off.takeError();
  for (const std::string &feature : *off)
    builder->getFeatures().AddFeature(feature, /*Enable=*/false);
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  builder->setCodeModel(llvm::CodeModel::Small);
  builder->setRelocationModel(llvm::Reloc::PIC_);
  return builder->createTargetMachine();
}

/// What the machine code depends on besides the IR: the target and how
/// LLVM is asked to compile for it.
std::string describe(const llvm::TargetMachine &tm) {
  return tm.getTargetTriple().str() + "|" + tm.getTargetCPU().str() + "|" +
         tm.getTargetFeatureString().str() +
         "|small-pic|O3-no-cvp|short-live-ranges|" + kPreferVectorWidth;
}

} // namespace

std::optional<std::string> JitEngine::sourceKey(mlir::ModuleOp module,
                                                llvm::StringRef pipeline) {
  if (!CompileCache::fromEnvironment())
    return std::nullopt;
  initializeLLVMOnce();
  auto machine = hostMachine();
  if (!machine) {
    llvm::consumeError(machine.takeError());
    return std::nullopt;
  }
  return CompileCache::sourceKey(irText(module), pipeline, describe(**machine));
}

std::unique_ptr<JitEngine> JitEngine::loadCached(llvm::StringRef key) {
  auto start = std::chrono::steady_clock::now();
  auto cache = CompileCache::fromEnvironment();
  if (!cache)
    return nullptr;
  initializeLLVMOnce();
  auto object = cache->load(key);
  if (!object)
    return nullptr;
  auto loaded = loadObject(std::move(object));
  if (!loaded) {
    // An entry this LLVM cannot load is compiled again and replaced.
    llvm::consumeError(loaded.takeError());
    return nullptr;
  }
  std::unique_ptr<JitEngine> jit(new JitEngine());
  jit->loaded = std::move(*loaded);
  jit->info.cacheHit = true;
  jit->info.passesSkipped = true; // unless create() found it by the final IR
  jit->info.cacheEntry = cache->pathOf(key);
  jit->info.codegenSeconds = secondsSince(start);
  return jit;
}

llvm::Expected<std::unique_ptr<JitEngine>>
JitEngine::create(mlir::ModuleOp module, llvm::StringRef sourceKey) {
  initializeLLVMOnce();
  registerTranslations(module);
  auto start = std::chrono::steady_clock::now();
  auto machine = hostMachine();
  if (!machine)
    return machine.takeError();
  std::unique_ptr<JitEngine> jit(new JitEngine());

  auto cache = CompileCache::fromEnvironment();
  std::string key = sourceKey.str();
  if (cache && key.empty()) {
    key = CompileCache::key(irText(module), describe(**machine));
    if (auto hit = loadCached(key)) {
      hit->info.passesSkipped = false;
      hit->info.codegenSeconds = secondsSince(start);
      return hit;
    }
  }
  if (cache)
    jit->info.cacheEntry = cache->pathOf(key);

  llvm::TargetMachine *target = machine->get();
  auto optimize = [target](llvm::Module *m) {
    // The kernels use the widest vectors the host has (jitCpuTarget()).
    // Set before inlining, so that the packed wrappers and what they
    // inline agree.
    setPreferVectorWidth(*m, kPreferVectorWidth);
    inlineIntoPackedWrappers(*m);
    optimizeLlvmModule(*m, target);
    shortenLiveRanges(*m);
    return llvm::Error::success();
  };
  mlir::ExecutionEngineOptions options;
  options.transformer = optimize;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  options.enableGDBNotificationListener = false;
  // NABLA_PERF=1: write jitdump files for `perf record -k 1` + `perf
  // inject --jit`, so that profiles name the compiled functions.
  options.enablePerfNotificationListener = std::getenv("NABLA_PERF") != nullptr;
  options.enableObjectDump = cache.has_value();
  jit->memory = std::make_unique<jit::NearMemoryMapper>();
  options.sectionMemoryMapper = jit->memory.get();
  auto engine =
      mlir::ExecutionEngine::create(module, options, std::move(*machine));
  if (!engine)
    return engine.takeError();
  jit->engine = std::move(*engine);
  jit->engine->registerSymbols(runtimeSymbols);
  std::optional<std::string> function = anyFunction(module);
  if (cache && function) {
    // Compile now, and keep the object. A cache that cannot be written
    // costs the next run its compile time, nothing else.
    if (auto fn = jit->engine->lookupPacked(*function); !fn)
      return fn.takeError();
    llvm::SmallString<256> temp;
    if (!llvm::sys::fs::createTemporaryFile("nabla-object", "o", temp)) {
      jit->engine->dumpToObjectFile(temp);
      auto object = llvm::MemoryBuffer::getFile(temp, /*IsText=*/false);
      if (object && (*object)->getBufferSize() > 0) {
        if (auto e = cache->store(key, (*object)->getBuffer()))
          jit->info.cacheWarning = llvm::toString(std::move(e));
      }
      llvm::sys::fs::remove(temp);
    }
  }
  jit->info.codegenSeconds = secondsSince(start);
  return jit;
}

llvm::Expected<void (*)(void **)>
JitEngine::lookupPacked(llvm::StringRef function) {
  // Looked up once: a training loop calls the same function every step.
  if (auto it = functions.find(function); it != functions.end())
    return it->second;
  void (*fn)(void **) = nullptr;
  if (engine) {
    auto found = engine->lookupPacked(function);
    if (!found)
      return found.takeError();
    fn = *found;
  } else {
    auto symbol = loaded->lookup(("_mlir_" + function).str());
    if (!symbol)
      return symbol.takeError();
    fn = symbol->toPtr<void (*)(void **)>();
  }
  functions[function] = fn;
  return fn;
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
  auto fn = lookupPacked(function);
  if (!fn)
    return fn.takeError();
  // Kernel times, where the module was compiled to take them (--profile).
  jit::ProfileRecording recording(lastProfile);
  useLoadBalancedTeams();
  auto start = std::chrono::steady_clock::now();
  (*fn)(packed.data());
  lastCallSeconds = secondsSince(start);
  return llvm::Error::success();
}

llvm::Error JitEngine::prepare(llvm::StringRef function) {
  auto fn = lookupPacked(function);
  if (!fn)
    return fn.takeError();
  return llvm::Error::success();
}

llvm::Error printLLVMIR(mlir::ModuleOp module, llvm::raw_ostream &os) {
  registerTranslations(module);
  llvm::LLVMContext context;
  auto llvmModule = mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return makeError("cannot translate the module to LLVM IR");
  llvmModule->print(os, nullptr);
  return llvm::Error::success();
}

} // namespace nabla
