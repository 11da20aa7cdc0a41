// RUN: nabla-opt %s --nabla-expand-bf16 --split-input-file | FileCheck %s
// RUN: nabla-opt %s --nabla-expand-bf16 --split-input-file | FileCheck %s --check-prefix=GONE

// No cast from or to bf16 is left, in any of the cases below.
// GONE-NOT: arith.extf {{.*}}bf16
// GONE-NOT: arith.truncf {{.*}}bf16

// Widening bf16 to f32 is a shift of the bits: the 16 bits of the bf16
// become the high half of the f32, the low half is zero. No arith.extf is
// left for LLVM to lower to a libgcc call (GONE above).
// CHECK-LABEL: func.func @extend(
// CHECK-SAME:    %[[X:.+]]: bf16) -> f32
// CHECK-DAG:     %[[C16:.+]] = arith.constant 16 : i32
// CHECK-DAG:     %[[BITS:.+]] = arith.bitcast %[[X]] : bf16 to i16
// CHECK:         %[[WIDE:.+]] = arith.extui %[[BITS]] : i16 to i32
// CHECK:         %[[HIGH:.+]] = arith.shli %[[WIDE]], %[[C16]] : i32
// CHECK:         %[[Y:.+]] = arith.bitcast %[[HIGH]] : i32 to f32
// CHECK:         return %[[Y]] : f32
func.func @extend(%x: bf16) -> f32 {
  %0 = arith.extf %x : bf16 to f32
  return %0 : f32
}

// -----

// Narrowing f32 to bf16 rounds to nearest, ties to even, in integer code:
// add 0x7fff plus the lowest bit that is kept (bit 16), then keep the high
// 16 bits. A NaN becomes the quiet NaN 0x7fc0 (32704), whatever its bits.
// No arith.truncf is left (LLVM would call __truncsfbf2, which Debian 12's
// libgcc lacks; GONE above).
// CHECK-LABEL: func.func @truncate(
// CHECK-SAME:    %[[X:.+]]: f32) -> bf16
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : i32
// CHECK-DAG:     %[[C16:.+]] = arith.constant 16 : i32
// CHECK-DAG:     %[[QNAN:.+]] = arith.constant 32704 : i16
// CHECK-DAG:     %[[HALF:.+]] = arith.constant 32767 : i32
// CHECK-DAG:     %[[ISNAN:.+]] = arith.cmpf une, %[[X]], %[[X]] : f32
// CHECK-DAG:     %[[BITS:.+]] = arith.bitcast %[[X]] : f32 to i32
// CHECK:         %[[SHIFTED:.+]] = arith.shrui %[[BITS]], %[[C16]] : i32
// CHECK:         %[[ODD:.+]] = arith.andi %[[SHIFTED]], %[[C1]] : i32
// CHECK:         %[[BIAS:.+]] = arith.addi %[[ODD]], %[[HALF]] : i32
// CHECK:         %[[ROUNDED:.+]] = arith.addi %[[BITS]], %[[BIAS]] : i32
// CHECK:         %[[HIGH:.+]] = arith.shrui %[[ROUNDED]], %[[C16]] : i32
// CHECK:         %[[NARROW:.+]] = arith.trunci %[[HIGH]] : i32 to i16
// CHECK:         %[[PICK:.+]] = arith.select %[[ISNAN]], %[[QNAN]], %[[NARROW]] : i16
// CHECK:         %[[Y:.+]] = arith.bitcast %[[PICK]] : i16 to bf16
// CHECK:         return %[[Y]] : bf16
func.func @truncate(%x: f32) -> bf16 {
  %0 = arith.truncf %x : f32 to bf16
  return %0 : bf16
}

// -----

