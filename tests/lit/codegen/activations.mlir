// RUN: nabla-opt %s --nabla-to-linalg --split-input-file | FileCheck %s
// RUN: nabla-opt %s --nabla-to-linalg --split-input-file | FileCheck %s --check-prefix=CLEAN

// The scalar body of each activation's linalg.generic: PyTorch's formula
// in arith, with only the math ops SPIR-V has (exp, expm1, log1p, tanh,
// rsqrt, absf), so the same lowering serves the CPU and Vulkan.

// No nabla op survives the conversion, and erf is never left to libm in f32.
// CLEAN-NOT: nabla.
// CLEAN-NOT: math.erf {{.*}} : f32

// CHECK-LABEL: func.func @abs
// CHECK:         linalg.generic
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Y:.*]] = math.absf %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @abs(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.abs %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @square
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Y:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @square(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.square %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @rsqrt
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Y:.*]] = math.rsqrt %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @rsqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.rsqrt %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// erf in f32: x clamped to [-4, 4], then x P(x^2) / Q(x^2) (degrees 6
// and 4 in x^2, Horner's rule), the last coefficients -1.6096e-2 and
// -1.4265e-2 (their ratio, 2/sqrt(pi), is erf's slope at 0).
// CHECK-LABEL: func.func @erf_f32
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[LO:.*]] = arith.maximumf %[[X]], %{{.*}} : f32
// CHECK-NEXT:      %[[C:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK-NEXT:      %[[X2:.*]] = arith.mulf %[[C]], %[[C]] : f32
// CHECK:           arith.constant -0.0160960332 : f32
// CHECK:           %[[P:.*]] = arith.mulf %[[C]], %{{.*}} : f32
// CHECK:           arith.constant -0.0142647391 : f32
// CHECK-NEXT:      %[[Q0:.*]] = arith.mulf %[[X2]], %{{.*}} : f32
// CHECK-NEXT:      %[[Q:.*]] = arith.addf %[[Q0]], %{{.*}} : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.divf %[[P]], %[[Q]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @erf_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.erf %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// In f64 (gradient checks), libm's erf.
// CHECK-LABEL: func.func @erf_f64
// CHECK:         ^bb0(%[[X:.*]]: f64, %{{.*}}: f64):
// CHECK-NEXT:      %[[Y:.*]] = math.erf %[[X]] : f64
// CHECK-NEXT:      linalg.yield %[[Y]] : f64
func.func @erf_f64(%x: tensor<4xf64>) -> tensor<4xf64> {
  %0 = nabla.erf %x : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

// In 16 bits, the rational function runs in f32 (its small coefficients
// are below f16's range) and rounds once.
// CHECK-LABEL: func.func @erf_f16
// CHECK:         ^bb0(%[[X:.*]]: f16, %{{.*}}: f16):
// CHECK-NEXT:      %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK:           %[[R:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.truncf %[[R]] : f32 to f16
// CHECK-NEXT:      linalg.yield %[[Y]] : f16
func.func @erf_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = nabla.erf %x : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// silu = x / (1 + exp(-x)).
// CHECK-LABEL: func.func @silu
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[N:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[N]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.divf %[[X]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @silu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.silu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// selu = scale * (x > 0 ? x : alpha * expm1(x)), torch.nn.SELU's alpha
// and scale rounded to f32.
// CHECK-LABEL: func.func @selu
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[E:.*]] = math.expm1 %[[X]] : f32
// CHECK-NEXT:      %[[ALPHA:.*]] = arith.constant 1.67326319 : f32
// CHECK-NEXT:      %[[NEG:.*]] = arith.mulf %[[ALPHA]], %[[E]] : f32
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.select %[[POS]], %[[X]], %[[NEG]] : f32
// CHECK-NEXT:      %[[SCALE:.*]] = arith.constant 1.05070102 : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.mulf %[[SCALE]], %[[S]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @selu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.selu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// gelu "none" = x/2 * (1 + erf(x / sqrt(2))), erf as above.
// CHECK-LABEL: func.func @gelu_none
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[H:.*]] = arith.mulf %[[HALF]], %[[X]] : f32
// CHECK-NEXT:      %[[R2:.*]] = arith.constant 0.707106769 : f32
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[X]], %[[R2]] : f32
// CHECK:           arith.maximumf %[[U]]
// CHECK:           %[[ERF:.*]] = arith.divf
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ONE]], %[[ERF]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.mulf %[[H]], %[[S]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @gelu_none(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.gelu %x approximate = "none" : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// gelu "tanh" = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[H:.*]] = arith.mulf %[[HALF]], %[[X]] : f32
// CHECK-NEXT:      %[[X2:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT:      %[[X3:.*]] = arith.mulf %[[X2]], %[[X]] : f32
// CHECK-NEXT:      %[[K:.*]] = arith.constant 4.471500e-02 : f32
// CHECK-NEXT:      %[[KX3:.*]] = arith.mulf %[[K]], %[[X3]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[X]], %[[KX3]] : f32
// CHECK-NEXT:      %[[B:.*]] = arith.constant 0.797884583 : f32
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[B]], %[[SUM]] : f32
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[U]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ONE]], %[[T]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.mulf %[[H]], %[[S]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @gelu_tanh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.gelu %x approximate = "tanh" : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// leaky_relu = x > 0 ? x : slope * x (NaN gives slope * NaN = NaN).
// CHECK-LABEL: func.func @leaky_relu
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[SLOPE:.*]] = arith.constant 2.000000e-01 : f32
// CHECK-NEXT:      %[[NEG:.*]] = arith.mulf %[[X]], %[[SLOPE]] : f32
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.select %[[POS]], %[[X]], %[[NEG]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.leaky_relu %x slope = 0.2 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// elu = x > 0 ? x : alpha * expm1(x).
// CHECK-LABEL: func.func @elu
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[E:.*]] = math.expm1 %[[X]] : f32
// CHECK-NEXT:      %[[ALPHA:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[NEG:.*]] = arith.mulf %[[ALPHA]], %[[E]] : f32
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.select %[[POS]], %[[X]], %[[NEG]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @elu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.elu %x alpha = 0.5 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// softplus = beta x > threshold ? x : log1p(exp(beta x)) / beta.
// CHECK-LABEL: func.func @softplus
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[BETA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[BX:.*]] = arith.mulf %[[X]], %[[BETA]] : f32
// CHECK-NEXT:      %[[BETA2:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[BX]] : f32
// CHECK-NEXT:      %[[L:.*]] = math.log1p %[[E]] : f32
// CHECK-NEXT:      %[[SOFT:.*]] = arith.divf %[[L]], %[[BETA2]] : f32
// CHECK-NEXT:      %[[T:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-NEXT:      %[[LIN:.*]] = arith.cmpf ogt, %[[BX]], %[[T]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.select %[[LIN]], %[[X]], %[[SOFT]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @softplus(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.softplus %x beta = 2.0 threshold = 10.0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// clamp = minimumf(maximumf(x, lo), hi): NaN-propagating, as torch.clamp.
// CHECK-LABEL: func.func @clamp
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[LO:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-NEXT:      %[[M:.*]] = arith.maximumf %[[X]], %[[LO]] : f32
// CHECK-NEXT:      %[[HI:.*]] = arith.constant 2.500000e+00 : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.minimumf %[[M]], %[[HI]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
func.func @clamp(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nabla.clamp %x lo = -1.0 hi = 2.5 : tensor<4xf32>
  return %0 : tensor<4xf32>
}
