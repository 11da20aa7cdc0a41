// RUN: nabla-opt %s --nabla-mixed-precision=dtype=bf16 | FileCheck %s

// The activations' precision policies come from their ODS traits, not from
// the pass: after a bf16 matmul, the Nabla_FollowOperands activations run
// in bf16, while softplus and rsqrt (Nabla_KeepF32, as autocast keeps
// them) read the matmul's result back in f32 (one cast, right after it).

// CHECK-LABEL: func.func @activations
// CHECK:       %[[MM:.*]] = nabla.matmul {{.*}} -> tensor<4x3xbf16>
// CHECK-NEXT:  %[[WIDE:.*]] = nabla.cast %[[MM]] : tensor<4x3xbf16> -> tensor<4x3xf32>
// CHECK:       nabla.gelu %[[MM]] approximate = "tanh" : tensor<4x3xbf16>
// CHECK:       nabla.silu %[[MM]] : tensor<4x3xbf16>
// CHECK:       nabla.selu %[[MM]] : tensor<4x3xbf16>
// CHECK:       nabla.elu %[[MM]] alpha = {{.*}} : tensor<4x3xbf16>
// CHECK:       nabla.leaky_relu %[[MM]] slope = {{.*}} : tensor<4x3xbf16>
// CHECK:       nabla.clamp %[[MM]] lo = {{.*}} : tensor<4x3xbf16>
// CHECK:       nabla.abs %[[MM]] : tensor<4x3xbf16>
// CHECK:       nabla.square %[[MM]] : tensor<4x3xbf16>
// CHECK:       nabla.erf %[[MM]] : tensor<4x3xbf16>
// CHECK:       nabla.softplus %[[WIDE]] beta = {{.*}} : tensor<4x3xf32>
// CHECK:       nabla.rsqrt %[[WIDE]] : tensor<4x3xf32>
func.func @activations(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>)
    -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>,
        tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>,
        tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %0 = nabla.matmul %x, %w : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
  %1 = nabla.gelu %0 approximate = "tanh" : tensor<4x3xf32>
  %2 = nabla.silu %0 : tensor<4x3xf32>
  %3 = nabla.selu %0 : tensor<4x3xf32>
  %4 = nabla.elu %0 alpha = 1.0 : tensor<4x3xf32>
  %5 = nabla.leaky_relu %0 slope = 0.01 : tensor<4x3xf32>
  %6 = nabla.clamp %0 lo = -1.0 hi = 1.0 : tensor<4x3xf32>
  %7 = nabla.abs %0 : tensor<4x3xf32>
  %8 = nabla.square %0 : tensor<4x3xf32>
  %9 = nabla.erf %0 : tensor<4x3xf32>
  %10 = nabla.softplus %0 beta = 1.0 threshold = 20.0 : tensor<4x3xf32>
  %11 = nabla.rsqrt %0 : tensor<4x3xf32>
  return %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11
      : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>,
        tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>,
        tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}
