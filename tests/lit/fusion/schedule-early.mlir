// RUN: nabla-opt %s --nabla-schedule-early --split-input-file | FileCheck %s

// Two layers' backward as autodiff emits it: both input gradients, then
// both weight gradients, then both updates. Scheduled early, each weight
// gradient runs right after the output gradient it reads, and each update
// right after its gradient.
// CHECK-LABEL: func.func @backward
// CHECK:         %[[DY:.*]] = nabla.relu %arg0
// CHECK-NEXT:    %[[DX2:.*]] = nabla.matmul %[[DY]], %arg5
// CHECK-NEXT:    %[[DW2:.*]] = nabla.matmul %arg4, %[[DY]]
// CHECK-NEXT:    %[[S2:.*]] = nabla.mul %arg6, %[[DW2]]
// CHECK-NEXT:    nabla.sub %arg2, %[[S2]]
// CHECK-NEXT:    nabla.matmul %[[DX2]], %arg3
// CHECK-NEXT:    %[[DW1:.*]] = nabla.matmul %arg7, %[[DX2]]
// CHECK-NEXT:    %[[S1:.*]] = nabla.mul %arg6, %[[DW1]]
// CHECK-NEXT:    nabla.sub %arg1, %[[S1]]
// CHECK-NEXT:    return
func.func @backward(%g: tensor<8x16xf32>, %w1: tensor<4x16xf32>,
                    %w2: tensor<16x16xf32>, %w1t: tensor<16x4xf32>,
                    %h1t: tensor<16x8xf32>, %w2t: tensor<16x16xf32>,
                    %lr: tensor<f32>, %xt: tensor<4x8xf32>)
    -> (tensor<8x4xf32>, tensor<4x16xf32>, tensor<16x16xf32>) {
  %dy = nabla.relu %g : tensor<8x16xf32>
  %dx2 = nabla.matmul %dy, %w2t : tensor<8x16xf32>, tensor<16x16xf32> -> tensor<8x16xf32>
  %dx1 = nabla.matmul %dx2, %w1t : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  %dw2 = nabla.matmul %h1t, %dy : tensor<16x8xf32>, tensor<8x16xf32> -> tensor<16x16xf32>
  %dw1 = nabla.matmul %xt, %dx2 : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %s2 = nabla.mul %lr, %dw2 : tensor<f32>, tensor<16x16xf32> -> tensor<16x16xf32>
  %n2 = nabla.sub %w2, %s2 : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  %s1 = nabla.mul %lr, %dw1 : tensor<f32>, tensor<4x16xf32> -> tensor<4x16xf32>
  %n1 = nabla.sub %w1, %s1 : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return %dx1, %n1, %n2 : tensor<8x4xf32>, tensor<4x16xf32>, tensor<16x16xf32>
}

// -----

// Ops moved behind the same producer keep their order; an op that reads
// only arguments stays where it is.
// CHECK-LABEL: func.func @order_kept
// CHECK:         %[[A:.*]] = nabla.exp %arg0
// CHECK-NEXT:    nabla.neg %[[A]]
// CHECK-NEXT:    nabla.relu %[[A]]
// CHECK-NEXT:    nabla.tanh %arg0
func.func @order_kept(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %a = nabla.exp %x : tensor<4xf32>
  %t = nabla.tanh %x : tensor<4xf32>
  %n = nabla.neg %a : tensor<4xf32>
  %r = nabla.relu %a : tensor<4xf32>
  return %n, %r, %t : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
