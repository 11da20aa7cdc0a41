// RUN: nabla-opt %s --nabla-autodiff --split-input-file | FileCheck %s
// RUN: nabla-opt %s --nabla-autodiff --nabla-autodiff --split-input-file | FileCheck %s --check-prefix=TWICE

// An op whose operands are all integers (one_hot of labels) is a leaf: the
// sweep stops there instead of failing, and w still gets its gradient.
// CHECK-LABEL: func.func @onehot_grad
// CHECK-SAME:    -> (tensor<f32>, tensor<4x3xf32> {nabla.grad = "w"})
// CHECK:         %[[OH:.*]] = nabla.one_hot
// CHECK:         nabla.constant {nabla.loss_seed} dense<1.000000e+00>
// CHECK:         %[[DW:.*]] = nabla.mul %{{.*}}, %[[OH]]
// CHECK:         return %{{.*}}, %[[DW]]
func.func @onehot(%w: tensor<4x3xf32> {nabla.param = "w"}, %labels: tensor<4xi32> {nabla.input = "labels"}) -> tensor<f32> attributes {nabla.model} {
  %oh = nabla.one_hot %labels : tensor<4xi32> -> tensor<4x3xf32>
  %p = nabla.mul %w, %oh : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %s = nabla.sum %p axes = [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// An integer parameter gets no gradient (as with wrt, which rejects it);
// the float one does.
// CHECK-LABEL: func.func @intparam_grad
// CHECK-SAME:    -> (tensor<f32>, tensor<4xf32> {nabla.grad = "w"})
// CHECK-NOT:     nabla.grad = "k"
func.func @intparam(%w: tensor<4xf32> {nabla.param = "w"}, %k: tensor<4xi32> {nabla.param = "k"}) -> tensor<f32> attributes {nabla.model} {
  %c = nabla.cast %k : tensor<4xi32> -> tensor<4xf32>
  %p = nabla.mul %w, %c : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %s = nabla.sum %p axes = [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// Running the pass twice adds nothing the second time: one @twice_grad.
// TWICE-LABEL: func.func @twice_grad
// TWICE-NOT:   func.func @twice_grad
// TWICE-NOT:   func.func @twice_grad_grad
func.func @twice(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %p = nabla.mul %w, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %s = nabla.sum %p axes = [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
