//===- Backend.cpp - Lowering for the chosen device and running it --------===//
#include "nabla/Backend.h"
#include "nabla/support/Error.h"

#include "nabla/codegen/Passes.h"
#include "nabla/runtime/CpuFeatures.h"
#include "nabla/runtime/JitEngine.h"
#include "nabla/runtime/VulkanEngine.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>

using namespace nabla;

namespace {

/// The 16-bit float types the module computes in.
void floatTypes(mlir::ModuleOp module, bool &f16, bool &bf16) {
  module.walk([&](mlir::Operation *op) {
    for (mlir::Type type : op->getResultTypes()) {
      mlir::Type element = mlir::getElementTypeOrSelf(type);
      f16 |= element.isF16();
      bf16 |= element.isBF16();
    }
  });
}

} // namespace

StageOptions nabla::stageOptions(const CompileOptions &options) {
  StageOptions s;
  s.program = options.gradients ? Program::Gradient : Program::Model;
  s.wrt = options.wrt;
  s.fusion = options.fusion;
  s.cpu = jitCpuTarget();
  s.cpu.profile = options.profile; // (Vulkan's engine times its dispatches)
  s.configurePassManager = options.configurePassManager;
  s.verifyEachPass = options.verifyEachPass;
  return s;
}

CpuTarget nabla::jitCpuTarget() {
  llvm::StringMap<bool> features = hostCpuFeatures();
  CpuTarget target = CpuTarget::forFeatures(
      [&](llvm::StringRef name) { return features.lookup(name); });
  target.threads = getNumThreads() > 1;
  return target;
}

llvm::Expected<DeviceChoice> nabla::parseDevice(llvm::StringRef text) {
  DeviceChoice choice;
  if (text == "cpu")
    return choice;
  choice.vulkan = true;
  if (text == "vulkan")
    return choice;
  unsigned index = 0;
  if (text.consume_front("vulkan:") && !text.getAsInteger(10, index)) {
    choice.index = static_cast<int>(index);
    return choice;
  }
  return makeError("error: unknown device '" + text +
                   "' (devices: cpu, vulkan, vulkan:N; nablac devices lists "
                   "the Vulkan ones)");
}

llvm::Expected<std::unique_ptr<Engine>>
nabla::createEngine(mlir::ModuleOp module, const CompileOptions &options,
                    llvm::function_ref<llvm::Error(mlir::PassManager &)> run,
                    double *loweringSeconds) {
  auto device = parseDevice(options.device);
  if (!device)
    return device.takeError();
  StageOptions stages = stageOptions(options);
  mlir::PassManager pm(module->getContext());

  GpuTarget &target = stages.gpu;
  std::unique_ptr<VulkanEngine> vulkan;
  std::optional<std::string> sourceKey;
  if (device->vulkan) {
    auto opened = VulkanEngine::open(device->index, options.profile);
    if (!opened)
      return opened.takeError();
    vulkan = std::move(*opened);
    const VulkanDeviceInfo *info = &vulkan->getDeviceInfo();
    // bf16 needs nothing of the device: it computes in f32 and is stored
    // as i16 (nabla-gpu-bf16-storage).
    bool f16 = false, bf16 = false;
    floatTypes(module, f16, bf16);
    if (f16 && !info->float16)
      return makeError("error: Vulkan device " + info->name +
                       " lacks 16-bit floats (shaderFloat16 and "
                       "storageBuffer16BitAccess), which --precision f16 "
                       "needs; use --precision f32");
    target.float16 = info->float16;
    target.int64 = info->int64;
    target.int16 = info->int16;
    if (bf16 && !info->int16)
      return makeError("error: Vulkan device " + info->name +
                       " lacks 16-bit integers (shaderInt16 and "
                       "storageBuffer16BitAccess), in which --precision bf16 "
                       "keeps its tensors; use --precision f32");
    if (info->subgroupSize)
      target.subgroupSize = static_cast<int>(info->subgroupSize);
    target.subgroupArithmetic = info->subgroupArithmetic;
    target.cooperativeMatrix = info->cooperativeMatrix;
    target.maxWorkgroupInvocations =
        static_cast<int>(info->maxWorkgroupInvocations);
    buildLoweringPipeline(pm, Stage::SPIRV, stages);
    configure(pm, stages);
  } else {
    buildLoweringPipeline(pm, Stage::LLVMDialect, stages);
    configure(pm, stages);
    // A module compiled before is loaded without running the passes, unless
    // the caller watches them (configurePassManager: IR printing, timing).
    if (!options.configurePassManager) {
      std::string pipeline;
      llvm::raw_string_ostream os(pipeline);
      pm.printAsTextualPipeline(os);
      sourceKey = JitEngine::sourceKey(module, pipeline);
      if (sourceKey)
        if (auto cached = JitEngine::loadCached(*sourceKey)) {
          if (loweringSeconds)
            *loweringSeconds = 0;
          return std::unique_ptr<Engine>(std::move(cached));
        }
    }
  }
  auto start = std::chrono::steady_clock::now();
  if (auto e = run(pm))
    return std::move(e);
  if (loweringSeconds)
    *loweringSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();

  if (vulkan) {
    if (auto e = vulkan->load(module))
      return std::move(e);
    return std::unique_ptr<Engine>(std::move(vulkan));
  }
  auto engine = JitEngine::create(module, sourceKey.value_or(""));
  if (!engine)
    return makeError("error: JIT compilation failed: " +
                     llvm::toString(engine.takeError()));
  return std::unique_ptr<Engine>(std::move(*engine));
}
