// RUN: nabla-opt %s --nabla-autodiff=function=missing --verify-diagnostics

// `function` must name a function of the module.
// expected-error @below {{nabla-autodiff: no function named @missing}}
module {
  func.func @present(%w: tensor<4xf32> {nabla.param = "w"}) -> tensor<f32> attributes {nabla.model} {
    %0 = nabla.sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}
