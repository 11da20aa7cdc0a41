// RUN: nabla-opt %s --split-input-file --verify-diagnostics

// Every message the nabla verifiers can emit, one per split, followed by
// the ODS type constraints the ops declare.

//===----------------------------------------------------------------------===//
// Constants and casts
//===----------------------------------------------------------------------===//

// A constant must hold elements, not just any typed attribute.
func.func @constant_not_elements() {
  // expected-error @+1 {{'nabla.constant' op value must be a tensor of elements, e.g. dense<...>}}
  %0 = nabla.constant #ml_program.extern : tensor<4xf32>
  return
}

// -----

// A constant is a tensor; a bare scalar is rejected by the result type.
func.func @constant_scalar_not_tensor() {
  // expected-error @+1 {{'nabla.constant' op result #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float or 32-bit signless integer or 1-bit signless integer values, but got 'f32'}}
  %0 = nabla.constant 1.0 : f32
  return
}

// -----

// A constant's element type must be one nabla knows (no i64).
func.func @constant_i64() {
  // expected-error @+1 {{'nabla.constant' op result #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float or 32-bit signless integer or 1-bit signless integer values, but got 'tensor<2xi64>'}}
  %0 = nabla.constant dense<[1, 2]> : tensor<2xi64>
  return
}

// -----

// A cast changes the element type, never the shape.
func.func @cast_changes_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.cast' op requires the same shape for all operands and results}}
  %0 = nabla.cast %x : tensor<4xf32> -> tensor<2x2xf16>
  return
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

// -----

// Binary operands must share an element type (no implicit promotion).
func.func @binary_element_type_mismatch(%x: tensor<4xf32>, %y: tensor<4xf16>) {
  // expected-error @+1 {{'nabla.add' op operands and result must have one element type, got 'f32', 'f16' -> 'f32'}}
  %0 = nabla.add %x, %y : tensor<4xf32>, tensor<4xf16> -> tensor<4xf32>
  return
}

// -----

// The result's element type must be the operands' too.
func.func @binary_result_element_type_mismatch(%x: tensor<4xi32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{'nabla.mul' op operands and result must have one element type, got 'i32', 'i32' -> 'f32'}}
  %0 = nabla.mul %x, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xf32>
  return
}

// -----

// Trailing dims 10 and 8 neither agree nor are 1.
func.func @binary_not_broadcastable(%x: tensor<8x10xf32>, %y: tensor<10x8xf32>) {
  // expected-error @+1 {{'nabla.sub' op cannot broadcast shapes [8, 10] and [10, 8]}}
  %0 = nabla.sub %x, %y : tensor<8x10xf32>, tensor<10x8xf32> -> tensor<8x10xf32>
  return
}

// -----

// A missing leading dim aligns from the right: [8, 10] and [8] do not broadcast.
func.func @binary_not_broadcastable_trailing(%x: tensor<8x10xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'nabla.add' op cannot broadcast shapes [8, 10] and [8]}}
  %0 = nabla.add %x, %b : tensor<8x10xf32>, tensor<8xf32> -> tensor<8x10xf32>
  return
}

// -----

// The result must have the broadcast shape, not one operand's shape.
func.func @binary_wrong_result_shape(%x: tensor<8x1xf32>, %y: tensor<1x10xf32>) {
  // expected-error @+1 {{'nabla.div' op result shape [8, 1] is not the broadcast shape [8, 10]}}
  %0 = nabla.div %x, %y : tensor<8x1xf32>, tensor<1x10xf32> -> tensor<8x1xf32>
  return
}

// -----

// Broadcasting a scalar does not add dimensions to the result.
func.func @binary_scalar_wrong_result_shape(%x: tensor<f32>, %y: tensor<f32>) {
  // expected-error @+1 {{'nabla.pow' op result shape [1] is not the broadcast shape []}}
  %0 = nabla.pow %x, %y : tensor<f32>, tensor<f32> -> tensor<1xf32>
  return
}

// -----

