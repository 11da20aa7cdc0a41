//===- Passes.td - Lowering passes of nabla ----------------*- tablegen -*-===//
#ifndef NABLA_CODEGEN_PASSES_TD
#define NABLA_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Lowering out of the nabla dialect
//===----------------------------------------------------------------------===//

def NablaToLinalg : Pass<"nabla-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower nabla ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every nabla op into destination-style linalg ops on tensors:
    elementwise ops (with broadcasting folded into indexing maps) become
    `linalg.generic`, reductions `linalg.generic` with reduction iterators
    over a `linalg.fill`, matmul `linalg.matmul`/`linalg.batch_matmul`,
    transpose `linalg.transpose`, reshape `tensor.reshape`. Softmax,
    log_softmax, mean and the losses are first expanded into simpler nabla
    ops. Function signatures and attributes do not change. Fails, naming
    the op, if any nabla op is left.

    Convolutions (conv, conv_transpose, conv_weight_grad) become
    `linalg.generic` ops with window indexing maps, and `nabla.pad` a
    generic that reads its source with `tensor.extract`: ops every target
    runs. With `for-cpu` (the CPU pipeline), ungrouped convolutions become
    one `linalg.matmul` each over an im2col copy of the input (patches
    [N * out..., C * k...] for the forward, whose rows are the output
    pixels, [C * k..., N * out...] for the weight gradient), so they run
    on the register-blocked matmul kernels, which read the patches through
    the copy's map instead of building them (the input gradient gathers
    its matmul's columns back: col2im), and a pad becomes a fill and a
    strided `tensor.insert_slice`, which bufferize to plain copies.
  }];
  let options = [
    Option<"forCpu", "for-cpu", "bool", "false",
           "Lower convolutions and pads for the CPU pipeline (im2col and "
           "linalg.matmul; fill and insert_slice)">,
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::func::FuncDialect", "mlir::memref::MemRefDialect",
    "mlir::bufferization::BufferizationDialect"
  ];
}

