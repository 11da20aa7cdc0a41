// RUN: nabla-opt %s --nabla-autodiff --split-input-file | FileCheck %s

// The derivative rules of the window ops (ir/Derivatives.cpp): pad and
// slice are each other's adjoints; conv's input adjoint is conv_transpose
// and its weight adjoint conv_weight_grad, with the same strides,
// dilations and groups; max_pool's is max_pool_grad of its operand.

// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<2x4x7x7xf32> {nabla.param = "x"}, %[[W:[^:]+]]: tensor<6x2x3x3xf32> {nabla.param = "w"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} -> tensor<2x6x3x3xf32>
// CHECK-DAG:     %[[DX:.*]] = nabla.conv_transpose %[[DY]], %[[W]] strides = [2, 2] dilations = [1, 1] groups = 2 : tensor<2x6x3x3xf32>, tensor<6x2x3x3xf32> -> tensor<2x4x7x7xf32>
// CHECK-DAG:     %[[DW:.*]] = nabla.conv_weight_grad %[[X]], %[[DY]] strides = [2, 2] dilations = [1, 1] groups = 2 : tensor<2x4x7x7xf32>, tensor<2x6x3x3xf32> -> tensor<6x2x3x3xf32>
// CHECK:         return %{{.*}}, %[[DX]], %[[DW]]
func.func @f(%x: tensor<2x4x7x7xf32> {nabla.param = "x"}, %w: tensor<6x2x3x3xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %y = nabla.conv %x, %w strides = [2, 2] dilations = [1, 1] groups = 2 : tensor<2x4x7x7xf32>, tensor<6x2x3x3xf32> -> tensor<2x6x3x3xf32>
  %0 = nabla.sum %y axes = [0, 1, 2, 3] : tensor<2x6x3x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// pad low [1, 0] interior [0, 2]: the adjoint reads dy from offset [1, 0]
// every [1, 3] elements.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} -> tensor<6x8xf32>
// CHECK:         %[[DW:.*]] = nabla.slice %[[DY]] offsets = [1, 0] strides = [1, 3] : tensor<6x8xf32> -> tensor<4x3xf32>
// CHECK:         return %{{.*}}, %[[DW]]
func.func @f(%w: tensor<4x3xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %p = nabla.pad %w low = [1, 0] high = [1, 1] interior = [0, 2] value = 5.0 : tensor<4x3xf32> -> tensor<6x8xf32>
  %0 = nabla.sum %p axes = [0, 1] : tensor<6x8xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// slice offsets [1, 2] strides [2, 1] of 7x6 to 3x3: the adjoint pads dy
// back to 7x6 with zeros (high: 7 - 1 - 2*2 - 1 = 1, 6 - 2 - 2 - 1 = 1).
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} -> tensor<3x3xf32>
// CHECK:         %[[DW:.*]] = nabla.pad %[[DY]] low = [1, 2] high = [1, 1] interior = [1, 0] value = 0.000000e+00 : tensor<3x3xf32> -> tensor<7x6xf32>
// CHECK:         return %{{.*}}, %[[DW]]
func.func @f(%w: tensor<7x6xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %s = nabla.slice %w offsets = [1, 2] strides = [2, 1] : tensor<7x6xf32> -> tensor<3x3xf32>
  %0 = nabla.sum %s axes = [0, 1] : tensor<3x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<2x4x7x7xf32>
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} -> tensor<2x4x3x3xf32>
// CHECK:         %[[DW:.*]] = nabla.max_pool_grad %[[W]], %[[DY]] kernel = [3, 3] strides = [2, 2] dilations = [1, 1] : tensor<2x4x7x7xf32>, tensor<2x4x3x3xf32> -> tensor<2x4x7x7xf32>
// CHECK:         return %{{.*}}, %[[DW]]
func.func @f(%w: tensor<2x4x7x7xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %m = nabla.max_pool %w kernel = [3, 3] strides = [2, 2] dilations = [1, 1] : tensor<2x4x7x7xf32> -> tensor<2x4x3x3xf32>
  %0 = nabla.sum %m axes = [0, 1, 2, 3] : tensor<2x4x3x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
