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

// -----

// concat along dim 1 of w [4, 3], w and v [4, 2]: each input's adjoint is
// its box of dy (columns 0-2, 3-5, 6-7), and w's two add.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} -> tensor<4x8xf32>
// CHECK-DAG:     %[[D0:.*]] = nabla.slice %[[DY]] offsets = [0, 0] strides = [1, 1] : tensor<4x8xf32> -> tensor<4x3xf32>
// CHECK-DAG:     %[[D1:.*]] = nabla.slice %[[DY]] offsets = [0, 3] strides = [1, 1] : tensor<4x8xf32> -> tensor<4x3xf32>
// CHECK-DAG:     %[[DV:.*]] = nabla.slice %[[DY]] offsets = [0, 6] strides = [1, 1] : tensor<4x8xf32> -> tensor<4x2xf32>
// CHECK:         %[[DW:.*]] = nabla.add %[[D0]], %[[D1]]
// CHECK:         return %{{.*}}, %[[DW]], %[[DV]]
func.func @f(%w: tensor<4x3xf32> {nabla.param = "w"}, %v: tensor<4x2xf32> {nabla.param = "v"}) -> tensor<f32> attributes {nabla.model} {
  %c = nabla.concat %w, %w, %v axis = 1 : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x2xf32> -> tensor<4x8xf32>
  %0 = nabla.sum %c axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Slices of w [6, 2] along dim 0 at rows 3-4 and 0-1, each used once: their
// adjoints (zero pads of dy) are not added, each as big as w, but joined
// into one concat in row order with zeros in the gaps (row 2, row 5).
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[S3:.*]] = nabla.slice %{{.*}} offsets = [3, 0]
// CHECK:         %[[S0:.*]] = nabla.slice %{{.*}} offsets = [0, 0]
// CHECK:         nabla.sum
// CHECK:         %[[D3:.*]] = nabla.mul %{{.*}}, %[[S0]]
// CHECK:         %[[D0:.*]] = nabla.mul %{{.*}}, %[[S3]]
// CHECK:         %[[Z1:.*]] = nabla.constant dense<0.000000e+00> : tensor<1x2xf32>
// CHECK:         %[[Z2:.*]] = nabla.constant dense<0.000000e+00> : tensor<1x2xf32>
// CHECK:         %[[DW:.*]] = nabla.concat %[[D0]], %[[Z1]], %[[D3]], %[[Z2]] axis = 0 : tensor<2x2xf32>, tensor<1x2xf32>, tensor<2x2xf32>, tensor<1x2xf32> -> tensor<6x2xf32>
// CHECK-NOT:     nabla.add
// CHECK:         return %{{.*}}, %[[DW]]
func.func @f(%w: tensor<6x2xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %a = nabla.slice %w offsets = [3, 0] strides = [1, 1] : tensor<6x2xf32> -> tensor<2x2xf32>
  %b = nabla.slice %w offsets = [0, 0] strides = [1, 1] : tensor<6x2xf32> -> tensor<2x2xf32>
  %m = nabla.mul %a, %b : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  %0 = nabla.sum %m axes = [0, 1] : tensor<2x2xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Overlapping slices (rows 0-2 and 1-3) cannot be joined: their pads add.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[P1:.*]] = nabla.pad %{{.*}} low = [1, 0] high = [0, 0]
// CHECK:         %[[P0:.*]] = nabla.pad %{{.*}} low = [0, 0] high = [1, 0]
// CHECK-NOT:     nabla.concat
// CHECK:         %[[DW:.*]] = nabla.add %[[P1]], %[[P0]]
// CHECK:         return %{{.*}}, %[[DW]]
func.func @f(%w: tensor<4x2xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %a = nabla.slice %w offsets = [0, 0] strides = [1, 1] : tensor<4x2xf32> -> tensor<3x2xf32>
  %b = nabla.slice %w offsets = [1, 0] strides = [1, 1] : tensor<4x2xf32> -> tensor<3x2xf32>
  %m = nabla.mul %a, %b : tensor<3x2xf32>, tensor<3x2xf32> -> tensor<3x2xf32>
  %0 = nabla.sum %m axes = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
