// RUN: nabla-opt %s --nabla-gpu-pipeline | FileCheck %s

// The GPU pipeline leaves a host function the Vulkan runtime interprets
// (its result an out-parameter, one gpu.launch_func per kernel) and one
// spirv.module per kernel, beside its gpu.module: a GLCompute entry point
// whose local size is the launch's workgroup, reading and writing the
// arguments as storage buffers bound in order.
// CHECK:       module attributes {gpu.container_module, spirv.target_env = #spirv.target_env<#spirv.vce<v1.3, [Shader, Int64], {{.*}}>, api=Vulkan
// CHECK-LABEL: func.func @Scale(
// CHECK-SAME:      %[[X:.+]]: memref<4xf32> {nabla.input = "x"}, %[[W:.+]]: memref<4xf32> {nabla.param = "w"}, %[[Y:.+]]: memref<4xf32> {nabla.output = "y"})
// CHECK-NOT:     linalg.
// CHECK:         gpu.launch_func  @Scale_kernel::@Scale_kernel blocks in ({{.+}}) threads in ({{.+}}) args(%[[X]] : memref<4xf32>, %[[W]] : memref<4xf32>, %[[Y]] : memref<4xf32>)
// CHECK-NEXT:    return
// CHECK:       spirv.module @__spv__Scale_kernel Logical GLSL450
// CHECK-DAG:     spirv.GlobalVariable @Scale_kernel_arg_0 bind(0, 0) : !spirv.ptr<!spirv.struct<(!spirv.array<4 x f32, stride=4> [0])>, StorageBuffer>
// CHECK-DAG:     spirv.GlobalVariable @Scale_kernel_arg_2 bind(0, 2)
// CHECK:         spirv.func @Scale_kernel()
// CHECK:           spirv.FMul
// CHECK:           spirv.Store "StorageBuffer"
// CHECK:         spirv.EntryPoint "GLCompute" @Scale_kernel
// CHECK-NEXT:    spirv.ExecutionMode @Scale_kernel "LocalSize", 4, 1, 1
func.func @Scale(%x: tensor<4xf32> {nabla.input = "x"}, %w: tensor<4xf32> {nabla.param = "w"})
    -> (tensor<4xf32> {nabla.output = "y"}) attributes {nabla.model} {
  %0 = nabla.mul %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
