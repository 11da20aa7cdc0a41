// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-gpu-map-linalg))' | FileCheck %s
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-gpu-map-linalg{workgroup-size=8}))' | FileCheck %s --check-prefix=SMALL

// A 4x3 by 3x5 matmul: its 20 output points are the parallel space, one
// per invocation (a workgroup of 20; with workgroups of 8, three of them),
// walked by a grid-stride loop; the invocation splits its point into
// (row, column) and runs the reduction over k itself.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG:     %[[ONE:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[TWENTY:.+]] = arith.constant 20 : index
// CHECK:         gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %{{.+}}, %{{.+}} = %[[ONE]], %{{.+}} = %[[ONE]]) threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[TWENTY]], %{{.+}} = %[[ONE]], %{{.+}} = %[[ONE]])
// CHECK:           %[[BASE:.+]] = arith.muli %[[BX]], %{{.+}} : index
// CHECK:           %[[FIRST:.+]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK:           scf.for %[[P:.+]] = %[[FIRST]] to %{{.+}} step %{{.+}} {
// CHECK-DAG:         arith.remui %[[P]], %{{.+}} : index
// CHECK-DAG:         arith.divui %[[P]], %{{.+}} : index
// The sum is carried in a register: C is loaded once before the k loop
// and stored once after it, never inside.
// CHECK:             %[[C0:.+]] = memref.load %arg2
// CHECK:             %[[SUM:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[C0]]) -> (f32) {
// CHECK-NOT:           %arg2
// CHECK:               %[[A:.+]] = memref.load %arg0
// CHECK-NOT:           %arg2
// CHECK:               %[[B:.+]] = memref.load %arg1
// CHECK:               %[[AB:.+]] = arith.mulf %[[A]], %[[B]]
// CHECK:               %[[NEXT:.+]] = arith.addf %[[ACC]], %[[AB]]
// CHECK:               scf.yield %[[NEXT]] : f32
// CHECK:             }
// CHECK:             memref.store %[[SUM]], %arg2
// CHECK:           gpu.terminator
// CHECK:         return

// SMALL-LABEL: func.func @matmul
// SMALL-DAG:     %[[THREE:.+]] = arith.constant 3 : index
// SMALL-DAG:     %[[EIGHT:.+]] = arith.constant 8 : index
// SMALL:         gpu.launch blocks({{.+}}) in (%{{.+}} = %[[THREE]], {{.+}}) threads({{.+}}) in (%{{.+}} = %[[EIGHT]],
func.func @matmul(%a: memref<4x3xf32>, %b: memref<3x5xf32>, %c: memref<4x5xf32>) {
  linalg.matmul ins(%a, %b : memref<4x3xf32>, memref<3x5xf32>) outs(%c : memref<4x5xf32>)
  return
}

// A copy between buffers is a kernel too (linalg.copy), and the buffer
// allocation stays on the host.
// CHECK-LABEL: func.func @copy
// CHECK:         memref.alloc() : memref<6xf32>
// CHECK:         gpu.launch
// CHECK:           memref.load %arg0
// CHECK:           memref.store
// CHECK:         gpu.launch
// CHECK:         return
func.func @copy(%a: memref<6xf32>, %out: memref<6xf32>) {
  %t = memref.alloc() : memref<6xf32>
  memref.copy %a, %t : memref<6xf32> to memref<6xf32>
  memref.copy %t, %out : memref<6xf32> to memref<6xf32>
  return
}
