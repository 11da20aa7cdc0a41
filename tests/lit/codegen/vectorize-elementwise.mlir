// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-vectorize-elementwise{vector-bits=512}))' | FileCheck %s

// relu(x * a + b) with scalar a and b over 8 x 64 floats: tiles of 1 x 16
// (512-bit vectors), each a vector load of x, a broadcast of a and of b,
// and one vector store; the outer tile loop is marked parallel.
// CHECK-LABEL: func.func @scale_shift_relu
// CHECK:         scf.for %[[I:.*]] = %c0 to %c8 step %c1
// CHECK:           scf.for %[[J:.*]] = %c0 to %c64 step %c16
// CHECK:             vector.transfer_read %arg0[%[[I]], %[[J]]]{{.*}} : tensor<8x64xf32>, vector<16xf32>
// CHECK:             vector.broadcast {{.*}} : f32 to vector<16xf32>
// CHECK:             arith.mulf {{.*}} : vector<16xf32>
// CHECK:             arith.addf {{.*}} : vector<16xf32>
// CHECK:             arith.maximumf {{.*}} : vector<16xf32>
// CHECK:             vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x16xf32>
// CHECK:             tensor.insert_slice {{.*}}[%[[I]], %[[J]]] [1, 16]
// CHECK:         } {nabla.parallel}
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
func.func @scale_shift_relu(%x: tensor<8x64xf32>, %a: tensor<f32>, %b: tensor<f32>) -> tensor<8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #scalar, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %a, %b : tensor<8x64xf32>, tensor<f32>, tensor<f32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%xi: f32, %ai: f32, %bi: f32, %o: f32):
    %m = arith.mulf %xi, %ai : f32
    %s = arith.addf %m, %bi : f32
    %y = arith.maximumf %s, %zero : f32
    linalg.yield %y : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// A transpose reads x across the innermost loop: with 16 lanes and sides
// that 16 divides, 16 x 16 tiles, each read (16 rows), transposed by
// shuffles in registers, and written; otherwise left scalar.
// CHECK-LABEL: func.func @transpose_tiles
// CHECK:         scf.for %[[I:.*]] = %c0 to %c64 step %c16
// CHECK:           scf.for %[[J:.*]] = %c0 to %c32 step %c16
// CHECK:             vector.transfer_read %arg0[%[[J]], %[[I]]]{{.*}} : tensor<32x64xf32>, vector<16x16xf32>
// CHECK:             vector.shuffle
// CHECK-NOT:         vector.transpose
// CHECK:             vector.transfer_write {{.*}}[%[[I]], %[[J]]]{{.*}} : vector<16x16xf32>, tensor<64x32xf32>
// CHECK:         } {nabla.parallel}
func.func @transpose_tiles(%x: tensor<32x64xf32>) -> tensor<64x32xf32> {
  %e = tensor.empty() : tensor<64x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x64xf32>) outs(%e : tensor<64x32xf32>) {
  ^bb0(%xi: f32, %o: f32):
    linalg.yield %xi : f32
  } -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// CHECK-LABEL: func.func @transpose
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @transpose(%x: tensor<64x8xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x8xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%xi: f32, %o: f32):
    linalg.yield %xi : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// 24 columns: no 16-wide tile divides them, 8-wide ones do.
// CHECK-LABEL: func.func @narrow
// CHECK:         scf.for {{.*}} = %c0 to %c24 step %c8
// CHECK:           arith.addf {{.*}} : vector<8xf32>
func.func @narrow(%x: tensor<2x24xf32>) -> tensor<2x24xf32> {
  %e = tensor.empty() : tensor<2x24xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x24xf32>) outs(%e : tensor<2x24xf32>) {
  ^bb0(%xi: f32, %o: f32):
    %y = arith.addf %xi, %xi : f32
    linalg.yield %y : f32
  } -> tensor<2x24xf32>
  return %r : tensor<2x24xf32>
}

// A result written through a permutation that keeps the innermost loop
// last (packing B into panels, row after row): still vector rows, read
// from and written to the places the maps give.
// CHECK-LABEL: func.func @permuted_result
// CHECK:         scf.for %[[K:.*]] = %c0 to %c16 step %c1
// CHECK:           scf.for %[[B:.*]] = %c0 to %c8 step %c1
// CHECK:             scf.for %[[J:.*]] = %c0 to %c64 step %c16
// CHECK:               %[[ROW:.*]] = vector.transfer_read %arg0[%[[K]], %[[B]], %[[J]]]{{.*}} : tensor<16x8x64xf32>, vector<16xf32>
// CHECK:               vector.transfer_write %[[ROW]], %{{.*}}[%[[B]], %[[K]], %[[J]]]{{.*}} : vector<16xf32>, tensor<8x16x64xf32>
// CHECK:         } {nabla.parallel}
func.func @permuted_result(%x: tensor<16x8x64xf32>) -> tensor<8x16x64xf32> {
  %e = tensor.empty() : tensor<8x16x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d1, d0, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<16x8x64xf32>) outs(%e : tensor<8x16x64xf32>) {
  ^bb0(%xi: f32, %o: f32):
    linalg.yield %xi : f32
  } -> tensor<8x16x64xf32>
  return %r : tensor<8x16x64xf32>
}

