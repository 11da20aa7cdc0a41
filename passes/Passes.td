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

    With accumulate > 1 (or split) it also creates
      @M_accumulate(params..., sums..., batch...) -> (sums'..., loss)
      @M_apply(params..., state..., sums..., lr, step) -> (params'..., state'..., grad_norm...)
    where the step's gradient is the mean of the k micro-batch gradients,
    so k micro-batches of b rows update like one batch of k*b rows.

    With all-reduce, @M_train_step averages its gradients (still scaled by
    the loss scale), its loss and its model state over the processes of a
    data-parallel run: they are grouped into buckets of at most
    bucket-bytes in the order the backward pass computes them, each
    bucket starts (nabla.all_reduce_start) right after its last tensor is
    computed, and its wait comes before clipping and the update.
    @M and @M_grad are not changed (erase-sources erases them).
  }];
  let options = [
    Option<"optimizer", "optimizer", "::nabla::Optimizer",
           "::nabla::Optimizer::Adam", "sgd, momentum, nesterov, adam or adamw",
           "::nabla::clValues(::nabla::kOptimizerNames)">,
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
    Option<"lossScaling", "loss-scaling", "bool", "false",
           "Take a loss_scale argument: the loss's adjoint starts at it, and "
           "the gradients are divided by it before clipping and the update">,
    Option<"accumulate", "accumulate", "int64_t", "1",
           "Micro-batches per optimizer step">,
    Option<"split", "split", "bool", "false",
           "Build @M_accumulate and @M_apply at accumulate = 1 too: "
           "data-parallel training averages the gradients over the "
           "processes between the two">,
    Option<"allReduce", "all-reduce", "bool", "false",
           "Average the gradients, the loss and the model's state over the "
           "processes of a data-parallel run inside @M_train_step: "
           "nabla.all_reduce_start on each bucket as soon as its gradients "
           "are computed, nabla.all_reduce_wait before clipping and the "
           "update (accumulate = 1 only)">,
    Option<"bucketBytes", "bucket-bytes", "int64_t", "4194304",
           "Bytes of gradients an all-reduce bucket holds at most (a "
           "larger tensor has a bucket of its own)">,
    Option<"allReduceBF16", "all-reduce-bf16", "bool", "false",
           "With all-reduce: average the gradients in bf16 (half the bytes; "
           "each gradient rounded to bf16 before the average, as torch "
           "DDP's bf16_compress_hook), the loss and state in f32">,
    Option<"eraseSources", "erase-sources", "bool", "false",
           "Erase @M and @M_grad once the step functions are built (what "
           "nabla-train-pipeline compiles is the step alone)">,
  ];
  let dependentDialects = ["::nabla::NablaDialect"];
}

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def Fusion : Pass<"nabla-fusion", "mlir::func::FuncOp"> {
  let summary = "Group the ops of a step into nabla.fused kernels";
  let description = [{
    Walks the function in program order and puts each op either into the
    group of one or more of its producers or into a new group; every group
    of two or more ops becomes a `nabla.fused` op (one kernel). Groups are
    named `group_<k>` in program order; their `kind` is `matmul`,
    `reduction` or `elementwise`, or `optimizer` when the group computes a
    parameter's update.

    The cost rule. A kernel's cost is the memory it reads and writes; a
    fused group writes only its results, so an op joins a group whenever
    that neither recomputes anything nor makes the group's single loop nest
    impossible:
    - Every op belongs to exactly one group: nothing is duplicated, and a
      value a group makes that is used outside it becomes one of the
      group's results (written once). Only splat constants are copied in.
    - An op joins a producer's group only if it consumes that group's
      latest op (its root), so each group has one sink that every op in it
      feeds, the op codegen tiles; it may join several such groups at once.
    - A matmul always starts a group (it is never fused into its producers,
      and a group holds at most one matmul); elementwise ops and
      reductions after it are its epilogue. An op that reads the roots of
      two matmul groups (relu_grad of a forward activation and a backward
      matmul) joins the first it can join without making a cycle.
    - Inside a group every value keeps the same leading (row) dimension
      and rank, so the whole group is tiled along rows: an op may read a
      group value only with the same rank and without broadcasting its
      rows. A reduction over the rows (sum over the batch, a loss, a norm)
      may end a group but nothing inside the group may use its result;
      softmax over the rows is never fused.
    - What an op is comes from its traits (ir/NablaTraits.td):
      `Nabla_Elementwise`, `Nabla_Reduction` and `Nabla_MatmulLike` ops
      can be grouped; ops with none of them (`nabla.transpose` and
      `nabla.reshape`, which change the layout) are never fused: they
      separate groups. A `Nabla_Composite` op (softmax, mean, a loss) is a
      group even alone.
    - An op never joins a group if that would make the groups cyclic (a
      group that depends, through other ops, on the one it would join).
  }];
  let options = [
    Option<"epilogues", "epilogues", "bool", "true",
           "Fuse elementwise consumers and reductions into matmul groups">,
    Option<"reductions", "reductions", "bool", "true",
           "Fuse reductions with their producers and consumers">,
  ];
  let dependentDialects = ["::nabla::NablaDialect"];
}

//===----------------------------------------------------------------------===//
// Algebra
//===----------------------------------------------------------------------===//