// Vector casts become the same integer code on vectors: every op keeps
// the vector type, nothing is unrolled into lanes.
// CHECK-LABEL: func.func @extend_vector
// CHECK-DAG:     %[[C16:.+]] = arith.constant dense<16> : vector<8xi32>
// CHECK-DAG:     %[[BITS:.+]] = arith.bitcast %{{.+}} : vector<8xbf16> to vector<8xi16>
// CHECK:         %[[WIDE:.+]] = arith.extui %[[BITS]] : vector<8xi16> to vector<8xi32>
// CHECK:         %[[HIGH:.+]] = arith.shli %[[WIDE]], %[[C16]] : vector<8xi32>
// CHECK:         arith.bitcast %[[HIGH]] : vector<8xi32> to vector<8xf32>
func.func @extend_vector(%x: vector<8xbf16>) -> vector<8xf32> {
  %0 = arith.extf %x : vector<8xbf16> to vector<8xf32>
  return %0 : vector<8xf32>
}

// CHECK-LABEL: func.func @truncate_vector
// CHECK-DAG:     %[[ISNAN:.+]] = arith.cmpf une, %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK-DAG:     %[[BITS:.+]] = arith.bitcast %{{.+}} : vector<8xf32> to vector<8xi32>
// CHECK:         arith.addi %[[BITS]], %{{.+}} : vector<8xi32>
// CHECK:         %[[NARROW:.+]] = arith.trunci %{{.+}} : vector<8xi32> to vector<8xi16>
// CHECK:         %[[PICK:.+]] = arith.select %[[ISNAN]], %{{.+}}, %[[NARROW]] : vector<8xi1>, vector<8xi16>
// CHECK:         arith.bitcast %[[PICK]] : vector<8xi16> to vector<8xbf16>
func.func @truncate_vector(%x: vector<8xf32>) -> vector<8xbf16> {
  %0 = arith.truncf %x : vector<8xf32> to vector<8xbf16>
  return %0 : vector<8xbf16>
}

// -----

// Only the bf16 expansions of arith-expand run: maximumf and minimumf
// (which arith-expand turns into compares and selects), maxnumf and the
// integer divisions that round up or down stay as they are, with nothing
// added between them.
// CHECK-LABEL: func.func @other_expansions
// CHECK-NEXT:    arith.maximumf %{{.+}}, %{{.+}} : f32
// CHECK-NEXT:    arith.maximumf %{{.+}}, %{{.+}} : bf16
// CHECK-NEXT:    arith.minimumf %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK-NEXT:    arith.maxnumf %{{.+}}, %{{.+}} : f32
// CHECK-NEXT:    arith.ceildivsi %{{.+}}, %{{.+}} : i32
// CHECK-NEXT:    arith.floordivsi %{{.+}}, %{{.+}} : i32
// CHECK-NEXT:    return
func.func @other_expansions(%x: f32, %y: f32, %a: bf16, %b: bf16,
                            %u: vector<8xf32>, %v: vector<8xf32>,
                            %i: i32, %j: i32)
    -> (f32, bf16, vector<8xf32>, f32, i32, i32) {
  %0 = arith.maximumf %x, %y : f32
  %1 = arith.maximumf %a, %b : bf16
  %2 = arith.minimumf %u, %v : vector<8xf32>
  %3 = arith.maxnumf %x, %y : f32
  %4 = arith.ceildivsi %i, %j : i32
  %5 = arith.floordivsi %i, %j : i32
  return %0, %1, %2, %3, %4, %5 : f32, bf16, vector<8xf32>, f32, i32, i32
}

// -----

// Casts between f32 and f16 are not bf16 casts: they stay as they are.
// CHECK-LABEL: func.func @half
// CHECK-NEXT:    arith.truncf %{{.+}} : f32 to f16
// CHECK-NEXT:    arith.extf %{{.+}} : f16 to f32
// CHECK-NEXT:    return
func.func @half(%x: f32, %h: f16) -> (f16, f32) {
  %0 = arith.truncf %x : f32 to f16
  %1 = arith.extf %h : f16 to f32
  return %0, %1 : f16, f32
}
