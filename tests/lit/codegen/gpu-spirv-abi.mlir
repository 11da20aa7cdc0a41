// RUN: nabla-opt %s --nabla-gpu-spirv-abi | FileCheck %s --check-prefix=BASE
// RUN: nabla-opt %s --nabla-gpu-spirv-abi="float16=true subgroup-size=8 subgroup-arithmetic=true max-workgroup-invocations=1024" | FileCheck %s --check-prefix=DEVICE

// The target environment declares what the device reported (nablac passes
// its Vulkan features) and each kernel gets its workgroup size as its
// entry-point ABI.
// BASE: spirv.target_env = #spirv.target_env<#spirv.vce<v1.3, [Shader, Int64], [SPV_KHR_storage_buffer_storage_class]>, api=Vulkan, #spirv.resource_limits<>>
// DEVICE: spirv.target_env = #spirv.target_env<#spirv.vce<v1.3, [Shader, Int64, Float16, StorageBuffer16BitAccess, GroupNonUniform, GroupNonUniformArithmetic], [SPV_KHR_storage_buffer_storage_class, SPV_KHR_16bit_storage]>, api=Vulkan, #spirv.resource_limits<max_compute_workgroup_invocations = 1024, {{.*}}subgroup_size = 8
// BASE: gpu.func @k() kernel attributes {known_block_size = array<i32: 64, 1, 1>, spirv.entry_point_abi = #spirv.entry_point_abi<workgroup_size = [64, 1, 1]>}
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @k() kernel attributes {known_block_size = array<i32: 64, 1, 1>} {
      gpu.return
    }
  }
}
