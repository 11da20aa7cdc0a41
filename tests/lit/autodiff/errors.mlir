// RUN: nabla-opt %s --nabla-autodiff --split-input-file --verify-diagnostics

// Every message nabla-autodiff emits for a model it cannot differentiate
// with its default options. Messages that need `wrt` or `function` are in
// errors-wrt.mlir and errors-function.mlir.

// The first result is the loss, so it must be a scalar: a vector is not.
// expected-error @+1 {{nabla-autodiff: the first result of @vector_loss must be a scalar float loss, got 'tensor<4xf32>'}}
func.func @vector_loss(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<4xf32> attributes {nabla.model} {
  return %w : tensor<4xf32>
}

// -----

// An integer scalar is not a loss either.
// expected-error @+1 {{nabla-autodiff: the first result of @integer_loss must be a scalar float loss, got 'tensor<i32>'}}
func.func @integer_loss(%w: tensor<4xf32> {nabla.param = "w"}, %k: tensor<i32> {nabla.input = "k"}) -> tensor<i32> attributes {nabla.model} {
  return %k : tensor<i32>
}

// -----

// A model with no results has no loss.
// expected-error @+1 {{nabla-autodiff: @no_results has no body or no results}}
func.func @no_results(%w: tensor<4xf32> {nabla.param = "w"}) attributes {nabla.model} {
  return
}

// -----

// A declaration has no body to differentiate.
// expected-error @+1 {{nabla-autodiff: @declared has no body or no results}}
func.func private @declared(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model}

// -----

// An op on the path to the loss that has no derivative rule (an op of
// another dialect) is reported at that op.
func.func @no_rule(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
  // expected-error @+1 {{nabla-autodiff: cannot differentiate 'arith.addf'}}
  %0 = arith.addf %w, %w : tensor<4xf32>
  %1 = nabla.sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// An op without a rule is no error when it does not reach the loss.
func.func @no_rule_unreached(%w: tensor<4xf32> {nabla.param = "w"}) -> (tensor<f32>, tensor<4xf32>) attributes {nabla.model} {
  %0 = arith.addf %w, %w : tensor<4xf32>
  %1 = nabla.sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<4xf32>
}
