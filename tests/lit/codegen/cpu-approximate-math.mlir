// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-approximate-math))' --split-input-file | FileCheck %s
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-approximate-math))' --split-input-file | FileCheck %s --check-prefix=GONE

// In none of the cases below is an f32 function that upstream approximates
// left for LLVM (which would call libm once per lane), nor is a vector
// taken apart into lanes.
// GONE-NOT: {{math\.(exp|expm1|log|log1p|log2|tanh|erf|atan|sin|cos|asin|acos|cbrt) .*f32}}
// GONE-NOT: vector.extract
// GONE-NOT: {{(func|llvm)\.call}}

// exp(x) = 2^n * exp(r): n = floor(x * log2(e) + 1/2), r = x - n * ln(2)
// (in two parts, for precision), exp(r) a polynomial (fused multiply-adds),
// and 2^n made by shifting n + 127 into the exponent bits of an f32.
// CHECK-LABEL: func.func @exp(
// CHECK-DAG:     %[[LOG2E:.+]] = arith.constant 1.44269502 : f32
// CHECK-DAG:     %[[C127:.+]] = arith.constant 127 : i32
// CHECK-DAG:     %[[C23:.+]] = arith.constant 23 : i32
// CHECK:         %[[T:.+]] = math.fma %{{.+}}, %[[LOG2E]], %{{.+}} : f32
// CHECK:         math.floor %[[T]] : f32
// CHECK:         math.fma {{.+}} : f32
// CHECK:         %[[N:.+]] = arith.fptosi %{{.+}} : f32 to i32
// CHECK:         %[[BIASED:.+]] = arith.addi %[[N]], %[[C127]] : i32
// CHECK:         %[[BITS:.+]] = arith.shli %[[BIASED]], %[[C23]] : i32
// CHECK:         %[[SCALE:.+]] = arith.bitcast %[[BITS]] : i32 to f32
// CHECK:         %[[Y:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK-NEXT:    return %[[Y]] : f32
func.func @exp(%x: f32) -> f32 {
  %0 = math.exp %x : f32
  return %0 : f32
}

// -----

// On a vector the approximation stays a vector: not one op works on a
// single f32 or i32 (LLVM lowers each op to vector instructions).
// CHECK-LABEL: func.func @exp_vector(
// CHECK-NOT:     {{ (f32|i32)$}}
// CHECK:         %[[SCALE:.+]] = arith.bitcast %{{.+}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT:     {{ (f32|i32)$}}
// CHECK:         %[[Y:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : vector<16xf32>
// CHECK-NEXT:    return %[[Y]] : vector<16xf32>
func.func @exp_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %0 = math.exp %x : vector<16xf32>
  return %0 : vector<16xf32>
}

// -----

// log (cross-entropy) splits off the exponent bits and approximates the
// log of the mantissa with a polynomial; the last selects give log(0) =
// -inf, log(+inf) = +inf and NaN below 0. tanh is a rational function
// (a division of two polynomials) of the clamped input.
// CHECK-LABEL: func.func @log(
// CHECK-SAME:    %[[X:[^:]+]]: vector<8xf32>)
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<8xf32>
// CHECK-DAG:     %[[NINF:.+]] = arith.constant dense<0xFF800000> : vector<8xf32>
// CHECK-DAG:     %[[INF:.+]] = arith.constant dense<0x7F800000> : vector<8xf32>
// CHECK-DAG:     %[[NAN:.+]] = arith.constant dense<0x7FC00000> : vector<8xf32>
// CHECK:         arith.shrui %{{.+}}, %{{.+}} : vector<8xi32>
// CHECK:         math.fma {{.+}} : vector<8xf32>
// CHECK-DAG:     %[[ISNEG:.+]] = arith.cmpf ult, %[[X]], %[[ZERO]] : vector<8xf32>
// CHECK-DAG:     %[[ISZERO:.+]] = arith.cmpf oeq, %[[X]], %[[ZERO]] : vector<8xf32>
// CHECK-DAG:     %[[ISINF:.+]] = arith.cmpf oeq, %[[X]], %[[INF]] : vector<8xf32>
// CHECK:         %[[A:.+]] = arith.select %[[ISINF]], %[[INF]], %{{.+}} : vector<8xi1>, vector<8xf32>
// CHECK-NEXT:    %[[B:.+]] = arith.select %[[ISNEG]], %[[NAN]], %[[A]] : vector<8xi1>, vector<8xf32>
// CHECK-NEXT:    %[[Y:.+]] = arith.select %[[ISZERO]], %[[NINF]], %[[B]] : vector<8xi1>, vector<8xf32>
// CHECK-NEXT:    return %[[Y]] : vector<8xf32>
func.func @log(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.log %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// CHECK-LABEL: func.func @tanh(
// CHECK:         math.fma {{.+}} : vector<8xf32>
// CHECK:         arith.divf %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK:         %[[Y:.+]] = arith.select {{.+}} : vector<8xi1>, vector<8xf32>
// CHECK-NEXT:    return %[[Y]] : vector<8xf32>
func.func @tanh(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.tanh %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// -----

// The other functions upstream approximates go the same way (GONE above
// checks that none of them is left).
// CHECK-LABEL: func.func @others(
// CHECK:         return %{{.+}} : vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>
func.func @others(%x: vector<8xf32>)
    -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>,
        vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
  %0 = math.expm1 %x : vector<8xf32>
  %1 = math.log1p %x : vector<8xf32>
  %2 = math.log2 %x : vector<8xf32>
  %3 = math.erf %x : vector<8xf32>
  %4 = math.atan %x : vector<8xf32>
  %5 = math.sin %x : vector<8xf32>
  %6 = math.cos %x : vector<8xf32>
  %7 = math.asin %x : vector<8xf32>
  %8 = math.acos %x : vector<8xf32>
  %9 = math.cbrt %x : vector<8xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9
      : vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>,
        vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>
}

// -----

// f64 keeps libm's functions (gradient checks compare against them), on
// scalars and on vectors: nothing is added.
// CHECK-LABEL: func.func @double(
// CHECK-NEXT:    math.exp %{{.+}} : f64
// CHECK-NEXT:    math.log %{{.+}} : f64
// CHECK-NEXT:    math.tanh %{{.+}} : vector<4xf64>
// CHECK-NEXT:    return
func.func @double(%x: f64, %v: vector<4xf64>) -> (f64, f64, vector<4xf64>) {
  %0 = math.exp %x : f64
  %1 = math.log %x : f64
  %2 = math.tanh %v : vector<4xf64>
  return %0, %1, %2 : f64, f64, vector<4xf64>
}

// -----

// Functions that upstream does not approximate stay for LLVM, which has
// vector instructions for these.
// CHECK-LABEL: func.func @native(
// CHECK-NEXT:    math.sqrt %{{.+}} : vector<8xf32>
// CHECK-NEXT:    math.absf %{{.+}} : vector<8xf32>
// CHECK-NEXT:    return
func.func @native(%x: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>) {
  %0 = math.sqrt %x : vector<8xf32>
  %1 = math.absf %x : vector<8xf32>
  return %0, %1 : vector<8xf32>, vector<8xf32>
}
