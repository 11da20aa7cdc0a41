// RUN: nabla-opt %s | nabla-opt | FileCheck %s

// Every nabla op parses, prints and parses again to the same op, for every
// element type it accepts. Each function below shows one op family.

// Constants hold dense values of every element type, rank 0 included.
// CHECK-LABEL: func.func @constants
// CHECK:         nabla.constant dense<[3.000000e-01, 0.699999988]> : tensor<2xf32>
// CHECK:         nabla.constant dense<1.500000e+00> : tensor<2x3xf16>
// CHECK:         nabla.constant dense<-2.000000e+00> : tensor<4xbf16>
// CHECK:         nabla.constant dense<[1, -2, 3]> : tensor<3xi32>
// CHECK:         nabla.constant dense<[true, false]> : tensor<2xi1>
// CHECK:         nabla.constant dense<2.500000e-01> : tensor<f64>
// CHECK:         nabla.constant dense<7.000000e+00> : tensor<f32>
func.func @constants() {
  %0 = nabla.constant dense<[0.3, 0.7]> : tensor<2xf32>
  %1 = nabla.constant dense<1.5> : tensor<2x3xf16>
  %2 = nabla.constant dense<-2.0> : tensor<4xbf16>
  %3 = nabla.constant dense<[1, -2, 3]> : tensor<3xi32>
  %4 = nabla.constant dense<[true, false]> : tensor<2xi1>
  %5 = nabla.constant dense<0.25> : tensor<f64>
  %6 = nabla.constant dense<7.0> : tensor<f32>
  return
}

// Casts convert between every pair of element-type kinds; shapes are kept.
// CHECK-LABEL: func.func @casts
// CHECK-SAME:    (%[[F:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi32>, %[[B:.*]]: tensor<4xi1>, %[[S:.*]]: tensor<f16>)
// CHECK:         nabla.cast %[[F]] : tensor<4xf32> -> tensor<4xf16>
// CHECK:         nabla.cast %[[F]] : tensor<4xf32> -> tensor<4xbf16>
// CHECK:         nabla.cast %[[F]] : tensor<4xf32> -> tensor<4xf64>
// CHECK:         nabla.cast %[[F]] : tensor<4xf32> -> tensor<4xi32>
// CHECK:         nabla.cast %[[F]] : tensor<4xf32> -> tensor<4xi1>
// CHECK:         nabla.cast %[[I]] : tensor<4xi32> -> tensor<4xf32>
// CHECK:         nabla.cast %[[B]] : tensor<4xi1> -> tensor<4xf32>
// CHECK:         nabla.cast %[[B]] : tensor<4xi1> -> tensor<4xi32>
// CHECK:         nabla.cast %[[S]] : tensor<f16> -> tensor<bf16>
func.func @casts(%f: tensor<4xf32>, %i: tensor<4xi32>, %b: tensor<4xi1>, %s: tensor<f16>) {
  %0 = nabla.cast %f : tensor<4xf32> -> tensor<4xf16>
  %1 = nabla.cast %f : tensor<4xf32> -> tensor<4xbf16>
  %2 = nabla.cast %f : tensor<4xf32> -> tensor<4xf64>
  %3 = nabla.cast %f : tensor<4xf32> -> tensor<4xi32>
  %4 = nabla.cast %f : tensor<4xf32> -> tensor<4xi1>
  %5 = nabla.cast %i : tensor<4xi32> -> tensor<4xf32>
  %6 = nabla.cast %b : tensor<4xi1> -> tensor<4xf32>
  %7 = nabla.cast %b : tensor<4xi1> -> tensor<4xi32>
  %8 = nabla.cast %s : tensor<f16> -> tensor<bf16>
  return
}

