//===- GpuPipeline.cpp - From nabla ops to SPIR-V kernels -----------------===//
//
// Built from typed pass constructors like the CPU pipeline, and registered
// as nabla-gpu-pipeline. The host side that comes out is a function of
// allocations, globals, views and gpu.launch_func ops; the kernels are
// spirv.module ops (convert-gpu-to-spirv puts each beside its gpu.module),
// which the Vulkan runtime serializes and runs.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/passes/Passes.h"

#include "mlir/Conversion/GPUToSPIRV/GPUToSPIRVPass.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Dialect/SPIRV/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace nabla {

namespace {

/// linalg on tensors -> memrefs. Results become out-parameters as on the
/// CPU. No deallocation pass: the runtime gives each allocation one device
/// buffer for the program's life, so the command buffer can be recorded
/// once and replayed every step.
void addToBuffers(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBufferize(pm);
  addResultsToOutParams(pm);
  pm.addPass(createCanonicalizerPass());
}

/// One kernel per linalg op, outlined into gpu.module ops. bf16 (the
/// mixed-precision option) computes in f32, rounded after each op as on
/// the CPU, and is stored as i16: SPIR-V here has no bf16.
void addToKernels(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createNablaGpuMapLinalg());
  // Window ops (conv, pooling) index with affine.apply: SPIR-V wants arith.
  pm.addNestedPass<func::FuncOp>(createLowerAffinePass());
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16"};
  emulate.targetTypeStr = "f32";
  pm.addNestedPass<func::FuncOp>(
      arith::createArithEmulateUnsupportedFloats(emulate));
  math::MathExtendToSupportedTypesOptions extend;
  extend.targetTypeStr = "f32";
  pm.addPass(math::createMathExtendToSupportedTypes(extend));
  pm.addPass(createNablaExpandBF16());
  pm.addNestedPass<func::FuncOp>(createNablaGpuBF16Storage());
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCanonicalizerPass());
}

/// Kernels -> SPIR-V for Vulkan, for the device's capabilities.
void addToSPIRV(OpPassManager &pm, const GpuTarget &target) {
  NablaGpuSpirvAbiOptions abi;
  abi.float16 = target.float16;
  abi.int64 = target.int64;
  abi.int16 = target.int16;
  abi.subgroupSize = target.subgroupSize;
  abi.subgroupArithmetic = target.subgroupArithmetic;
  abi.cooperativeMatrix = target.cooperativeMatrix;
  abi.maxWorkgroupInvocations = target.maxWorkgroupInvocations;
  pm.addPass(createNablaGpuSpirvAbi(abi));
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertMathToSPIRVPass());
  pm.addPass(createConvertGPUToSPIRVPass());
  OpPassManager &spirv = pm.nest<spirv::ModuleOp>();
  spirv.addPass(spirv::createSPIRVLowerABIAttributesPass());
  spirv.addPass(spirv::createSPIRVUpdateVCEPass());
}

} // namespace

void buildGpuPipeline(OpPassManager &pm, GpuStage stage,
                      const GpuTarget &target, bool fusion) {
  // With fusion: nabla ops grouped as on the CPU, and each group's
  // elementwise chains fused into single linalg.generic ops (not tiled into
  // one loop nest: a kernel's parallelism comes from its invocations).
  // Algebra first, as on the CPU.
  pm.nest<func::FuncOp>().addPass(createFoldConvScale());
  if (fusion) {
    OpPassManager &func = pm.nest<func::FuncOp>();
    func.addPass(createCSEPass());
    func.addPass(createFusion());
  }
  pm.addPass(createNablaToLinalg());
  if (fusion) {
    NablaLowerFusedOptions lower;
    lower.tile = false;
    pm.addPass(createNablaLowerFused(lower));
  }
  addToBuffers(pm);
  addToKernels(pm);
  if (stage == GpuStage::Kernels)
    return;
  addToSPIRV(pm, target);
}

GpuPipelineOptions::GpuPipelineOptions() { to = GpuStage::SPIRV; }

} // namespace nabla
