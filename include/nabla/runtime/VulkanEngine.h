//===- VulkanEngine.h - Running lowered modules on Vulkan -------*- C++ -*-===//
//
// The GPU counterpart of JitEngine. A module at the end of the GPU pipeline
// (codegen: buildGpuPipeline) holds host functions made only of buffer
// allocations, globals, views and gpu.launch_func ops, and one spirv.module
// per kernel. VulkanEngine turns each host function into a program: one
// device buffer per allocation (all in one device-local allocation), one
// compute pipeline per kernel, one descriptor set per dispatch, and one
// command buffer that uploads the arguments through a staging buffer, runs
// every dispatch with the barriers between them and copies the results
// back. The command buffer is recorded once and submitted on every call.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_VULKANENGINE_H
#define NABLA_RUNTIME_VULKANENGINE_H

#include "nabla/runtime/Engine.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace nabla {

/// What `nablac devices` prints about a Vulkan device.
struct VulkanDeviceInfo {
  unsigned index = 0;
  std::string name, type, apiVersion, driver;
  uint64_t deviceLocalBytes = 0;
  bool float16 = false; // shaderFloat16 and 16-bit storage buffers
  bool int64 = false;   // shaderInt64
  bool int16 = false;   // shaderInt16 and 16-bit storage buffers (bf16)
  bool subgroupArithmetic = false;
  uint32_t subgroupSize = 0;
  bool cooperativeMatrix = false; // VK_KHR_cooperative_matrix
  bool timestamps = false;        // timestamp queries on the compute queue
  uint32_t maxWorkgroupInvocations = 0;
  uint64_t maxStorageBufferBytes = 0; // the largest tensor a kernel binds
  uint64_t maxAllocationBytes = 0;    // the largest single allocation
};

/// The Vulkan devices of this machine, in the loader's order (the index
/// `--device vulkan:N` takes). An error if there is no Vulkan loader or
/// no device.
llvm::Expected<std::vector<VulkanDeviceInfo>> listVulkanDevices();

class VulkanEngine : public Engine {
public:
  /// Opens device `deviceIndex` (-1: the first discrete GPU, else the first
  /// device) for `module`. With `profile`, every call measures each
  /// dispatch with timestamp queries.
  static llvm::Expected<std::unique_ptr<VulkanEngine>>
  create(mlir::ModuleOp module, int deviceIndex, bool profile = false);
  /// The same in two steps: open the device (whose features choose the
  /// codegen target), then load the module lowered for it.
  static llvm::Expected<std::unique_ptr<VulkanEngine>> open(int deviceIndex,
                                                            bool profile);
  llvm::Error load(mlir::ModuleOp module);
  ~VulkanEngine() override;

  const VulkanDeviceInfo &getDeviceInfo() const;

  /// Calls `function` as JitEngine::call does: `args` are its inputs,
  /// `outputs` its results, written in place. The first call of a function
  /// builds its program and records its command buffer.
  llvm::Error call(llvm::StringRef function, llvm::ArrayRef<Tensor *> args,
                   llvm::ArrayRef<Tensor *> outputs) override;
  /// Programs are built when the engine is created.
  llvm::Error prepare(llvm::StringRef) override {
    return llvm::Error::success();
  }
  const CompileInfo &getCompileInfo() const override { return info; }
  void setResident(const Tensor *tensor) override;
  llvm::Error syncToHost(Tensor *tensor) override;
  void hostChanged(const Tensor *tensor) override;

  /// Bytes copied between the host and the device since creation: tensors
  /// through the staging buffers, resident ones when the host asked.
  struct TransferStats {
    uint64_t uploaded = 0, downloaded = 0;
  };
  const TransferStats &getTransferStats() const;

  /// With `profile`: each dispatch of the last call, in order.
  const std::vector<DispatchTime> &getLastProfile() const override;

  struct Impl;

private:
  explicit VulkanEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
  CompileInfo info;
};

} // namespace nabla

#endif // NABLA_RUNTIME_VULKANENGINE_H