// max verifies like the other binary ops.
func.func @max_not_broadcastable(%x: tensor<3xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.max' op cannot broadcast shapes [3] and [4]}}
  %0 = nabla.max %x, %y : tensor<3xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

// Binary ops take no booleans.
func.func @binary_on_i1(%x: tensor<4xi1>) {
  // expected-error @+1 {{'nabla.add' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float or 32-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = nabla.add %x, %x : tensor<4xi1>, tensor<4xi1> -> tensor<4xi1>
  return
}

//===----------------------------------------------------------------------===//
// Unary ops (ODS constraints)
//===----------------------------------------------------------------------===//

// -----

// relu is for floats only.
func.func @relu_on_i32(%x: tensor<4xi32>) {
  // expected-error @+1 {{'nabla.relu' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nabla.relu %x : tensor<4xi32>
  return
}

// -----

// exp is for floats only.
func.func @exp_on_i32(%x: tensor<4xi32>) {
  // expected-error @+1 {{'nabla.exp' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nabla.exp %x : tensor<4xi32>
  return
}

// -----

// neg takes i32 but not i1.
func.func @neg_on_i1(%x: tensor<4xi1>) {
  // expected-error @+1 {{'nabla.neg' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float or 32-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = nabla.neg %x : tensor<4xi1>
  return
}

// -----

// nabla works on tensors, not on scalars (the parser already says so).
func.func @sigmoid_on_scalar(%x: f32) {
  // expected-error @+1 {{custom op 'nabla.sigmoid' invalid kind of type specified: expected builtin.tensor, but found 'f32'}}
  %0 = nabla.sigmoid %x : f32
  return
}

// -----

// nabla tensors are ranked (checked by ODS, reached through the generic form).
func.func @tanh_on_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{'nabla.tanh' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values, but got 'tensor<*xf32>'}}
  %0 = "nabla.tanh"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// gelu's approximation is PyTorch's "none" or "tanh".
func.func @gelu_unknown_approximation(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.gelu' op attribute 'approximate' failed to satisfy constraint: string attribute "none" or "tanh"}}
  %0 = nabla.gelu %x approximate = "erf" : tensor<4xf32>
  return
}

// -----

// leaky_relu's slope is a number.
func.func @leaky_relu_slope_not_a_number(%x: tensor<4xf32>) {
  // expected-error @+1 {{invalid kind of attribute specified}}
  %0 = nabla.leaky_relu %x slope = "steep" : tensor<4xf32>
  return
}

// -----

// relu_grad's x, dy and result have one type.
func.func @relu_grad_type_mismatch(%x: tensor<4xf32>, %dy: tensor<4xf16>) {
  // expected-error @+1 {{'nabla.relu_grad' op requires the same type for all operands and results}}
  %0 = "nabla.relu_grad"(%x, %dy) : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// -----

// An axis must name a dimension of the operand.
func.func @reduce_axis_out_of_range(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.sum' op axis 2 is out of range for rank 2}}
  %0 = nabla.sum %x axes = [2] : tensor<8x10xf32> -> tensor<8x10xf32>
  return
}

// -----

// Negative axes are not accepted (no Python-style -1).
func.func @reduce_negative_axis(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.mean' op axis -1 is out of range for rank 2}}
  %0 = nabla.mean %x axes = [-1] : tensor<8x10xf32> -> tensor<8xf32>
  return
}

// -----

// A rank-0 tensor has no axis to reduce.
func.func @reduce_axis_of_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'nabla.reduce_max' op axis 0 is out of range for rank 0}}
  %0 = nabla.reduce_max %x axes = [0] : tensor<f32> -> tensor<f32>
  return
}

// -----

// Axes are listed in increasing order.
func.func @reduce_axes_unsorted(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.sum' op axes must be sorted and distinct, got [1, 0]}}
  %0 = nabla.sum %x axes = [1, 0] : tensor<8x10xf32> -> tensor<f32>
  return
}

// -----

// An axis may appear only once.
func.func @reduce_axes_repeated(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.sum' op axes must be sorted and distinct, got [0, 0]}}
  %0 = nabla.sum %x axes = [0, 0] : tensor<8x10xf32> -> tensor<10xf32>
  return
}

