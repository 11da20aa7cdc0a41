//===- Passes.td - Transformations of nabla graphs ---------*- tablegen -*-===//
#ifndef NABLA_PASSES_TD
#define NABLA_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Differentiation
//===----------------------------------------------------------------------===//

def Autodiff : Pass<"nabla-autodiff", "mlir::ModuleOp"> {
  let summary = "Derive the backward graph of model functions";
  let description = [{
    For each `func.func @M` marked `nabla.model` (or the one named by
    `function`), whose first result is a scalar float loss, creates
    `@M_grad` (marked `nabla.gradient_of = "M"`) with the same arguments,
    returning @M's results followed by d(loss)/d(arg) for every parameter
    argument (or for the arguments named in `wrt`), each gradient result
    tagged `nabla.grad = "<name>"`.

    The backward graph is built from each op's DifferentiableOpInterface
    rule, in reverse order, after the forward ops it reuses. Adjoints of
    values used more than once are summed; ops whose results do not reach
    the loss get no backward code; ops left dead are erased. A parameter
    the loss does not depend on gets a zero gradient. @M is not changed.
  }];
  let options = [
    ListOption<"wrt", "wrt", "std::string",
               "Names (nabla.param or nabla.input) to differentiate with "
               "respect to (default: every parameter)">,
    Option<"function", "function", "std::string", /*default=*/"\"\"",
           "Differentiate only this function (default: every nabla.model)">,
  ];
  let dependentDialects = ["::nabla::NablaDialect"];
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

def TrainingStep : Pass<"nabla-training-step", "mlir::ModuleOp"> {
  let summary = "Build the whole training step of a model in IR";
  let description = [{
    For each `@M_grad` (made by nabla-autodiff) creates

      @M_train_step(params..., state..., batch inputs..., lr, step)
          -> (params'..., state'..., loss, grad_norm per param...)

    with the gradient clipping and optimizer update of the options, with
    the semantics of PyTorch (torch.optim.SGD with momentum/nesterov,
    Adam, AdamW; torch.nn.utils.clip_grad_value_ and clip_grad_norm_ with
    scale min(1, max_norm / (total_norm + 1e-6))). `step` is the 1-based
    step number (Adam's bias correction); `lr` the learning rate. Arguments
    carry nabla.param / nabla.state / nabla.input / nabla.hyper names and
    results nabla.update / nabla.state / nabla.output / nabla.stat names.

    With accumulate > 1 it also creates
      @M_accumulate(params..., sums..., batch...) -> (sums'..., loss)
      @M_apply(params..., state..., sums..., lr, step) -> (params'..., state'..., grad_norm...)
    where the step's gradient is the mean of the k micro-batch gradients,
    so k micro-batches of b rows update like one batch of k*b rows.
    @M and @M_grad are not changed.
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", "\"sgd\"",
           "sgd, momentum, nesterov, adam or adamw">,
    Option<"momentum", "momentum", "double", "0.9", "Momentum (momentum, nesterov)">,
    Option<"beta1", "beta1", "double", "0.9", "Adam's beta1">,
    Option<"beta2", "beta2", "double", "0.999", "Adam's beta2">,
    Option<"eps", "eps", "double", "1e-8", "Adam's epsilon">,
    Option<"weightDecay", "weight-decay", "double", "-1",
           "L2 penalty (decoupled for adamw); -1 means 0, or 0.01 for adamw">,
    Option<"clipNorm", "clip-norm", "double", "0",
           "Clip the global gradient norm to this (0: off)">,
    Option<"clipValue", "clip-value", "double", "0",
           "Clip every gradient element to [-v, v] (0: off)">,
    Option<"accumulate", "accumulate", "int64_t", "1",
           "Micro-batches per optimizer step">,
  ];
  let dependentDialects = ["::nabla::NablaDialect"];
}

#endif // NABLA_PASSES_TD
