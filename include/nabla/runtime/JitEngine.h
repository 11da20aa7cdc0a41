//===- JitEngine.h - Run lowered modules on the host CPU --------*- C++ -*-===//
#ifndef NABLA_RUNTIME_JITENGINE_H
#define NABLA_RUNTIME_JITENGINE_H

#include "nabla/runtime/Engine.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir {
class ExecutionEngine;
}
namespace llvm::orc {
class LLJIT;
}
namespace nabla::jit {
class NearMemoryMapper;
}

namespace nabla {

/// Owns the JIT-compiled code of one module (in the LLVM dialect), compiled
/// at -O3 for the host CPU, or loaded from the compile cache
/// (CompileCache.h) when the same module was compiled before.
class JitEngine : public Engine {
public:
  /// Compiles `module` (in the LLVM dialect). With the compile cache on, the
  /// object is stored under `sourceKey` (see sourceKey()) or, when that is
  /// empty, under the key of the module's text, which is looked up first.
  static llvm::Expected<std::unique_ptr<JitEngine>>
  create(mlir::ModuleOp module, llvm::StringRef sourceKey = {});
  /// The cache key of `module`, not yet lowered, that `pipeline` (a pass
  /// pipeline's textual form) will lower for this host; none when the
  /// compile cache is off. See CompileCache.h.
  static std::optional<std::string> sourceKey(mlir::ModuleOp module,
                                              llvm::StringRef pipeline);
  /// The engine stored under `key`, or null when the cache is off or has no
  /// intact entry for it.
  static std::unique_ptr<JitEngine> loadCached(llvm::StringRef key);
  ~JitEngine() override;

  const CompileInfo &getCompileInfo() const override { return info; }

  /// Calls `function`, whose lowered form takes one memref per tensor: its
  /// arguments then its results as out-parameters. Every tensor's shape must
  /// match; results are written into `outputs` in place.
  llvm::Error call(llvm::StringRef function, llvm::ArrayRef<Tensor *> args,
                   llvm::ArrayRef<Tensor *> outputs) override;

  /// Generates machine code for `function` now (ORC compiles on first
  /// lookup), so the first call is not slower than the rest.
  llvm::Error prepare(llvm::StringRef function) override;

  /// Each kernel of the last call, where the module was compiled with
  /// CpuTarget::profile (nabla-cpu-profile-kernels); empty otherwise.
  const std::vector<DispatchTime> &getLastProfile() const override {
    return lastProfile;
  }
  double getLastCallSeconds() const override { return lastCallSeconds; }

private:
  JitEngine();
  llvm::Expected<void (*)(void **)> lookupPacked(llvm::StringRef function);

  // Where `engine` places its sections: destroyed after it.
  std::unique_ptr<jit::NearMemoryMapper> memory;
  // One of the two: code compiled now, or an object loaded from the cache.
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::unique_ptr<llvm::orc::LLJIT> loaded;
  llvm::StringMap<void (*)(void **)> functions; // packed wrappers, by name
  CompileInfo info;
  std::vector<DispatchTime> lastProfile;
  double lastCallSeconds = 0;
};

/// Translates a module in the LLVM dialect to LLVM IR text (`--emit=llvm`).
llvm::Error printLLVMIR(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace nabla

#endif // NABLA_RUNTIME_JITENGINE_H