// -----

// Without keepdims the reduced axis disappears.
func.func @reduce_wrong_result_shape(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.sum' op reducing [8, 10] over axes [1] gives [8], not [8, 1]}}
  %0 = nabla.sum %x axes = [1] : tensor<8x10xf32> -> tensor<8x1xf32>
  return
}

// -----

// With keepdims the reduced axis stays, as size 1.
func.func @reduce_keepdims_wrong_result_shape(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.reduce_max' op reducing [8, 10] over axes [1] with keepdims gives [8, 1], not [8]}}
  %0 = nabla.reduce_max %x axes = [1] keepdims : tensor<8x10xf32> -> tensor<8xf32>
  return
}

// -----

// A reduction keeps the element type.
func.func @reduce_element_type_mismatch(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.sum' op result element type must match the operand's}}
  %0 = nabla.sum %x axes = [1] : tensor<8x10xf32> -> tensor<8xf16>
  return
}

// -----

// mean is for floats only (an integer mean would truncate).
func.func @mean_on_i32(%x: tensor<4xi32>) {
  // expected-error @+1 {{'nabla.mean' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nabla.mean %x axes = [0] : tensor<4xi32> -> tensor<i32>
  return
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

// -----

// Matmul takes one element type.
func.func @matmul_element_type_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x4xf16>) {
  // expected-error @+1 {{'nabla.matmul' op operands and result must have one element type}}
  %0 = nabla.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf16> -> tensor<2x4xf32>
  return
}

// -----

// A vector is not a matrix.
func.func @matmul_rank_1(%a: tensor<3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{'nabla.matmul' op expects two 2-D or two 3-D (batched) operands, got [3] and [3, 4]}}
  %0 = nabla.matmul %a, %b : tensor<3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

// 2-D times 3-D does not broadcast the batch.
func.func @matmul_rank_mismatch(%a: tensor<2x3xf32>, %b: tensor<5x3x4xf32>) {
  // expected-error @+1 {{'nabla.matmul' op expects two 2-D or two 3-D (batched) operands, got [2, 3] and [5, 3, 4]}}
  %0 = nabla.matmul %a, %b : tensor<2x3xf32>, tensor<5x3x4xf32> -> tensor<5x2x4xf32>
  return
}

// -----

// At most one batch dimension.
func.func @matmul_rank_4(%a: tensor<1x2x2x3xf32>, %b: tensor<1x2x3x4xf32>) {
  // expected-error @+1 {{'nabla.matmul' op expects two 2-D or two 3-D (batched) operands, got [1, 2, 2, 3] and [1, 2, 3, 4]}}
  %0 = nabla.matmul %a, %b : tensor<1x2x2x3xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x2x4xf32>
  return
}

// -----

// The inner dimensions must agree.
func.func @matmul_inner_mismatch(%a: tensor<128x64xf32>, %b: tensor<32x10xf32>) {
  // expected-error @+1 {{'nabla.matmul' op inner dimensions differ: [128, 64] @ [32, 10]}}
  %0 = nabla.matmul %a, %b : tensor<128x64xf32>, tensor<32x10xf32> -> tensor<128x10xf32>
  return
}

// -----

// Batched operands must have the same batch size.
func.func @matmul_batch_mismatch(%a: tensor<4x2x3xf32>, %b: tensor<5x3x6xf32>) {
  // expected-error @+1 {{'nabla.matmul' op batch sizes differ: [4, 2, 3] @ [5, 3, 6]}}
  %0 = nabla.matmul %a, %b : tensor<4x2x3xf32>, tensor<5x3x6xf32> -> tensor<4x2x6xf32>
  return
}

// -----

// The result is [M, N].
func.func @matmul_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{'nabla.matmul' op result shape [4, 2] should be [2, 4]}}
  %0 = nabla.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<4x2xf32>
  return
}

// -----

