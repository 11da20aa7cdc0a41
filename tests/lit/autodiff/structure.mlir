// RUN: nabla-opt %s --nabla-autodiff --split-input-file | FileCheck %s
// RUN: nabla-opt %s --nabla-autodiff --split-input-file --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s --check-prefix=LOC
// RUN: nabla-opt %s "--nabla-autodiff=function=pick wrt=x" | FileCheck %s --check-prefix=WRT
// RUN: nabla-opt %s --nabla-autodiff --split-input-file | nabla-opt --split-input-file | FileCheck %s --check-prefix=REPARSE

// What nabla-autodiff promises beyond the rules of single ops, one promise
// per split. Function names are unique in the whole file, so the WRT run
// can read it as one module and differentiate @pick alone. The REPARSE run
// prints @M_grad and parses it again: the result is valid IR.

// @M is left as it was; @M_grad has @M's arguments, carries
// nabla.gradient_of = "M" instead of nabla.model, and returns @M's results
// (with their attributes) before one gradient per parameter, tagged
// nabla.grad with the parameter's name.
// CHECK-LABEL: func.func @model
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<4xf32> {nabla.input = "x"})
// CHECK-SAME:    -> (tensor<f32> {nabla.output = "loss"}, tensor<4xf32> {nabla.output = "pred"})
// CHECK-SAME:    attributes {nabla.model} {
// CHECK-NEXT:    %[[P:.*]] = nabla.mul %[[W]], %[[X]]
// CHECK-NEXT:    %[[L:.*]] = nabla.sum %[[P]] axes = [0]
// CHECK-NEXT:    return %[[L]], %[[P]] : tensor<f32>, tensor<4xf32>
// CHECK-NEXT:  }
// CHECK-LABEL: func.func @model_grad
// CHECK-SAME:    (%{{[^:]+}}: tensor<4xf32> {nabla.param = "w"}, %{{[^:]+}}: tensor<4xf32> {nabla.input = "x"})
// CHECK-SAME:    -> (tensor<f32> {nabla.output = "loss"}, tensor<4xf32> {nabla.output = "pred"}, tensor<4xf32> {nabla.grad = "w"})
// CHECK-SAME:    attributes {nabla.gradient_of = "model"} {
// CHECK:         %[[P:.*]] = nabla.mul
// CHECK:         %[[L:.*]] = nabla.sum %[[P]]
// CHECK:         return %[[L]], %[[P]], %{{.*}} : tensor<f32>, tensor<4xf32>, tensor<4xf32>
// REPARSE-LABEL: func.func @model_grad
// REPARSE-SAME:    attributes {nabla.gradient_of = "model"}
func.func @model(%w: tensor<4xf32> {nabla.param = "w"}, %x: tensor<4xf32> {nabla.input = "x"}) -> (tensor<f32> {nabla.output = "loss"}, tensor<4xf32> {nabla.output = "pred"}) attributes {nabla.model} {
  %0 = nabla.mul %w, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<4xf32>
}

// -----