// The six binary ops on operands of one shape.
// CHECK-LABEL: func.func @binary_same_shape
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>, %[[Y:.*]]: tensor<4xf32>)
// CHECK:         nabla.add %[[X]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         nabla.sub %[[X]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         nabla.mul %[[X]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         nabla.div %[[X]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         nabla.pow %[[X]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         nabla.max %[[X]], %[[Y]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
func.func @binary_same_shape(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  %0 = nabla.add %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nabla.sub %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = nabla.mul %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %3 = nabla.div %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %4 = nabla.pow %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %5 = nabla.max %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// Binary ops broadcast like numpy: a missing leading dim, a size-1 dim on
// either side, a rank-0 scalar on either side.
// CHECK-LABEL: func.func @binary_broadcast
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>, %[[B:.*]]: tensor<10xf32>, %[[C:.*]]: tensor<8x1xf32>, %[[R:.*]]: tensor<1x10xf32>, %[[S:.*]]: tensor<f32>)
// CHECK:         nabla.add %[[X]], %[[B]] : tensor<8x10xf32>, tensor<10xf32> -> tensor<8x10xf32>
// CHECK:         nabla.add %[[B]], %[[X]] : tensor<10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         nabla.sub %[[X]], %[[C]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK:         nabla.mul %[[C]], %[[R]] : tensor<8x1xf32>, tensor<1x10xf32> -> tensor<8x10xf32>
// CHECK:         nabla.div %[[X]], %[[S]] : tensor<8x10xf32>, tensor<f32> -> tensor<8x10xf32>
// CHECK:         nabla.pow %[[S]], %[[X]] : tensor<f32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         nabla.max %[[B]], %[[C]] : tensor<10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
func.func @binary_broadcast(%x: tensor<8x10xf32>, %b: tensor<10xf32>, %c: tensor<8x1xf32>,
                            %r: tensor<1x10xf32>, %s: tensor<f32>) {
  %0 = nabla.add %x, %b : tensor<8x10xf32>, tensor<10xf32> -> tensor<8x10xf32>
  %1 = nabla.add %b, %x : tensor<10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
  %2 = nabla.sub %x, %c : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
  %3 = nabla.mul %c, %r : tensor<8x1xf32>, tensor<1x10xf32> -> tensor<8x10xf32>
  %4 = nabla.div %x, %s : tensor<8x10xf32>, tensor<f32> -> tensor<8x10xf32>
  %5 = nabla.pow %s, %x : tensor<f32>, tensor<8x10xf32> -> tensor<8x10xf32>
  %6 = nabla.max %b, %c : tensor<10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
  return
}

// Two rank-0 scalars give a rank-0 scalar.
// CHECK-LABEL: func.func @binary_scalars
// CHECK-SAME:    (%[[A:.*]]: tensor<f32>, %[[B:.*]]: tensor<f32>)
// CHECK:         nabla.mul %[[A]], %[[B]] : tensor<f32>, tensor<f32> -> tensor<f32>
func.func @binary_scalars(%a: tensor<f32>, %b: tensor<f32>) -> tensor<f32> {
  %0 = nabla.mul %a, %b : tensor<f32>, tensor<f32> -> tensor<f32>
  return %0 : tensor<f32>
}

// Binary ops accept every numeric element type: f16, bf16, f64 and i32.
// CHECK-LABEL: func.func @binary_element_types
// CHECK:         nabla.add %{{.*}}, %{{.*}} : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
// CHECK:         nabla.sub %{{.*}}, %{{.*}} : tensor<4xbf16>, tensor<bf16> -> tensor<4xbf16>
// CHECK:         nabla.div %{{.*}}, %{{.*}} : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
// CHECK:         nabla.add %{{.*}}, %{{.*}} : tensor<2x4xi32>, tensor<4xi32> -> tensor<2x4xi32>
// CHECK:         nabla.div %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
// CHECK:         nabla.pow %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
// CHECK:         nabla.max %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
func.func @binary_element_types(%h: tensor<4xf16>, %bf: tensor<4xbf16>, %bs: tensor<bf16>,
                                %d: tensor<4xf64>, %m: tensor<2x4xi32>, %i: tensor<4xi32>) {
  %0 = nabla.add %h, %h : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
  %1 = nabla.sub %bf, %bs : tensor<4xbf16>, tensor<bf16> -> tensor<4xbf16>
  %2 = nabla.div %d, %d : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
  %3 = nabla.add %m, %i : tensor<2x4xi32>, tensor<4xi32> -> tensor<2x4xi32>
  %4 = nabla.div %i, %i : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %5 = nabla.pow %i, %i : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %6 = nabla.max %i, %i : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return
}