// The batched result is [B, M, N].
func.func @matmul_batched_wrong_result(%a: tensor<4x2x3xf32>, %b: tensor<4x3x6xf32>) {
  // expected-error @+1 {{'nabla.matmul' op result shape [2, 6] should be [4, 2, 6]}}
  %0 = nabla.matmul %a, %b : tensor<4x2x3xf32>, tensor<4x3x6xf32> -> tensor<2x6xf32>
  return
}

//===----------------------------------------------------------------------===//
// Transpose, reshape, broadcast_to
//===----------------------------------------------------------------------===//

// -----

// One permutation entry per dimension.
func.func @transpose_short_permutation(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'nabla.transpose' op permutation [1, 0] does not have one entry per dimension of [2, 3, 4]}}
  %0 = nabla.transpose %x [1, 0] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  return
}

// -----

// A permutation names each dimension once.
func.func @transpose_repeated_entry(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'nabla.transpose' op permutation [0, 0] is not a permutation of 0..1}}
  %0 = nabla.transpose %x [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

// A permutation entry must be a dimension of the operand.
func.func @transpose_entry_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'nabla.transpose' op permutation [2, 0] is not a permutation of 0..1}}
  %0 = nabla.transpose %x [2, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

// The result shape follows from the permutation.
func.func @transpose_wrong_result(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'nabla.transpose' op transposing [2, 3, 4] by [2, 0, 1] gives [4, 2, 3], not [3, 4, 2]}}
  %0 = nabla.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  return
}

// -----

// A transpose keeps the element type.
func.func @transpose_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'nabla.transpose' op cannot change the element type (use nabla.cast)}}
  %0 = nabla.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<3x2xf16>
  return
}

// -----

// A reshape keeps the element count.
func.func @reshape_element_count(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{'nabla.reshape' op cannot reshape [8, 8] (64 elements) to [60] (60 elements)}}
  %0 = nabla.reshape %x : tensor<8x8xf32> -> tensor<60xf32>
  return
}

// -----

// A reshape keeps the element type.
func.func @reshape_element_type(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{'nabla.reshape' op cannot change the element type (use nabla.cast)}}
  %0 = nabla.reshape %x : tensor<8x8xf32> -> tensor<64xi32>
  return
}

// -----

// broadcast_to stretches size-1 dims only.
func.func @broadcast_to_incompatible(%x: tensor<3xf32>) {
  // expected-error @+1 {{'nabla.broadcast_to' op cannot broadcast [3] to [8, 4]}}
  %0 = nabla.broadcast_to %x : tensor<3xf32> -> tensor<8x4xf32>
  return
}

// -----

// broadcast_to never removes dimensions.
func.func @broadcast_to_lower_rank(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.broadcast_to' op cannot broadcast [8, 10] to [10]}}
  %0 = nabla.broadcast_to %x : tensor<8x10xf32> -> tensor<10xf32>
  return
}

// -----

// broadcast_to never shrinks a dimension to 1.
func.func @broadcast_to_shrink(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.broadcast_to' op cannot broadcast [8, 10] to [1, 10]}}
  %0 = nabla.broadcast_to %x : tensor<8x10xf32> -> tensor<1x10xf32>
  return
}

// -----