// A result written across the innermost loop is left alone.
// CHECK-LABEL: func.func @transposed_result
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
func.func @transposed_result(%x: tensor<16x64xf32>) -> tensor<64x16xf32> {
  %e = tensor.empty() : tensor<64x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x64xf32>) outs(%e : tensor<64x16xf32>) {
  ^bb0(%xi: f32, %o: f32):
    linalg.yield %xi : f32
  } -> tensor<64x16xf32>
  return %r : tensor<64x16xf32>
}

// A per-channel operand [1, C, 1, 1] reads (0, d1, 0, 0): zeros in the map
// are size-1 dims broadcast, so the loop still vectorizes (28 columns: 4
// lanes), one scalar read and broadcast of the channel's value per tile.
// (Left to LLVM, this was 16-lane gathers and scatters.)
// CHECK-LABEL: func.func @per_channel
// CHECK:         vector.transfer_read %arg0{{.*}} : tensor<2x3x5x28xf32>, vector<4xf32>
// CHECK:         vector.transfer_read %arg1{{.*}} : tensor<1x3x1x1xf32>, vector<f32>
// CHECK:         vector.broadcast {{.*}} : f32 to vector<4xf32>
// CHECK:         arith.addf {{.*}} : vector<4xf32>
// CHECK-NOT:     linalg.generic
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#channel = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
func.func @per_channel(%x: tensor<2x3x5x28xf32>, %c: tensor<1x3x1x1xf32>) -> tensor<2x3x5x28xf32> {
  %e = tensor.empty() : tensor<2x3x5x28xf32>
  %r = linalg.generic {indexing_maps = [#id4, #channel, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %c : tensor<2x3x5x28xf32>, tensor<1x3x1x1xf32>) outs(%e : tensor<2x3x5x28xf32>) {
  ^bb0(%xi: f32, %ci: f32, %o: f32):
    %s = arith.addf %xi, %ci : f32
    linalg.yield %s : f32
  } -> tensor<2x3x5x28xf32>
  return %r : tensor<2x3x5x28xf32>
}

// A 2x2 max pool's first maxima on the CPU (views of x with stride 2, an
// i32 result): a pooled row of 14 is one vector<14xf32> (no power of two
// divides 14), and each strided view is read as the 27 contiguous floats
// its lanes span, then every other one shuffled out; no scalar loop.
// CHECK-LABEL: func.func @pool_positions
// CHECK:         vector.transfer_read %arg0[{{.*}}]{{.*}} : tensor<2x3x28x28xf32>, vector<27xf32>
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26] : vector<27xf32>, vector<27xf32>
// CHECK:         arith.select {{.*}} : vector<14xi1>, vector<14xi32>
// CHECK:         vector.transfer_write {{.*}} : vector<14xi32>
// CHECK-NOT:     linalg.generic
#pool4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @pool_positions(%x: tensor<2x3x28x28xf32>) -> tensor<2x3x14x14xi32> {
  %a = tensor.extract_slice %x[0, 0, 0, 0] [2, 3, 14, 14] [1, 1, 2, 2] : tensor<2x3x28x28xf32> to tensor<2x3x14x14xf32>
  %b = tensor.extract_slice %x[0, 0, 0, 1] [2, 3, 14, 14] [1, 1, 2, 2] : tensor<2x3x28x28xf32> to tensor<2x3x14x14xf32>
  %e = tensor.empty() : tensor<2x3x14x14xi32>
  %r = linalg.generic {indexing_maps = [#pool4, #pool4, #pool4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a, %b : tensor<2x3x14x14xf32>, tensor<2x3x14x14xf32>) outs(%e : tensor<2x3x14x14xi32>) {
  ^bb0(%p: f32, %q: f32, %out: i32):
    %gt = arith.cmpf ogt, %q, %p : f32
    %zero = arith.constant 0 : i32
    %one = arith.constant 1 : i32
    %pos = arith.select %gt, %one, %zero : i32
    linalg.yield %pos : i32
  } -> tensor<2x3x14x14xi32>
  return %r : tensor<2x3x14x14xi32>
}
