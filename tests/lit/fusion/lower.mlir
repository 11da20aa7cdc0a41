// RUN: nabla-opt %s --nabla-fusion --nabla-to-linalg --nabla-lower-fused --canonicalize --cse | FileCheck %s

// A row-wise softmax written out by hand (exp, row sum, divide) is one group
// and becomes one loop over tiles of rows (a row is 1 KiB, so 32 rows fill
// the 32 KiB tile budget): the exponentials exist only one tile at a time,
// and the only full-size tensor written is the result. Tiles write disjoint
// rows: the loop is marked nabla.parallel (nabla-cpu-parallel may spread it
// over threads).
// CHECK-LABEL: func.func @softmax_rows
// CHECK-NOT:     linalg.generic
// CHECK:         %[[R:.*]] = scf.for %[[I:.*]] = %c0 to %c64 step %c32
// CHECK:           tensor.extract_slice %arg0[%[[I]], 0] [32, 256]
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:           arith.divf
// CHECK:           tensor.insert_slice {{.*}}[%[[I]], 0] [32, 256]
// CHECK:         } {nabla.group = "group_0", nabla.parallel}
// CHECK-NEXT:    return %[[R]]
func.func @softmax_rows(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %0 = nabla.exp %x : tensor<64x256xf32>
  %1 = nabla.sum %0 axes = [1] keepdims : tensor<64x256xf32> -> tensor<64x1xf32>
  %2 = nabla.div %0, %1 : tensor<64x256xf32>, tensor<64x1xf32> -> tensor<64x256xf32>
  return %2 : tensor<64x256xf32>
}

// A norm (square, then sum over everything) tiles its reduction loop over
// the rows; the accumulator is filled once, before the loop. Each tile
// sums into its own partial sum (zeroed in the tile), so the loop is
// parallel; the partial sums are added into the accumulator after it.
// CHECK-LABEL: func.func @norm
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK:         %[[PARTS:.*]] = tensor.empty() : tensor<2xf32>
// CHECK:         %[[LOOP:.*]] = scf.for %[[I:.*]] = %c0 to %c128 step %c64 iter_args(%[[P:.*]] = %[[PARTS]])
// CHECK:           %[[T:.*]] = arith.divui %[[I]], %c64
// CHECK:           %[[MINE:.*]] = tensor.extract_slice %[[P]][%[[T]]] [1] [1] : tensor<2xf32> to tensor<f32>
// CHECK:           %[[ZERO:.*]] = linalg.fill {{.*}} outs(%[[MINE]] : tensor<f32>)
// CHECK:           linalg.generic {{.*}} outs(%[[ZERO]] : tensor<f32>)
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:           tensor.insert_slice %{{.*}} into %[[P]][%[[T]]] [1] [1]
// CHECK:         } {nabla.group = "group_0", nabla.parallel}
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[LOOP]] : tensor<2xf32>) outs(%[[ACC]] : tensor<f32>) attrs = {nabla.group = "group_0", nabla.partial_sums}
// CHECK:           arith.addf
func.func @norm(%g: tensor<128x64xf32>) -> tensor<f32> {
  %0 = nabla.mul %g, %g : tensor<128x64xf32>, tensor<128x64xf32> -> tensor<128x64xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<128x64xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// A matmul + bias + relu group is one loop over blocks of rows (4 of the
// 8 here: matmul groups take up to 32 rows, fewer than all): each block of
// x @ w is computed and its epilogue applied while it is in cache; the
// pre-activation never exists as a full tensor.
// CHECK-LABEL: func.func @dense
// CHECK:         %[[R:.*]] = scf.for %[[I:.*]] = %c0 to %c8 step %c4
// CHECK:           tensor.extract_slice %arg0[%[[I]], 0] [4, 64]
// CHECK:           linalg.matmul
// CHECK:           arith.addf
// CHECK:           arith.maximumf
// CHECK:           tensor.insert_slice {{.*}}[%[[I]], 0] [4, 32]
// CHECK:         } {nabla.group = "group_0", nabla.parallel}
// CHECK-NEXT:    return %[[R]]
func.func @dense(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %0 = nabla.matmul %x, %w : tensor<8x64xf32>, tensor<64x32xf32> -> tensor<8x32xf32>
  %1 = nabla.add %0, %b : tensor<8x32xf32>, tensor<32xf32> -> tensor<8x32xf32>
  %2 = nabla.relu %1 : tensor<8x32xf32>
  return %2 : tensor<8x32xf32>
}

// A maximum over the rows has no partial sums: its loop over tiles of rows
// carries the running maximum and stays sequential.
// CHECK-LABEL: func.func @column_max
// CHECK:         scf.for
// CHECK:           arith.maximumf
// CHECK:         } {nabla.group = "group_0"}
// CHECK-NOT:     nabla.partial_sums
func.func @column_max(%g: tensor<128x64xf32>) -> tensor<64xf32> {
  %0 = nabla.mul %g, %g : tensor<128x64xf32>, tensor<128x64xf32> -> tensor<128x64xf32>
  %1 = nabla.reduce_max %0 axes = [0] : tensor<128x64xf32> -> tensor<64xf32>
  return %1 : tensor<64xf32>
}
