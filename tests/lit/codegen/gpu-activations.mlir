// RUN: nabla-opt %s --nabla-gpu-pipeline | FileCheck %s

// Every activation converts to SPIR-V for Vulkan: their math ops become
// GLSL.std.450 instructions (expm1 and log1p through exp and log), erf is
// plain arithmetic, and no math op or libm call is left.
// CHECK-NOT:   math.
// CHECK-LABEL: spirv.module
// CHECK-DAG:   spirv.GL.FAbs
// CHECK-DAG:   spirv.GL.InverseSqrt
// CHECK-DAG:   spirv.GL.Exp
// CHECK-DAG:   spirv.GL.Log
// CHECK-DAG:   spirv.GL.Tanh
// CHECK-DAG:   spirv.GL.FMin
// CHECK-DAG:   spirv.GL.FMax
// CHECK-NOT:   math.
func.func @Activations(%x: tensor<4xf32> {nabla.input = "x"})
    -> (tensor<4xf32> {nabla.output = "y"}) attributes {nabla.model} {
  %0 = nabla.abs %x : tensor<4xf32>
  %1 = nabla.square %0 : tensor<4xf32>
  %2 = nabla.rsqrt %1 : tensor<4xf32>
  %3 = nabla.erf %2 : tensor<4xf32>
  %4 = nabla.silu %3 : tensor<4xf32>
  %5 = nabla.selu %4 : tensor<4xf32>
  %6 = nabla.gelu %5 approximate = "none" : tensor<4xf32>
  %7 = nabla.gelu %6 approximate = "tanh" : tensor<4xf32>
  %8 = nabla.leaky_relu %7 slope = 0.01 : tensor<4xf32>
  %9 = nabla.elu %8 alpha = 1.0 : tensor<4xf32>
  %10 = nabla.softplus %9 beta = 1.0 threshold = 20.0 : tensor<4xf32>
  %11 = nabla.clamp %10 lo = -1.0 hi = 1.0 : tensor<4xf32>
  return %11 : tensor<4xf32>
}