// Unary ops print one type; neg also takes i32, the others floats only.
// CHECK-LABEL: func.func @unary
// CHECK-SAME:    (%[[X:.*]]: tensor<8x256xf32>, %[[H:.*]]: tensor<4xf16>, %[[B:.*]]: tensor<4xbf16>, %[[I:.*]]: tensor<4xi32>, %[[S:.*]]: tensor<f32>)
// CHECK:         nabla.neg %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.neg %[[I]] : tensor<4xi32>
// CHECK:         nabla.relu %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.relu %[[H]] : tensor<4xf16>
// CHECK:         nabla.sigmoid %[[B]] : tensor<4xbf16>
// CHECK:         nabla.tanh %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.exp %[[S]] : tensor<f32>
// CHECK:         nabla.log %[[H]] : tensor<4xf16>
// CHECK:         nabla.sqrt %[[B]] : tensor<4xbf16>
func.func @unary(%x: tensor<8x256xf32>, %h: tensor<4xf16>, %b: tensor<4xbf16>,
                 %i: tensor<4xi32>, %s: tensor<f32>) {
  %0 = nabla.neg %x : tensor<8x256xf32>
  %1 = nabla.neg %i : tensor<4xi32>
  %2 = nabla.relu %x : tensor<8x256xf32>
  %3 = nabla.relu %h : tensor<4xf16>
  %4 = nabla.sigmoid %b : tensor<4xbf16>
  %5 = nabla.tanh %x : tensor<8x256xf32>
  %6 = nabla.exp %s : tensor<f32>
  %7 = nabla.log %h : tensor<4xf16>
  %8 = nabla.sqrt %b : tensor<4xbf16>
  return
}

// Activations print their parameters by name, as in the language
// (f64 attributes, printed exactly).
// CHECK-LABEL: func.func @activations
// CHECK-SAME:    (%[[X:.*]]: tensor<8x256xf32>, %[[H:.*]]: tensor<4xf16>)
// CHECK:         nabla.abs %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.square %[[H]] : tensor<4xf16>
// CHECK:         nabla.rsqrt %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.erf %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.silu %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.selu %[[H]] : tensor<4xf16>
// CHECK:         nabla.gelu %[[X]] approximate = "none" : tensor<8x256xf32>
// CHECK:         nabla.gelu %[[X]] approximate = "tanh" : tensor<8x256xf32>
// CHECK:         nabla.leaky_relu %[[X]] slope = 1.000000e-02 : tensor<8x256xf32>
// CHECK:         nabla.elu %[[X]] alpha = 1.000000e+00 : tensor<8x256xf32>
// CHECK:         nabla.softplus %[[X]] beta = 1.000000e+00 threshold = 2.000000e+01 : tensor<8x256xf32>
// CHECK:         nabla.clamp %[[X]] lo = -5.000000e-01 hi = 5.000000e-01 : tensor<8x256xf32>
func.func @activations(%x: tensor<8x256xf32>, %h: tensor<4xf16>) {
  %0 = nabla.abs %x : tensor<8x256xf32>
  %1 = nabla.square %h : tensor<4xf16>
  %2 = nabla.rsqrt %x : tensor<8x256xf32>
  %3 = nabla.erf %x : tensor<8x256xf32>
  %4 = nabla.silu %x : tensor<8x256xf32>
  %5 = nabla.selu %h : tensor<4xf16>
  %6 = nabla.gelu %x approximate = "none" : tensor<8x256xf32>
  %7 = nabla.gelu %x approximate = "tanh" : tensor<8x256xf32>
  %8 = nabla.leaky_relu %x slope = 0.01 : tensor<8x256xf32>
  %9 = nabla.elu %x alpha = 1.0 : tensor<8x256xf32>
  %10 = nabla.softplus %x beta = 1.0 threshold = 20.0 : tensor<8x256xf32>
  %11 = nabla.clamp %x lo = -0.5 hi = 0.5 : tensor<8x256xf32>
  return
}

