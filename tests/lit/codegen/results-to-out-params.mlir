// RUN: nabla-opt %s --nabla-results-to-out-params | FileCheck %s

// Each returned buffer becomes an out-parameter appended to the arguments,
// with the result's attributes; an allocation that is returned becomes the
// out-parameter itself, an argument returned is copied into its own. The
// index result stays a result, with its attribute.
// CHECK-LABEL: func.func @step(
// CHECK-SAME:      %[[W:[a-z0-9]+]]: memref<4xf32> {nabla.param = "w"},
// CHECK-SAME:      %[[NEW:[a-z0-9]+]]: memref<4xf32> {nabla.update = "w"},
// CHECK-SAME:      %[[SAME:[a-z0-9]+]]: memref<4xf32> {nabla.update = "v"})
// CHECK-SAME:      -> (index {nabla.output = "count"})
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.copy ins(%[[W]] : memref<4xf32>) outs(%[[NEW]] : memref<4xf32>)
// CHECK:         memref.copy %[[W]], %[[SAME]]
// CHECK:         return %{{.*}} : index
func.func @step(%w: memref<4xf32> {nabla.param = "w"})
    -> (memref<4xf32> {nabla.update = "w"}, memref<4xf32> {nabla.update = "v"},
        index {nabla.output = "count"}) {
  %new = memref.alloc() : memref<4xf32>
  linalg.copy ins(%w : memref<4xf32>) outs(%new : memref<4xf32>)
  %c = arith.constant 4 : index
  return %new, %w, %c : memref<4xf32>, memref<4xf32>, index
}

// A caller allocates the out-parameters and passes them in.
// CHECK-LABEL: func.func @caller(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         call @step(%{{.*}}, %[[A]], %[[B]]) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> index
func.func @caller(%w: memref<4xf32>) -> index {
  %a, %b, %c = call @step(%w) : (memref<4xf32>) -> (memref<4xf32>, memref<4xf32>, index)
  return %c : index
}
