// RUN: nabla-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// pad, slice, concat, the convolution family and max pooling: each parses, prints
// and verifies; the verifier names the shapes when they do not fit.

// CHECK-LABEL: func.func @round_trip
// CHECK: nabla.pad %{{.*}} low = [0, 0, 1, 1] high = [0, 0, 1, 0] interior = [0, 0, 1, 0] value = -1.000000e+00
// CHECK: nabla.slice %{{.*}} offsets = [0, 0, 1, 0] strides = [1, 1, 2, 3]
// CHECK: nabla.concat %{{.*}}, %{{.*}}, %{{.*}} axis = 2 : tensor<2x4x7x7xf32>, tensor<2x4x3x7xf32>, tensor<2x4x7x7xf32> -> tensor<2x4x17x7xf32>
// CHECK: nabla.conv %{{.*}}, %{{.*}} strides = [2, 2] dilations = [1, 1] groups = 2
// CHECK: nabla.conv_transpose %{{.*}}, %{{.*}} strides = [2, 2] dilations = [1, 1] groups = 2
// CHECK: nabla.conv_weight_grad %{{.*}}, %{{.*}} strides = [2, 2] dilations = [1, 1] groups = 2
// CHECK: nabla.max_pool %{{.*}} kernel = [3, 3] strides = [2, 2] dilations = [1, 1]
// CHECK: nabla.max_pool_grad %{{.*}}, %{{.*}} kernel = [3, 3] strides = [2, 2] dilations = [1, 1]
func.func @round_trip(%x: tensor<2x4x7x7xf32>, %w: tensor<6x2x3x3xf32>, %dy: tensor<2x6x3x3xf32>, %i: tensor<2x4x7x7xi32>) {
  %p = nabla.pad %i low = [0, 0, 1, 1] high = [0, 0, 1, 0] interior = [0, 0, 1, 0] value = -1.0 : tensor<2x4x7x7xi32> -> tensor<2x4x15x8xi32>
  %s = nabla.slice %x offsets = [0, 0, 1, 0] strides = [1, 1, 2, 3] : tensor<2x4x7x7xf32> -> tensor<2x4x3x3xf32>
  %s2 = nabla.slice %x offsets = [0, 0, 1, 0] strides = [1, 1, 2, 1] : tensor<2x4x7x7xf32> -> tensor<2x4x3x7xf32>
  %c = nabla.concat %x, %s2, %x axis = 2 : tensor<2x4x7x7xf32>, tensor<2x4x3x7xf32>, tensor<2x4x7x7xf32> -> tensor<2x4x17x7xf32>
  %y = nabla.conv %x, %w strides = [2, 2] dilations = [1, 1] groups = 2 : tensor<2x4x7x7xf32>, tensor<6x2x3x3xf32> -> tensor<2x6x3x3xf32>
  %dx = nabla.conv_transpose %dy, %w strides = [2, 2] dilations = [1, 1] groups = 2 : tensor<2x6x3x3xf32>, tensor<6x2x3x3xf32> -> tensor<2x4x7x7xf32>
  %dw = nabla.conv_weight_grad %x, %dy strides = [2, 2] dilations = [1, 1] groups = 2 : tensor<2x4x7x7xf32>, tensor<2x6x3x3xf32> -> tensor<6x2x3x3xf32>
  %m = nabla.max_pool %x kernel = [3, 3] strides = [2, 2] dilations = [1, 1] : tensor<2x4x7x7xf32> -> tensor<2x4x3x3xf32>
  %g = nabla.max_pool_grad %x, %m kernel = [3, 3] strides = [2, 2] dilations = [1, 1] : tensor<2x4x7x7xf32>, tensor<2x4x3x3xf32> -> tensor<2x4x7x7xf32>
  return
}

// -----

func.func @pad_size(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'nabla.pad' op result [6, 5] should be [6, 9]}}
  %p = nabla.pad %x low = [1, 0] high = [1, 0] interior = [0, 1] value = 0.0 : tensor<4x5xf32> -> tensor<6x5xf32>
  return
}

// -----