// broadcast_to keeps the element type.
func.func @broadcast_to_element_type(%x: tensor<10xf32>) {
  // expected-error @+1 {{'nabla.broadcast_to' op cannot change the element type (use nabla.cast)}}
  %0 = nabla.broadcast_to %x : tensor<10xf32> -> tensor<8x10xbf16>
  return
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

// -----

// The softmax axis must name a dimension.
func.func @softmax_axis_out_of_range(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.softmax' op axis 2 is out of range for rank 2}}
  %0 = nabla.softmax %x axis = 2 : tensor<8x10xf32>
  return
}

// -----

// log_softmax takes no negative axis.
func.func @log_softmax_negative_axis(%x: tensor<8x10xf32>) {
  // expected-error @+1 {{'nabla.log_softmax' op axis -1 is out of range for rank 2}}
  %0 = nabla.log_softmax %x axis = -1 : tensor<8x10xf32>
  return
}

// -----

// softmax is for floats only.
func.func @softmax_on_i32(%x: tensor<4xi32>) {
  // expected-error @+1 {{'nabla.softmax' op operand #0 must be statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nabla.softmax %x axis = 0 : tensor<4xi32>
  return
}

// -----

// mse compares a prediction with a target of the same shape.
func.func @mse_shape_mismatch(%p: tensor<8x1xf32>, %t: tensor<8xf32>) {
  // expected-error @+1 {{'nabla.mse' op prediction [8, 1] and target [8] must have the same shape and element type}}
  %0 = nabla.mse %p, %t : tensor<8x1xf32>, tensor<8xf32> -> tensor<f32>
  return
}

// -----

// mse's operands share the element type too.
func.func @mse_element_type_mismatch(%p: tensor<8xf32>, %t: tensor<8xf16>) {
  // expected-error @+1 {{'nabla.mse' op prediction [8] and target [8] must have the same shape and element type}}
  %0 = nabla.mse %p, %t : tensor<8xf32>, tensor<8xf16> -> tensor<f32>
  return
}

// -----

// A loss is a scalar of the prediction's element type.
func.func @mse_result_element_type(%p: tensor<8xf32>, %t: tensor<8xf32>) {
  // expected-error @+1 {{'nabla.mse' op result element type must match the prediction's}}
  %0 = nabla.mse %p, %t : tensor<8xf32>, tensor<8xf32> -> tensor<f16>
  return
}

// -----

// A loss is a rank-0 tensor.
func.func @mse_result_not_scalar(%p: tensor<8xf32>, %t: tensor<8xf32>) {
  // expected-error @+1 {{'nabla.mse' op result #0 must be 0D tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = nabla.mse %p, %t : tensor<8xf32>, tensor<8xf32> -> tensor<1xf32>
  return
}

// -----

// binary_cross_entropy pairs each probability with one target.
func.func @bce_shape_mismatch(%p: tensor<8xf32>, %t: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.binary_cross_entropy' op probabilities [8] and targets [4] must have the same shape and element type}}
  %0 = nabla.binary_cross_entropy %p, %t : tensor<8xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

// binary_cross_entropy returns the probabilities' element type.
func.func @bce_result_element_type(%p: tensor<8xbf16>, %t: tensor<8xbf16>) {
  // expected-error @+1 {{'nabla.binary_cross_entropy' op result element type must match the prediction's}}
  %0 = nabla.binary_cross_entropy %p, %t : tensor<8xbf16>, tensor<8xbf16> -> tensor<f32>
  return
}

// -----

// cross_entropy takes logits [N, C], not a batch of sequences.
func.func @cross_entropy_logits_rank(%l: tensor<2x8x10xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'nabla.cross_entropy' op expects logits [N, C] and labels [N], got [2, 8, 10] and [8]}}
  %0 = nabla.cross_entropy %l, %y : tensor<2x8x10xf32>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

// cross_entropy takes one integer label per row, not one-hot rows.
func.func @cross_entropy_labels_rank(%l: tensor<8x10xf32>, %y: tensor<8x10xi32>) {
  // expected-error @+1 {{'nabla.cross_entropy' op expects logits [N, C] and labels [N], got [8, 10] and [8, 10]}}
  %0 = nabla.cross_entropy %l, %y : tensor<8x10xf32>, tensor<8x10xi32> -> tensor<f32>
  return
}

// -----

// Logits and labels agree on N.
func.func @cross_entropy_batch_mismatch(%l: tensor<8x10xf32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{'nabla.cross_entropy' op logits [8, 10] and labels [4] disagree on the batch size}}
  %0 = nabla.cross_entropy %l, %y : tensor<8x10xf32>, tensor<4xi32> -> tensor<f32>
  return
}

// -----

