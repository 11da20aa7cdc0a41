// RUN: nabla-opt %s --nabla-cpu-strided-copies | FileCheck %s

// A copy into a strided window (a pad's interior) or out of a row-padded
// one becomes linalg.copy loops; a copy between contiguous buffers stays a
// memref.copy (a memcpy).

// CHECK-LABEL: func.func @strided
// CHECK:         %[[DST:.*]] = memref.subview %{{.*}}[0, 0] [2, 4] [2, 2]
// CHECK:         %[[SRC:.*]] = memref.subview %{{.*}}[0, 0] [2, 4] [1, 1]
// CHECK-NEXT:    linalg.copy ins(%[[SRC]] : memref<2x4xf32, strided<[8, 1]>>) outs(%[[DST]] : memref<2x4xf32, strided<[16, 2]>>)
// CHECK-NOT:     memref.copy %[[SRC]]
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<4x8xf32> to memref<4x8xf32>
func.func @strided(%a: memref<4x8xf32>, %b: memref<2x8xf32>, %c: memref<4x8xf32>) {
  %v = memref.subview %a[0, 0] [2, 4] [2, 2] : memref<4x8xf32> to memref<2x4xf32, strided<[16, 2]>>
  %w = memref.subview %b[0, 0] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1]>>
  memref.copy %w, %v : memref<2x4xf32, strided<[8, 1]>> to memref<2x4xf32, strided<[16, 2]>>
  memref.copy %a, %c : memref<4x8xf32> to memref<4x8xf32>
  return
}
