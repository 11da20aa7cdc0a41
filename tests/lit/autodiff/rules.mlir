// RUN: nabla-opt %s --nabla-autodiff --split-input-file | FileCheck %s

// The derivative rule of every differentiable nabla op (ir/Derivatives.cpp),
// one op per split. Each @f takes the value to differentiate as the
// parameter "w", so @f_grad returns d(loss)/dw after the loss. Most losses
// are sum(y), whose adjoint dy is ones broadcast to y's shape; the checks
// follow the SSA values from dy to the returned gradient.
//
// Where a rule passes two freshly built values to one builder call, C++
// leaves their order unspecified; those pairs are CHECK-DAG.

// sum: the adjoint of a reduction is copied back along the reduced axes,
// reshaping first to keep them as size 1 (keepdims) and then broadcasting.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<8x10xf32> {nabla.param = "w"})
// CHECK:         %[[ROWS:.*]] = nabla.sum %[[W]] axes = [1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK:         %[[L:.*]] = nabla.sum %[[ROWS]] axes = [0] : tensor<8xf32> -> tensor<f32>
// CHECK:         %[[SEED:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[SEED1:.*]] = nabla.reshape %[[SEED]] : tensor<f32> -> tensor<1xf32>
// CHECK:         %[[DROWS:.*]] = nabla.broadcast_to %[[SEED1]] : tensor<1xf32> -> tensor<8xf32>
// CHECK:         %[[KEPT:.*]] = nabla.reshape %[[DROWS]] : tensor<8xf32> -> tensor<8x1xf32>
// CHECK:         %[[DW:.*]] = nabla.broadcast_to %[[KEPT]] : tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK:         return %[[L]], %[[DW]] : tensor<f32>, tensor<8x10xf32>
func.func @f(%w: tensor<8x10xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.sum %w axes = [1] : tensor<8x10xf32> -> tensor<8xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<8xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// sum keepdims: the reduced axes are already there, so only a broadcast.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[ROWS:.*]] = nabla.sum %{{.*}} axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK:         %[[DROWS:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<8x1xf32>
// CHECK-NOT:     nabla.reshape
// CHECK:         %[[DW:.*]] = nabla.broadcast_to %[[DROWS]] : tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK:         return %{{.*}}, %[[DW]]
func.func @f(%w: tensor<8x10xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.sum %w axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<8x1xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// add: both operands receive dy unchanged.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[V:[^:]+]]: tensor<4xf32> {nabla.param = "v"})
// CHECK:         %[[L:.*]] = nabla.sum
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK-NOT:     nabla.
// CHECK:         return %[[L]], %[[DY]], %[[DY]] : tensor<f32>, tensor<4xf32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}, %v: tensor<4xf32> {nabla.param = "v"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.add %w, %v : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// sub: dy for the lhs, -dy for the rhs.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[NDY:.*]] = nabla.neg %[[DY]] : tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DY]], %[[NDY]] : tensor<f32>, tensor<4xf32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}, %v: tensor<4xf32> {nabla.param = "v"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.sub %w, %v : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// mul: each operand receives dy times the other operand.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[V:[^:]+]]: tensor<4xf32> {nabla.param = "v"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[DY]], %[[V]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DV:.*]] = nabla.mul %[[DY]], %[[W]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]], %[[DV]] : tensor<f32>, tensor<4xf32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}, %v: tensor<4xf32> {nabla.param = "v"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mul %w, %v : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// div: y = w / v gives dw = dy / v and dv = -(dy * y) / v.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[V:[^:]+]]: tensor<4xf32> {nabla.param = "v"})
// CHECK:         %[[Y:.*]] = nabla.div %[[W]], %[[V]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.div %[[DY]], %[[V]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DYY:.*]] = nabla.mul %[[DY]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[Q:.*]] = nabla.div %[[DYY]], %[[V]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DV:.*]] = nabla.neg %[[Q]] : tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]], %[[DV]] : tensor<f32>, tensor<4xf32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}, %v: tensor<4xf32> {nabla.param = "v"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.div %w, %v : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// pow: y = w ** p gives dw = dy * p * w ** (p - 1) and dp = dy * y * log(w).
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[P:[^:]+]]: tensor<4xf32> {nabla.param = "p"})
// CHECK:         %[[Y:.*]] = nabla.pow %[[W]], %[[P]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[ONE:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[PM1:.*]] = nabla.sub %[[P]], %[[ONE]] : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK-DAG:     %[[WPM1:.*]] = nabla.pow %[[W]], %[[PM1]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[DYP:.*]] = nabla.mul %[[DY]], %[[P]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[DYP]], %[[WPM1]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[LOGW:.*]] = nabla.log %[[W]] : tensor<4xf32>
// CHECK-DAG:     %[[DYY:.*]] = nabla.mul %[[DY]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DP:.*]] = nabla.mul %[[DYY]], %[[LOGW]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]], %[[DP]] : tensor<f32>, tensor<4xf32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}, %p: tensor<4xf32> {nabla.param = "p"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.pow %w, %p : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// pow by a scalar exponent: the exponent's adjoint is summed back to rank 0.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[P:[^:]+]]: tensor<f32> {nabla.param = "p"})
// CHECK:         %[[DW:.*]] = nabla.mul %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[LOGW:.*]] = nabla.log %[[W]] : tensor<4xf32>
// CHECK:         %[[DP4:.*]] = nabla.mul %{{.*}}, %[[LOGW]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DP1:.*]] = nabla.sum %[[DP4]] axes = [0] keepdims : tensor<4xf32> -> tensor<1xf32>
// CHECK:         %[[DP:.*]] = nabla.reshape %[[DP1]] : tensor<1xf32> -> tensor<f32>
// CHECK:         return %{{.*}}, %[[DW]], %[[DP]] : tensor<f32>, tensor<4xf32>, tensor<f32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}, %p: tensor<f32> {nabla.param = "p"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.pow %w, %p : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// max: dy goes to the larger operand; ties give each operand half
// (weights gt + 0.5 * eq for w and lt + 0.5 * eq for v, as torch.maximum).
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[V:[^:]+]]: tensor<4xf32> {nabla.param = "v"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[HALF:.*]] = nabla.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG:     %[[EQ:.*]] = nabla.compare "eq", %[[W]], %[[V]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
// CHECK-DAG:     %[[EQF:.*]] = nabla.cast %[[EQ]] : tensor<4xi1> -> tensor<4xf32>
// CHECK:         %[[TIE:.*]] = nabla.mul %[[EQF]], %[[HALF]] : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK:         %[[GT:.*]] = nabla.compare "gt", %[[W]], %[[V]]
// CHECK:         %[[GTF:.*]] = nabla.cast %[[GT]] : tensor<4xi1> -> tensor<4xf32>
// CHECK:         %[[WW:.*]] = nabla.add %[[GTF]], %[[TIE]]
// CHECK:         %[[LT:.*]] = nabla.compare "lt", %[[W]], %[[V]]
// CHECK:         %[[LTF:.*]] = nabla.cast %[[LT]] : tensor<4xi1> -> tensor<4xf32>
// CHECK:         %[[WV:.*]] = nabla.add %[[LTF]], %[[TIE]]
// CHECK:         %[[DW:.*]] = nabla.mul %[[DY]], %[[WW]]
// CHECK:         %[[DV:.*]] = nabla.mul %[[DY]], %[[WV]]
// CHECK:         return %{{.*}}, %[[DW]], %[[DV]] : tensor<f32>, tensor<4xf32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}, %v: tensor<4xf32> {nabla.param = "v"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.max %w, %v : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// neg: dw = -dy.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.neg %[[DY]] : tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.neg %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// relu: relu_grad masks dy with the forward *result* (y > 0 exactly where
// x > 0), so the backward pass needs only the activation.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[Y:.*]] = nabla.relu %[[W]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.relu_grad %[[Y]], %[[DY]] : tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.relu %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// sigmoid: dw = dy * y * (1 - y), with y the forward *result*.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[Y:.*]] = nabla.sigmoid %[[W]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[ONE:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[OMY:.*]] = nabla.sub %[[ONE]], %[[Y]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[D:.*]] = nabla.mul %[[Y]], %[[OMY]]
// CHECK:         %[[DW:.*]] = nabla.mul %[[DY]], %[[D]]
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.sigmoid %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// tanh: dw = dy * (1 - y * y), with y the forward *result*.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[Y:.*]] = nabla.tanh %[[W]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[ONE:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[YY:.*]] = nabla.mul %[[Y]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[D:.*]] = nabla.sub %[[ONE]], %[[YY]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[DY]], %[[D]]
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.tanh %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// exp: dw = dy * y, with y = exp(w) the forward *result*.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[Y:.*]] = nabla.exp %[[W]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[DY]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.exp %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// log: dw = dy / w, dividing by the forward *operand*.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[Y:.*]] = nabla.log %[[W]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.div %[[DY]], %[[W]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.log %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// sqrt: dw = dy / (2 * y), with y = sqrt(w) the forward *result*.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[Y:.*]] = nabla.sqrt %[[W]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[TWO:.*]] = nabla.constant dense<2.000000e+00> : tensor<f32>
// CHECK:         %[[TWOY:.*]] = nabla.mul %[[TWO]], %[[Y]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DW:.*]] = nabla.div %[[DY]], %[[TWOY]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.sqrt %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// cast f32 -> f16 -> f32: each cast passes dy back cast to its operand's type.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[DH:.*]] = nabla.cast %[[DY]] : tensor<4xf32> -> tensor<4xf16>
// CHECK:         %[[DW:.*]] = nabla.cast %[[DH]] : tensor<4xf16> -> tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @f(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.cast %w : tensor<4xf32> -> tensor<4xf16>
  %1 = nabla.cast %0 : tensor<4xf16> -> tensor<4xf32>
  %2 = nabla.sum %1 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// mean: like sum, divided by the number of elements averaged: 8 along
// axis 0 of an 8x10 tensor (not 10, not 80).
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<10xf32>
// CHECK:         %[[N:.*]] = nabla.constant dense<8.000000e+00> : tensor<f32>
// CHECK:         %[[SCALED:.*]] = nabla.div %[[DY]], %[[N]] : tensor<10xf32>, tensor<f32> -> tensor<10xf32>
// CHECK:         %[[KEPT:.*]] = nabla.reshape %[[SCALED]] : tensor<10xf32> -> tensor<1x10xf32>
// CHECK:         %[[DW:.*]] = nabla.broadcast_to %[[KEPT]] : tensor<1x10xf32> -> tensor<8x10xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<8x10xf32>
func.func @f(%w: tensor<8x10xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mean %w axes = [0] : tensor<8x10xf32> -> tensor<10xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<10xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// reduce_max: dy is spread evenly over the elements equal to the maximum:
// dw = (w == max) * dy / count(w == max), counting along the reduced axis.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<8x10xf32> {nabla.param = "w"})
// CHECK:         %[[M:.*]] = nabla.reduce_max %[[W]] axes = [1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<8xf32>
// CHECK:         %[[MK:.*]] = nabla.reshape %[[M]] : tensor<8xf32> -> tensor<8x1xf32>
// CHECK:         %[[DYK:.*]] = nabla.reshape %[[DY]] : tensor<8xf32> -> tensor<8x1xf32>
// CHECK:         %[[EQ:.*]] = nabla.compare "eq", %[[W]], %[[MK]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xi1>
// CHECK:         %[[MASK:.*]] = nabla.cast %[[EQ]] : tensor<8x10xi1> -> tensor<8x10xf32>
// CHECK:         %[[COUNT:.*]] = nabla.sum %[[MASK]] axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK:         %[[SHARE:.*]] = nabla.div %[[DYK]], %[[COUNT]] : tensor<8x1xf32>, tensor<8x1xf32> -> tensor<8x1xf32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[MASK]], %[[SHARE]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<8x10xf32>
func.func @f(%w: tensor<8x10xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.reduce_max %w axes = [1] : tensor<8x10xf32> -> tensor<8xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<8xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// matmul: C = A @ B gives dA = dC @ B^T and dB = A^T @ dC.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<8x4xf32> {nabla.param = "w"}, %[[B:[^:]+]]: tensor<4x3xf32> {nabla.param = "b"})
// CHECK:         %[[DC:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<8x3xf32>
// CHECK:         %[[BT:.*]] = nabla.transpose %[[B]] [1, 0] : tensor<4x3xf32> -> tensor<3x4xf32>
// CHECK:         %[[DA:.*]] = nabla.matmul %[[DC]], %[[BT]] : tensor<8x3xf32>, tensor<3x4xf32> -> tensor<8x4xf32>
// CHECK:         %[[AT:.*]] = nabla.transpose %[[A]] [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
// CHECK:         %[[DB:.*]] = nabla.matmul %[[AT]], %[[DC]] : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
// CHECK:         return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<8x4xf32>, tensor<4x3xf32>
func.func @f(%a: tensor<8x4xf32> {nabla.param = "w"}, %b: tensor<4x3xf32> {nabla.param = "b"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.matmul %a, %b : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<8x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// batched matmul: the same rule batch by batch, transposing the last two
// dimensions only (permutation [0, 2, 1]).
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<2x8x4xf32> {nabla.param = "w"}, %[[B:[^:]+]]: tensor<2x4x3xf32> {nabla.param = "b"})
// CHECK:         %[[DC:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1x1xf32> -> tensor<2x8x3xf32>
// CHECK:         %[[BT:.*]] = nabla.transpose %[[B]] [0, 2, 1] : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
// CHECK:         %[[DA:.*]] = nabla.matmul %[[DC]], %[[BT]] : tensor<2x8x3xf32>, tensor<2x3x4xf32> -> tensor<2x8x4xf32>
// CHECK:         %[[AT:.*]] = nabla.transpose %[[A]] [0, 2, 1] : tensor<2x8x4xf32> -> tensor<2x4x8xf32>
// CHECK:         %[[DB:.*]] = nabla.matmul %[[AT]], %[[DC]] : tensor<2x4x8xf32>, tensor<2x8x3xf32> -> tensor<2x4x3xf32>
// CHECK:         return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x8x4xf32>, tensor<2x4x3xf32>
func.func @f(%a: tensor<2x8x4xf32> {nabla.param = "w"}, %b: tensor<2x4x3xf32> {nabla.param = "b"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.matmul %a, %b : tensor<2x8x4xf32>, tensor<2x4x3xf32> -> tensor<2x8x3xf32>
  %1 = nabla.sum %0 axes = [0, 1, 2] : tensor<2x8x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// transpose: dy is transposed by the inverse permutation. [1, 2, 0] is not
// its own inverse; its inverse is [2, 0, 1].
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1x1xf32> -> tensor<3x4x2xf32>
// CHECK:         %[[DW:.*]] = nabla.transpose %[[DY]] [2, 0, 1] : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<2x3x4xf32>
func.func @f(%w: tensor<2x3x4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.transpose %w [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = nabla.sum %0 axes = [0, 1, 2] : tensor<3x4x2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// reshape: dy is reshaped back to the operand's shape.
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<12xf32>
// CHECK:         %[[DW:.*]] = nabla.reshape %[[DY]] : tensor<12xf32> -> tensor<3x4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<3x4xf32>
func.func @f(%w: tensor<3x4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.reshape %w : tensor<3x4xf32> -> tensor<12xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<12xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// broadcast_to: dy is summed over the broadcast axes: a new leading axis
// (summed, then reshaped away) and a size-1 axis (summed, kept).
// CHECK-LABEL: func.func @f_grad
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<8x10xf32>
// CHECK:         %[[V1:.*]] = nabla.sum %[[DY]] axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK:         %[[W1:.*]] = nabla.sum %[[DY]] axes = [0] keepdims : tensor<8x10xf32> -> tensor<1x10xf32>
// CHECK:         %[[DW:.*]] = nabla.reshape %[[W1]] : tensor<1x10xf32> -> tensor<10xf32>
// CHECK:         return %{{.*}}, %[[DW]], %[[V1]] : tensor<f32>, tensor<10xf32>, tensor<8x1xf32>
func.func @f(%w: tensor<10xf32> {nabla.param = "w"}, %v: tensor<8x1xf32> {nabla.param = "v"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.broadcast_to %w : tensor<10xf32> -> tensor<8x10xf32>
  %1 = nabla.broadcast_to %v : tensor<8x1xf32> -> tensor<8x10xf32>
  %2 = nabla.add %0, %1 : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
  %3 = nabla.sum %2 axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// add with broadcasting, tensor<8x10xf32> + tensor<10xf32>: the lhs gets dy;
// the rhs gets dy summed over the broadcast axis 0, reshaped to its shape.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<8x10xf32> {nabla.param = "x"}, %[[W:[^:]+]]: tensor<10xf32> {nabla.param = "w"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<8x10xf32>
// CHECK:         %[[S:.*]] = nabla.sum %[[DY]] axes = [0] keepdims : tensor<8x10xf32> -> tensor<1x10xf32>
// CHECK:         %[[DW:.*]] = nabla.reshape %[[S]] : tensor<1x10xf32> -> tensor<10xf32>
// CHECK:         return %{{.*}}, %[[DY]], %[[DW]] : tensor<f32>, tensor<8x10xf32>, tensor<10xf32>
func.func @f(%x: tensor<8x10xf32> {nabla.param = "x"}, %w: tensor<10xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.add %x, %w : tensor<8x10xf32>, tensor<10xf32> -> tensor<8x10xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// mul with a broadcast scalar: the scalar's adjoint is dy * x summed over
// every axis and reshaped to rank 0; x's adjoint is dy * w, not reduced.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<8x10xf32> {nabla.param = "x"}, %[[W:[^:]+]]: tensor<f32> {nabla.param = "w"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<8x10xf32>
// CHECK:         %[[DX:.*]] = nabla.mul %[[DY]], %[[W]] : tensor<8x10xf32>, tensor<f32> -> tensor<8x10xf32>
// CHECK:         %[[DYX:.*]] = nabla.mul %[[DY]], %[[X]] : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         %[[S:.*]] = nabla.sum %[[DYX]] axes = [0, 1] keepdims : tensor<8x10xf32> -> tensor<1x1xf32>
// CHECK:         %[[DW:.*]] = nabla.reshape %[[S]] : tensor<1x1xf32> -> tensor<f32>
// CHECK:         return %{{.*}}, %[[DX]], %[[DW]] : tensor<f32>, tensor<8x10xf32>, tensor<f32>
func.func @f(%x: tensor<8x10xf32> {nabla.param = "x"}, %w: tensor<f32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mul %x, %w : tensor<8x10xf32>, tensor<f32> -> tensor<8x10xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// softmax along axis 1: dw = y * (dy - sum(dy * y, axis 1, keepdims)), with
// y the forward *result*. The loss weights y by the input x so that dy is
// not a constant.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<8x10xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<8x10xf32> {nabla.input = "x"})
// CHECK:         %[[Y:.*]] = nabla.softmax %[[W]] axis = 1 : tensor<8x10xf32>
// CHECK:         %[[ONES:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<8x10xf32>
// CHECK:         %[[DY:.*]] = nabla.mul %[[ONES]], %[[X]]
// CHECK:         %[[DYY:.*]] = nabla.mul %[[DY]], %[[Y]] : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         %[[S:.*]] = nabla.sum %[[DYY]] axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK:         %[[C:.*]] = nabla.sub %[[DY]], %[[S]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[Y]], %[[C]] : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<8x10xf32>
func.func @f(%w: tensor<8x10xf32> {nabla.param = "w"}, %x: tensor<8x10xf32> {nabla.input = "x"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.softmax %w axis = 1 : tensor<8x10xf32>
  %1 = nabla.mul %0, %x : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
  %2 = nabla.sum %1 axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// log_softmax along axis 0: dw = dy - exp(y) * sum(dy, axis 0, keepdims),
// with y the forward *result*.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<8x10xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<8x10xf32> {nabla.input = "x"})
// CHECK:         %[[Y:.*]] = nabla.log_softmax %[[W]] axis = 0 : tensor<8x10xf32>
// CHECK:         %[[ONES:.*]] = nabla.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<8x10xf32>
// CHECK:         %[[DY:.*]] = nabla.mul %[[ONES]], %[[X]]
// CHECK:         %[[S:.*]] = nabla.sum %[[DY]] axes = [0] keepdims : tensor<8x10xf32> -> tensor<1x10xf32>
// CHECK:         %[[P:.*]] = nabla.exp %[[Y]] : tensor<8x10xf32>
// CHECK:         %[[PS:.*]] = nabla.mul %[[P]], %[[S]] : tensor<8x10xf32>, tensor<1x10xf32> -> tensor<8x10xf32>
// CHECK:         %[[DW:.*]] = nabla.sub %[[DY]], %[[PS]] : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<8x10xf32>
func.func @f(%w: tensor<8x10xf32> {nabla.param = "w"}, %x: tensor<8x10xf32> {nabla.input = "x"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.log_softmax %w axis = 0 : tensor<8x10xf32>
  %1 = nabla.mul %0, %x : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
  %2 = nabla.sum %1 axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// mse over n = 8 elements: dw = dy * (2 / n) * (w - t) and dt = -dw.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<8x1xf32> {nabla.param = "w"}, %[[T:[^:]+]]: tensor<8x1xf32> {nabla.param = "t"})
// CHECK:         %[[L:.*]] = nabla.mse %[[W]], %[[T]]
// CHECK:         %[[DY:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[D:.*]] = nabla.sub %[[W]], %[[T]] : tensor<8x1xf32>, tensor<8x1xf32> -> tensor<8x1xf32>
// CHECK:         %[[K:.*]] = nabla.constant dense<2.500000e-01> : tensor<f32>
// CHECK:         %[[DYK:.*]] = nabla.mul %[[DY]], %[[K]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[DYK]], %[[D]] : tensor<f32>, tensor<8x1xf32> -> tensor<8x1xf32>
// CHECK:         %[[DT:.*]] = nabla.neg %[[DW]] : tensor<8x1xf32>
// CHECK:         return %[[L]], %[[DW]], %[[DT]] : tensor<f32>, tensor<8x1xf32>, tensor<8x1xf32>
func.func @f(%w: tensor<8x1xf32> {nabla.param = "w"}, %t: tensor<8x1xf32> {nabla.param = "t"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mse %w, %t : tensor<8x1xf32>, tensor<8x1xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// cross_entropy over N = 8 rows of C = 10 classes: dw = (softmax(w, axis 1)
// * valid - one_hot(labels)) * dy / N, where valid (the one-hot row sum)
// zeroes rows whose label is out of range. The labels get no gradient.
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<8x10xf32> {nabla.param = "w"}, %[[LABELS:[^:]+]]: tensor<8xi32> {nabla.input = "labels"})
// CHECK-SAME:    -> (tensor<f32>, tensor<8x10xf32> {nabla.grad = "w"})
// CHECK:         %[[L:.*]] = nabla.cross_entropy %[[W]], %[[LABELS]]
// CHECK:         %[[DY:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[P:.*]] = nabla.softmax %[[W]] axis = 1 : tensor<8x10xf32>
// CHECK:         %[[ONEHOT:.*]] = nabla.one_hot %[[LABELS]] : tensor<8xi32> -> tensor<8x10xf32>
// CHECK:         %[[VALID:.*]] = nabla.sum %[[ONEHOT]] axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK:         %[[N:.*]] = nabla.constant dense<8.000000e+00> : tensor<f32>
// CHECK:         %[[SCALE:.*]] = nabla.div %[[DY]], %[[N]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CHECK:         %[[MASKED:.*]] = nabla.mul %[[P]], %[[VALID]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK:         %[[D:.*]] = nabla.sub %[[MASKED]], %[[ONEHOT]] : tensor<8x10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         %[[DW:.*]] = nabla.mul %[[D]], %[[SCALE]] : tensor<8x10xf32>, tensor<f32> -> tensor<8x10xf32>
// CHECK:         return %[[L]], %[[DW]] : tensor<f32>, tensor<8x10xf32>
func.func @f(%w: tensor<8x10xf32> {nabla.param = "w"}, %labels: tensor<8xi32> {nabla.input = "labels"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.cross_entropy %w, %labels : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// binary_cross_entropy over n = 8 probabilities p, targets t (as PyTorch):
//   dp = dy / n * (p - t) / max(p * (1 - p), 1e-12)
//   dt = dy / n * (max(log(1 - p), -100) - max(log(p), -100))
// CHECK-LABEL: func.func @f_grad
// CHECK-SAME:    (%[[P:[^:]+]]: tensor<8xf32> {nabla.param = "w"}, %[[T:[^:]+]]: tensor<8xf32> {nabla.param = "t"})
// CHECK:         %[[L:.*]] = nabla.binary_cross_entropy %[[P]], %[[T]]
// CHECK:         %[[DY:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[N:.*]] = nabla.constant dense<8.000000e+00> : tensor<f32>
// CHECK:         %[[SCALE:.*]] = nabla.div %[[DY]], %[[N]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CHECK:         %[[ONE:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[OMP:.*]] = nabla.sub %[[ONE]], %[[P]] : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
// CHECK-DAG:     %[[EPS:.*]] = nabla.constant dense<9.99999996E-13> : tensor<f32>
// CHECK-DAG:     %[[PQ:.*]] = nabla.mul %[[P]], %[[OMP]] : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
// CHECK:         %[[DEN:.*]] = nabla.max %[[PQ]], %[[EPS]] : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
// CHECK:         %[[PMT:.*]] = nabla.sub %[[P]], %[[T]] : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
// CHECK:         %[[Q:.*]] = nabla.div %[[PMT]], %[[DEN]] : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
// CHECK:         %[[DP:.*]] = nabla.mul %[[SCALE]], %[[Q]] : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
// CHECK:         %[[FLOOR:.*]] = nabla.constant dense<-1.000000e+02> : tensor<f32>
// CHECK:         %[[LOGP:.*]] = nabla.log %[[P]] : tensor<8xf32>
// CHECK:         %[[CLOGP:.*]] = nabla.max %[[LOGP]], %[[FLOOR]]
// CHECK:         %[[LOG1MP:.*]] = nabla.log %[[OMP]] : tensor<8xf32>
// CHECK:         %[[CLOG1MP:.*]] = nabla.max %[[LOG1MP]], %[[FLOOR]]
// CHECK:         %[[DIFF:.*]] = nabla.sub %[[CLOG1MP]], %[[CLOGP]] : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
// CHECK:         %[[DT:.*]] = nabla.mul %[[SCALE]], %[[DIFF]] : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
// CHECK:         return %[[L]], %[[DP]], %[[DT]] : tensor<f32>, tensor<8xf32>, tensor<8xf32>
func.func @f(%p: tensor<8xf32> {nabla.param = "w"}, %t: tensor<8xf32> {nabla.param = "t"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.binary_cross_entropy %p, %t : tensor<8xf32>, tensor<8xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