def NablaProtectArguments : Pass<"nabla-protect-arguments", "mlir::ModuleOp"> {
  let summary = "Mark model arguments read-only for bufferization";
  let description = [{
    Sets `bufferization.writable = false` on every tensor argument of every
    function with a body, so one-shot bufferization never writes into a
    caller's input or parameter buffer, and gives a value returned twice a
    copy (`tensor.empty` + `linalg.copy`) for each later place, so each
    result gets a buffer of its own. A `tensor.empty` or a tensor constant
    with several uses (CSE merges them) becomes one per use, which keeps
    the bufferization analysis linear in the function's length. In a function nothing in the
    module calls, each tensor result becomes a buffer handed out by
    `bufferization.to_buffer read_only`, so that one-shot-bufferize's
    analysis of function boundaries (every returned tensor against every
    tensor argument) has no tensor result to compare. Other arguments and
    results, and declarations, are left alone.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def NablaResultsToOutParams
    : Pass<"nabla-results-to-out-params", "mlir::ModuleOp"> {
  let summary = "Returned buffers become out-parameters the caller passes in";
  let description = [{
    After bufferization, on both pipelines: upstream's
    `buffer-results-to-out-params{hoist-static-allocs modify-public-functions}`
    (a returned buffer the function allocates becomes the out-parameter
    itself; any other is copied into it; calls pass buffers they allocate),
    with each result's attributes (`nabla.update = "..."`) moved to its
    out-parameter in one step. Upstream moves them one at a time, and each
    move copies the attributes of every argument: a training step of n
    layers has ~10n arguments and ~4n results, so that grew as n^2.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def NablaCpuLoopOrder : Pass<"nabla-cpu-loop-order", "mlir::ModuleOp"> {
  let summary = "Put matmul's reduction loop outside its last parallel loop";
  let description = [{
    Rewrites `linalg.matmul` (loops i, j, k) and `linalg.batch_matmul`
    (b, i, j, k) as `linalg.generic` ops whose loops run i, k, j: the
    innermost loop then walks rows of B and C contiguously with no
    loop-carried reduction, which LLVM vectorizes. A stop-gap until tiled,
    register-blocked kernels; the result is the same up to the order of
    additions (each C[i][j] still sums over k in increasing order).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def NablaCpuNarrowTensorUses
    : Pass<"nabla-cpu-narrow-tensor-uses", "mlir::func::FuncOp"> {
  let summary = "Give no tensor many uses before one-shot-bufferize";
  let description = [{
    Right before bufferization. One-shot-bufferize's analysis looks, for
    every tensor operand, at every use of every value that may share its
    buffer: a tensor with n uses costs time quadratic in n. A training
    step has a few such tensors whose uses grow with the model: Adam's bias
    corrections, 0-d tensors read by every parameter's update (2,004 uses
    each at 1000 Dense layers). A 0-d tensor read by `vector.transfer_read`
    or `tensor.extract` in several places is read once, by a
    `tensor.extract` right after it is defined, and each read becomes that
    scalar (a `vector.broadcast` where a vector was read). (Tensor
    constants that CSE merged, the other such tensors, get one copy per
    use in nabla-protect-arguments.)
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
}

def NablaLowerFused : Pass<"nabla-lower-fused", "mlir::ModuleOp"> {
  let summary = "Turn each nabla.fused group (lowered to linalg) into one loop nest";
  let description = [{
    Runs after nabla-to-linalg, on the linalg ops inside each `nabla.fused`
    group. First fuses the group's elementwise `linalg.generic` chains
    (never recomputing a value: a producer with other users is kept as an
    extra result). Then tiles the group's sink along its row dimension
    (a parallel loop, or the reduction loop when the sink reduces over
    the rows: a sum then has one partial sum per tile, added up after the
    loop by a generic marked `nabla.partial_sums`, so that the loop stays
    parallel) and fuses every producer of the group into that loop with
    `scf` tile-and-fuse, so the values inside the group exist only one tile
    of rows at a time; a value the group yields is written once, tile by
    tile. The tile is the largest number of rows (dividing the row count,
    and at most half of it) whose widest tensor row fits in `tile-bytes`;
    a group with a matmul is tiled in blocks of up to 32 rows (several row
    blocks of nabla-cpu-matmul-kernels, so that a panel of B loaded into
    cache serves all of them, and the epilogue uses the rows while they
    are in cache).
    Finally the group's ops are inlined into the function, marked
    `nabla.group = "<name>"`.
  }];
  let options = [
    Option<"tileBytes", "tile-bytes", "int64_t", "32768",
           "Bytes of the widest tensor a tile of rows may hold (about L1)">,
    Option<"tile", "tile", "bool", "true",
           "Tile the group into one loop nest (the CPU); false only fuses "
           "its elementwise chains (the GPU: each remaining linalg op "
           "becomes one kernel)">,
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::affine::AffineDialect",
    "mlir::arith::ArithDialect"
  ];
}


def NablaExpandBF16 : Pass<"nabla-expand-bf16", "mlir::ModuleOp"> {
  let summary = "Turn bf16 <-> f32 casts into integer code";
  let description = [{
    `arith.extf` from bf16 is a shift of the bits and `arith.truncf` to
    bf16 rounds to nearest even with integer ops (upstream's bf16 patterns
    of `arith-expand`, without its other expansions, which would turn
    `arith.maximumf` into compares and selects). Needed because LLVM
    lowers these casts to `__truncsfbf2`, which Debian 12's libgcc lacks.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def NablaCpuMatmulKernels : Pass<"nabla-cpu-matmul-kernels", "mlir::func::FuncOp"> {
  let summary = "Register-blocked, vectorized f32 matmuls";
  let description = [{
    Tiles each static f32 `linalg.matmul` into blocks of `mr` x `nr` of C
    (mr of 8 down to 1 rows dividing M, nr of 64, 48, 32, 16 or 8
    columns dividing N: of the blocks whose C fits in the registers left
    after 8, the one that loads the fewest vectors per FMA) and steps k
    one at a time; the block is
    vectorized, and its C tile is hoisted out of the k loop, so it stays in
    registers while k runs (the tile's transfers are shown disjoint from
    their indices, a few values plus constants, in HoistBlocks.cpp;
    upstream's hoistLoopInvariantSubsets, which asks the Presburger
    solver about every pair, took 12 ms per matmul and is left for what
    that cannot show): each k step loads a column of A (mr floats,
    broadcast) and a row of B (nr floats) and does mr x nr / lanes FMAs. The
    contraction is lowered to outer products (FMAs). 16-bit inputs with an
    f32 result (mixed precision) are widened as they are loaded. Matmuls
    whose N has no such divisor are left to nabla-cpu-loop-order.
    Each C element still sums over k in increasing order, as before.
    With `bf16-dot` (a CPU with AVX512-BF16), a matmul of bf16 A and B
    into f32 C, K even and N a multiple of 16, takes another kernel: B is
    copied into k-pair panels and each `x86vector.avx512.dot` (vdpbf16ps)
    adds two steps of k into 16 sums (codegen/cpu/DotKernels.cpp). Its
    sums are rounded once per pair, not per product; bf16 products are
    exact in f32.
    The loops over column blocks and row blocks are marked
    `nabla.parallel` (their iterations write disjoint parts of C) for
    nabla-cpu-parallel. Where A is a gathering copy (a linalg.generic that
    only yields its one input, seen through a collapse_shape: a
    convolution's im2col), its elements are read from the copy's input at
    the copy's map (an implicit GEMM), and the k loop is split into one
    loop per dim of A's column, so that no division is left in it.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "Width of the target's vector registers (512 with AVX-512)">,
    Option<"registers", "registers", "int64_t", "16",
           "Vector registers of the target (32 with AVX-512); all but 8 "
           "may hold the C block">,
    Option<"bf16Dot", "bf16-dot", "bool", "false",
           "bf16 x bf16 -> f32 matmuls on AVX512-BF16's vdpbf16ps "
           "(x86vector.avx512.dot)">,
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::x86vector::X86VectorDialect"
  ];
}

def NablaCpuVectorizeReductions
    : Pass<"nabla-cpu-vectorize-reductions", "mlir::func::FuncOp"> {
  let summary = "Vector code for float reductions (sums, norms, maxima)";
  let description = [{
    Vectorizes each `linalg.generic` reduction on float tensors of static
    shape (f32 results; f32, f16 or bf16 inputs) whose inputs are read
    contiguously along the innermost loop or broadcast along it, and whose
    combiner is one upstream can split (addf, maximumf, minimumf, ...):

    - the innermost loop is parallel (column sums: a bias gradient): tiles
      of 1 x ... x L along it, the reduced loops innermost, so that each
      tile of the result is a vector held in registers while the rows are
      summed into it;
    - the innermost loop is reduced (whole sums, norms, row sums): each
      row (tile of the parallel loops) is summed into L partial sums, one
      vector lane each, then the L lanes into the result.

    L is 4 vectors of `vector-bits` / 32 lanes (independent sums, so the
    adds' latency is hidden) where that divides the innermost size, else
    one vector, else no change. The second form adds in another order than
    the scalar loop (each lane sums every L-th element): the results differ
    by rounding, and do not depend on the thread count. The outermost loop
    over parallel tiles is marked `nabla.parallel`.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "Width of the target's vector registers (512 with AVX-512)">,
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect"
  ];
}

def NablaCpuVectorizeElementwise
    : Pass<"nabla-cpu-vectorize-elementwise", "mlir::func::FuncOp"> {
  let summary = "Vector code for elementwise float linalg.generic ops";
  let description = [{
    Tiles each all-parallel `linalg.generic` on f32, f16 or bf16 tensors
    of static shape whose results are written along the innermost loop
    (in order, or permuted with that loop last, as a packing of B into
    panels) and whose inputs are read contiguously along the innermost loop, or broadcast along it (elementwise chains,
    bias adds, scaling by a scalar), into 1 x ... x 1 x W tiles, W the
    widest of `vector-bits` / 32, or half of it down to 4, dividing the
    innermost size (or the whole innermost size where none divides it and
    it is narrower than a vector: a pooled row of 14), and vectorizes each
    tile: one vector load per input, a broadcast per scalar, one vector
    store. Results may also be i32 (a max pool's argmax positions). An
    input that is a view with a constant stride s > 1 along its last dim
    (a pooling window) is read as the s (W - 1) + 1 contiguous elements
    its lanes span and a shuffle of every s-th. With 16 lanes, a generic
    that reads an f32 input transposed (2-D, both sides multiples of 16:
    the packing of a transposed matmul operand) is tiled 16 x 16 and its
    transposes lowered to upstream's 16 x 16 shuffle sequence. The
    outermost tile loop is marked `nabla.parallel`, and also
    `nabla.nontemporal` where the tensor written (through the slices and
    loops around the op) is at least `nontemporal-bytes` of 32-bit
    elements in rows that 16 divides (see nabla-cpu-nontemporal-stores).
    Other transposes, reductions, integer inputs and wide sizes W does
    not divide keep their scalar loops (LLVM's vectorizer cannot prove their
    buffers disjoint and leaves them scalar).
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "Width of the target's vector registers (512 with AVX-512)">,
    Option<"nontemporalBytes", "nontemporal-bytes", "int64_t",
           "33554432",
           "Results of at least this many bytes, written in 64-byte vectors, "
           "get their loop marked nabla.nontemporal (0: never)">,
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect"
  ];
}

def NablaCpuOutlineKernels
    : Pass<"nabla-cpu-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Move each top-level loop nest into a function of its own";
  let description = [{
    After bufferization: every loop nest and linalg op at the top level of
    a function (results none, buffers only) moves into a new private
    function `@FUNC_group_K` (after its fusion group) or `@FUNC_kernel_I`,
    marked `noinline` and with internal linkage, and is replaced by a call. Constants it uses are
    cloned in; every other value it uses from outside becomes an argument.
    Passes that work on a whole function (scf-to-cf's block splitting,
    LLVM's loop passes) then see small functions, and the kernels' compile
    time grows linearly with the number of layers (opt -O3 on 100 Dense
    layers: 59 s before, 5.5 s after). Straight-line vector code at the
    top level (a small transpose vectorized whole, with no loop around
    it) is outlined the same way: each run of at least 8 such ops, which
    may step over constants, allocations and views and whose values are
    used only inside it, becomes one kernel (200 tanh layers of width 16:
    12,800 shuffles left the step, and the compile went from 42 to 32 s).
    The CPU's counterpart of gpu-kernel-outlining. A function with
    fewer than `min-kernels` such ops stays whole: there, the calls and a
    function per kernel cost more compile time than they save (digits.nb's
    26 kernels: 0.2 s more), and run time is the same either way.
  }];
  let options = [Option<"minKernels", "min-kernels", "int64_t",
                         /*default=*/"64",
                         "Outline only functions with at least this many "
                         "top-level loop nests">];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::memref::MemRefDialect"];
}

def NablaCpuKernelArgAttrs
    : Pass<"nabla-cpu-kernel-arg-attrs", "mlir::ModuleOp"> {
  let summary = "Mark the pointer arguments of outlined kernels nonnull";
  let description = [{
    After the conversion to the LLVM dialect: every pointer argument of a
    function nabla-cpu-outline-kernels made (marked `nabla.kernel`, which
    this pass removes) gets `llvm.nonnull`. They are the pointers of
    buffers (no tensor is empty, and the allocator never returns null),
    and saying so spares LLVM's instcombine from proving it at each call:
    it asks whether each pointer passed is nonnull, and in a training
    step's one long block every such question after an inserted
    instruction renumbers the whole block. At 1000 Dense layers that was
    18 of opt's 28 s, quadratic in the layer count.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def NablaCpuSplitBlocks
    : Pass<"nabla-cpu-split-blocks", "mlir::func::FuncOp"> {
  let summary = "Cut a long single-block function into a chain of blocks";
  let description = [{
    Before scf-to-cf: a function whose one block holds more than twice
    `max-ops` ops is cut into blocks of `max-ops` ops, each ending in a
    `cf.br` to the next. A training step calls every kernel from one
    block (about 40 ops per Dense layer), and scf-to-cf (which moves the
    rest of the block at each loop it lowers) and the conversions that
    ask which of two ops comes first (so that MLIR renumbers the block
    after each insertion) cost time quadratic in its length. Values flow
    down the chain without block arguments, and LLVM merges the chain
    back into one block.
  }];
  let options = [Option<"maxOps", "max-ops", "int64_t", /*default=*/"256",
                         "Ops in each block">];
  let dependentDialects = ["mlir::cf::ControlFlowDialect"];
}

def NablaCpuSplitEntry
    : Pass<"nabla-cpu-split-entry", "mlir::func::FuncOp"> {
  let summary = "Move a long entry block's ops into a block of their own";
  let description = [{
    Right before convert-func-to-llvm: when a function's entry block holds
    more than `max-ops` ops, they move to a new block, and the entry keeps
    its arguments and an `llvm.br` to it. convert-func-to-llvm replaces each
    argument with a value built at the top of the entry block, and for
    every use in that same block asks whether the value comes first, which
    renumbers the block after each insertion. A training step has
    thousands of arguments (parameters, optimizer state, gradients) and an
    entry block of thousands of constants and argument casts (every pass
    that folds puts its constants there), so that cost grew with their
    product: at 1000 Dense layers, 4 of the pass's 4.7 s. Uses in another
    block are replaced without asking; LLVM merges the blocks back.
  }];
  let options = [Option<"maxOps", "max-ops", "int64_t", /*default=*/"256",
                         "Longest entry block left as it is">];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def NablaCpuProfileKernels
    : Pass<"nabla-cpu-profile-kernels", "mlir::ModuleOp"> {
  let summary = "Time each kernel of a function (`--profile` on the CPU)";
  let description = [{
    After nabla-cpu-outline-kernels: in every public function, each kernel
    at the top level (a call of an outlined kernel, a loop nest, a linalg
    op or a memref.copy) is put between `call @nabla_profile_start()` and
    `call @nabla_profile_stop(%name)`, where `%name` points to a
    null-terminated string naming it: the kernel's function or fusion
    group, then its op's source position, `mlp_train_step_group_3
    (mlp.nb:12:5)`. The CPU JIT binds the two functions to its clock
    (runtime/KernelProfile.cpp) and keeps each call's kernel times, which
    `nablac ... --profile` prints slowest first: the CPU's counterpart of
    Vulkan's timestamp queries. Kernels run on the calling thread (their
    OpenMP loops fork and join inside), so the timer calls see each one
    whole. Only a profiled compile runs this pass: its module is another
    compile-cache entry.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def NablaCpuEarlyDeallocs
    : Pass<"nabla-cpu-early-deallocs", "mlir::func::FuncOp"> {
  let summary = "Free each temporary right after its last use";
  let description = [{
    After ownership-based-buffer-deallocation, which frees a function's
    buffers at the end of its block in one `bufferization.dealloc` (and
    buffer-deallocation-simplification then compares every pair of them:
    20 s for char_lstm's step unrolled 128 times): each buffer allocated
    in the function's block and freed there unconditionally, not
    retained, and used only through views, kernels and copies, gets a
    `memref.dealloc` after the last op of the block that uses it or a view
    of it, and leaves the `bufferization.dealloc`. Intermediates are then
    freed as soon as they are dead, and the allocator reuses their memory
    within the step. A buffer passed to a call, returned, yielded from a
    region or turned into a memref by an op that is not a view stays with
    the `bufferization.dealloc`.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def NablaCpuPlanMemory
    : Pass<"nabla-cpu-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Give every temporary of a function an offset in one arena";
  let description = [{
    After deallocation (nabla-cpu-early-deallocs frees each temporary
    right after its last use): every buffer allocated in the function's
    block with a static shape and freed there by one `memref.dealloc` is
    live from its alloc to its dealloc. Each gets an offset in one arena,
    chosen so that buffers live at the same time never overlap (the
    largest first, each at the lowest offset free over its lifetime: the
    "greedy by size" plan of TFLite's memory planner), and becomes a
    `memref.view` of the arena; its dealloc goes. The arena is allocated
    once at the function's start (aligned to `alignment`) and freed at its
    end; its size, fixed at compile time, is the function's attribute
    `nabla.arena_bytes`.

    A training step then makes one allocation instead of one per
    temporary, its peak is known before it runs, and the pointers it
    passes to kernels are the arena's plus constants: LLVM keeps one
    pointer live across the step instead of one per saved activation
    (whose register allocation grew faster than the number of layers).
    Functions with fewer than `min-buffers` temporaries are left alone.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Alignment of the arena and of every offset in it, in bytes">,
    Option<"minBuffers", "min-buffers", "int64_t", /*default=*/"2",
           "Plan only functions with at least this many temporaries">,
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def NablaCpuStridedCopies
    : Pass<"nabla-cpu-strided-copies", "mlir::func::FuncOp"> {
  let summary = "Copies between strided views as loops, not runtime calls";
  let description = [{
    After bufferization: each `memref.copy` whose source or target is not
    contiguous (a pad's strided insert, a window of a larger buffer)
    becomes a `linalg.copy`, which the CPU pipeline turns into loops
    LLVM vectorizes. The LLVM lowering would otherwise call `memrefCopy`
    from MLIR's C runner utilities, which the JIT does not link and which
    copies one element at a time through a generic descriptor.
    Contiguous copies stay memref.copy (a memcpy).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def NablaCpuNontemporalStores
    : Pass<"nabla-cpu-nontemporal-stores", "mlir::func::FuncOp"> {
  let summary = "Stores that bypass the caches, for results that do not fit";
  let description = [{
    After bufferization: in each loop marked `nabla.nontemporal`, every
    in-bounds, unmasked, contiguous `vector.transfer_write` of 16 x 32 bits
    (one 64-byte cache line) becomes a `vector.store` with `nontemporal`
    and `alignment = 64`. A normal store first reads the line it writes
    (read-for-ownership): a stream of results then costs three memory
    passes, not two (ELT: 0.63 of a copy's bandwidth on one core). The
    marking pass guarantees the alignment: buffers start on 64-byte
    boundaries (runtime Tensor, memref.alloc's alignment) and the tiles
    are 16 elements of rows whose length 16 divides.
  }];
  let dependentDialects = ["mlir::vector::VectorDialect"];
}

def NablaCpuApproximateMath
    : Pass<"nabla-cpu-approximate-math", "mlir::func::FuncOp"> {
  let summary = "exp, log, tanh and friends on f32 as polynomial vector code";
  let description = [{
    Replaces f32 `math.exp`, `math.log`, `math.tanh` and the other
    functions upstream approximates with its polynomial approximations
    (a few ulp), built from arith ops: on vectors they stay vectors,
    where LLVM would call libm once per lane. f64 keeps libm's functions.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::vector::VectorDialect"
  ];
}

def NablaCpuParallel : Pass<"nabla-cpu-parallel", "mlir::func::FuncOp"> {
  let summary = "Choose the loops that run on all cores (scf.parallel)";
  let description = [{
    Runs on bufferized loops. A loop may run in parallel when it is an
    `scf.parallel` (from convert-linalg-to-parallel-loops) or an `scf.for`
    without iter_args marked `nabla.parallel` by the pass that made it
    (nabla-lower-fused's loops over rows, nabla-cpu-matmul-kernels' loops
    over column blocks). Of these, the outermost ones whose work (ops,
    times the trip counts of the loops around them inside the candidate)
    is at least `min-work` become `scf.parallel`, which
    convert-scf-to-openmp turns into OpenMP work-sharing loops; every other
    `scf.parallel` becomes nested `scf.for` loops, so that only one level
    forks threads and small loops do not pay for the fork. A chosen
    `scf.parallel` of several dims keeps parallel only its outermost dims
    that give 16 or more iterations; the others become `scf.for` loops
    inside it (OpenMP would collapse them all into one index, recovered
    with divisions at every iteration, and the inner loops would not
    vectorize).
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "20000",
           "Ops a loop must run for its iterations to be spread over "
           "threads (a fork and join costs a few microseconds)">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

//===----------------------------------------------------------------------===//
// GPU (SPIR-V through Vulkan)
//===----------------------------------------------------------------------===//

def NablaGpuMapLinalg : Pass<"nabla-gpu-map-linalg", "mlir::func::FuncOp"> {
  let summary = "Make each linalg op of a bufferized function one gpu.launch";
  let description = [{
    Runs on a bufferized function (linalg on memrefs). Each linalg op in
    the function's body (and each `memref.copy`, as `linalg.copy`) becomes
    one `gpu.launch`: its loops are ordered with the parallel loops first;
    the parallel iteration space is linearised and spread over
    `workgroup-size` invocations per workgroup, one point per invocation
    (a grid-stride loop covers spaces larger than the grid); each
    invocation runs the reduction loops of its point sequentially, in the
    same order as the CPU code. What stays on the host is only what the
    Vulkan runtime interprets: allocations, constants, globals and views.
    Any other op with side effects runs as a kernel of one invocation;
    anything else is an error naming the op.
  }];
  let options = [
    Option<"workgroupSize", "workgroup-size", "int64_t", "64",
           "Invocations per workgroup">,
    Option<"maxWorkgroups", "max-workgroups", "int64_t", "65535",
           "Workgroups per dispatch at most (Vulkan guarantees 65535)">,
  ];
  let dependentDialects = [
    "mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::memref::MemRefDialect"
  ];
}

def NablaGpuBF16Storage : Pass<"nabla-gpu-bf16-storage", "mlir::func::FuncOp"> {
  let summary = "Keep bf16 buffers as i16 (SPIR-V has no bf16 here)";
  let description = [{
    Runs after the GPU kernels' bf16 arithmetic has been emulated in f32
    (`arith-emulate-unsupported-floats`) and their casts expanded to integer
    code (`nabla-expand-bf16`), so that bf16 values only pass between a
    buffer and a bitcast. Gives every bf16 buffer (allocations, views,
    arguments) the i16 element type with the same bits, loads i16 and
    bitcasts to bf16, bitcasts to i16 and stores; canonicalization then
    folds the bitcast pairs away. (convert-gpu-to-spirv would otherwise
    turn bf16 buffers into f32 arrays of half the length, which is wrong.)
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def NablaGpuSpirvAbi : Pass<"nabla-gpu-spirv-abi", "mlir::ModuleOp"> {
  let summary = "Set the SPIR-V target environment and entry-point ABI";
  let description = [{
    Puts a `spirv.target_env` on the module (the capabilities and limits
    the device reported: 16-bit floats, 64-bit integers, subgroup
    arithmetic, cooperative matrices, workgroup invocations, subgroup
    size; or the baseline) and a
    `spirv.entry_point_abi` with the workgroup size on every kernel
    (from its `known_block_size`), as `convert-gpu-to-spirv` needs them.
  }];
  let options = [
    Option<"float16", "float16", "bool", "false",
           "The device has 16-bit storage and float16 arithmetic">,
    Option<"int64", "int64", "bool", "true",
           "The device has 64-bit integers in shaders">,
    Option<"int16", "int16", "bool", "false",
           "The device has 16-bit integers and 16-bit storage buffers">,
    Option<"subgroupSize", "subgroup-size", "int", "32",
           "The device's subgroup size (resource limits)">,
    Option<"subgroupArithmetic", "subgroup-arithmetic", "bool", "false",
           "The device has subgroup arithmetic in compute shaders">,
    Option<"cooperativeMatrix", "cooperative-matrix", "bool", "false",
           "The device has VK_KHR_cooperative_matrix">,
    Option<"maxWorkgroupInvocations", "max-workgroup-invocations", "int",
           "128", "The device's maxComputeWorkGroupInvocations">,
  ];
  let dependentDialects = ["mlir::spirv::SPIRVDialect"];
}

#endif // NABLA_CODEGEN_PASSES_TD
