// RUN: nabla-opt %s --nabla-autodiff=wrt=labels --split-input-file --verify-diagnostics

// What `wrt` may name: an argument that exists (nabla.param or nabla.input)
// and is a float tensor. Both splits ask for wrt=labels.

// No argument is named 'labels'.
// expected-error @+1 {{nabla-autodiff: @no_such_argument has no argument named 'labels'}}
func.func @no_such_argument(%w: tensor<4xf32> {nabla.param = "w"}, %x: tensor<4xf32> {nabla.input = "x"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mul %w, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// 'labels' is an integer input: nothing to differentiate with respect to.
// expected-error @+1 {{nabla-autodiff: cannot differentiate with respect to 'labels', which is not a float tensor}}
func.func @integer_input(%w: tensor<8x10xf32> {nabla.param = "w"}, %labels: tensor<8xi32> {nabla.input = "labels"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.cross_entropy %w, %labels : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return %0 : tensor<f32>
}
