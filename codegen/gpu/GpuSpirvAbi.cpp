//===- GpuSpirvAbi.cpp - The Vulkan target of the SPIR-V conversion -------===//
//
// Sets the module's spirv.target_env from the device's capabilities (the
// pass options) and each kernel's entry-point ABI (its workgroup size), so
// that convert-gpu-to-spirv produces what the device can run.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"

namespace nabla {
#define GEN_PASS_DEF_NABLAGPUSPIRVABI
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

struct NablaGpuSpirvAbiPass
    : nabla::impl::NablaGpuSpirvAbiBase<NablaGpuSpirvAbiPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    SmallVector<spirv::Capability> caps = {spirv::Capability::Shader};
    SmallVector<spirv::Extension> exts = {
        spirv::Extension::SPV_KHR_storage_buffer_storage_class};
    if (int64)
      caps.push_back(spirv::Capability::Int64);
    if (float16)
      caps.push_back(spirv::Capability::Float16);
    if (int16)
      caps.push_back(spirv::Capability::Int16);
    if (float16 || int16) {
      caps.push_back(spirv::Capability::StorageBuffer16BitAccess);
      exts.push_back(spirv::Extension::SPV_KHR_16bit_storage);
    }
    // Declared so that conversions may use them; today's kernels do not.
    if (subgroupArithmetic)
      caps.append({spirv::Capability::GroupNonUniform,
                   spirv::Capability::GroupNonUniformArithmetic});
    if (cooperativeMatrix) {
      caps.push_back(spirv::Capability::CooperativeMatrixKHR);
      exts.push_back(spirv::Extension::SPV_KHR_cooperative_matrix);
    }
    auto triple =
        spirv::VerCapExtAttr::get(spirv::Version::V_1_3, caps, exts, ctx);
    spirv::ResourceLimitsAttr defaults = spirv::getDefaultResourceLimits(ctx);
    auto limits = spirv::ResourceLimitsAttr::get(
        ctx, defaults.getMaxComputeSharedMemorySize(), maxWorkgroupInvocations,
        defaults.getMaxComputeWorkgroupSize(), subgroupSize, std::nullopt,
        std::nullopt, defaults.getCooperativeMatrixPropertiesKhr(),
        defaults.getCooperativeMatrixPropertiesNv());
    auto env = spirv::TargetEnvAttr::get(
        triple, limits, spirv::ClientAPI::Vulkan, spirv::Vendor::Unknown,
        spirv::DeviceType::Unknown, spirv::TargetEnvAttr::kUnknownDeviceID);
    module->setAttr(spirv::getTargetEnvAttrName(), env);
    module.walk([&](gpu::GPUFuncOp func) {
      if (!func.isKernel())
        return;
      SmallVector<int32_t, 3> size = {1, 1, 1};
      if (auto known = func.getKnownBlockSizeAttr())
        for (auto [i, v] : llvm::enumerate(known.asArrayRef()))
          size[i] = v;
      func->setAttr(spirv::getEntryPointABIAttrName(),
                    spirv::getEntryPointABIAttr(ctx, size));
    });
  }
};

} // namespace
