// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step=optimizer=sgd | FileCheck %s --check-prefix=SGD
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step=optimizer=adam | FileCheck %s --check-prefix=ADAM
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step="optimizer=momentum clip-norm=1.0" | FileCheck %s --check-prefix=CLIP
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step="optimizer=sgd accumulate=4" | FileCheck %s --check-prefix=ACC
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step="optimizer=sgd split=1" | FileCheck %s --check-prefix=SPLIT
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step=optimizer=sgd | FileCheck %s --check-prefix=NOSPLIT
// RUN: not nabla-opt %s --nabla-training-step 2>&1 | FileCheck %s --check-prefix=NOGRAD
// RUN: not nabla-opt %s --nabla-autodiff --nabla-training-step=optimizer=adagrad 2>&1 | FileCheck %s --check-prefix=BADOPT

func.func @f(%x: tensor<4x3xf32> {nabla.input = "x"}, %w: tensor<3x2xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  %0 = nabla.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// With sgd, w' = w - lr * g; the step returns w', the loss and |g|.
// SGD-LABEL: func.func @f_train_step
// SGD-SAME:    (%[[W:.*]]: tensor<3x2xf32> {nabla.param = "w"}, %[[X:.*]]: tensor<4x3xf32> {nabla.input = "x"}, %[[LR:.*]]: tensor<f32> {nabla.hyper = "lr"}, %{{.*}}: tensor<f32> {nabla.hyper = "step"})
// SGD-SAME:    -> (tensor<3x2xf32> {nabla.update = "w"}, tensor<f32> {nabla.output = "loss"}, tensor<f32> {nabla.stat = "grad_norm:w"})
// SGD:         %[[L:.*]] = nabla.sum
// SGD:         %[[G:.*]] = nabla.matmul %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// SGD:         %[[SQ:.*]] = nabla.mul %[[G]], %[[G]]
// SGD:         %[[SUM:.*]] = nabla.sum %[[SQ]]
// SGD:         %[[NORM:.*]] = nabla.sqrt %[[SUM]]
// SGD:         %[[STEP:.*]] = nabla.mul %[[LR]], %[[G]]
// SGD:         %[[NEW:.*]] = nabla.sub %[[W]], %[[STEP]]
// SGD:         return %[[NEW]], %[[L]], %[[NORM]]

// Adam: two state slots in and out; bias corrections 1 - beta^step.
// ADAM-LABEL: func.func @f_train_step
// ADAM-SAME:    %{{.*}}: tensor<3x2xf32> {nabla.state = "exp_avg:w"}, %{{.*}}: tensor<3x2xf32> {nabla.state = "exp_avg_sq:w"}
// ADAM-SAME:    %{{.*}}: tensor<f32> {nabla.hyper = "lr"}, %[[T:.*]]: tensor<f32> {nabla.hyper = "step"})
// ADAM-SAME:    -> (tensor<3x2xf32> {nabla.update = "w"}, tensor<3x2xf32> {nabla.state = "exp_avg:w"}, tensor<3x2xf32> {nabla.state = "exp_avg_sq:w"}, tensor<f32> {nabla.output = "loss"}, tensor<f32> {nabla.stat = "grad_norm:w"})
// ADAM:         nabla.mul %{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
// ADAM:         nabla.mul %{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
// ADAM:         nabla.mul %{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
// ADAM:         nabla.mul %{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
// ADAM:         %[[B1:.*]] = nabla.constant dense<0.899999976> : tensor<f32>
// ADAM-NEXT:    nabla.pow %[[B1]], %[[T]]
// ADAM-NEXT:    nabla.constant dense<1.000000e+00>
// ADAM-NEXT:    nabla.sub
// ADAM-NEXT:    %[[B2:.*]] = nabla.constant dense<9.990000e-01> : tensor<f32>
// ADAM-NEXT:    nabla.pow %[[B2]], %[[T]]
// ADAM:         nabla.sqrt
// ADAM:         return

// Clipping by global norm scales the gradient by min(max_norm / (norm + 1e-6), 1).
// CLIP-LABEL: func.func @f_train_step
// CLIP:         %[[N:.*]] = nabla.sqrt
// CLIP:         %[[EPS:.*]] = nabla.constant dense<9.99999997E-7> : tensor<f32>
// CLIP-NEXT:    %[[D:.*]] = nabla.add %{{.*}}, %[[EPS]]
// CLIP:         nabla.div %{{.*}}, %[[D]]
// CLIP:         nabla.max
// CLIP:         %[[F:.*]] = nabla.neg
// CLIP-NEXT:    nabla.mul %{{.*}}, %[[F]] : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
// CLIP:         return

// Accumulation: @f_accumulate adds a micro-batch's gradient to the sums;
// @f_apply steps with their mean (sum * 1/4).
// ACC-LABEL: func.func @f_apply
// ACC:         nabla.constant dense<2.500000e-01>
// ACC-LABEL: func.func @f_accumulate
// ACC-SAME:    -> (tensor<3x2xf32> {nabla.state = "grad_sum:w"}, tensor<f32> {nabla.output = "loss"})
// ACC-LABEL: func.func @f_train_step

// Split (data parallel): the same pair at accumulate = 1, the mean of one
// sum being the sum itself (no scaling); without it, the step alone.
// SPLIT-LABEL: func.func @f_apply
// SPLIT-NOT:     nabla.constant dense<1.000000e+00>
// SPLIT-LABEL: func.func @f_accumulate
// SPLIT-SAME:    -> (tensor<3x2xf32> {nabla.state = "grad_sum:w"}, tensor<f32> {nabla.output = "loss"})
// SPLIT-LABEL: func.func @f_train_step
// NOSPLIT-NOT: func.func @f_apply
// NOSPLIT-NOT: func.func @f_accumulate

// NOGRAD: error: nabla-training-step: no gradient function (run nabla-autodiff first)
// BADOPT: for the --optimizer option: Cannot find option named 'adagrad'!
