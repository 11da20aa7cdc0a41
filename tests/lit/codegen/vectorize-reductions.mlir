// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-vectorize-reductions{vector-bits=512}),canonicalize)' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#none = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// A column sum (a bias gradient): tiles of 64 columns (4 vectors of 16),
// the rows summed inside into a vector carried by the loop, written once.
// CHECK-LABEL: func.func @column_sums
// CHECK:         scf.for %[[J:.*]] = %c0 to %c512 step %c64 iter_args(%[[OUT:.*]] = %arg1)
// CHECK:           %[[INIT:.*]] = vector.transfer_read %[[OUT]][%[[J]]]{{.*}} vector<64xf32>
// CHECK:           %[[SUM:.*]] = scf.for %[[I:.*]] = %c0 to %c256 step %c1 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<64xf32>)
// CHECK:             %[[ROW:.*]] = vector.transfer_read %arg0[%[[I]], %[[J]]]{{.*}} vector<64xf32>
// CHECK:             arith.addf %[[ACC]], %[[ROW]] : vector<64xf32>
// CHECK:           vector.transfer_write %[[SUM]], %[[OUT]][%[[J]]]
// CHECK:         } {nabla.parallel}
// CHECK-NOT:     linalg.generic
func.func @column_sums(%in: tensor<256x512xf32>, %acc: tensor<512xf32>) -> tensor<512xf32> {
  %r = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%in : tensor<256x512xf32>) outs(%acc : tensor<512xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<512xf32>
  return %r : tensor<512xf32>
}

// A sum of squares of all elements (a gradient norm): 64 partial sums
// carried through both loops, then one vector.reduction into the result.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<64xf32>
// CHECK:         %[[ROWS:.*]] = scf.for {{.*}} to %c32 step %c1 iter_args(%[[A:.*]] = %[[ZERO]]) -> (vector<64xf32>)
// CHECK:           scf.for {{.*}} to %c512 step %c64 iter_args(%[[B:.*]] = %[[A]]) -> (vector<64xf32>)
// CHECK:             %[[X:.*]] = vector.transfer_read %arg0{{.*}} vector<64xf32>
// CHECK:             %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : vector<64xf32>
// CHECK:             arith.addf %[[SQ]], %[[B]] : vector<64xf32>
// CHECK:         vector.reduction <add>, %[[ROWS]]
// CHECK-NOT:     linalg.generic
func.func @sum_of_squares(%in: tensor<32x512xf32>, %acc: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [#id, #none], iterator_types = ["reduction", "reduction"]}
      ins(%in : tensor<32x512xf32>) outs(%acc : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    %s = arith.addf %m, %o : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// A maximum of each row (softmax): rows in parallel, 16 lanes of maxima
// (48 does not divide by 64) starting at -inf, then vector.reduction.
// CHECK-LABEL: func.func @row_maxima
// CHECK:         %[[NEG:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK:         scf.for %[[R:.*]] = %c0 to %c8 step %c1
// CHECK:           %[[M:.*]] = scf.for {{.*}} to %c48 step %c16 iter_args(%[[A:.*]] = %[[NEG]]) -> (vector<16xf32>)
// CHECK:             arith.maximumf {{.*}}, %[[A]] : vector<16xf32>
// CHECK:           vector.reduction <maximumf>, %[[M]]
// CHECK:         } {nabla.parallel}
func.func @row_maxima(%in: tensor<8x48xf32>, %acc: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%in : tensor<8x48xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.maximumf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// Left alone: 10 classes (no vector width divides 10), and a transposed
// read (the innermost loop is not contiguous in the input).
// CHECK-LABEL: func.func @not_vectorized
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
func.func @not_vectorized(%a: tensor<4x10xf32>, %b: tensor<64x4xf32>, %acc: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<4x10xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, #row], iterator_types = ["parallel", "reduction"]}
      ins(%b : tensor<64x4xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r, %t : tensor<4xf32>, tensor<4xf32>
}
