// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-gpu-bf16-storage))' | FileCheck %s
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-gpu-bf16-storage),canonicalize)' | FileCheck %s --check-prefix=FOLDED

// bf16 buffers (allocations and their views) become i16 buffers holding
// the same bits: loads and stores go through bitcasts, and a select picks
// the bits. Casts have already become integer code (nabla-expand-bf16), so
// after canonicalization no bf16 is left.
// CHECK-LABEL: func.func @relu16
// CHECK:         %[[BUF:.+]] = memref.alloc() : memref<2x4xi16>
// CHECK:         %[[FLAT:.+]] = memref.collapse_shape %[[BUF]] {{\[\[}}0, 1]] : memref<2x4xi16> into memref<8xi16>
// CHECK:         %[[BITS:.+]] = memref.load %[[FLAT]][%{{.+}}] : memref<8xi16>
// CHECK:         %[[X:.+]] = arith.bitcast %[[BITS]] : i16 to bf16
// CHECK-DAG:     %[[XB:.+]] = arith.bitcast %[[X]] : bf16 to i16
// CHECK-DAG:     %[[ZB:.+]] = arith.bitcast %{{.+}} : bf16 to i16
// CHECK:         %[[PICK:.+]] = arith.select %{{.+}}, %[[XB]], %[[ZB]] : i16
// CHECK:         %[[Y:.+]] = arith.bitcast %[[PICK]] : i16 to bf16
// CHECK:         %[[YB:.+]] = arith.bitcast %[[Y]] : bf16 to i16
// CHECK:         memref.store %[[YB]], %[[FLAT]][%{{.+}}] : memref<8xi16>

// FOLDED-LABEL: func.func @relu16
// FOLDED-NOT:     bf16
// FOLDED:         %[[BITS:.+]] = memref.load %{{.+}} : memref<8xi16>
// FOLDED:         %[[PICK:.+]] = arith.select %{{.+}}, %[[BITS]], %{{.+}} : i16
// FOLDED:         memref.store %[[PICK]]
// FOLDED-NOT:     bf16
// FOLDED:         return
func.func @relu16(%c: i1, %i: index) {
  %zero = arith.constant 0.0 : bf16
  %buf = memref.alloc() : memref<2x4xbf16>
  %flat = memref.collapse_shape %buf [[0, 1]] : memref<2x4xbf16> into memref<8xbf16>
  %x = memref.load %flat[%i] : memref<8xbf16>
  %y = arith.select %c, %x, %zero : bf16
  memref.store %y, %flat[%i] : memref<8xbf16>
  return
}