// Reductions drop the reduced axes, or keep them as size 1 with keepdims;
// all axes give a rank-0 result; an empty axis list reduces nothing.
// CHECK-LABEL: func.func @reductions
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>, %[[T:.*]]: tensor<2x3x4xf16>, %[[I:.*]]: tensor<4x5xi32>)
// CHECK:         nabla.sum %[[X]] axes = [1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK:         nabla.sum %[[X]] axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK:         nabla.sum %[[X]] axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
// CHECK:         nabla.sum %[[X]] axes = [] : tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         nabla.mean %[[X]] axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
// CHECK:         nabla.mean %[[T]] axes = [0, 2] keepdims : tensor<2x3x4xf16> -> tensor<1x3x1xf16>
// CHECK:         nabla.reduce_max %[[X]] axes = [0] : tensor<8x10xf32> -> tensor<10xf32>
// CHECK:         nabla.reduce_max %[[T]] axes = [1] keepdims : tensor<2x3x4xf16> -> tensor<2x1x4xf16>
// CHECK:         nabla.sum %[[I]] axes = [0] : tensor<4x5xi32> -> tensor<5xi32>
// CHECK:         nabla.reduce_max %[[I]] axes = [0, 1] keepdims : tensor<4x5xi32> -> tensor<1x1xi32>
func.func @reductions(%x: tensor<8x10xf32>, %t: tensor<2x3x4xf16>, %i: tensor<4x5xi32>) {
  %0 = nabla.sum %x axes = [1] : tensor<8x10xf32> -> tensor<8xf32>
  %1 = nabla.sum %x axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
  %2 = nabla.sum %x axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  %3 = nabla.sum %x axes = [] : tensor<8x10xf32> -> tensor<8x10xf32>
  %4 = nabla.mean %x axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  %5 = nabla.mean %t axes = [0, 2] keepdims : tensor<2x3x4xf16> -> tensor<1x3x1xf16>
  %6 = nabla.reduce_max %x axes = [0] : tensor<8x10xf32> -> tensor<10xf32>
  %7 = nabla.reduce_max %t axes = [1] keepdims : tensor<2x3x4xf16> -> tensor<2x1x4xf16>
  %8 = nabla.sum %i axes = [0] : tensor<4x5xi32> -> tensor<5xi32>
  %9 = nabla.reduce_max %i axes = [0, 1] keepdims : tensor<4x5xi32> -> tensor<1x1xi32>
  return
}

