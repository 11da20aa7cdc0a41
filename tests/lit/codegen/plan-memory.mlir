// RUN: nabla-opt %s --nabla-cpu-plan-memory | FileCheck %s
// RUN: nabla-opt %s --nabla-cpu-plan-memory=min-buffers=4 | FileCheck %s --check-prefix=FEW

// Three temporaries: %a (f32[256], 1024 bytes) live over the whole
// function, %b (f32[8, 8], 256 bytes) only while %a is, %c (f32[128], 512
// bytes) after %b is freed. Largest first:
// %a at 0; %c overlaps %a in time, so it goes after it, at 1024; %b
// overlaps only %a (not %c, which starts after %b ends), so it may share
// %c's bytes: also 1024. The arena is 1536 bytes, allocated at the start
// and freed before the return; the temporaries' deallocs are gone.
// CHECK-LABEL: func.func @three(
// CHECK-SAME:      attributes {nabla.arena_bytes = 1536 : i64}
// CHECK:         %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1536xi8>
// CHECK:         %[[A:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<1536xi8> to memref<256xf32>
// CHECK:         %[[B:.*]] = memref.view %[[ARENA]][%c1024{{.*}}][] : memref<1536xi8> to memref<8x8xf32>
// CHECK:         linalg.copy ins(%[[A]] : memref<256xf32>) outs(%{{.*}} : memref<256xf32>)
// CHECK:         %[[C:.*]] = memref.view %[[ARENA]][%c1024{{.*}}][] : memref<1536xi8> to memref<128xf32>
// CHECK-NOT:     memref.dealloc %[[A]]
// CHECK-NOT:     memref.dealloc %[[B]]
// CHECK-NOT:     memref.dealloc %[[C]]
// CHECK:         memref.dealloc %[[ARENA]] : memref<1536xi8>
// CHECK-NEXT:    return

// With min-buffers=4 nothing is planned.
// FEW-LABEL: func.func @three(
// FEW-NOT:     memref.view
// FEW:         memref.dealloc
func.func @three(%x: memref<256xf32>, %y: memref<8x8xf32>, %z: memref<128xf32>) {
  %a = memref.alloc() : memref<256xf32>
  %b = memref.alloc() : memref<8x8xf32>
  memref.copy %y, %b : memref<8x8xf32> to memref<8x8xf32>
  linalg.copy ins(%a : memref<256xf32>) outs(%x : memref<256xf32>)
  memref.dealloc %b : memref<8x8xf32>
  %c = memref.alloc() : memref<128xf32>
  memref.copy %c, %z : memref<128xf32> to memref<128xf32>
  memref.dealloc %a : memref<256xf32>
  memref.dealloc %c : memref<128xf32>
  return
}

// Left as they are: a buffer of dynamic size, one freed in a branch, one
// never freed here (it may outlive the function), and one freed through
// its base buffer's metadata is planned (its dealloc and the metadata go).
// CHECK-LABEL: func.func @others(
// CHECK-SAME:      attributes {nabla.arena_bytes = 128 : i64}
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK:         %[[D:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:         %[[E:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         %[[F:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         memref.view
// CHECK:         memref.view
// CHECK-NOT:     extract_strided_metadata
// CHECK:         memref.dealloc %[[D]]
// CHECK:         scf.if
// CHECK-NEXT:      memref.dealloc %[[E]]
// CHECK:         return %[[F]]
func.func @others(%n: index, %p: i1) -> memref<4xf32> {
  %d = memref.alloc(%n) : memref<?xf32>
  %e = memref.alloc() : memref<4xf32>
  %f = memref.alloc() : memref<4xf32>
  %g = memref.alloc() : memref<4xf32>
  %h = memref.alloc() : memref<3xi8>
  memref.copy %g, %f : memref<4xf32> to memref<4xf32>
  %base, %offset, %size, %stride = memref.extract_strided_metadata %h : memref<3xi8> -> memref<i8>, index, index, index
  memref.dealloc %g : memref<4xf32>
  memref.dealloc %base : memref<i8>
  memref.dealloc %d : memref<?xf32>
  scf.if %p {
    memref.dealloc %e : memref<4xf32>
  }
  return %f : memref<4xf32>
}
