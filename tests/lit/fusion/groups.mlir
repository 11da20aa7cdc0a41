// RUN: nabla-opt %s --nabla-fusion --split-input-file | FileCheck %s

// matmul + bias + relu: one group; the pre-activation is also a result
// because the backward pass (here: the second return value) reads it.
// CHECK-LABEL: func.func @epilogue
// CHECK:         %[[G:.*]]:2 = nabla.fused "group_0" kind = "matmul"
// CHECK:           nabla.matmul
// CHECK-NEXT:      nabla.add
// CHECK-NEXT:      nabla.relu
// CHECK-NEXT:      nabla.yield
// CHECK:         return %[[G]]#1, %[[G]]#0
func.func @epilogue(%x: tensor<8x4xf32>, %w: tensor<4x16xf32>, %b: tensor<16xf32>)
    -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %0 = nabla.matmul %x, %w : tensor<8x4xf32>, tensor<4x16xf32> -> tensor<8x16xf32>
  %1 = nabla.add %0, %b : tensor<8x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
  %2 = nabla.relu %1 : tensor<8x16xf32>
  return %2, %1 : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// Backward: a matmul and the relu_grad that consumes it, then the bias
// gradient (a sum over the rows) ends the group.
// CHECK-LABEL: func.func @backward
// CHECK:         nabla.fused "group_0" kind = "matmul"
// CHECK:           nabla.matmul
// CHECK-NEXT:      nabla.relu_grad
// CHECK-NEXT:      nabla.sum {{.*}} axes = [0]
func.func @backward(%dy: tensor<8x16xf32>, %wt: tensor<16x4xf32>, %z: tensor<8x4xf32>)
    -> (tensor<8x4xf32>, tensor<4xf32>) {
  %0 = nabla.matmul %dy, %wt : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  %1 = nabla.relu_grad %z, %0 : tensor<8x4xf32>
  %2 = nabla.sum %1 axes = [0] : tensor<8x4xf32> -> tensor<4xf32>
  return %1, %2 : tensor<8x4xf32>, tensor<4xf32>
}

// -----