// cross_entropy returns the logits' element type.
func.func @cross_entropy_result_element_type(%l: tensor<8x10xf16>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'nabla.cross_entropy' op result element type must match the prediction's}}
  %0 = nabla.cross_entropy %l, %y : tensor<8x10xf16>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

// Labels are integers.
func.func @cross_entropy_float_labels(%l: tensor<8x10xf32>, %y: tensor<8xf32>) {
  // expected-error @+1 {{'nabla.cross_entropy' op operand #1 must be statically shaped tensor of 32-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = nabla.cross_entropy %l, %y : tensor<8x10xf32>, tensor<8xf32> -> tensor<f32>
  return
}

//===----------------------------------------------------------------------===//
// Backward-graph helpers
//===----------------------------------------------------------------------===//

// -----

// compare knows six predicates.
func.func @compare_unknown_predicate(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.compare' op unknown predicate "gte" (expected eq, ne, lt, le, gt or ge)}}
  %0 = nabla.compare "gte", %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
  return
}

// -----

// compare's operands share an element type.
func.func @compare_element_type_mismatch(%x: tensor<4xf32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{'nabla.compare' op operands must have one element type}}
  %0 = nabla.compare "eq", %x, %y : tensor<4xf32>, tensor<4xi32> -> tensor<4xi1>
  return
}

// -----

// compare broadcasts like the arithmetic ops.
func.func @compare_not_broadcastable(%x: tensor<4xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{'nabla.compare' op cannot broadcast shapes [4] and [3]}}
  %0 = nabla.compare "lt", %x, %y : tensor<4xf32>, tensor<3xf32> -> tensor<4xi1>
  return
}

// -----

// compare's result has the broadcast shape.
func.func @compare_wrong_result_shape(%x: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{'nabla.compare' op result shape [] is not the broadcast shape [4]}}
  %0 = nabla.compare "gt", %x, %s : tensor<4xf32>, tensor<f32> -> tensor<i1>
  return
}

// -----

