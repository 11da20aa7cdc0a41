//===- GpuPipeline.cpp - From nabla ops to SPIR-V kernels -----------------===//
//
// Like the CPU pipeline, kept as text so each step can be replayed with
// nabla-opt. The host side that comes out is a function of allocations,
// globals, views and gpu.launch_func ops; the kernels are spirv.module ops
// (convert-gpu-to-spirv puts each beside its gpu.module), which the Vulkan
// runtime serializes and runs.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {

/// With fusion: nabla ops grouped as on the CPU, and each group's
/// elementwise chains fused into single linalg.generic ops (not tiled into
/// one loop nest: a kernel's parallelism comes from its invocations).
constexpr const char kFusion[] = "func.func(cse,nabla-fusion)";
constexpr const char kLowerFused[] = "nabla-lower-fused{tile=false}";

/// linalg on tensors -> memrefs. Results become out-parameters as
/// on the CPU. No deallocation pass: the runtime gives each allocation one
/// device buffer for the program's life, so the command buffer can be
/// recorded once and replayed every step.
constexpr const char kToBuffers[] =
    "canonicalize,cse,"
    "nabla-protect-arguments,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{hoist-static-allocs=true "
    "modify-public-functions=true},"
    "canonicalize";

/// One kernel per linalg op, outlined into gpu.module ops. bf16 (the
/// mixed-precision option) computes in f32, rounded after each op as on
/// the CPU, and is stored as i16: SPIR-V here has no bf16.
constexpr const char kToKernels[] =
    "func.func(nabla-gpu-map-linalg),"
    "func.func(arith-emulate-unsupported-floats{source-types=bf16 "
    "target-type=f32}),"
    "math-extend-to-supported-types{target-type=f32},"
    "nabla-expand-bf16,"
    "func.func(nabla-gpu-bf16-storage),"
    "gpu-launch-sink-index-computations,gpu-kernel-outlining,canonicalize";

/// Kernels -> SPIR-V for Vulkan.
constexpr const char kToSPIRV[] =
    "nabla-gpu-spirv-abi{{float16={0} int64={1} subgroup-size={2} "
    "subgroup-arithmetic={3} cooperative-matrix={4} "
    "max-workgroup-invocations={5} int16={6}},"
    "gpu.module(convert-math-to-spirv),convert-gpu-to-spirv,"
    "spirv.module(spirv-lower-abi-attrs,spirv-update-vce)";

} // namespace

namespace nabla {

void buildGpuPipeline(OpPassManager &pm, GpuStage stage,
                      const GpuTarget &target, bool fusion) {
  if (fusion)
    addPipeline(pm, kFusion);
  addPipeline(pm, "nabla-to-linalg");
  if (fusion)
    addPipeline(pm, kLowerFused);
  addPipeline(pm, kToBuffers);
  addPipeline(pm, kToKernels);
  if (stage == GpuStage::Kernels)
    return;
  auto flag = [](bool b) { return b ? "true" : "false"; };
  addPipeline(pm, llvm::formatv(kToSPIRV, flag(target.float16),
                                flag(target.int64), target.subgroupSize,
                                flag(target.subgroupArithmetic),
                                flag(target.cooperativeMatrix),
                                target.maxWorkgroupInvocations,
                                flag(target.int16))
                      .str());
}

} // namespace nabla
