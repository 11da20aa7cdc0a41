// RUN: nabla-opt %s --nabla-to-linalg | FileCheck %s --check-prefix=GENERIC
// RUN: nabla-opt %s --nabla-to-linalg="for-cpu=true" | FileCheck %s --check-prefix=CPU

// How each convolution lowers: one generic with window maps and channel
// groups as dims (every target), or, for the CPU, im2col and one matmul.

// conv: x [2, 3, 6, 6], w [4, 3, 3, 3]. As a generic, y[n, g, o, p] +=
// x[n, g, c, p + k] * w[g, o, c, k]. On the CPU, output pixels are the rows:
// patches [N, oh, ow, C, kh, kw] viewed as [32, 27] @ W^T [27, 4], and
// [N, oh, ow, O] permuted to [N, O, oh, ow]. (The matmul kernels then read
// the patches through the copy's map, from x.)
// GENERIC-DAG:   #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6, d4 + d7)>
// GENERIC-DAG:   #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
// GENERIC-LABEL: func.func @conv
// GENERIC:         linalg.generic {indexing_maps = [#[[X]], #[[W]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// GENERIC-NOT:     linalg.matmul
// CPU-DAG:       #[[PATCH:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 + d4, d2 + d5)>
// CPU-LABEL:     func.func @conv
// CPU:             %[[P:.*]] = linalg.generic {indexing_maps = [#[[PATCH]], {{.*}}ins(%{{.*}} : tensor<2x3x6x6xf32>) outs(%{{.*}} : tensor<2x4x4x3x3x3xf32>)
// CPU:             %[[WM:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] : tensor<4x3x3x3xf32> into tensor<4x27xf32>
// CPU:             %[[WT:.*]] = linalg.transpose ins(%[[WM]] : tensor<4x27xf32>) outs(%{{.*}} : tensor<27x4xf32>) permutation = [1, 0]
// CPU:             %[[PM:.*]] = tensor.collapse_shape %[[P]] {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<2x4x4x3x3x3xf32> into tensor<32x27xf32>
// CPU:             %[[Y:.*]] = linalg.matmul ins(%[[PM]], %[[WT]] : tensor<32x27xf32>, tensor<27x4xf32>)
// CPU:             %[[YE:.*]] = tensor.expand_shape %[[Y]] {{\[\[}}0, 1, 2], [3]] output_shape [2, 4, 4, 4]
// CPU:             linalg.transpose ins(%[[YE]] : tensor<2x4x4x4xf32>) outs(%{{.*}} : tensor<2x4x4x4xf32>) permutation = [0, 3, 1, 2]
func.func @conv(%x: tensor<2x3x6x6xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32> {
  %y = nabla.conv %x, %w strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<2x3x6x6xf32>, tensor<4x3x3x3xf32> -> tensor<2x4x4x4xf32>
  return %y : tensor<2x4x4x4xf32>
}

// The input gradient. As a generic, a gather from dy padded by 2 on each side
// (its flipped window index i + 2 - k). On the CPU, W^T [27, 4] @ dy [4, 32], then
// col2im: each of the 9 kernel positions adds its slice into a window of
// dx at offset (kh, kw), in place.
// GENERIC-LABEL: func.func @conv_transpose
// GENERIC:         tensor.extract %{{.*}} : tensor<2x4x4x4xf32>
// GENERIC:         -> tensor<2x4x8x8xf32>
// GENERIC:         linalg.generic
// GENERIC-SAME:      ins(%{{.*}}, %{{.*}} : tensor<2x1x4x8x8xf32>, tensor<1x4x3x3x3xf32>)
// CPU-LABEL:     func.func @conv_transpose
// CPU:             linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<27x4xf32>, tensor<4x32xf32>)
// CPU-COUNT-9:     tensor.insert_slice %{{.*}} into %{{.*}} [2, 3, 4, 4] [1, 1, 1, 1] : tensor<2x3x4x4xf32> into tensor<2x3x6x6xf32>
// CPU-NOT:         tensor.insert_slice
func.func @conv_transpose(%dy: tensor<2x4x4x4xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x3x6x6xf32> {
  %dx = nabla.conv_transpose %dy, %w strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<2x4x4x4xf32>, tensor<4x3x3x3xf32> -> tensor<2x3x6x6xf32>
  return %dx : tensor<2x3x6x6xf32>
}

// The weight gradient. On the CPU, patches [27, 32] @ dy as [N oh ow, O] = [32, 4],
// then [27, 4] transposed to [4, 27] and viewed as the weight's shape.
// CPU-LABEL:     func.func @weight_grad
// CPU:             linalg.transpose ins(%{{.*}} : tensor<2x4x4x4xf32>) outs(%{{.*}} : tensor<2x4x4x4xf32>) permutation = [0, 2, 3, 1]
// CPU:             linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<27x32xf32>, tensor<32x4xf32>)
// CPU:             linalg.transpose ins(%{{.*}} : tensor<27x4xf32>) outs(%{{.*}} : tensor<4x27xf32>) permutation = [1, 0]
// CPU:             tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] output_shape [4, 3, 3, 3]
func.func @weight_grad(%x: tensor<2x3x6x6xf32>, %dy: tensor<2x4x4x4xf32>) -> tensor<4x3x3x3xf32> {
  %dw = nabla.conv_weight_grad %x, %dy strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<2x3x6x6xf32>, tensor<2x4x4x4xf32> -> tensor<4x3x3x3xf32>
  return %dw : tensor<4x3x3x3xf32>
}

// Grouped convolutions stay generic on the CPU too, the groups a dim.
// CPU-LABEL:     func.func @grouped
// CPU:             tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] output_shape [2, 2, 2, 6, 6]
// CPU-NOT:         linalg.matmul
// CPU:             linalg.generic
func.func @grouped(%x: tensor<2x4x6x6xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<2x4x4x4xf32> {
  %y = nabla.conv %x, %w strides = [1, 1] dilations = [1, 1] groups = 2 : tensor<2x4x6x6xf32>, tensor<4x2x3x3xf32> -> tensor<2x4x4x4xf32>
  return %y : tensor<2x4x4x4xf32>
}
