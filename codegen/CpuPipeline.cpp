//===- CpuPipeline.cpp - From nabla ops to the LLVM dialect ---------------===//
//
// The pipeline is kept as text, in the syntax of `mlir-opt --pass-pipeline`,
// so that every step can be replayed by hand with nabla-opt or mlir-opt-22.
// It is parsed onto the module-level pass manager as a list (not wrapped in
// `builtin.module(...)`, which would nest a second module and do nothing).
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace nabla {
#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"
} // namespace nabla

namespace {

/// nabla ops grouped into nabla.fused kernels (cse first: the training
/// step repeats constants and scalar expressions per parameter), each run
/// as soon as its inputs are ready (a weight's gradient and update while
/// their inputs are in the caches).
constexpr const char kFusion[] =
    "func.func(cse,nabla-fusion,nabla-schedule-early)";

/// nabla -> linalg on tensors, each fusion group one loop nest, tidied.
constexpr const char kToLinalg[] =
    "nabla-to-linalg,nabla-lower-fused,canonicalize,cse";

/// linalg on tensors -> LLVM dialect. (No linalg-fuse-elementwise-ops:
/// what fuses is nabla-fusion's decision, and --no-fusion means none.)
/// Arguments stay read-only; results become out-parameters so the runtime
/// owns every buffer it sees. With threads, the loops nabla-cpu-parallel
/// chooses become OpenMP work-sharing loops (libomp runs them).
std::string toLLVM(const nabla::CpuTarget &target) {
  std::string text =
      "func.func(nabla-cpu-matmul-kernels{vector-bits=" +
      std::to_string(target.vectorBits) +
      " registers=" + std::to_string(target.vectorRegisters) +
      "},nabla-cpu-vectorize-reductions{vector-bits=" +
      std::to_string(target.vectorBits) +
      "},nabla-cpu-vectorize-elementwise{vector-bits=" +
      std::to_string(target.vectorBits) + "}),"
      "nabla-cpu-loop-order,"
      "nabla-protect-arguments,"
      "one-shot-bufferize{bufferize-function-boundaries "
      "function-boundary-type-conversion=identity-layout-map},"
      // Bufferized loops return their buffer through iter_args and copy
      // each tile onto itself; folded, a result is the buffer allocated
      // for it, which the next pass replaces with the caller's.
      "canonicalize,cse,"
      "buffer-results-to-out-params{hoist-static-allocs=true "
      "modify-public-functions=true},"
      "buffer-deallocation-pipeline,"
      "func.func(nabla-cpu-nontemporal-stores),"
      "convert-linalg-to-parallel-loops,";
  if (target.threads)
    // canonicalize: convert-scf-to-openmp wraps each body in a
    // memref.alloca_scope, which must go before its loops become blocks.
    text += "func.func(nabla-cpu-parallel),convert-scf-to-openmp,"
            "func.func(canonicalize),";
  text +=
      "convert-vector-to-scf{full-unroll=true},"
      // f16/bf16 arithmetic and math run in f32, rounded after each op (the
      // same results: f32 has more than twice their precision); bf16 casts
      // become integer code (nabla-expand-bf16).
      "arith-emulate-unsupported-floats{source-types=bf16,f16 target-type=f32},"
      "math-extend-to-supported-types{target-type=f32},"
      "func.func(nabla-cpu-approximate-math),"
      "nabla-expand-bf16,"
      "expand-strided-metadata," // tiles are subviews: offsets as affine.apply
      "lower-affine,"
      "convert-scf-to-cf," // scf.parallel left here runs sequentially
      "convert-vector-to-llvm,"
      "convert-math-to-funcs,"
      "convert-math-to-llvm,"
      "convert-math-to-libm,"
      "convert-arith-to-llvm,"
      "convert-index-to-llvm,"
      "finalize-memref-to-llvm,"
      "convert-cf-to-llvm,"
      "convert-func-to-llvm,"
      "convert-ub-to-llvm,";
  if (target.threads)
    text += "convert-openmp-to-llvm,";
  text += "reconcile-unrealized-casts";
  return text;
}

} // namespace

namespace nabla {

void addPipeline(OpPassManager &pm, llvm::StringRef text) {
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(text, pm, os)))
    llvm::report_fatal_error(llvm::Twine("bad built-in pipeline: ") + error);
}

CpuTarget CpuTarget::host() {
  CpuTarget target;
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  if (features.lookup("avx512f")) {
    target.vectorBits = 512;
    target.vectorRegisters = 32;
  }
  return target;
}

void buildCpuPipeline(OpPassManager &pm, CpuStage stage, bool fusion,
                      const CpuTarget &target) {
  if (fusion)
    addPipeline(pm, kFusion);
  if (stage == CpuStage::Fused)
    return;
  addPipeline(pm, kToLinalg);
  if (stage == CpuStage::Linalg)
    return;
  addPipeline(pm, toLLVM(target));
}

void registerCodegenPasses() {
  registerNablaCodegenPasses();
  PassPipelineRegistration<>(
      "nabla-cpu-pipeline",
      "Lower a module of nabla ops to the LLVM dialect for the CPU JIT "
      "(baseline target: 256-bit vectors, 16 registers, OpenMP loops)",
      [](OpPassManager &pm) { buildCpuPipeline(pm, CpuStage::LLVMDialect); });
  PassPipelineRegistration<>(
      "nabla-gpu-pipeline",
      "Lower a module of nabla ops to SPIR-V kernels and a Vulkan host "
      "function (baseline Vulkan 1.1 target)",
      [](OpPassManager &pm) {
        buildGpuPipeline(pm, GpuStage::SPIRV, GpuTarget{});
      });
}

} // namespace nabla
