//===- CpuPipeline.cpp - From nabla ops to the LLVM dialect ---------------===//
//
// Built in C++ from typed pass constructors; registered as
// nabla-cpu-pipeline so that nabla-opt runs exactly what the JIT runs
// (`nabla-opt --nabla-cpu-pipeline="to=linalg"` prints what
// `nablac --emit=linalg` prints). --mlir-print-ir-after-all shows each step.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace nabla {
#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"
} // namespace nabla

namespace nabla {

namespace {

/// nabla ops grouped into nabla.fused kernels (cse first: the training
/// step repeats constants and scalar expressions per parameter), each run
/// as soon as its inputs are ready (a weight's gradient and update while
/// their inputs are in the caches).
void addFusion(OpPassManager &pm) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(createCSEPass());
  func.addPass(createFusion());
  func.addPass(createScheduleEarly());
}

/// nabla -> linalg on tensors, each fusion group one loop nest, tidied.
void addToLinalg(OpPassManager &pm) {
  pm.addPass(createNablaToLinalg({/*forCpu=*/true}));
  pm.addPass(createNablaLowerFused());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// linalg on tensors -> LLVM dialect. (No linalg-fuse-elementwise-ops:
/// what fuses is nabla-fusion's decision, and --no-fusion means none.)
/// MLIR's buffer-deallocation-pipeline, with nabla-cpu-early-deallocs
/// between the ownership-based pass and the simplification.
void addDeallocation(OpPassManager &pm) {
  pm.addPass(memref::createExpandReallocPass({/*emitDeallocs=*/false}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createNablaCpuEarlyDeallocs());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}

/// With threads, the loops nabla-cpu-parallel chooses become OpenMP
/// work-sharing loops (libomp runs them).
void addToLLVM(OpPassManager &pm, const CpuTarget &target) {
  OpPassManager &kernels = pm.nest<func::FuncOp>();
  kernels.addPass(createNablaCpuMatmulKernels(
      {/*vectorBits=*/target.vectorBits,
       /*registers=*/target.vectorRegisters, /*bf16Dot=*/target.bf16Dot}));
  NablaCpuVectorizeReductionsOptions reductions;
  reductions.vectorBits = target.vectorBits;
  kernels.addPass(createNablaCpuVectorizeReductions(reductions));
  NablaCpuVectorizeElementwiseOptions elementwise;
  elementwise.vectorBits = target.vectorBits;
  kernels.addPass(createNablaCpuVectorizeElementwise(elementwise));
  pm.addPass(createNablaCpuLoopOrder());
  pm.addNestedPass<func::FuncOp>(createNablaCpuNarrowTensorUses());
  addBufferize(pm);
  // Bufferized loops return their buffer through iter_args and copy each
  // tile onto itself; folded, a result is the buffer allocated for it,
  // which the next pass replaces with the caller's.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addResultsToOutParams(pm);
  addDeallocation(pm);
  pm.addNestedPass<func::FuncOp>(createNablaCpuPlanMemory());
  pm.addNestedPass<func::FuncOp>(createNablaCpuNontemporalStores());
  pm.addNestedPass<func::FuncOp>(createNablaCpuStridedCopies());
  pm.addPass(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createNablaCpuOutlineKernels());
  if (target.profile)
    pm.addPass(createNablaCpuProfileKernels());
  if (target.threads) {
    // canonicalize: convert-scf-to-openmp wraps each body in a
    // memref.alloca_scope, which must go before its loops become blocks.
    pm.addNestedPass<func::FuncOp>(createNablaCpuParallel());
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  }
  // No canonicalizer from here on, which would merge the blocks again.
  pm.addNestedPass<func::FuncOp>(createNablaCpuSplitBlocks());
  VectorTransferToSCFOptions toSCF;
  toSCF.enableFullUnroll();
  pm.addPass(createConvertVectorToSCFPass(toSCF));
  // f16/bf16 arithmetic and math run in f32, rounded after each op (the
  // same results: f32 has more than twice their precision); bf16 casts
  // become integer code (nabla-expand-bf16).
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16", "f16"};
  emulate.targetTypeStr = "f32";
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  math::MathExtendToSupportedTypesOptions extend;
  extend.targetTypeStr = "f32";
  pm.addPass(math::createMathExtendToSupportedTypes(extend));
  pm.addNestedPass<func::FuncOp>(createNablaCpuApproximateMath());
  pm.addPass(createNablaExpandBF16());
  // Tiles are subviews: their offsets become affine.apply, then arith.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass()); // scf.parallel left: sequential
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.x86Vector = target.bf16Dot; // x86vector.avx512.dot
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addNestedPass<func::FuncOp>(createNablaCpuSplitEntry());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createNablaCpuKernelArgAttrs());
  pm.addPass(createUBToLLVMConversionPass());
  if (target.threads)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

} // namespace

CpuTarget
CpuTarget::forFeatures(llvm::function_ref<bool(llvm::StringRef)> has) {
  CpuTarget target;
  if (has("avx512f")) {
    target.vectorBits = 512;
    target.vectorRegisters = 32;
    // (vdpbf16ps on 512-bit registers; AVX512-BF16 implies AVX-512F.)
    target.bf16Dot = has("avx512bf16");
  }
  return target;
}

std::string CpuTarget::describeKernels() const {
  std::string text = vectorBits >= 512 ? "f32 avx512" : "f32 avx2";
  text += " (" + std::to_string(vectorBits / 32) + " lanes, " +
          std::to_string(vectorRegisters) + " registers), bf16 ";
  text += bf16Dot ? "dpbf16ps (avx512bf16)" : "widened to f32";
  return text;
}

void buildCpuPipeline(OpPassManager &pm, CpuStage stage, bool fusion,
                      const CpuTarget &target) {
  // Algebra first (batch norm's inference scale into the conv weight).
  pm.nest<func::FuncOp>().addPass(createFoldConvScale());
  if (fusion)
    addFusion(pm);
  if (stage == CpuStage::Fused)
    return;
  addToLinalg(pm);
  if (stage == CpuStage::Linalg)
    return;
  addToLLVM(pm, target);
}

CpuPipelineOptions::CpuPipelineOptions() {
  CpuTarget defaults;
  vectorBits = defaults.vectorBits;
  registers = defaults.vectorRegisters;
  threads = defaults.threads;
  profile = defaults.profile;
  bf16Dot = defaults.bf16Dot;
}

CpuTarget CpuPipelineOptions::target() const {
  CpuTarget t;
  t.vectorBits = vectorBits;
  t.vectorRegisters = registers;
  t.threads = threads;
  t.profile = profile;
  t.bf16Dot = bf16Dot;
  return t;
}

void registerCodegenPasses() {
  registerNablaCodegenPasses();
  PassPipelineRegistration<CpuPipelineOptions>(
      "nabla-cpu-pipeline",
      "Lower a module of nabla ops for the CPU JIT, as far as `to` says "
      "(the baseline target by default: 256-bit vectors, 16 registers, "
      "OpenMP loops)",
      [](OpPassManager &pm, const CpuPipelineOptions &options) {
        buildCpuPipeline(pm, options.to, options.fusion, options.target());
      });
  PassPipelineRegistration<GpuPipelineOptions>(
      "nabla-gpu-pipeline",
      "Lower a module of nabla ops to SPIR-V kernels and a Vulkan host "
      "function, as far as `to` says (baseline Vulkan 1.1 target)",
      [](OpPassManager &pm, const GpuPipelineOptions &options) {
        buildGpuPipeline(pm, options.to, GpuTarget{}, options.fusion);
      });
}

} // namespace nabla
