// A reduction over the channels of a broadcast product (sum(a * reshape(w,
// [1, 5, 1, 1]), axis = 1) on f32[3, 5, 6, 60], as an ONNX loss over three
// spatial dims computes). Tidying its vector transfers once ran the
// broadcast lowering against the cast-away-leading-one-dim patterns until
// the rewrite bound: 28,744 lines out, 30 s to compile. Now the broadcasts
// are lowered after the rest has settled: under a thousand lines.
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-vectorize-reductions{vector-bits=512}))' | FileCheck %s
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-vectorize-reductions{vector-bits=512}))' | wc -l | FileCheck %s --check-prefix=LINES

// CHECK-LABEL: func.func @H
// CHECK-DAG: vector.transfer_read
// CHECK-DAG: vector.broadcast
// CHECK-DAG: vector.reduction <add>
// LINES: {{^ *[0-9]{1,3}$}}

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map1 = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#map3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map4 = affine_map<(d0, d1, d2) -> ()>
#map5 = affine_map<(d0) -> (d0)>
#map6 = affine_map<(d0) -> ()>
module {
  func.func @H(%arg0: tensor<3x5x6x60xf32>, %arg1: tensor<5xf32>) -> (tensor<f32>) {
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c0 = arith.constant 0 : index
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant dense<[1, 5, 1, 1]> : tensor<4xi64>
    %reshape = tensor.reshape %arg1(%cst_0) : (tensor<5xf32>, tensor<4xi64>) -> tensor<1x5x1x1xf32>
    %0 = tensor.empty() : tensor<3x6x60xf32>
    %1 = tensor.empty() : tensor<f32>
    %2 = linalg.fill {nabla.group = "group_0"} ins(%cst : f32) outs(%1 : tensor<f32>) -> tensor<f32>
    %3 = tensor.empty() : tensor<3xf32>
    %4 = scf.for %arg2 = %c0 to %c3 step %c1 iter_args(%arg3 = %3) -> (tensor<3xf32>) {
      %extracted_slice = tensor.extract_slice %arg0[%arg2, 0, 0, 0] [1, 5, 6, 60] [1, 1, 1, 1] : tensor<3x5x6x60xf32> to tensor<1x5x6x60xf32>
      %extracted_slice_1 = tensor.extract_slice %0[%arg2, 0, 0] [1, 6, 60] [1, 1, 1] : tensor<3x6x60xf32> to tensor<1x6x60xf32>
      %6 = linalg.fill ins(%cst : f32) outs(%extracted_slice_1 : tensor<1x6x60xf32>) -> tensor<1x6x60xf32>
      %7 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "reduction", "parallel", "parallel"]} ins(%extracted_slice, %reshape : tensor<1x5x6x60xf32>, tensor<1x5x1x1xf32>) outs(%6 : tensor<1x6x60xf32>) {
      ^bb0(%in: f32, %in_3: f32, %out: f32):
        %10 = arith.mulf %in, %in_3 : f32
        %11 = arith.addf %10, %out : f32
        linalg.yield %11 : f32
      } -> tensor<1x6x60xf32>
      %extracted_slice_2 = tensor.extract_slice %arg3[%arg2] [1] [1] : tensor<3xf32> to tensor<f32>
      %8 = linalg.fill ins(%cst : f32) outs(%extracted_slice_2 : tensor<f32>) -> tensor<f32>
      %9 = linalg.generic {indexing_maps = [#map3, #map4], iterator_types = ["reduction", "reduction", "reduction"]} ins(%7 : tensor<1x6x60xf32>) outs(%8 : tensor<f32>) {
      ^bb0(%in: f32, %out: f32):
        %10 = arith.addf %in, %out : f32
        linalg.yield %10 : f32
      } -> tensor<f32>
      %inserted_slice = tensor.insert_slice %9 into %arg3[%arg2] [1] [1] : tensor<f32> into tensor<3xf32>
      scf.yield %inserted_slice : tensor<3xf32>
    } {nabla.group = "group_0", nabla.parallel}
    %5 = linalg.generic {indexing_maps = [#map5, #map6], iterator_types = ["reduction"]} ins(%4 : tensor<3xf32>) outs(%2 : tensor<f32>) attrs =  {nabla.group = "group_0", nabla.partial_sums} {
    ^bb0(%in: f32, %out: f32):
      %6 = arith.addf %in, %out : f32
      linalg.yield %6 : f32
    } -> tensor<f32>
    return %5 : tensor<f32>
  }
}

