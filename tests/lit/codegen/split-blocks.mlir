// RUN: nabla-opt %s --nabla-cpu-split-blocks=max-ops=2 | FileCheck %s
// RUN: nabla-opt %s --nabla-cpu-split-blocks=max-ops=3 | FileCheck %s --check-prefix=SHORT

// Seven ops and a return. More than twice max-ops: blocks of max-ops ops
// (2, 2, 2, 1 at max-ops=2; 3, 3, 1 at max-ops=3), each ending in a branch
// to the next, with the first block's values used in the last without
// block arguments.
// CHECK-LABEL: func.func @chain
// CHECK:         %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:    cf.br ^[[BB1:.*]]
// CHECK-NEXT:  ^[[BB1]]:
// CHECK-NEXT:    linalg.copy
// CHECK-NEXT:    linalg.copy
// CHECK-NEXT:    cf.br ^[[BB2:.*]]
// CHECK-NEXT:  ^[[BB2]]:
// CHECK-NEXT:    linalg.copy
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    cf.br ^[[BB3:.*]]
// CHECK-NEXT:  ^[[BB3]]:
// CHECK-NEXT:    memref.dealloc %[[B]]
// CHECK-NEXT:    return
// SHORT-LABEL: func.func @chain
// SHORT:         memref.alloc
// SHORT-NEXT:    memref.alloc
// SHORT-NEXT:    linalg.copy
// SHORT-NEXT:    cf.br ^[[BB1:.*]]
// SHORT-NEXT:  ^[[BB1]]:
// SHORT-NEXT:    linalg.copy
// SHORT-NEXT:    linalg.copy
// SHORT-NEXT:    memref.dealloc
// SHORT-NEXT:    cf.br ^[[BB2:.*]]
// SHORT-NEXT:  ^[[BB2]]:
// SHORT-NEXT:    memref.dealloc
// SHORT-NEXT:    return
func.func @chain(%x: memref<4xf32>, %y: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  linalg.copy ins(%a : memref<4xf32>) outs(%b : memref<4xf32>)
  linalg.copy ins(%b : memref<4xf32>) outs(%y : memref<4xf32>)
  memref.dealloc %a : memref<4xf32>
  memref.dealloc %b : memref<4xf32>
  return
}

// Four ops and a return are not more than twice max-ops=2: one block.
// CHECK-LABEL: func.func @short
// CHECK-NOT:     cf.br
// CHECK:         return
func.func @short(%x: memref<4xf32>, %y: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  linalg.copy ins(%a : memref<4xf32>) outs(%y : memref<4xf32>)
  memref.dealloc %a : memref<4xf32>
  return
}

// nabla-cpu-split-entry=max-ops=5: an entry block of more than 5 ops (8 in
// @chain, the return counted; 5 in @short) keeps only its arguments and a
// branch; its ops, and with them the arguments' uses, move to the next block.
// RUN: nabla-opt %s --nabla-cpu-split-entry=max-ops=5 | FileCheck %s --check-prefix=ENTRY
// ENTRY-LABEL: func.func @chain(
// ENTRY-SAME:      %[[X:[a-z0-9]+]]: memref<4xf32>
// ENTRY-NEXT:    llvm.br ^[[REST:.*]]
// ENTRY-NEXT:  ^[[REST]]:
// ENTRY-NEXT:    memref.alloc
// ENTRY-NEXT:    memref.alloc
// ENTRY-NEXT:    linalg.copy ins(%[[X]]
// ENTRY-LABEL: func.func @short(
// ENTRY-NOT:     llvm.br
// ENTRY:         return
