//===- Passes.h - Lowering passes and pipelines of nabla -------*- C++ -*-===//
#ifndef NABLA_CODEGEN_PASSES_H
#define NABLA_CODEGEN_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace arith { class ArithDialect; }
namespace linalg { class LinalgDialect; }
namespace math { class MathDialect; }
namespace tensor { class TensorDialect; }
namespace x86vector {
class X86VectorDialect;
}
} // namespace mlir

namespace nabla {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

/// How far the CPU pipeline goes (`nablac --emit=`).
enum class CpuStage {
  Fused,       // nabla ops grouped by nabla-fusion (nothing lowered yet)
  Linalg,      // nabla lowered to linalg on tensors
  LLVMDialect, // bufferized, lowered to loops and to the LLVM dialect
};

/// What the CPU pipeline may use. The default is a baseline x86-64 with
/// AVX2 (what nabla-opt's nabla-cpu-pipeline uses, so that its output does
/// not depend on the machine); the JIT uses host().
struct CpuTarget {
  int64_t vectorBits = 256;     // 512 with AVX-512
  int64_t vectorRegisters = 16; // 32 with AVX-512
  bool threads = true;          // OpenMP loops over the cores (libomp)
  bool profile = false;         // timer calls around each kernel (--profile)
  bool bf16Dot = false;         // bf16 matmuls on vdpbf16ps (AVX512-BF16)
  /// The kernels for a CPU with the features `has` says it has (LLVM's
  /// names: "avx512f", "avx512bf16"); threads as the default.
  static CpuTarget forFeatures(llvm::function_ref<bool(llvm::StringRef)> has);
  /// The kernel paths, as `nablac devices` prints them: "f32 avx512 (16
  /// lanes, 32 registers), bf16 dpbf16ps".
  std::string describeKernels() const;
};

/// Adds the passes that take a module of nabla ops to `stage`; `fusion`
/// false leaves out nabla-fusion (every op its own kernel).
void buildCpuPipeline(mlir::OpPassManager &pm, CpuStage stage,
                      bool fusion = true, const CpuTarget &target = {});

/// What the GPU pipeline may use, from the device's capabilities.
struct GpuTarget {
  bool float16 = false; // 16-bit storage buffers and float16 arithmetic
  bool int64 = true;    // 64-bit integers in shaders
  bool int16 = false;   // 16-bit integers and storage (bf16 kept as i16)
  int subgroupSize = 32;
  bool subgroupArithmetic = false;
  bool cooperativeMatrix = false;     // VK_KHR_cooperative_matrix
  int maxWorkgroupInvocations = 128;  // Vulkan's guaranteed minimum
};

/// How far the GPU pipeline goes (`nablac --emit=gpu`).
enum class GpuStage {
  Kernels, // bufferized, one gpu.launch per linalg op, outlined
  SPIRV,   // kernels converted to spirv.module ops beside the host code
};

/// Adds the passes that take a module of nabla ops to SPIR-V kernels and a
/// host function of buffers and gpu.launch_func ops, which the Vulkan
/// runtime runs (runtime/vulkan). With `fusion`, nabla-fusion's groups
/// have their elementwise chains fused; every linalg op left is a kernel.
void buildGpuPipeline(mlir::OpPassManager &pm, GpuStage stage,
                      const GpuTarget &target, bool fusion = true);

/// Bufferizes as the runtimes want: arguments read-only
/// (nabla-protect-arguments), then one-shot bufferization with identity
/// layouts at function boundaries.
void addBufferize(mlir::OpPassManager &pm);
/// Results become out-parameters (static allocations hoisted), so the
/// runtime owns every buffer the function sees.
void addResultsToOutParams(mlir::OpPassManager &pm);

/// nabla-cpu-pipeline's options: how far to go and the target (the
/// baseline one by default, so its output does not depend on the machine).
struct CpuPipelineOptions : mlir::PassPipelineOptions<CpuPipelineOptions> {
  CpuPipelineOptions();
  Option<CpuStage> to{
      *this, "to", llvm::cl::desc("The last stage"),
      llvm::cl::init(CpuStage::LLVMDialect),
      llvm::cl::values(
          clEnumValN(CpuStage::Fused, "fused", "nabla ops in fused groups"),
          clEnumValN(CpuStage::Linalg, "linalg", "linalg on tensors"),
          clEnumValN(CpuStage::LLVMDialect, "llvm-dialect",
                     "the LLVM dialect, ready to translate"))};
  Option<bool> fusion{*this, "fusion", llvm::cl::desc("Run nabla-fusion"),
                      llvm::cl::init(true)};
  Option<int64_t> vectorBits{*this, "vector-bits",
                             llvm::cl::desc("Vector width (512: AVX-512)")};
  Option<int64_t> registers{*this, "registers",
                            llvm::cl::desc("Vector registers")};
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("OpenMP loops over the cores")};
  Option<bool> profile{
      *this, "profile",
      llvm::cl::desc("Time each kernel (nabla-cpu-profile-kernels)")};
  Option<bool> bf16Dot{
      *this, "bf16-dot",
      llvm::cl::desc("bf16 matmuls on vdpbf16ps (a CPU with AVX512-BF16)")};
  CpuTarget target() const;
};

/// nabla-gpu-pipeline's options (the baseline Vulkan 1.1 target).
struct GpuPipelineOptions : mlir::PassPipelineOptions<GpuPipelineOptions> {
  GpuPipelineOptions();
  Option<GpuStage> to{
      *this, "to", llvm::cl::desc("The last stage"),
      llvm::cl::values(
          clEnumValN(GpuStage::Kernels, "kernels",
                     "bufferized, outlined gpu.module kernels"),
          clEnumValN(GpuStage::SPIRV, "spirv", "kernels as spirv.module"))};
  Option<bool> fusion{*this, "fusion", llvm::cl::desc("Run nabla-fusion"),
                      llvm::cl::init(true)};
};

/// Registers the nabla codegen passes and the nabla-cpu-pipeline and
/// nabla-gpu-pipeline pipelines (for nabla-opt).
void registerCodegenPasses();

} // namespace nabla

#endif // NABLA_CODEGEN_PASSES_H
