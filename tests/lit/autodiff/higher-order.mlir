// RUN: nabla-opt %s --nabla-autodiff | nabla-opt | FileCheck %s
// RUN: nabla-opt %s --nabla-autodiff | nabla-opt --nabla-autodiff=function=mlp_grad | nabla-opt | FileCheck %s --check-prefix=TWICE

// The backward graph is built from differentiable nabla ops, so a function
// that already computes a gradient can be differentiated again. Each
// output is parsed once more by nabla-opt, so it is valid IR.

// Second order through relu: @hvp_relu computes the gradient of
// f(w) = 0.5 * sum(relu(x @ w)^2), dw = x^T @ relu_grad(h, relu(h)), by
// hand and returns <dw, v>, so @hvp_relu_grad returns the Hessian-vector
// product H v. relu_grad is linear in its dy operand, whose adjoint is a
// relu_grad again; its x operand gets nothing (relu'' = 0). relu's own
// adjoint masks with relu's result (the same mask as its operand's).
// CHECK-LABEL: func.func @hvp_relu_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4x3xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<8x4xf32> {nabla.input = "x"}, %[[V:[^:]+]]: tensor<4x3xf32> {nabla.input = "v"})
// CHECK-SAME:    -> (tensor<f32>, tensor<4x3xf32> {nabla.grad = "w"})
// CHECK-SAME:    attributes {nabla.gradient_of = "hvp_relu"}
// CHECK:         %[[H:.*]] = nabla.matmul %[[X]], %[[W]]
// CHECK:         %[[R:.*]] = nabla.relu %[[H]]
// CHECK:         %[[XT:.*]] = nabla.transpose %[[X]] [1, 0]
// CHECK:         %[[ONES:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<4x3xf32>
// CHECK:         %[[DDW:.*]] = nabla.mul %[[ONES]], %[[V]]
// CHECK:         %[[XTT:.*]] = nabla.transpose %[[XT]] [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK:         %[[DDH:.*]] = nabla.matmul %[[XTT]], %[[DDW]] : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
// CHECK:         %[[DR:.*]] = nabla.relu_grad %[[H]], %[[DDH]] : tensor<8x3xf32>
// CHECK:         %[[DH:.*]] = nabla.relu_grad %[[R]], %[[DR]] : tensor<8x3xf32>
// CHECK:         %[[XT2:.*]] = nabla.transpose %[[X]] [1, 0]
// CHECK:         %[[HV:.*]] = nabla.matmul %[[XT2]], %[[DH]] : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[HV]] : tensor<f32>, tensor<4x3xf32>
func.func @hvp_relu(%w: tensor<4x3xf32> {nabla.param = "w"}, %x: tensor<8x4xf32> {nabla.input = "x"}, %v: tensor<4x3xf32> {nabla.input = "v"}) -> tensor<f32> attributes {nabla.model} {
  %h = nabla.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %r = nabla.relu %h : tensor<8x3xf32>
  %dh = nabla.relu_grad %h, %r : tensor<8x3xf32>
  %xt = nabla.transpose %x [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %dw = nabla.matmul %xt, %dh : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
  %p = nabla.mul %dw, %v : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %s = nabla.sum %p axes = [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// Second order through tanh: the hand-written gradient of sum(tanh(x @ w))
// is dw = x^T @ (1 - y * y) with y = tanh(x @ w). Differentiating <dw, v>
// sums the two adjoints of y in y * y (fan-out) and applies tanh's rule.
// CHECK-LABEL: func.func @hvp_tanh_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4x3xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<8x4xf32> {nabla.input = "x"}, %[[V:[^:]+]]: tensor<4x3xf32> {nabla.input = "v"})
// CHECK:         %[[Y:.*]] = nabla.tanh
// CHECK:         %[[DDH:.*]] = nabla.matmul %{{.*}} : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
// CHECK:         %[[DYY:.*]] = nabla.neg %[[DDH]]
// CHECK:         %[[A1:.*]] = nabla.mul %[[DYY]], %[[Y]]
// CHECK:         %[[A2:.*]] = nabla.mul %[[DYY]], %[[Y]]
// CHECK:         %[[DY:.*]] = nabla.add %[[A1]], %[[A2]]
// CHECK-DAG:     %[[ONE:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[YSQ:.*]] = nabla.mul %[[Y]], %[[Y]]
// CHECK:         %[[DTANH:.*]] = nabla.sub %[[ONE]], %[[YSQ]]
// CHECK:         %[[DH:.*]] = nabla.mul %[[DY]], %[[DTANH]]
// CHECK:         %[[XT:.*]] = nabla.transpose %[[X]] [1, 0]
// CHECK:         %[[HV:.*]] = nabla.matmul %[[XT]], %[[DH]]
// CHECK-NEXT:    return %{{.*}}, %[[HV]] : tensor<f32>, tensor<4x3xf32>
func.func @hvp_tanh(%w: tensor<4x3xf32> {nabla.param = "w"}, %x: tensor<8x4xf32> {nabla.input = "x"}, %v: tensor<4x3xf32> {nabla.input = "v"}) -> tensor<f32> attributes {nabla.model} {
  %h = nabla.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %y = nabla.tanh %h : tensor<8x3xf32>
  %one = nabla.constant dense<1.0> : tensor<f32>
  %yy = nabla.mul %y, %y : tensor<8x3xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
  %dh = nabla.sub %one, %yy : tensor<f32>, tensor<8x3xf32> -> tensor<8x3xf32>
  %xt = nabla.transpose %x [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %dw = nabla.matmul %xt, %dh : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
  %p = nabla.mul %dw, %v : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %s = nabla.sum %p axes = [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// The pass applied to its own output: @mlp_grad is a valid input (its
// first result is still the loss), and differentiating it by name gives
// @mlp_grad_grad. The first-order gradient is an ordinary result there: it
// does not reach the loss, so it gets no backward code, and the new
// gradient is the same relu_grad / transpose / matmul chain again.
// CHECK-LABEL: func.func @mlp_grad
// CHECK-SAME:    attributes {nabla.gradient_of = "mlp"}
// TWICE-LABEL: func.func @mlp_grad_grad
// TWICE-SAME:    (%[[W:[^:]+]]: tensor<4x3xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<8x4xf32> {nabla.input = "x"}, %[[T:[^:]+]]: tensor<8x3xf32> {nabla.input = "t"})
// TWICE-SAME:    -> (tensor<f32>, tensor<4x3xf32> {nabla.output = "grad:w"}, tensor<4x3xf32> {nabla.grad = "w"})
// TWICE-SAME:    attributes {nabla.gradient_of = "mlp_grad"}
// TWICE:         %[[H:.*]] = nabla.matmul %[[X]], %[[W]]
// TWICE:         %[[Y:.*]] = nabla.relu %[[H]]
// TWICE:         %[[L:.*]] = nabla.mse
// TWICE:         %[[G1:.*]] = nabla.relu_grad %[[Y]]
// TWICE:         %[[DW1:.*]] = nabla.matmul %{{.*}}, %[[G1]]
// TWICE:         %[[G2:.*]] = nabla.relu_grad %[[Y]]
// TWICE-NOT:     nabla.relu_grad
// TWICE:         %[[DW2:.*]] = nabla.matmul %{{.*}}, %[[G2]]
// TWICE-NEXT:    return %[[L]], %[[DW1]], %[[DW2]] : tensor<f32>, tensor<4x3xf32>, tensor<4x3xf32>
func.func @mlp(%w: tensor<4x3xf32> {nabla.param = "w"}, %x: tensor<8x4xf32> {nabla.input = "x"}, %t: tensor<8x3xf32> {nabla.input = "t"}) -> tensor<f32> attributes {nabla.model} {
  %h = nabla.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %y = nabla.relu %h : tensor<8x3xf32>
  %l = nabla.mse %y, %t : tensor<8x3xf32>, tensor<8x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
