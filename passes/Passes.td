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

#endif // NABLA_PASSES_TD
