// RUN: nabla-opt %s --canonicalize --split-input-file | FileCheck %s

// The folders of the nabla ops, one per split.

// x + 0 is x; the zero constant goes away with the add.
// CHECK-LABEL: func.func @add_zero
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<4xf32>
func.func @add_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = nabla.constant dense<0.0> : tensor<4xf32>
  %0 = nabla.add %x, %zero : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// 0 + x is x.
// CHECK-LABEL: func.func @zero_add
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<4xf32>
func.func @zero_add(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = nabla.constant dense<0.0> : tensor<4xf32>
  %0 = nabla.add %zero, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x + 0 is x also when a smaller (here rank-0) zero broadcasts into x's shape.
// CHECK-LABEL: func.func @add_broadcast_scalar_zero
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<8x10xf32>
func.func @add_broadcast_scalar_zero(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  %zero = nabla.constant dense<0.0> : tensor<f32>
  %0 = nabla.add %x, %zero : tensor<8x10xf32>, tensor<f32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

// x + 0 does not fold when the zero broadcasts x to a larger shape: the
// result is not x's type.
// CHECK-LABEL: func.func @add_zero_that_broadcasts_x
// CHECK-SAME:    (%[[X:.*]]: tensor<10xf32>)
// CHECK:         %[[ZERO:.*]] = nabla.constant dense<0.000000e+00> : tensor<8x10xf32>
// CHECK:         %[[SUM:.*]] = nabla.add %[[X]], %[[ZERO]] : tensor<10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
// CHECK:         return %[[SUM]]
func.func @add_zero_that_broadcasts_x(%x: tensor<10xf32>) -> tensor<8x10xf32> {
  %zero = nabla.constant dense<0.0> : tensor<8x10xf32>
  %0 = nabla.add %x, %zero : tensor<10xf32>, tensor<8x10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

// 0 + x does not fold either when the zero broadcasts x (add is
// commutative, so the constant moves to the right).
// CHECK-LABEL: func.func @zero_that_broadcasts_x_add
// CHECK-SAME:    (%[[X:.*]]: tensor<1x10xf32>)
// CHECK:         %[[ZERO:.*]] = nabla.constant dense<0.000000e+00> : tensor<8x1xf32>
// CHECK:         nabla.add %[[X]], %[[ZERO]] : tensor<1x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
func.func @zero_that_broadcasts_x_add(%x: tensor<1x10xf32>) -> tensor<8x10xf32> {
  %zero = nabla.constant dense<0.0> : tensor<8x1xf32>
  %0 = nabla.add %zero, %x : tensor<8x1xf32>, tensor<1x10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

// A non-zero addend is kept.
// CHECK-LABEL: func.func @add_nonzero
// CHECK:         %[[C:.*]] = nabla.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK:         nabla.add %{{.*}}, %[[C]]
func.func @add_nonzero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = nabla.constant dense<1.0> : tensor<4xf32>
  %0 = nabla.add %x, %one : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x + 0 is x for integers too.
// CHECK-LABEL: func.func @add_zero_i32
// CHECK-SAME:    (%[[X:.*]]: tensor<4xi32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<4xi32>
func.func @add_zero_i32(%x: tensor<4xi32>) -> tensor<4xi32> {
  %zero = nabla.constant dense<0> : tensor<4xi32>
  %0 = nabla.add %x, %zero : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// x * 1 is x.
// CHECK-LABEL: func.func @mul_one
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf16>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<2x3xf16>
func.func @mul_one(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %one = nabla.constant dense<1.0> : tensor<2x3xf16>
  %0 = nabla.mul %x, %one : tensor<2x3xf16>, tensor<2x3xf16> -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

// 1 * x is x.
// CHECK-LABEL: func.func @one_mul
// CHECK-SAME:    (%[[X:.*]]: tensor<4xi32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<4xi32>
func.func @one_mul(%x: tensor<4xi32>) -> tensor<4xi32> {
  %one = nabla.constant dense<1> : tensor<4xi32>
  %0 = nabla.mul %one, %x : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// x * 2 is kept.
// CHECK-LABEL: func.func @mul_two
// CHECK:         nabla.mul
func.func @mul_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %two = nabla.constant dense<2.0> : tensor<f32>
  %0 = nabla.mul %x, %two : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x - 0 is x.
// CHECK-LABEL: func.func @sub_zero
// CHECK-SAME:    (%[[X:.*]]: tensor<4xbf16>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<4xbf16>
func.func @sub_zero(%x: tensor<4xbf16>) -> tensor<4xbf16> {
  %zero = nabla.constant dense<0.0> : tensor<bf16>
  %0 = nabla.sub %x, %zero : tensor<4xbf16>, tensor<bf16> -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// 0 - x is -x, not x: it does not fold to x.
// CHECK-LABEL: func.func @zero_sub
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[ZERO:.*]] = nabla.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK:         %[[D:.*]] = nabla.sub %[[ZERO]], %[[X]]
// CHECK:         return %[[D]]
func.func @zero_sub(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = nabla.constant dense<0.0> : tensor<4xf32>
  %0 = nabla.sub %zero, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x / 1 is x.
// CHECK-LABEL: func.func @div_one
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<4xf32>
func.func @div_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = nabla.constant dense<1.0> : tensor<4xf32>
  %0 = nabla.div %x, %one : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// 1 / x is a reciprocal, not x.
// CHECK-LABEL: func.func @one_div
// CHECK:         %[[D:.*]] = nabla.div
// CHECK:         return %[[D]]
func.func @one_div(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = nabla.constant dense<1.0> : tensor<4xf32>
  %0 = nabla.div %one, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x ** 1 is x.
// CHECK-LABEL: func.func @pow_one
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<4xf32>
func.func @pow_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = nabla.constant dense<1.0> : tensor<f32>
  %0 = nabla.pow %x, %one : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x ** 2 is kept.
// CHECK-LABEL: func.func @pow_two
// CHECK:         nabla.pow
func.func @pow_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %two = nabla.constant dense<2.0> : tensor<f32>
  %0 = nabla.pow %x, %two : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// -(-x) is x.
// CHECK-LABEL: func.func @neg_neg
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     nabla.neg
// CHECK:         return %[[X]] : tensor<4xf32>
func.func @neg_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.neg %x : tensor<4xf32>
  %1 = nabla.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// -(-(-x)) is -x: one negation stays.
// CHECK-LABEL: func.func @neg_neg_neg
// CHECK-SAME:    (%[[X:.*]]: tensor<4xi32>)
// CHECK:         %[[N:.*]] = nabla.neg %[[X]] : tensor<4xi32>
// CHECK-NOT:     nabla.neg
// CHECK:         return %[[N]] : tensor<4xi32>
func.func @neg_neg_neg(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = nabla.neg %x : tensor<4xi32>
  %1 = nabla.neg %0 : tensor<4xi32>
  %2 = nabla.neg %1 : tensor<4xi32>
  return %2 : tensor<4xi32>
}

// -----

// A transpose undone by another transpose is x.
// CHECK-LABEL: func.func @transpose_transpose_cancel
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NOT:     nabla.transpose
// CHECK:         return %[[X]] : tensor<2x3x4xf32>
func.func @transpose_transpose_cancel(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = nabla.transpose %x [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = nabla.transpose %0 [2, 0, 1] : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// Two transposes that do not cancel become one: result dim i of the pair
// is x's dim inner[outer[i]], so [1, 0, 2] then [2, 0, 1] is [2, 1, 0].
// CHECK-LABEL: func.func @transpose_transpose_compose
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT:    %[[T:.*]] = nabla.transpose %[[X]] [2, 1, 0] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NEXT:    return %[[T]] : tensor<4x3x2xf32>
func.func @transpose_transpose_compose(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = nabla.transpose %x [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = nabla.transpose %0 [2, 0, 1] : tensor<3x2x4xf32> -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// A transpose whose operand has other users still composes; the inner
// transpose stays for those users.
// CHECK-LABEL: func.func @transpose_transpose_compose_shared
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-DAG:     %[[INNER:.*]] = nabla.transpose %[[X]] [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
// CHECK-DAG:     %[[OUTER:.*]] = nabla.transpose %[[X]] [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK:         return %[[INNER]], %[[OUTER]]
func.func @transpose_transpose_compose_shared(%x: tensor<2x3x4xf32>)
    -> (tensor<3x4x2xf32>, tensor<4x2x3xf32>) {
  %0 = nabla.transpose %x [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = nabla.transpose %0 [1, 2, 0] : tensor<3x4x2xf32> -> tensor<4x2x3xf32>
  return %0, %1 : tensor<3x4x2xf32>, tensor<4x2x3xf32>
}

// -----

// The identity permutation is no transpose at all.
// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xi1>)
// CHECK-NOT:     nabla.transpose
// CHECK:         return %[[X]] : tensor<2x3xi1>
func.func @transpose_identity(%x: tensor<2x3xi1>) -> tensor<2x3xi1> {
  %0 = nabla.transpose %x [0, 1] : tensor<2x3xi1> -> tensor<2x3xi1>
  return %0 : tensor<2x3xi1>
}

// -----

// A reshape of a reshape is one reshape from the original operand.
// CHECK-LABEL: func.func @reshape_reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT:    %[[R:.*]] = nabla.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT:    return %[[R]] : tensor<24xf32>
func.func @reshape_reshape(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = nabla.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = nabla.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// A reshape and its inverse cancel.
// CHECK-LABEL: func.func @reshape_reshape_back
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT:     nabla.reshape
// CHECK:         return %[[X]] : tensor<2x3xf32>
func.func @reshape_reshape_back(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nabla.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = nabla.reshape %0 : tensor<6xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// A reshape to the operand's own type is no reshape.
// CHECK-LABEL: func.func @reshape_same_type
// CHECK-SAME:    (%[[X:.*]]: tensor<8x8xf32>)
// CHECK-NOT:     nabla.reshape
// CHECK:         return %[[X]] : tensor<8x8xf32>
func.func @reshape_same_type(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %0 = nabla.reshape %x : tensor<8x8xf32> -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

// A reshape of a constant is a constant of the new shape, same row-major order.
// CHECK-LABEL: func.func @reshape_constant
// CHECK-NEXT:    %[[C:.*]] = nabla.constant dense<{{\[}}[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
// CHECK-NEXT:    return %[[C]] : tensor<2x3xi32>
func.func @reshape_constant() -> tensor<2x3xi32> {
  %c = nabla.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi32>
  %0 = nabla.reshape %c : tensor<6xi32> -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

// broadcast_to its own type is no broadcast.
// CHECK-LABEL: func.func @broadcast_to_same_type
// CHECK-SAME:    (%[[X:.*]]: tensor<8x10xf32>)
// CHECK-NOT:     nabla.broadcast_to
// CHECK:         return %[[X]] : tensor<8x10xf32>
func.func @broadcast_to_same_type(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  %0 = nabla.broadcast_to %x : tensor<8x10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

// Broadcasting a splat constant is a splat constant of the larger shape.
// CHECK-LABEL: func.func @broadcast_to_splat
// CHECK-NEXT:    %[[C:.*]] = nabla.constant dense<2.500000e+00> : tensor<8x10xf32>
// CHECK-NEXT:    return %[[C]] : tensor<8x10xf32>
func.func @broadcast_to_splat() -> tensor<8x10xf32> {
  %c = nabla.constant dense<2.5> : tensor<10xf32>
  %0 = nabla.broadcast_to %c : tensor<10xf32> -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

// Broadcasting a non-splat constant is left alone.
// CHECK-LABEL: func.func @broadcast_to_non_splat
// CHECK:         %[[C:.*]] = nabla.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK:         nabla.broadcast_to %[[C]] : tensor<2xf32> -> tensor<3x2xf32>
func.func @broadcast_to_non_splat() -> tensor<3x2xf32> {
  %c = nabla.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = nabla.broadcast_to %c : tensor<2xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A cast to the operand's own type is no cast.
// CHECK-LABEL: func.func @cast_same_type
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     nabla.cast
// CHECK:         return %[[X]] : tensor<4xf32>
func.func @cast_same_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.cast %x : tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A cast that changes the element type stays.
// CHECK-LABEL: func.func @cast_other_type
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[C:.*]] = nabla.cast %[[X]] : tensor<4xf32> -> tensor<4xf16>
// CHECK:         return %[[C]]
func.func @cast_other_type(%x: tensor<4xf32>) -> tensor<4xf16> {
  %0 = nabla.cast %x : tensor<4xf32> -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// Folds chain: (x * 1 + 0) transposed twice back is x.
// CHECK-LABEL: func.func @fold_chain
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT:     nabla.
// CHECK:         return %[[X]] : tensor<2x3xf32>
func.func @fold_chain(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %one = nabla.constant dense<1.0> : tensor<f32>
  %zero = nabla.constant dense<0.0> : tensor<3xf32>
  %0 = nabla.mul %x, %one : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %1 = nabla.add %0, %zero : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %2 = nabla.transpose %1 [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %3 = nabla.transpose %2 [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}
