//===- Engine.h - Where compiled functions run ------------------*- C++ -*-===//
//
// The interface the public API (Model, Trainer) calls compiled functions
// through: JitEngine runs them on the host CPU, VulkanEngine on a Vulkan
// device. Both take and return host tensors.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_ENGINE_H
#define NABLA_RUNTIME_ENGINE_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace nabla {

/// How a module's machine code was obtained (the CPU JIT; empty for
/// Vulkan, whose drivers compile SPIR-V themselves).
struct CompileInfo {
  bool cacheHit = false;      // loaded from the compile cache
  bool passesSkipped = false; // ... before lowering: nabla's passes not run
  double codegenSeconds = 0;  // LLVM -O3 and code generation, or the load
  std::string cacheEntry;     // the cache file, when the cache is on
  std::string cacheWarning;   // why the entry could not be stored, if so
};

/// A dispatch's time on the device, or a kernel's on the CPU (`--profile`).
struct DispatchTime {
  std::string name; // the kernel and the source location of its op
  double seconds = 0;
};

class Engine {
public:
  virtual ~Engine() = default;

  /// Calls `function`, whose lowered form takes one buffer per tensor: its
  /// arguments then its results as out-parameters. Every tensor's shape
  /// must match; results are written into `outputs` in place.
  virtual llvm::Error call(llvm::StringRef function,
                           llvm::ArrayRef<Tensor *> args,
                           llvm::ArrayRef<Tensor *> outputs) = 0;

  /// Makes `function` ready to run (the JIT generates its machine code),
  /// so its first call is not slower than the rest.
  virtual llvm::Error prepare(llvm::StringRef function) = 0;

  virtual const CompileInfo &getCompileInfo() const = 0;

  /// Residency: `tensor` (an argument or result of later calls) may keep
  /// its current value in device memory. A call reads a resident argument
  /// there (uploading it only if the host changed it) and leaves a
  /// resident result there, so parameters and optimizer state stay on the
  /// GPU between training steps. Tensors are known by address. The CPU
  /// engine, whose memory is the host's, ignores all three.
  virtual void setResident(const Tensor *) {}
  /// Makes the host copy of a resident tensor current (copies it back).
  virtual llvm::Error syncToHost(Tensor *) { return llvm::Error::success(); }
  /// The host wrote `tensor`: the next call that reads it uploads it.
  virtual void hostChanged(const Tensor *) {}

  /// With profiling on (`--profile`): each dispatch (Vulkan) or kernel
  /// (CPU) of the last call, in order. Empty where the engine does not
  /// profile.
  virtual const std::vector<DispatchTime> &getLastProfile() const {
    static const std::vector<DispatchTime> none;
    return none;
  }
  /// The wall time of the last call, kernels and all (0 where the engine
  /// does not measure it): the part of it the profile's kernels leave is
  /// the host's.
  virtual double getLastCallSeconds() const { return 0; }
};

} // namespace nabla

#endif // NABLA_RUNTIME_ENGINE_H
