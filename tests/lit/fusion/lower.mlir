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
// the rows; the accumulator is filled once, before the loop. Every tile
// adds into it: the loop is not parallel.
// CHECK-LABEL: func.func @norm
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]])
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         } {nabla.group = "group_0"}
// CHECK-NOT:     nabla.parallel
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