// log_softmax + cross-entropy and the elementwise ops before them: one
// reduction group whose only result is the loss.
// CHECK-LABEL: func.func @loss
// CHECK:         %[[L:.*]] = nabla.fused "group_0" kind = "reduction"
// CHECK-SAME:      -> tensor<f32>
// CHECK:           nabla.add
// CHECK-NEXT:      nabla.log_softmax
// CHECK-NEXT:      nabla.cross_entropy
// CHECK:         return %[[L]]
func.func @loss(%logits: tensor<8x10xf32>, %b: tensor<10xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  %0 = nabla.add %logits, %b : tensor<8x10xf32>, tensor<10xf32> -> tensor<8x10xf32>
  %1 = nabla.log_softmax %0 axis = 1 : tensor<8x10xf32>
  %2 = nabla.cross_entropy %1, %y : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A gradient norm for clipping: square and sum in one group.
// CHECK-LABEL: func.func @norm
// CHECK:         nabla.fused "group_0" kind = "reduction"
// CHECK:           nabla.mul
// CHECK-NEXT:      nabla.sum
// CHECK:         nabla.sqrt
func.func @norm(%g: tensor<16x4xf32>) -> tensor<f32> {
  %0 = nabla.mul %g, %g : tensor<16x4xf32>, tensor<16x4xf32> -> tensor<16x4xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<16x4xf32> -> tensor<f32>
  %2 = nabla.sqrt %1 : tensor<f32>
  return %2 : tensor<f32>
}

// -----

// SGD with momentum for one parameter: one optimizer group yielding the new
// parameter and the new momentum buffer.
// CHECK-LABEL: func.func @momentum
// CHECK:         %[[U:.*]]:2 = nabla.fused "group_0" kind = "optimizer"
// CHECK:         return %[[U]]#1, %[[U]]#0
func.func @momentum(%p: tensor<4x4xf32>, %m: tensor<4x4xf32>, %g: tensor<4x4xf32>, %lr: tensor<f32>)
    -> (tensor<4x4xf32> {nabla.update = "w"}, tensor<4x4xf32> {nabla.state = "momentum_buffer:w"}) {
  %mu = nabla.constant dense<0.9> : tensor<f32>
  %0 = nabla.mul %m, %mu : tensor<4x4xf32>, tensor<f32> -> tensor<4x4xf32>
  %1 = nabla.add %0, %g : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %2 = nabla.mul %1, %lr : tensor<4x4xf32>, tensor<f32> -> tensor<4x4xf32>
  %3 = nabla.sub %p, %2 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  return %3, %1 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// Must not fuse: a matmul read by two ops joins only the first one's
// group; the second reads the group's result instead of recomputing it.
// CHECK-LABEL: func.func @two_readers
// CHECK:         %[[G:.*]]:2 = nabla.fused "group_0" kind = "matmul"
// CHECK:           nabla.matmul
// CHECK:           nabla.relu
// CHECK:           nabla.yield
// CHECK-NOT:     nabla.matmul
// CHECK:         nabla.sigmoid %[[G]]#0
func.func @two_readers(%x: tensor<8x4xf32>, %w: tensor<4x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %0 = nabla.matmul %x, %w : tensor<8x4xf32>, tensor<4x4xf32> -> tensor<8x4xf32>
  %1 = nabla.relu %0 : tensor<8x4xf32>
  %2 = nabla.sigmoid %0 : tensor<8x4xf32>
  return %1, %2 : tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

// Must not fuse: a transpose between two elementwise ops separates them.
// CHECK-LABEL: func.func @transpose_between
// CHECK-NOT:     nabla.fused
// CHECK:         nabla.exp
// CHECK-NEXT:    nabla.transpose
// CHECK-NEXT:    nabla.relu
func.func @transpose_between(%x: tensor<8x4xf32>) -> tensor<4x8xf32> {
  %0 = nabla.exp %x : tensor<8x4xf32>
  %1 = nabla.transpose %0 [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %2 = nabla.relu %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// A barrier between a group's ops reads one of them: the group, placed
// where its last op was, goes before the transpose, which is ordered
// after it (else the transpose would read a value made after it).
// CHECK-LABEL: func.func @reader_between
// CHECK:         %[[G:.*]]:2 = nabla.fused "group_0" kind = "elementwise"
// CHECK:         nabla.transpose %[[G]]#0
// CHECK-NEXT:    return
func.func @reader_between(%x: tensor<8x4xf32>) -> (tensor<4x8xf32>, tensor<8x4xf32>) {
  %0 = nabla.exp %x : tensor<8x4xf32>
  %1 = nabla.transpose %0 [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %2 = nabla.neg %0 : tensor<8x4xf32>
  return %1, %2 : tensor<4x8xf32>, tensor<8x4xf32>
}

// -----

// relu_grad reads the roots of two matmul groups: the forward one (the
// activation) and the backward one (the incoming gradient). Joining the
// forward group would make a cycle (the backward matmul depends on it), so
// it joins the backward one as its epilogue.
// CHECK-LABEL: func.func @joins_the_group_it_can
// CHECK:         %[[F:.*]] = nabla.fused "group_0" kind = "matmul"
// CHECK:           nabla.matmul
// CHECK-NEXT:      nabla.relu
// CHECK:         nabla.fused "group_1" kind = "matmul"(%{{.*}}, %{{.*}}, %[[F]])
// CHECK:           nabla.matmul
// CHECK-NEXT:      nabla.relu_grad
// CHECK-NEXT:      nabla.yield
func.func @joins_the_group_it_can(%x: tensor<8x4xf32>, %w: tensor<4x16xf32>, %w2: tensor<16x16xf32>)
    -> tensor<8x16xf32> {
  %0 = nabla.matmul %x, %w : tensor<8x4xf32>, tensor<4x16xf32> -> tensor<8x16xf32>
  %y = nabla.relu %0 : tensor<8x16xf32>
  %t = nabla.transpose %y [1, 0] : tensor<8x16xf32> -> tensor<16x8xf32>
  %u = nabla.transpose %t [1, 0] : tensor<16x8xf32> -> tensor<8x16xf32>
  %g = nabla.matmul %u, %w2 : tensor<8x16xf32>, tensor<16x16xf32> -> tensor<8x16xf32>
  %r = nabla.relu_grad %y, %g : tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