// Matmul takes two 2-D operands, or two 3-D operands with one batch size.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[A:.*]]: tensor<128x64xf32>, %[[B:.*]]: tensor<64x10xf32>, %[[P:.*]]: tensor<4x2x3xf32>, %[[Q:.*]]: tensor<4x3x5xf32>, %[[H:.*]]: tensor<2x2xbf16>, %[[I:.*]]: tensor<2x3xi32>, %[[J:.*]]: tensor<3x1xi32>)
// CHECK:         nabla.matmul %[[A]], %[[B]] : tensor<128x64xf32>, tensor<64x10xf32> -> tensor<128x10xf32>
// CHECK:         nabla.matmul %[[P]], %[[Q]] : tensor<4x2x3xf32>, tensor<4x3x5xf32> -> tensor<4x2x5xf32>
// CHECK:         nabla.matmul %[[H]], %[[H]] : tensor<2x2xbf16>, tensor<2x2xbf16> -> tensor<2x2xbf16>
// CHECK:         nabla.matmul %[[I]], %[[J]] : tensor<2x3xi32>, tensor<3x1xi32> -> tensor<2x1xi32>
func.func @matmul(%a: tensor<128x64xf32>, %b: tensor<64x10xf32>, %p: tensor<4x2x3xf32>,
                  %q: tensor<4x3x5xf32>, %h: tensor<2x2xbf16>, %i: tensor<2x3xi32>,
                  %j: tensor<3x1xi32>) {
  %0 = nabla.matmul %a, %b : tensor<128x64xf32>, tensor<64x10xf32> -> tensor<128x10xf32>
  %1 = nabla.matmul %p, %q : tensor<4x2x3xf32>, tensor<4x3x5xf32> -> tensor<4x2x5xf32>
  %2 = nabla.matmul %h, %h : tensor<2x2xbf16>, tensor<2x2xbf16> -> tensor<2x2xbf16>
  %3 = nabla.matmul %i, %j : tensor<2x3xi32>, tensor<3x1xi32> -> tensor<2x1xi32>
  return
}

// Transpose: result dim i is operand dim permutation[i]; any element type.
// CHECK-LABEL: func.func @transpose
// CHECK-SAME:    (%[[X:.*]]: tensor<64x10xf32>, %[[T:.*]]: tensor<2x3x4xi1>, %[[S:.*]]: tensor<i32>)
// CHECK:         nabla.transpose %[[X]] [1, 0] : tensor<64x10xf32> -> tensor<10x64xf32>
// CHECK:         nabla.transpose %[[T]] [2, 0, 1] : tensor<2x3x4xi1> -> tensor<4x2x3xi1>
// CHECK:         nabla.transpose %[[S]] [] : tensor<i32> -> tensor<i32>
func.func @transpose(%x: tensor<64x10xf32>, %t: tensor<2x3x4xi1>, %s: tensor<i32>) {
  %0 = nabla.transpose %x [1, 0] : tensor<64x10xf32> -> tensor<10x64xf32>
  %1 = nabla.transpose %t [2, 0, 1] : tensor<2x3x4xi1> -> tensor<4x2x3xi1>
  %2 = nabla.transpose %s [] : tensor<i32> -> tensor<i32>
  return
}

// Reshape keeps the element count, to and from rank 0 too.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<8x8xf32>, %[[O:.*]]: tensor<1xf16>, %[[B:.*]]: tensor<2x3xi1>)
// CHECK:         nabla.reshape %[[X]] : tensor<8x8xf32> -> tensor<64xf32>
// CHECK:         nabla.reshape %[[X]] : tensor<8x8xf32> -> tensor<2x4x8xf32>
// CHECK:         nabla.reshape %[[O]] : tensor<1xf16> -> tensor<f16>
// CHECK:         nabla.reshape %{{.*}} : tensor<f16> -> tensor<1x1xf16>
// CHECK:         nabla.reshape %[[B]] : tensor<2x3xi1> -> tensor<6xi1>
func.func @reshape(%x: tensor<8x8xf32>, %o: tensor<1xf16>, %b: tensor<2x3xi1>) {
  %0 = nabla.reshape %x : tensor<8x8xf32> -> tensor<64xf32>
  %1 = nabla.reshape %x : tensor<8x8xf32> -> tensor<2x4x8xf32>
  %2 = nabla.reshape %o : tensor<1xf16> -> tensor<f16>
  %3 = nabla.reshape %2 : tensor<f16> -> tensor<1x1xf16>
  %4 = nabla.reshape %b : tensor<2x3xi1> -> tensor<6xi1>
  return
}