// Only functions marked nabla.model are differentiated.
// CHECK-LABEL: func.func @helper
// CHECK-NOT:   func.func @helper_grad
func.func @helper(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> {
  %0 = nabla.sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Fan-out: w is used by exp and by mul (y = exp(w) * w), so its gradient
// is the sum of both contributions: dy * e (through the mul) and
// (dy * w) * e (through the exp).
// CHECK-LABEL: func.func @fan_out_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[E:.*]] = nabla.exp %[[W]]
// CHECK:         %[[DY:.*]] = nabla.broadcast_to
// CHECK:         %[[DE:.*]] = nabla.mul %[[DY]], %[[W]]
// CHECK:         %[[DW1:.*]] = nabla.mul %[[DY]], %[[E]]
// CHECK:         %[[DW2:.*]] = nabla.mul %[[DE]], %[[E]]
// CHECK:         %[[DW:.*]] = nabla.add %[[DW1]], %[[DW2]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
// REPARSE-LABEL: func.func @fan_out_grad
func.func @fan_out(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.exp %w : tensor<4xf32>
  %1 = nabla.mul %0, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = nabla.sum %1 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Fan-out within one op: w * w gives dy * w twice, summed.
// CHECK-LABEL: func.func @square_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to
// CHECK:         %[[G1:.*]] = nabla.mul %[[DY]], %[[W]]
// CHECK:         %[[G2:.*]] = nabla.mul %[[DY]], %[[W]]
// CHECK:         %[[DW:.*]] = nabla.add %[[G1]], %[[G2]]
// CHECK:         return %{{.*}}, %[[DW]]
func.func @square(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mul %w, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Values that do not reach the loss get no backward code: the second
// result tanh(w) and the unused sigmoid(w) are not differentiated (no
// 1 - y*y, no y*(1 - y)); the dead sigmoid is erased from @M_grad. The
// only backward op after the seed is dy * x. @unreached keeps its sigmoid.
// CHECK-LABEL: func.func @unreached(
// CHECK:         nabla.sigmoid
// CHECK-LABEL: func.func @unreached_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<4xf32> {nabla.input = "x"})
// CHECK-NOT:     nabla.sigmoid
// CHECK-NOT:     nabla.sub
// CHECK:         %[[T:.*]] = nabla.tanh %[[W]]
// CHECK-NOT:     nabla.sigmoid
// CHECK-NOT:     nabla.sub
// CHECK:         %[[DY:.*]] = nabla.broadcast_to
// CHECK-NEXT:    %[[DW:.*]] = nabla.mul %[[DY]], %[[X]]
// CHECK-NEXT:    return %{{.*}}, %[[T]], %[[DW]] : tensor<f32>, tensor<4xf32>, tensor<4xf32>
func.func @unreached(%w: tensor<4xf32> {nabla.param = "w"}, %x: tensor<4xf32> {nabla.input = "x"}) -> (tensor<f32>, tensor<4xf32>) attributes {nabla.model} {
  %0 = nabla.mul %w, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  %2 = nabla.tanh %w : tensor<4xf32>
  %3 = nabla.sigmoid %w : tensor<4xf32>
  return %1, %2 : tensor<f32>, tensor<4xf32>
}

// -----

// Inputs (nabla.input) get no gradient by default: no result for x and no
// dy * w (x's adjoint) in the body.
// CHECK-LABEL: func.func @inputs_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<4xf32> {nabla.input = "x"})
// CHECK-SAME:    -> (tensor<f32>, tensor<4xf32> {nabla.grad = "w"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to
// CHECK-NOT:     nabla.mul %[[DY]], %[[W]]
// CHECK:         %[[DW:.*]] = nabla.mul %[[DY]], %[[X]]
// CHECK-NOT:     nabla.mul %[[DY]], %[[W]]
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @inputs(%w: tensor<4xf32> {nabla.param = "w"}, %x: tensor<4xf32> {nabla.input = "x"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mul %w, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// wrt selects what to differentiate: by default the parameter w; with
// wrt=x the input x instead (and then not w). The WRT run differentiates
// only @pick (function=pick), so the other splits need no x.
// CHECK-LABEL: func.func @pick_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<4xf32> {nabla.input = "x"})
// CHECK-SAME:    -> (tensor<f32>, tensor<4xf32> {nabla.grad = "w"})
// CHECK:         %[[DY:.*]] = nabla.broadcast_to
// CHECK-NEXT:    %[[DW:.*]] = nabla.mul %[[DY]], %[[X]]
// CHECK-NEXT:    return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
// WRT-NOT:       func.func @model_grad
// WRT-LABEL:     func.func @pick_grad
// WRT-SAME:        (%[[W:[^:]+]]: tensor<4xf32> {nabla.param = "w"}, %[[X:[^:]+]]: tensor<4xf32> {nabla.input = "x"})
// WRT-SAME:        -> (tensor<f32>, tensor<4xf32> {nabla.grad = "x"})
// WRT:             %[[DY:.*]] = nabla.broadcast_to
// WRT-NEXT:        %[[DX:.*]] = nabla.mul %[[DY]], %[[W]]
// WRT-NEXT:        return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
// WRT-NOT:       _grad
func.func @pick(%w: tensor<4xf32> {nabla.param = "w"}, %x: tensor<4xf32> {nabla.input = "x"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.mul %w, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A parameter the loss does not depend on gets a zero gradient of its type.
// CHECK-LABEL: func.func @unused_grad
// CHECK-SAME:    -> (tensor<f32>, tensor<4xf32> {nabla.grad = "w"}, tensor<3x2xf32> {nabla.grad = "u"})
// CHECK:         %[[DU:.*]] = nabla.constant dense<0.000000e+00> : tensor<3x2xf32>
// CHECK:         return %{{.*}}, %{{.*}}, %[[DU]] : tensor<f32>, tensor<4xf32>, tensor<3x2xf32>
func.func @unused(%w: tensor<4xf32> {nabla.param = "w"}, %u: tensor<3x2xf32> {nabla.param = "u"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A loss that is the parameter itself has gradient 1 (the seed).
// CHECK-LABEL: func.func @identity_grad
// CHECK-SAME:    (%[[W:[^:]+]]: tensor<f32> {nabla.param = "w"})
// CHECK-NEXT:    %[[ONE:.*]] = nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT:    return %[[W]], %[[ONE]] : tensor<f32>, tensor<f32>
// REPARSE-LABEL: func.func @identity_grad
func.func @identity(%w: tensor<f32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  return %w : tensor<f32>
}

// -----

// Backward ops carry the location of the forward op they differentiate:
// the seed and the sum's backward are at the sum; both contributions of
// the mul are at the mul; the exp's contribution, and the fan-out add that
// completes w's gradient with it, are at the exp; the zero gradient of an
// unused parameter is at that parameter.
// LOC-LABEL: func.func @located_grad
// LOC:         %[[E:.*]] = nabla.exp %{{.*}} loc("model.nb":3:7)
// LOC:         nabla.constant {{(\{nabla.loss_seed\} )?}}dense<1.000000e+00> : tensor<f32> loc("model.nb":5:10)
// LOC-NEXT:    nabla.reshape {{.*}} loc("model.nb":5:10)
// LOC-NEXT:    %[[DY:.*]] = nabla.broadcast_to {{.*}} loc("model.nb":5:10)
// LOC-NEXT:    %[[DE:.*]] = nabla.mul %[[DY]], %{{.*}} loc("model.nb":4:9)
// LOC-NEXT:    %[[DW1:.*]] = nabla.mul %[[DY]], %[[E]] {{.*}} loc("model.nb":4:9)
// LOC-NEXT:    %[[DW2:.*]] = nabla.mul %[[DE]], %[[E]] {{.*}} loc("model.nb":3:7)
// LOC-NEXT:    nabla.add %[[DW1]], %[[DW2]] {{.*}} loc("model.nb":3:7)
// LOC-NEXT:    nabla.constant dense<0.000000e+00> : tensor<3xf32> loc("model.nb":1:50)
// LOC-NEXT:    return {{.*}} loc("model.nb":6:3)
// REPARSE-LABEL: func.func @located_grad
func.func @located(%w: tensor<4xf32> {nabla.param = "w"} loc("model.nb":1:10), %u: tensor<3xf32> {nabla.param = "u"} loc("model.nb":1:50)) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.exp %w : tensor<4xf32> loc("model.nb":3:7)
  %1 = nabla.mul %0, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32> loc("model.nb":4:9)
  %2 = nabla.sum %1 axes = [0] : tensor<4xf32> -> tensor<f32> loc("model.nb":5:10)
  return %2 : tensor<f32> loc("model.nb":6:3)
} loc("model.nb":1:1)
