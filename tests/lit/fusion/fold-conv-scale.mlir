// RUN: nabla-opt %s --split-input-file --nabla-fold-conv-scale | FileCheck %s

// Batch norm's inference form, conv * scale + shift: the scale moves into
// the weight, leaving a convolution and a bias add.
// CHECK-LABEL: func.func @scale_and_shift
// CHECK: %[[S:.*]] = nabla.reshape %{{.*}} -> tensor<6x1x1x1xf32>
// CHECK: %[[W:.*]] = nabla.mul %arg1, %[[S]]
// CHECK: %[[Y:.*]] = nabla.conv %arg0, %[[W]]
// CHECK-NOT: nabla.mul
// CHECK: nabla.add %[[Y]]
func.func @scale_and_shift(%x: tensor<2x4x7x7xf32>, %w: tensor<6x4x3x3xf32>, %s: tensor<6xf32>, %b: tensor<6xf32>) -> tensor<2x6x5x5xf32> {
  %y = nabla.conv %x, %w strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<2x4x7x7xf32>, tensor<6x4x3x3xf32> -> tensor<2x6x5x5xf32>
  %sc = nabla.reshape %s : tensor<6xf32> -> tensor<1x6x1x1xf32>
  %bc = nabla.reshape %b : tensor<6xf32> -> tensor<1x6x1x1xf32>
  %m = nabla.mul %y, %sc : tensor<2x6x5x5xf32>, tensor<1x6x1x1xf32> -> tensor<2x6x5x5xf32>
  %r = nabla.add %m, %bc : tensor<2x6x5x5xf32>, tensor<1x6x1x1xf32> -> tensor<2x6x5x5xf32>
  return %r : tensor<2x6x5x5xf32>
}

// -----

// A conv with its bias, then the scale ([O, 1, 1], on the left): the bias
// is scaled too.
// CHECK-LABEL: func.func @bias_then_scale
// CHECK: %[[W:.*]] = nabla.mul %arg1, %{{.*}} : tensor<6x2x3x3xf32>, tensor<6x1x1x1xf32>
// CHECK: %[[Y:.*]] = nabla.conv %arg0, %[[W]] strides = [2, 2] dilations = [1, 1] groups = 2
// CHECK: %[[B:.*]] = nabla.mul %arg3, %{{.*}} : tensor<1x6x1x1xf32>, tensor<1x6x1x1xf32>
// CHECK: %[[R:.*]] = nabla.add %[[Y]], %[[B]]
// CHECK: return %[[R]]
func.func @bias_then_scale(%x: tensor<2x4x7x7xf32>, %w: tensor<6x2x3x3xf32>, %s: tensor<6x1x1xf32>, %b: tensor<1x6x1x1xf32>) -> tensor<2x6x3x3xf32> {
  %y = nabla.conv %x, %w strides = [2, 2] dilations = [1, 1] groups = 2 : tensor<2x4x7x7xf32>, tensor<6x2x3x3xf32> -> tensor<2x6x3x3xf32>
  %a = nabla.add %y, %b : tensor<2x6x3x3xf32>, tensor<1x6x1x1xf32> -> tensor<2x6x3x3xf32>
  %m = nabla.mul %s, %a : tensor<6x1x1xf32>, tensor<2x6x3x3xf32> -> tensor<2x6x3x3xf32>
  return %m : tensor<2x6x3x3xf32>
}

// -----

// Nothing folds when the convolution has another use (the training form:
// the batch statistics read it), or the scale is not per channel.
// CHECK-LABEL: func.func @no_fold
// CHECK: %[[Y:.*]] = nabla.conv %arg0, %arg1
// CHECK: nabla.mul %[[Y]], %arg2
// CHECK: %[[Z:.*]] = nabla.conv %arg0, %arg1
// CHECK: nabla.mul %[[Z]], %arg3
func.func @no_fold(%x: tensor<2x4x7x7xf32>, %w: tensor<6x4x3x3xf32>, %s: tensor<1x6x1x1xf32>, %t: tensor<1x1x5x5xf32>) -> (tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>) {
  %y = nabla.conv %x, %w strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<2x4x7x7xf32>, tensor<6x4x3x3xf32> -> tensor<2x6x5x5xf32>
  %m = nabla.mul %y, %s : tensor<2x6x5x5xf32>, tensor<1x6x1x1xf32> -> tensor<2x6x5x5xf32>
  %z = nabla.conv %x, %w strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<2x4x7x7xf32>, tensor<6x4x3x3xf32> -> tensor<2x6x5x5xf32>
  %n = nabla.mul %z, %t : tensor<2x6x5x5xf32>, tensor<1x1x5x5xf32> -> tensor<2x6x5x5xf32>
  return %m, %y, %n : tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>, tensor<2x6x5x5xf32>
}