// broadcast_to adds leading dims and stretches size-1 dims.
// CHECK-LABEL: func.func @broadcast_to
// CHECK-SAME:    (%[[B:.*]]: tensor<10xf32>, %[[S:.*]]: tensor<i32>, %[[C:.*]]: tensor<8x1xbf16>)
// CHECK:         nabla.broadcast_to %[[B]] : tensor<10xf32> -> tensor<8x10xf32>
// CHECK:         nabla.broadcast_to %[[S]] : tensor<i32> -> tensor<4x4xi32>
// CHECK:         nabla.broadcast_to %[[C]] : tensor<8x1xbf16> -> tensor<2x8x10xbf16>
func.func @broadcast_to(%b: tensor<10xf32>, %s: tensor<i32>, %c: tensor<8x1xbf16>) {
  %0 = nabla.broadcast_to %b : tensor<10xf32> -> tensor<8x10xf32>
  %1 = nabla.broadcast_to %s : tensor<i32> -> tensor<4x4xi32>
  %2 = nabla.broadcast_to %c : tensor<8x1xbf16> -> tensor<2x8x10xbf16>
  return
}

// softmax and log_softmax take one axis and keep the type.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>, %[[H:.*]]: tensor<3xf16>)
// CHECK:         nabla.softmax %[[X]] axis = 1 : tensor<8x10xf32>
// CHECK:         nabla.softmax %[[X]] axis = 0 : tensor<8x10xf32>
// CHECK:         nabla.log_softmax %[[X]] axis = 1 : tensor<8x10xf32>
// CHECK:         nabla.log_softmax %[[H]] axis = 0 : tensor<3xf16>
func.func @softmax(%x: tensor<8x10xf32>, %h: tensor<3xf16>) {
  %0 = nabla.softmax %x axis = 1 : tensor<8x10xf32>
  %1 = nabla.softmax %x axis = 0 : tensor<8x10xf32>
  %2 = nabla.log_softmax %x axis = 1 : tensor<8x10xf32>
  %3 = nabla.log_softmax %h axis = 0 : tensor<3xf16>
  return
}

// Losses reduce to a rank-0 scalar of the prediction's element type.
// CHECK-LABEL: func.func @losses
// CHECK-SAME:    (%[[P:.*]]: tensor<8x1xf32>, %[[T:.*]]: tensor<8x1xf32>, %[[L:.*]]: tensor<8x10xf16>, %[[Y:.*]]: tensor<8xi32>, %[[Q:.*]]: tensor<8xbf16>)
// CHECK:         nabla.mse %[[P]], %[[T]] : tensor<8x1xf32>, tensor<8x1xf32> -> tensor<f32>
// CHECK:         nabla.cross_entropy %[[L]], %[[Y]] : tensor<8x10xf16>, tensor<8xi32> -> tensor<f16>
// CHECK:         nabla.binary_cross_entropy %[[Q]], %[[Q]] : tensor<8xbf16>, tensor<8xbf16> -> tensor<bf16>
func.func @losses(%p: tensor<8x1xf32>, %t: tensor<8x1xf32>, %l: tensor<8x10xf16>,
                  %y: tensor<8xi32>, %q: tensor<8xbf16>) {
  %0 = nabla.mse %p, %t : tensor<8x1xf32>, tensor<8x1xf32> -> tensor<f32>
  %1 = nabla.cross_entropy %l, %y : tensor<8x10xf16>, tensor<8xi32> -> tensor<f16>
  %2 = nabla.binary_cross_entropy %q, %q : tensor<8xbf16>, tensor<8xbf16> -> tensor<bf16>
  return
}