// compare gives booleans.
func.func @compare_result_not_i1(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.compare' op result #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = nabla.compare "ge", %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

// one_hot maps labels [N] to rows [N, C].
func.func @one_hot_batch_mismatch(%y: tensor<8xi32>) {
  // expected-error @+1 {{'nabla.one_hot' op expects labels [N] and a result [N, C], got [8] and [4, 10]}}
  %0 = nabla.one_hot %y : tensor<8xi32> -> tensor<4x10xf32>
  return
}

// -----

// one_hot's result is a matrix.
func.func @one_hot_result_rank(%y: tensor<8xi32>) {
  // expected-error @+1 {{'nabla.one_hot' op expects labels [N] and a result [N, C], got [8] and [8]}}
  %0 = nabla.one_hot %y : tensor<8xi32> -> tensor<8xf32>
  return
}

//===----------------------------------------------------------------------===//
// nabla.* attributes on functions, arguments and results
//===----------------------------------------------------------------------===//

// -----

// An input's name is a string.
// expected-error @+1 {{'nabla.input' on argument 0 must be a string}}
func.func @input_not_string(%x: tensor<2xf32> {nabla.input = 1 : i64}) {
  return
}

// -----

// A parameter's name is a string.
// expected-error @+1 {{'nabla.param' on argument 1 must be a string}}
func.func @param_not_string(%x: tensor<2xf32>, %w: tensor<2xf32> {nabla.param}) {
  return
}

// -----

// An out-parameter's output name is a string.
// expected-error @+1 {{'nabla.output' on argument 0 must be a string}}
func.func @output_arg_not_string(%o: tensor<2xf32> {nabla.output = ["loss"]}) {
  return
}

// -----

// A gradient argument names its parameter with a string.
// expected-error @+1 {{'nabla.grad' on argument 0 must be a string}}
func.func @grad_arg_not_string(%g: tensor<2xf32> {nabla.grad = 0.5 : f32}) {
  return
}

// -----

// nabla.init is a dictionary.
// expected-error @+1 {{'nabla.init' on argument 0 must be a dictionary with a string 'kind'}}
func.func @init_not_dict(%w: tensor<2xf32> {nabla.param = "w", nabla.init = "normal"}) {
  return
}

// -----

// nabla.init says what kind of initialiser it is.
// expected-error @+1 {{'nabla.init' on argument 0 must be a dictionary with a string 'kind'}}
func.func @init_without_kind(%w: tensor<2xf32> {nabla.param = "w", nabla.init = {std = 0.1}}) {
  return
}

// -----

// The initialiser's kind is a string.
// expected-error @+1 {{'nabla.init' on argument 0 must be a dictionary with a string 'kind'}}
func.func @init_kind_not_string(%w: tensor<2xf32> {nabla.param = "w", nabla.init = {kind = 3 : i64}}) {
  return
}

// -----

// Misspelled argument attributes are caught.
// expected-error @+1 {{unknown nabla argument attribute 'nabla.parameter'}}
func.func @unknown_arg_attr(%w: tensor<2xf32> {nabla.parameter = "w"}) {
  return
}

// -----

// A result's output name is a string.
// expected-error @+1 {{'nabla.output' on result 0 must be a string}}
func.func @output_not_string() -> (tensor<f32> {nabla.output = 1 : i64}) {
  %0 = nabla.constant dense<0.0> : tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A result's gradient name is a string.
// expected-error @+1 {{'nabla.grad' on result 1 must be a string}}
func.func @grad_result_not_string() -> (tensor<f32>, tensor<f32> {nabla.grad}) {
  %0 = nabla.constant dense<0.0> : tensor<f32>
  return %0, %0 : tensor<f32>, tensor<f32>
}

// -----

// Inputs and parameters are arguments, not results.
// expected-error @+1 {{unknown nabla result attribute 'nabla.input'}}
func.func @input_on_result() -> (tensor<f32> {nabla.input = "x"}) {
  %0 = nabla.constant dense<0.0> : tensor<f32>
  return %0 : tensor<f32>
}

// -----

// nabla.gradient_of names the function it differentiates.
// expected-error @+1 {{'nabla.gradient_of' must be a string on a function}}
func.func @gradient_of_not_string() attributes {nabla.gradient_of = @Model} {
  return
}

// -----

// nabla.gradient_of belongs on a function.
func.func @gradient_of_on_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.gradient_of' must be a string on a function}}
  %0 = nabla.neg %x {nabla.gradient_of = "Model"} : tensor<4xf32>
  return
}

// -----

// nabla.model belongs on a function.
func.func @model_on_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.model' belongs on a function}}
  %0 = nabla.neg %x {nabla.model} : tensor<4xf32>
  return
}

// -----

// nabla.kernel (nabla-cpu-outline-kernels' mark) is a unit attribute on a
// function.
// expected-error @+1 {{'nabla.kernel' is a unit attribute on a function}}
func.func private @kernel_not_unit() attributes {nabla.kernel = 1 : i64}

// -----

func.func @kernel_on_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nabla.kernel' is a unit attribute on a function}}
  %0 = nabla.neg %x {nabla.kernel} : tensor<4xf32>
  return
}

// -----

// Misspelled operation attributes are caught.
// expected-error @+1 {{unknown nabla attribute 'nabla.models'}}
func.func @unknown_op_attr() attributes {nabla.models} {
  return
}

// -----

// Shapes are static: a dynamic dimension is rejected.
func.func @relu_dynamic(%x: tensor<?xf32>) {
  // expected-error @+1 {{statically shaped tensor}}
  %0 = nabla.relu %x : tensor<?xf32>
  return
}

// -----

// A dynamic dimension is rejected by matmul too.
func.func @matmul_dynamic(%a: tensor<?x4xf32>, %b: tensor<4x?xf32>) {
  // expected-error @+1 {{statically shaped tensor}}
  %0 = nabla.matmul %a, %b : tensor<?x4xf32>, tensor<4x?xf32> -> tensor<?x?xf32>
  return
}

// -----

// A reshape between dynamic shapes is rejected (its element count would
// be meaningless).
func.func @reshape_dynamic(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{statically shaped tensor}}
  %0 = nabla.reshape %x : tensor<?x4xf32> -> tensor<?x2xf32>
  return
}