func.func @concat_sum(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'nabla.concat' op result dim 1 is 9, the inputs' sum to 10}}
  %c = nabla.concat %x, %x axis = 1 : tensor<4x5xf32>, tensor<4x5xf32> -> tensor<4x9xf32>
  return
}

// -----

func.func @concat_other_dim(%x: tensor<4x5xf32>, %y: tensor<3x5xf32>) {
  // expected-error @+1 {{'nabla.concat' op input [3, 5] does not match result [4, 10] but for dim 1}}
  %c = nabla.concat %x, %y axis = 1 : tensor<4x5xf32>, tensor<3x5xf32> -> tensor<4x10xf32>
  return
}

// -----

func.func @concat_axis(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'nabla.concat' op axis 2 is out of range for rank 2}}
  %c = nabla.concat %x axis = 2 : tensor<4x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @slice_outside(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'nabla.slice' op result [2, 3] at offsets [3, 0] with strides [1, 2] does not fit in [4, 5]}}
  %s = nabla.slice %x offsets = [3, 0] strides = [1, 2] : tensor<4x5xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<2x3x7x7xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{'nabla.conv' op input [2, 3, 7, 7] has 3 channels; weight [6, 2, 3, 3] with groups = 1 needs 2 and 6 output channels divisible by the groups}}
  %y = nabla.conv %x, %w strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<2x3x7x7xf32>, tensor<6x2x3x3xf32> -> tensor<2x6x5x5xf32>
  return
}

// -----

func.func @conv_output(%x: tensor<2x4x7x7xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nabla.conv' op output [2, 6, 5, 5] should be [2, 6, 3, 3] for input [2, 4, 7, 7] and weight [6, 4, 3, 3]}}
  %y = nabla.conv %x, %w strides = [2, 2] dilations = [1, 1] groups = 1 : tensor<2x4x7x7xf32>, tensor<6x4x3x3xf32> -> tensor<2x6x5x5xf32>
  return
}

// -----

// The transposed convolution's result is the input of the convolution
// whose output is its operand: 6x6 input and 3x3 windows at stride 2 give
// 2x2, not 3x3.
func.func @conv_transpose_size(%dy: tensor<2x6x3x3xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nabla.conv_transpose' op output [2, 6, 3, 3] should be [2, 6, 2, 2] for input [2, 4, 6, 6] and weight [6, 4, 3, 3]}}
  %dx = nabla.conv_transpose %dy, %w strides = [2, 2] dilations = [1, 1] groups = 1 : tensor<2x6x3x3xf32>, tensor<6x4x3x3xf32> -> tensor<2x4x6x6xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<2x4x7x7xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nabla.conv' op strides [1] needs 2 entries, one per spatial dim}}
  %y = nabla.conv %x, %w strides = [1] dilations = [1, 1] groups = 1 : tensor<2x4x7x7xf32>, tensor<6x4x3x3xf32> -> tensor<2x6x5x5xf32>
  return
}

// -----

func.func @pool_output(%x: tensor<2x4x7x7xf32>) {
  // expected-error @+1 {{'nabla.max_pool' op output [2, 4, 3, 3] should be [2, 4, 6, 6] for input [2, 4, 7, 7]}}
  %m = nabla.max_pool %x kernel = [2, 2] strides = [1, 1] dilations = [1, 1] : tensor<2x4x7x7xf32> -> tensor<2x4x3x3xf32>
  return
}

// -----

// Sizes from a hostile file: no overflow, an error.
func.func @pad_huge(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'nabla.pad' op padded dim 1 is too large}}
  %p = nabla.pad %x low = [0, 0] high = [0, 0] interior = [0, 4611686018427387904] value = 0.0 : tensor<4x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @conv_huge_dilation(%x: tensor<2x4x7x7xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nabla.conv' op output [2, 6, 5, 5] should be [2, 6, 0, 0] for input [2, 4, 7, 7] and weight [6, 4, 3, 3]}}
  %y = nabla.conv %x, %w strides = [1, 1] dilations = [9223372036854775807, 9223372036854775807] groups = 1 : tensor<2x4x7x7xf32>, tensor<6x4x3x3xf32> -> tensor<2x6x5x5xf32>
  return
}