// The backward-graph helpers: relu_grad, compare (every predicate,
// broadcasting, i32 operands) and one_hot.
// CHECK-LABEL: func.func @backward_helpers
// CHECK-SAME:    (%[[X:.*]]: tensor<8x256xf32>, %[[A:.*]]: tensor<4xf32>, %[[S:.*]]: tensor<f32>, %[[I:.*]]: tensor<4xi32>, %[[Y:.*]]: tensor<8xi32>)
// CHECK:         nabla.relu_grad %[[X]], %[[X]] : tensor<8x256xf32>
// CHECK:         nabla.compare "eq", %[[A]], %[[S]] : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
// CHECK:         nabla.compare "ne", %[[A]], %[[A]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
// CHECK:         nabla.compare "lt", %[[S]], %[[A]] : tensor<f32>, tensor<4xf32> -> tensor<4xi1>
// CHECK:         nabla.compare "le", %[[I]], %[[I]] : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
// CHECK:         nabla.compare "gt", %[[A]], %[[S]] : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
// CHECK:         nabla.compare "ge", %[[I]], %[[I]] : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
// CHECK:         nabla.one_hot %[[Y]] : tensor<8xi32> -> tensor<8x10xf32>
func.func @backward_helpers(%x: tensor<8x256xf32>, %a: tensor<4xf32>, %s: tensor<f32>,
                            %i: tensor<4xi32>, %y: tensor<8xi32>) {
  %0 = nabla.relu_grad %x, %x : tensor<8x256xf32>
  %1 = nabla.compare "eq", %a, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %2 = nabla.compare "ne", %a, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
  %3 = nabla.compare "lt", %s, %a : tensor<f32>, tensor<4xf32> -> tensor<4xi1>
  %4 = nabla.compare "le", %i, %i : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
  %5 = nabla.compare "gt", %a, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %6 = nabla.compare "ge", %i, %i : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
  %7 = nabla.one_hot %y : tensor<8xi32> -> tensor<8x10xf32>
  return
}

// A model function carries nabla.model; its arguments nabla.input or
// nabla.param (with nabla.init), its results nabla.output. A gradient
// function carries nabla.gradient_of and nabla.grad.
// CHECK-LABEL: func.func @Model
// CHECK-SAME:    (%{{.*}}: tensor<2xf32> {nabla.input = "x"}, %{{.*}}: tensor<2xf32> {nabla.init = {kind = "normal", std = 1.000000e-01 : f64}, nabla.param = "Dense_1.w"})
// CHECK-SAME:    -> (tensor<f32> {nabla.output = "loss"})
// CHECK-SAME:    attributes {nabla.model}
// CHECK:         nabla.mul
// CHECK:         nabla.sum
// CHECK-LABEL: func.func @Model_grad
// CHECK-SAME:    (%{{.*}}: tensor<2xf32> {nabla.input = "x"}, %{{.*}}: tensor<2xf32> {nabla.param = "Dense_1.w"}, %{{.*}}: tensor<2xf32> {nabla.grad = "Dense_1.w", nabla.output = "dw"})
// CHECK-SAME:    -> (tensor<f32> {nabla.output = "loss"}, tensor<2xf32> {nabla.grad = "Dense_1.w"})
// CHECK-SAME:    attributes {nabla.gradient_of = "Model"}
func.func @Model(%x: tensor<2xf32> {nabla.input = "x"},
                 %w: tensor<2xf32> {nabla.param = "Dense_1.w", nabla.init = {kind = "normal", std = 0.1}})
    -> (tensor<f32> {nabla.output = "loss"}) attributes {nabla.model} {
  %0 = nabla.mul %w, %x : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
func.func @Model_grad(%x: tensor<2xf32> {nabla.input = "x"}, %w: tensor<2xf32> {nabla.param = "Dense_1.w"},
                      %o: tensor<2xf32> {nabla.output = "dw", nabla.grad = "Dense_1.w"})
    -> (tensor<f32> {nabla.output = "loss"}, tensor<2xf32> {nabla.grad = "Dense_1.w"})
    attributes {nabla.gradient_of = "Model"} {
  %0 = nabla.mul %w, %x : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<2xf32> -> tensor<f32>
  return %1, %w : tensor<f32>, tensor<2xf32>
}
