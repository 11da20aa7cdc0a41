// RUN: nabla-opt %s --nabla-fusion | FileCheck %s

// The activations are Nabla_Elementwise (their ODS trait, not a list in
// the pass): a chain of them after a matmul is the matmul's epilogue, one
// group, one kernel.

// CHECK-LABEL: func.func @epilogue
// CHECK:         %[[G:.*]] = nabla.fused "group_0" kind = "matmul"
// CHECK:           nabla.matmul
// CHECK-NEXT:      nabla.gelu
// CHECK-NEXT:      nabla.silu
// CHECK-NEXT:      nabla.selu
// CHECK-NEXT:      nabla.elu
// CHECK-NEXT:      nabla.leaky_relu
// CHECK-NEXT:      nabla.softplus
// CHECK-NEXT:      nabla.clamp
// CHECK-NEXT:      nabla.abs
// CHECK-NEXT:      nabla.square
// CHECK-NEXT:      nabla.rsqrt
// CHECK-NEXT:      nabla.erf
// CHECK-NEXT:      nabla.yield
// CHECK:         return %[[G]]
func.func @epilogue(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %0 = nabla.matmul %x, %w : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
  %1 = nabla.gelu %0 approximate = "none" : tensor<4x3xf32>
  %2 = nabla.silu %1 : tensor<4x3xf32>
  %3 = nabla.selu %2 : tensor<4x3xf32>
  %4 = nabla.elu %3 alpha = 1.0 : tensor<4x3xf32>
  %5 = nabla.leaky_relu %4 slope = 0.01 : tensor<4x3xf32>
  %6 = nabla.softplus %5 beta = 1.0 threshold = 20.0 : tensor<4x3xf32>
  %7 = nabla.clamp %6 lo = -1.0 hi = 1.0 : tensor<4x3xf32>
  %8 = nabla.abs %7 : tensor<4x3xf32>
  %9 = nabla.square %8 : tensor<4x3xf32>
  %10 = nabla.rsqrt %9 : tensor<4x3xf32>
  %11 = nabla.erf %10 : tensor<4x3xf32>
  return %11 : tensor<4x3xf32>
}
