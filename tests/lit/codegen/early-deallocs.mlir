// RUN: nabla-opt %s --nabla-cpu-early-deallocs | FileCheck %s

// The buffers the function's closing bufferization.dealloc frees
// unconditionally are freed after their last use instead: %a after the
// copy that reads its view %v (its last use, through the view), %b after
// the copy that reads it. %c is passed to a call, which might keep it: it
// stays with the bufferization.dealloc, as does %arg0, which is freed
// only if owned.
// CHECK-LABEL: func.func @step
// CHECK:         %[[A:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:    linalg.copy ins(%{{.*}} : memref<8xf32>) outs(%[[A]] : memref<8xf32>)
// CHECK-NEXT:    %[[V:.*]] = memref.subview %[[A]][4] [4] [1]
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:    linalg.copy ins(%[[A]] : memref<8xf32>) outs(%[[B]] : memref<8xf32>)
// CHECK-NEXT:    linalg.copy ins(%[[B]] : memref<8xf32>) outs(%{{.*}} : memref<8xf32>)
// CHECK-NEXT:    memref.dealloc %[[B]]
// CHECK-NEXT:    linalg.copy ins(%[[V]] : {{.*}}) outs(%{{.*}} : memref<4xf32>)
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    %[[C:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:    call @keep(%[[C]])
// CHECK-NOT:     memref.dealloc
// CHECK:         %[[BASE:.*]], %{{.*}}, %{{.*}}, %{{.*}} = memref.extract_strided_metadata %[[C]]
// CHECK:         bufferization.dealloc (%{{.*}}, %[[BASE]] : memref<f32>, memref<f32>) if (%{{.*}}, %{{.*}})
// CHECK-NEXT:    return
func.func private @keep(memref<8xf32>)

func.func @step(%arg0: memref<8xf32>, %out: memref<8xf32>, %part: memref<4xf32>, %owned: i1) {
  %a = memref.alloc() : memref<8xf32>
  linalg.copy ins(%arg0 : memref<8xf32>) outs(%a : memref<8xf32>)
  %v = memref.subview %a[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  %b = memref.alloc() : memref<8xf32>
  linalg.copy ins(%a : memref<8xf32>) outs(%b : memref<8xf32>)
  linalg.copy ins(%b : memref<8xf32>) outs(%out : memref<8xf32>)
  linalg.copy ins(%v : memref<4xf32, strided<[1], offset: 4>>) outs(%part : memref<4xf32>)
  %c = memref.alloc() : memref<8xf32>
  call @keep(%c) : (memref<8xf32>) -> ()
  %true = arith.constant true
  %base0, %o0, %s0, %t0 = memref.extract_strided_metadata %arg0 : memref<8xf32> -> memref<f32>, index, index, index
  %baseA, %oA, %sA, %tA = memref.extract_strided_metadata %a : memref<8xf32> -> memref<f32>, index, index, index
  %baseB, %oB, %sB, %tB = memref.extract_strided_metadata %b : memref<8xf32> -> memref<f32>, index, index, index
  %baseC, %oC, %sC, %tC = memref.extract_strided_metadata %c : memref<8xf32> -> memref<f32>, index, index, index
  bufferization.dealloc (%base0, %baseA, %baseB, %baseC : memref<f32>, memref<f32>, memref<f32>, memref<f32>) if (%owned, %true, %true, %true)
  return
}
