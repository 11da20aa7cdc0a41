// RUN: nabla-opt %s --nabla-to-linalg --split-input-file | FileCheck %s
// RUN: nabla-opt %s --nabla-to-linalg --split-input-file | FileCheck %s --check-prefix=CLEAN

// The shape of each op's lowering to linalg on tensors. Broadcasting is
// never materialised: it shows up only in the operands' indexing maps.

// No nabla op survives the conversion.
// CLEAN-NOT: nabla.

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

// A missing leading dim is dropped from the operand's map: b[10] is read at (d1).
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast_leading
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>, %[[B:.*]]: tensor<10xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8x10xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[X]], %[[B]] : tensor<8x10xf32>, tensor<10xf32>) outs(%[[E]] : tensor<8x10xf32>)
// CHECK-NEXT:    ^bb0(%[[A0:.*]]: f32, %[[A1:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[A0]], %[[A1]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[R]] : tensor<8x10xf32>
func.func @add_broadcast_leading(%x: tensor<8x10xf32>, %b: tensor<10xf32>) -> tensor<8x10xf32> {
  %0 = nabla.add %x, %b : tensor<8x10xf32>, tensor<10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

// A size-1 dim that broadcasts reads index 0: [8, 1] at (d0, 0), [1, 10] at (0, d1).
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[COL0:map[0-9]*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG:   #[[ROW0:map[0-9]*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @mul_broadcast_size_one
// CHECK-SAME:    (%[[C:.*]]: tensor<8x1xf32>, %[[R:.*]]: tensor<1x10xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[COL0]], #[[ROW0]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[C]], %[[R]] : tensor<8x1xf32>, tensor<1x10xf32>)
// CHECK-NEXT:    ^bb0(%[[A0:.*]]: f32, %[[A1:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      arith.mulf %[[A0]], %[[A1]] : f32
func.func @mul_broadcast_size_one(%c: tensor<8x1xf32>, %r: tensor<1x10xf32>) -> tensor<8x10xf32> {
  %0 = nabla.mul %c, %r : tensor<8x1xf32>, tensor<1x10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

// A rank-0 operand is read through the empty map; sub keeps its operand order.
// CHECK-DAG:   #[[ID1:map[0-9]*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG:   #[[SCALAR:map[0-9]*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @sub_scalar_on_left
// CHECK-SAME:    (%[[S:.*]]: tensor<f32>, %[[X:.*]]: tensor<4xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[SCALAR]], #[[ID1]], #[[ID1]]], iterator_types = ["parallel"]}
// CHECK-SAME:        ins(%[[S]], %[[X]] : tensor<f32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[A0:.*]]: f32, %[[A1:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      arith.subf %[[A0]], %[[A1]] : f32
func.func @sub_scalar_on_left(%s: tensor<f32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.sub %s, %x : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A 1x1 operand in a 1xN result: the size-1 dim that matches a size-1
// result dim stays a dim; the one that broadcasts reads index 0.
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[KEEP0:map[0-9]*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @div_one_by_one
// CHECK:         linalg.generic {indexing_maps = [#[[ID2]], #[[KEEP0]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%{{.*}}, %{{.*}} : tensor<1x5xf32>, tensor<1x1xf32>)
// CHECK:           arith.divf
func.func @div_one_by_one(%x: tensor<1x5xf32>, %n: tensor<1x1xf32>) -> tensor<1x5xf32> {
  %0 = nabla.div %x, %n : tensor<1x5xf32>, tensor<1x1xf32> -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

// Float binary ops map to float arith/math ops: max is the NaN-propagating
// maximumf, pow is math.powf.
// CHECK-LABEL: func.func @float_binary_bodies
// CHECK:         ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:      arith.subf %[[A]], %[[B]] : f16
// CHECK:         ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:      arith.divf %[[A]], %[[B]] : f16
// CHECK:         ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:      arith.maximumf %[[A]], %[[B]] : f16
// CHECK:         ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:      math.powf %[[A]], %[[B]] : f16
func.func @float_binary_bodies(%x: tensor<4xf16>, %y: tensor<4xf16>) -> tensor<4xf16> {
  %0 = nabla.sub %x, %y : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
  %1 = nabla.div %0, %y : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
  %2 = nabla.max %1, %y : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
  %3 = nabla.pow %2, %y : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
  return %3 : tensor<4xf16>
}

// -----

// Integer binary ops map to integer ops: divsi truncates toward zero, maxsi
// is signed, pow is math.ipowi.
// CHECK-LABEL: func.func @int_binary_bodies
// CHECK:         ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      arith.addi %[[A]], %[[B]] : i32
// CHECK:         ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      arith.subi %[[A]], %[[B]] : i32
// CHECK:         ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      arith.muli %[[A]], %[[B]] : i32
// CHECK:         ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      arith.divsi %[[A]], %[[B]] : i32
// CHECK:         ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      arith.maxsi %[[A]], %[[B]] : i32
// CHECK:         ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      math.ipowi %[[A]], %[[B]] : i32
func.func @int_binary_bodies(%x: tensor<4xi32>, %y: tensor<4xi32>) -> tensor<4xi32> {
  %0 = nabla.add %x, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %1 = nabla.sub %0, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %2 = nabla.mul %1, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %3 = nabla.div %2, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %4 = nabla.max %3, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %5 = nabla.pow %4, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %5 : tensor<4xi32>
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

// -----

// relu is max(x, 0) with NaN-propagating maximumf.
// CHECK-LABEL: func.func @relu
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[M:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[M]] : f32
func.func @relu(%x: tensor<8x256xf32>) -> tensor<8x256xf32> {
  %0 = nabla.relu %x : tensor<8x256xf32>
  return %0 : tensor<8x256xf32>
}

// -----

// sigmoid is 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @sigmoid
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK-NEXT:      %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK-NEXT:      %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[Q:.*]] = arith.divf %[[ONE2]], %[[DEN]] : f32
// CHECK-NEXT:      linalg.yield %[[Q]] : f32
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.sigmoid %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// tanh, exp, log and sqrt are their math ops, chained through one generic each.
// CHECK-LABEL: func.func @math_unary
// CHECK-SAME:    (%[[X:.*]]: tensor<4xbf16>)
// CHECK:         %[[T:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4xbf16>)
// CHECK:           math.tanh %{{.*}} : bf16
// CHECK:         %[[E:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<4xbf16>)
// CHECK:           math.exp %{{.*}} : bf16
// CHECK:         %[[L:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<4xbf16>)
// CHECK:           math.log %{{.*}} : bf16
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[L]] : tensor<4xbf16>)
// CHECK:           math.sqrt %{{.*}} : bf16
// CHECK:         return %[[S]]
func.func @math_unary(%x: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = nabla.tanh %x : tensor<4xbf16>
  %1 = nabla.exp %0 : tensor<4xbf16>
  %2 = nabla.log %1 : tensor<4xbf16>
  %3 = nabla.sqrt %2 : tensor<4xbf16>
  return %3 : tensor<4xbf16>
}

// -----

// neg is negf for floats and 0 - x for integers.
// CHECK-LABEL: func.func @neg
// CHECK:         ^bb0(%[[F:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      arith.negf %[[F]] : f32
// CHECK:         ^bb0(%[[I:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT:      arith.subi %[[ZERO]], %[[I]] : i32
func.func @neg(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0 = nabla.neg %x : tensor<4xf32>
  %1 = nabla.neg %i : tensor<4xi32>
  return %0, %1 : tensor<4xf32>, tensor<4xi32>
}

//===----------------------------------------------------------------------===//
// Casts and constants
//===----------------------------------------------------------------------===//

// -----

// Each cast picks the arith conversion for its pair of element types.
// CHECK-LABEL: func.func @casts
// CHECK:         arith.truncf %{{.*}} : f32 to f16
// CHECK:         arith.fptosi %{{.*}} : f32 to i32
// CHECK:         arith.sitofp %{{.*}} : i32 to f32
// CHECK:         arith.uitofp %{{.*}} : i1 to f32
// CHECK:         %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    arith.cmpf une, %{{.*}}, %[[Z]] : f32
// CHECK:         %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK-NEXT:    arith.truncf %[[W]] : f32 to bf16
// CHECK:         arith.extf %{{.*}} : f16 to f32
// CHECK:         arith.extui %{{.*}} : i1 to i32
// CHECK:         %[[ZI:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    arith.cmpi ne, %{{.*}}, %[[ZI]] : i32
// CHECK:         arith.truncf %{{.*}} : f64 to f32
func.func @casts(%x: tensor<4xf32>, %i: tensor<4xi32>, %b: tensor<4xi1>, %h: tensor<4xf16>, %d: tensor<4xf64>)
    -> (tensor<4xf16>, tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>, tensor<4xbf16>,
        tensor<4xf32>, tensor<4xi32>, tensor<4xi1>, tensor<4xf32>) {
  %0 = nabla.cast %x : tensor<4xf32> -> tensor<4xf16>
  %1 = nabla.cast %x : tensor<4xf32> -> tensor<4xi32>
  %2 = nabla.cast %i : tensor<4xi32> -> tensor<4xf32>
  %3 = nabla.cast %b : tensor<4xi1> -> tensor<4xf32>
  %4 = nabla.cast %x : tensor<4xf32> -> tensor<4xi1>
  %5 = nabla.cast %h : tensor<4xf16> -> tensor<4xbf16>
  %6 = nabla.cast %h : tensor<4xf16> -> tensor<4xf32>
  %7 = nabla.cast %b : tensor<4xi1> -> tensor<4xi32>
  %8 = nabla.cast %i : tensor<4xi32> -> tensor<4xi1>
  %9 = nabla.cast %d : tensor<4xf64> -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<4xf16>, tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>, tensor<4xbf16>,
      tensor<4xf32>, tensor<4xi32>, tensor<4xi1>, tensor<4xf32>
}

// -----

// A constant becomes an arith.constant with the same dense value.
// CHECK-LABEL: func.func @constant
// CHECK-NEXT:    %[[C:.*]] = arith.constant dense<[3.000000e-01, 0.699999988]> : tensor<2xf32>
// CHECK-NEXT:    %[[B:.*]] = arith.constant dense<[true, false]> : tensor<2xi1>
// CHECK-NEXT:    return %[[C]], %[[B]]
func.func @constant() -> (tensor<2xf32>, tensor<2xi1>) {
  %0 = nabla.constant dense<[0.3, 0.7]> : tensor<2xf32>
  %1 = nabla.constant dense<[true, false]> : tensor<2xi1>
  return %0, %1 : tensor<2xf32>, tensor<2xi1>
}

// -----

// broadcast_to is a generic that copies its input through a broadcast map.
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @broadcast_to
// CHECK-SAME:    (%[[B:.*]]: tensor<10xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ROW]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[B]] : tensor<10xi32>) outs(%{{.*}} : tensor<8x10xi32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT:      linalg.yield %[[IN]] : i32
func.func @broadcast_to(%b: tensor<10xi32>) -> tensor<8x10xi32> {
  %0 = nabla.broadcast_to %b : tensor<10xi32> -> tensor<8x10xi32>
  return %0 : tensor<8x10xi32>
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// -----

// sum fills the result with 0 and accumulates over a "reduction" iterator;
// the reduced dim is absent from the output map.
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[OUT:map[0-9]*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @sum
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8xf32>
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<8xf32>) -> tensor<8xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ID2]], #[[OUT]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<8x10xf32>) outs(%[[INIT]] : tensor<8xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[IN]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
func.func @sum(%x: tensor<8x10xf32>) -> tensor<8xf32> {
  %0 = nabla.sum %x axes = [1] : tensor<8x10xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// With keepdims the kept size-1 dim gets a unit parallel loop of its own
// (d2), so the output map stays a projected permutation (tiling needs it).
// CHECK-DAG:   #[[IN:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[OUT:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @sum_keepdims
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<8x1xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME:        outs(%{{.*}} : tensor<8x1xf32>)
func.func @sum_keepdims(%x: tensor<8x10xf32>) -> tensor<8x1xf32> {
  %0 = nabla.sum %x axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
  return %0 : tensor<8x1xf32>
}

// -----

// Reducing every axis gives a rank-0 output and only "reduction" iterators;
// integer sums start from an i32 zero and use addi.
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[NONE:map[0-9]*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @sum_all_i32
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:         linalg.fill ins(%[[ZERO]] : i32) outs(%{{.*}} : tensor<i32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID2]], #[[NONE]]], iterator_types = ["reduction", "reduction"]}
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: i32, %[[ACC:.*]]: i32):
// CHECK-NEXT:      arith.addi %[[IN]], %[[ACC]] : i32
func.func @sum_all_i32(%x: tensor<4x5xi32>) -> tensor<i32> {
  %0 = nabla.sum %x axes = [0, 1] : tensor<4x5xi32> -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

// reduce_max starts from -inf (0xFF800000 in f32) and combines with maximumf;
// reducing axis 0 makes d0 the reduction iterator.
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[OUT:map[0-9]*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @reduce_max
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<10xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID2]], #[[OUT]]], iterator_types = ["reduction", "parallel"]}
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      arith.maximumf %[[IN]], %[[ACC]] : f32
func.func @reduce_max(%x: tensor<8x10xf32>) -> tensor<10xf32> {
  %0 = nabla.reduce_max %x axes = [0] : tensor<8x10xf32> -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

// reduce_max in f16 starts from f16 -inf (0xFC00).
// CHECK-LABEL: func.func @reduce_max_f16
// CHECK:         %[[NINF:.*]] = arith.constant 0xFC00 : f16
// CHECK:         linalg.fill ins(%[[NINF]] : f16)
// CHECK:           arith.maximumf %{{.*}}, %{{.*}} : f16
func.func @reduce_max_f16(%x: tensor<4xf16>) -> tensor<f16> {
  %0 = nabla.reduce_max %x axes = [0] : tensor<4xf16> -> tensor<f16>
  return %0 : tensor<f16>
}

// -----

// Integer reduce_max starts from the smallest i32 and uses signed max.
// CHECK-LABEL: func.func @reduce_max_i32
// CHECK:         %[[MIN:.*]] = arith.constant -2147483648 : i32
// CHECK:         linalg.fill ins(%[[MIN]] : i32)
// CHECK:           arith.maxsi %{{.*}}, %{{.*}} : i32
func.func @reduce_max_i32(%x: tensor<4x5xi32>) -> tensor<4xi32> {
  %0 = nabla.reduce_max %x axes = [1] : tensor<4x5xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// mean is the sum divided by the number of reduced elements (8 * 10 = 80).
// CHECK-LABEL: func.func @mean
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK:           arith.addf
// CHECK:         %[[N:.*]] = arith.constant dense<8.000000e+01> : tensor<f32>
// CHECK:         %[[M:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %[[N]] : tensor<f32>, tensor<f32>)
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %[[C:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      arith.divf %[[S]], %[[C]] : f32
// CHECK:         return %[[M]] : tensor<f32>
func.func @mean(%x: tensor<8x10xf32>) -> tensor<f32> {
  %0 = nabla.mean %x axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A keepdims mean over one axis divides by that axis' size (10) with a
// broadcast rank-0 count.
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[NONE:map[0-9]*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @mean_keepdims
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME:        outs(%{{.*}} : tensor<8x1xf32>)
// CHECK:         %[[N:.*]] = arith.constant dense<1.000000e+01> : tensor<f32>
// CHECK:         linalg.generic {indexing_maps = [#[[ID2]], #[[NONE]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[SUM]], %[[N]] : tensor<8x1xf32>, tensor<f32>)
// CHECK:           arith.divf
func.func @mean_keepdims(%x: tensor<8x10xf32>) -> tensor<8x1xf32> {
  %0 = nabla.mean %x axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>
  return %0 : tensor<8x1xf32>
}

//===----------------------------------------------------------------------===//
// Matmul, transpose, reshape
//===----------------------------------------------------------------------===//

// -----

// A 2-D matmul accumulates into a zero-filled linalg.matmul.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[A:.*]]: tensor<128x64xf32>, %[[B:.*]]: tensor<64x10xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<128x10xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<128x10xf32>) -> tensor<128x10xf32>
// CHECK:         %[[C:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<128x64xf32>, tensor<64x10xf32>) outs(%[[ACC]] : tensor<128x10xf32>) -> tensor<128x10xf32>
// CHECK:         return %[[C]]
func.func @matmul(%a: tensor<128x64xf32>, %b: tensor<64x10xf32>) -> tensor<128x10xf32> {
  %0 = nabla.matmul %a, %b : tensor<128x64xf32>, tensor<64x10xf32> -> tensor<128x10xf32>
  return %0 : tensor<128x10xf32>
}

// -----

// A batched 3-D matmul is a linalg.batch_matmul.
// CHECK-LABEL: func.func @batch_matmul
// CHECK-SAME:    (%[[A:.*]]: tensor<5x2x3xf32>, %[[B:.*]]: tensor<5x3x4xf32>)
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<5x2x4xf32>)
// CHECK:         linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<5x2x3xf32>, tensor<5x3x4xf32>) outs(%[[ACC]] : tensor<5x2x4xf32>)
// CHECK-NOT:     linalg.matmul
func.func @batch_matmul(%a: tensor<5x2x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<5x2x4xf32> {
  %0 = nabla.matmul %a, %b : tensor<5x2x3xf32>, tensor<5x3x4xf32> -> tensor<5x2x4xf32>
  return %0 : tensor<5x2x4xf32>
}

// -----

// An integer matmul accumulates from an i32 zero.
// CHECK-LABEL: func.func @matmul_i32
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : i32)
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x3xi32>, tensor<3x4xi32>) outs(%[[ACC]] : tensor<2x4xi32>)
func.func @matmul_i32(%a: tensor<2x3xi32>, %b: tensor<3x4xi32>) -> tensor<2x4xi32> {
  %0 = nabla.matmul %a, %b : tensor<2x3xi32>, tensor<3x4xi32> -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

// transpose is a linalg.transpose with the same permutation.
// CHECK-LABEL: func.func @transpose
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK:         %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[E]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK:         return %[[T]]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = nabla.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// reshape is a tensor.reshape with the target shape as an i64 constant.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK:         %[[SHAPE:.*]] = arith.constant dense<[6, 4]> : tensor<2xi64>
// CHECK:         %[[R:.*]] = tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
// CHECK:         return %[[R]]
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %0 = nabla.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

// A reshape to rank 0 uses an empty shape.
// CHECK-LABEL: func.func @reshape_to_scalar
// CHECK:         %[[SHAPE:.*]] = arith.constant dense<> : tensor<0xi64>
// CHECK:         tensor.reshape %{{.*}}(%[[SHAPE]]) : (tensor<1x1xf32>, tensor<0xi64>) -> tensor<f32>
func.func @reshape_to_scalar(%x: tensor<1x1xf32>) -> tensor<f32> {
  %0 = nabla.reshape %x : tensor<1x1xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

// -----

// softmax along axis 1: m = max (keepdims), e = exp(x - m), e / sum(e) (keepdims),
// with [2, 1] intermediates read back through (d0, 0).
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[COL0:map[0-9]*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG:   #[[RIN:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[ROUT:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[MAXINIT:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<2x1xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[RIN]], #[[ROUT]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<2x3xf32>) outs(%[[MAXINIT]] : tensor<2x1xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SHIFTED:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[COL0]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]] : tensor<2x3xf32>, tensor<2x1xf32>)
// CHECK:           arith.subf
// CHECK:         %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[SHIFTED]] : tensor<2x3xf32>)
// CHECK:           math.exp
// CHECK:         %[[SUMINIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x1xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[RIN]], #[[ROUT]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[EXP]] : tensor<2x3xf32>) outs(%[[SUMINIT]] : tensor<2x1xf32>)
// CHECK:           arith.addf
// CHECK:         %[[P:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[COL0]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[EXP]], %[[SUM]] : tensor<2x3xf32>, tensor<2x1xf32>)
// CHECK:           arith.divf
// CHECK:         return %[[P]]
func.func @softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nabla.softmax %x axis = 1 : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// log_softmax along axis 0: (x - m) - log(sum(exp(x - m))), with [1, 3]
// intermediates read back through (0, d1).
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW0:map[0-9]*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG:   #[[RIN:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[ROUT:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[RIN]], #[[ROUT]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[X]] : tensor<2x3xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SHIFTED:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]] : tensor<2x3xf32>, tensor<1x3xf32>)
// CHECK:           arith.subf
// CHECK:         %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[SHIFTED]] : tensor<2x3xf32>)
// CHECK:           math.exp
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[RIN]], #[[ROUT]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[EXP]] : tensor<2x3xf32>)
// CHECK:           arith.addf
// CHECK:         %[[LOG:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x3xf32>)
// CHECK:           math.log
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW0]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[SHIFTED]], %[[LOG]] : tensor<2x3xf32>, tensor<1x3xf32>)
// CHECK:           arith.subf
// CHECK:         return %[[R]]
func.func @log_softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nabla.log_softmax %x axis = 0 : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// mse is mean((p - t) * (p - t)) over all 4 elements.
// CHECK-LABEL: func.func @mse
// CHECK-SAME:    (%[[P:.*]]: tensor<4xf32>, %[[T:.*]]: tensor<4xf32>)
// CHECK:         %[[D:.*]] = linalg.generic {{.*}} ins(%[[P]], %[[T]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.subf
// CHECK:         %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[D]], %[[D]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.mulf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%[[SQ]] : tensor<4xf32>)
// CHECK:         %[[N:.*]] = arith.constant dense<4.000000e+00> : tensor<f32>
// CHECK:         linalg.generic {{.*}} ins(%[[SUM]], %[[N]] : tensor<f32>, tensor<f32>)
// CHECK:           arith.divf
func.func @mse(%p: tensor<4xf32>, %t: tensor<4xf32>) -> tensor<f32> {
  %0 = nabla.mse %p, %t : tensor<4xf32>, tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// binary_cross_entropy: -mean(t * max(log p, -100) + (1 - t) * max(log(1 - p), -100)).
// CHECK-LABEL: func.func @binary_cross_entropy
// CHECK-SAME:    (%[[P:.*]]: tensor<4xf32>, %[[T:.*]]: tensor<4xf32>)
// CHECK-DAG:     %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[FLOOR:.*]] = arith.constant dense<-1.000000e+02> : tensor<f32>
// CHECK:         %[[LOGP:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4xf32>)
// CHECK:           math.log
// CHECK:         %[[CLP:.*]] = linalg.generic {{.*}} ins(%[[LOGP]], %[[FLOOR]] : tensor<4xf32>, tensor<f32>)
// CHECK:           arith.maximumf
// CHECK:         %[[OMP:.*]] = linalg.generic {{.*}} ins(%[[ONE]], %[[P]] : tensor<f32>, tensor<4xf32>)
// CHECK:           arith.subf
// CHECK:         %[[LOG1MP:.*]] = linalg.generic {{.*}} ins(%[[OMP]] : tensor<4xf32>)
// CHECK:           math.log
// CHECK:         %[[CL1MP:.*]] = linalg.generic {{.*}} ins(%[[LOG1MP]], %[[FLOOR]] : tensor<4xf32>, tensor<f32>)
// CHECK:           arith.maximumf
// CHECK:         %[[OMT:.*]] = linalg.generic {{.*}} ins(%[[ONE]], %[[T]] : tensor<f32>, tensor<4xf32>)
// CHECK:           arith.subf
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} ins(%[[OMT]], %[[CL1MP]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.mulf
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[T]], %[[CLP]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.mulf
// CHECK:         %[[LL:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.addf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%[[LL]] : tensor<4xf32>)
// CHECK:         %[[N:.*]] = arith.constant dense<4.000000e+00> : tensor<f32>
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %[[N]] : tensor<f32>, tensor<f32>)
// CHECK:           arith.divf
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[MEAN]] : tensor<f32>)
// CHECK:           arith.negf
// CHECK:         return %[[R]]
func.func @binary_cross_entropy(%p: tensor<4xf32>, %t: tensor<4xf32>) -> tensor<f32> {
  %0 = nabla.binary_cross_entropy %p, %t : tensor<4xf32>, tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// cross_entropy: log_softmax over classes, then a reduction over [N, C]
// that adds log p[n, c] only where c (linalg.index 1) == labels[n], then
// -(1/N).
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[LAB:map[0-9]*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG:   #[[NONE:map[0-9]*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME:    (%[[L:.*]]: tensor<2x3xf32>, %[[Y:.*]]: tensor<2xi32>)
// CHECK:           arith.maximumf
// CHECK:           math.exp
// CHECK:           math.log
// CHECK:         %[[LSM:.*]] = linalg.generic
// CHECK:           arith.subf
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<f32>)
// CHECK:         %[[PICK:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[LAB]], #[[NONE]]], iterator_types = ["reduction", "reduction"]}
// CHECK-SAME:        ins(%[[LSM]], %[[Y]] : tensor<2x3xf32>, tensor<2xi32>) outs(%[[INIT]] : tensor<f32>)
// CHECK-NEXT:    ^bb0(%[[LP:.*]]: f32, %[[LABEL:.*]]: i32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[C:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[LI:.*]] = arith.index_cast %[[LABEL]] : i32 to index
// CHECK-NEXT:      %[[HIT:.*]] = arith.cmpi eq, %[[C]], %[[LI]] : index
// CHECK-NEXT:      %[[ADD:.*]] = arith.addf %[[ACC]], %[[LP]] : f32
// CHECK-NEXT:      %[[SEL:.*]] = arith.select %[[HIT]], %[[ADD]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[SEL]] : f32
// CHECK:         %[[N:.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[PICK]], %[[N]] : tensor<f32>, tensor<f32>)
// CHECK:           arith.divf
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[MEAN]] : tensor<f32>)
// CHECK:           arith.negf
// CHECK:         return %[[R]]
func.func @cross_entropy(%l: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f32> {
  %0 = nabla.cross_entropy %l, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

//===----------------------------------------------------------------------===//
// Backward-graph helpers
//===----------------------------------------------------------------------===//

// -----

// relu_grad passes dy where x > 0 and 0 elsewhere.
// CHECK-LABEL: func.func @relu_grad
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>, %[[DY:.*]]: tensor<4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[X]], %[[DY]] : tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[DYV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[XV]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[SEL:.*]] = arith.select %[[POS]], %[[DYV]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[SEL]] : f32
func.func @relu_grad(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.relu_grad %x, %dy : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Float comparisons are ordered (false on NaN) except "ne"; integer ones are signed.
// CHECK-LABEL: func.func @compare
// CHECK:         arith.cmpf oeq
// CHECK:         arith.cmpf une
// CHECK:         arith.cmpf olt
// CHECK:         arith.cmpf ole
// CHECK:         arith.cmpf ogt
// CHECK:         arith.cmpf oge
// CHECK:         arith.cmpi slt
// CHECK:         arith.cmpi sge
func.func @compare(%x: tensor<4xf32>, %s: tensor<f32>, %i: tensor<4xi32>)
    -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = nabla.compare "eq", %x, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %1 = nabla.compare "ne", %x, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %2 = nabla.compare "lt", %x, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %3 = nabla.compare "le", %x, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %4 = nabla.compare "gt", %x, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %5 = nabla.compare "ge", %x, %s : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
  %6 = nabla.compare "lt", %i, %i : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
  %7 = nabla.compare "ge", %i, %i : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// one_hot selects 1 where the column index equals the row's label, else 0.
// CHECK-DAG:   #[[LAB:map[0-9]*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG:   #[[ID2:map[0-9]*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @one_hot
// CHECK-SAME:    (%[[Y:.*]]: tensor<8xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[LAB]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[Y]] : tensor<8xi32>) outs(%{{.*}} : tensor<8x10xf32>)
// CHECK-NEXT:    ^bb0(%[[LABEL:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT:      %[[C:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[LI:.*]] = arith.index_cast %[[LABEL]] : i32 to index
// CHECK-NEXT:      %[[HIT:.*]] = arith.cmpi eq, %[[C]], %[[LI]] : index
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:       %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[SEL:.*]] = arith.select %[[HIT]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[SEL]] : f32
func.func @one_hot(%y: tensor<8xi32>) -> tensor<8x10xf32> {
  %0 = nabla.one_hot %y : tensor<8xi32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}