def FoldConvScale : Pass<"nabla-fold-conv-scale", "mlir::func::FuncOp"> {
  let summary = "Move a per-channel scale of a convolution into its weight";
  let description = [{
    `conv(x, w) * s`, with `s` one value per output channel (`[1, O, 1,
    1]` or `[O, 1, 1]`), becomes `conv(x, w * s[:, None, None, None])`;
    `(conv(x, w) + b) * s` likewise becomes `conv(x, w * s) + b * s`. The
    convolution (and the bias add) must have no other use.

    Why: batch norm at inference is `x * scale + shift` with per-channel
    `scale` and `shift` computed from parameters and running statistics
    (batch_norm's inference form). Folded, the scale multiplies the O x C
    x k x k weight instead of the N x O x H x W activation, and what is
    left, conv + shift, is a convolution with a bias. In the training form
    the scale depends on the batch (its variance), i.e. on the
    convolution's result, which then has more than one use: nothing folds,
    and training computes exactly what PyTorch does.
  }];
}

//===----------------------------------------------------------------------===//
// Scheduling
//===----------------------------------------------------------------------===//

def ScheduleEarly : Pass<"nabla-schedule-early", "mlir::func::FuncOp"> {
  let summary = "Run each kernel as soon as its inputs are computed";
  let description = [{
    Moves every op without side effects to right after the last op of the
    function's body that produces one of its operands; ops that read only
    the function's arguments stay where they are. Ops moved behind the
    same producer keep their order.

    Why: autodiff emits a step as the forward pass, then every input
    gradient, then every weight gradient, then every update. A layer's
    weight gradient `x^T @ dy` then runs long after `dy` was computed, and
    its update long after that, each reading back from memory what was in
    the caches. Scheduled early, the weight gradient runs right after its
    `dy`, and the update right after the gradient. (No value is computed
    earlier than it could be used, so peak memory does not grow for a
    chain like this one: the gradient dies as soon as it is made.)
  }];
}


//===----------------------------------------------------------------------===//
// Mixed precision
//===----------------------------------------------------------------------===//

def MixedPrecision : Pass<"nabla-mixed-precision", "mlir::func::FuncOp"> {
  let summary = "Compute in f16 or bf16, keeping f32 where precision matters";
  let description = [{
    Runs on a model's gradient function (forward and backward, before
    nabla-training-step), in the spirit of PyTorch's autocast. Each op
    states its policy with a trait in its ODS line (ir/NablaTraits.td);
    the pass lists no ops:

    - `Nabla_ComputeIn16Bits` (computed in `dtype`): `matmul`, which
      accumulates in f32 when lowered (16-bit inputs, an f32 sum, one
      rounding of the result). Its f32 operands are cast to `dtype`.
    - `Nabla_FollowOperands` (16 bits if an operand was computed in 16
      bits, else f32, like autocast's elementwise ops that take the widest
      input type): e.g. `add`, `sub`, `mul`, `div`, `max`, `neg`, `relu`,
      `relu_grad`, `sigmoid`, `tanh`. So a matmul's bias and activation run
      in 16 bits, but arithmetic on the f32 loss (`loss * 1e-3`) stays f32.
    - `Nabla_MovesData` (`transpose`, `reshape`, `broadcast_to`) keep their
      operand's precision: 16 bits if the operand already is (or already
      has a 16-bit copy), f32 otherwise, so an f32 sum is never rounded
      just to be reshaped.
    - `Nabla_KeepF32` (their 16-bit operands are cast back to f32): e.g.
      `exp`, `log`, `sqrt`, `pow`, the reductions `sum`, `mean`,
      `reduce_max` (so bias gradients and norms accumulate in f32),
      `softmax`, `log_softmax`, and the losses `mse`, `cross_entropy`,
      `binary_cross_entropy`.
    - Ops with no policy (constants, `cast`, `compare`, `one_hot`, the
      function's results) see their operands in their original type: the
      gradients the function returns are f32, so the optimizer that follows
      updates f32 master weights with f32 state.

    Each value is cast at most once to each type, right after it is
    defined: a parameter is cast to 16 bits once per step, however many
    ops read it. A cast of a cast that widened exactly (f16/bf16 to f32)
    goes back to the original value, so no round trips remain.
  }];
  let options = [
    Option<"dtype", "dtype", "::nabla::Precision", "::nabla::Precision::BF16",
           "The compute type: bf16 or f16 (f32 changes nothing)",
           "::nabla::clValues(::nabla::kPrecisionNames)">,
  ];
  let dependentDialects = ["::nabla::NablaDialect"];
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

def Verify : Pass<"nabla-verify", "mlir::ModuleOp"> {
  let summary = "Verify the IR, once, at the end of a pipeline";
  let description = [{
    Fails, with the verifier's diagnostic, when any op of the module is
    invalid; changes nothing. nablac and the C++ API run their pipelines
    with MLIR's verification after every pass off (`--verify-each` turns
    it on) and end each one with this pass: at 1000 Dense layers, verifying
    the training step after each of its ~70 passes took 30 of the
    pipeline's 100 s, linear in the model but a third of every compile.
    nabla-opt, the lit tests and the fuzzers verify after every pass.
  }];
}

#endif // NABLA_PASSES_TD
