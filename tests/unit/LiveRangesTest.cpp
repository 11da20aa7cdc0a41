//===- LiveRangesTest.cpp - short live ranges in a packed wrapper ---------===//
//
// A packed wrapper shaped as -O3 leaves a deep step: every argument loaded
// at the top, an arena from malloc with its addresses computed at the top,
// then a chain of kernel calls, and a result stored through the last
// argument. After shortenLiveRanges every operand of a call is computed
// after the previous call (checked by walking the block: it fails on the
// input), and the wrapper, compiled and run, gives the same answer as
// before and as the hand-derived one.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/LiveRanges.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <string>

namespace {

constexpr int kCalls = 40;

/// _mlir_step(args): args[0] -> storage of the input pointer, args[1] ->
/// storage of the output pointer, args[2] -> the result's storage. Kernel
/// i adds 1 to the arena's float i-1 (the input for i = 0) into float i;
/// the last one adds the input to that: out = in + (in + kCalls), and the
/// result is out + in, with the input read once at the top.
std::string wrapperSource() {
  std::string s = R"(
declare ptr @malloc(i64)
declare void @free(ptr)
define internal void @inc(ptr %a, ptr %b) noinline {
  %x = load float, ptr %a
  %y = fadd float %x, 1.0
  store float %y, ptr %b
  ret void
}
define internal void @add(ptr %a, ptr %b, ptr %c) noinline {
  %x = load float, ptr %a
  %y = load float, ptr %b
  %z = fadd float %x, %y
  store float %z, ptr %c
  ret void
}
define void @_mlir_step(ptr %args) {
  %p0 = getelementptr i8, ptr %args, i64 0
  %s0 = load ptr, ptr %p0
  %in = load ptr, ptr %s0
  %inval = load float, ptr %in
  %p1 = getelementptr i8, ptr %args, i64 8
  %s1 = load ptr, ptr %p1
  %out = load ptr, ptr %s1
  %p2 = getelementptr i8, ptr %args, i64 16
  %s2 = load ptr, ptr %p2
  %raw = call ptr @malloc(i64 512)
  %rawint = ptrtoint ptr %raw to i64
  %bumped = add i64 %rawint, 63
  %alignedint = and i64 %bumped, -64
  %arena = inttoptr i64 %alignedint to ptr
)";
  for (int i = 0; i < kCalls; ++i)
    s += "  %t" + std::to_string(i) + " = getelementptr i8, ptr %arena, i64 " +
         std::to_string(4 * i) + "\n";
  s += "  call void @inc(ptr %in, ptr %t0)\n";
  for (int i = 1; i < kCalls; ++i)
    s += "  call void @inc(ptr %t" + std::to_string(i - 1) + ", ptr %t" +
         std::to_string(i) + ")\n";
  s += "  call void @add(ptr %in, ptr %t" + std::to_string(kCalls - 1) +
       ", ptr %out)\n";
  s += R"(
  %o = load float, ptr %out
  %r = fadd float %o, %inval
  store float %r, ptr %s2
  call void @free(ptr %raw)
  ret void
}
)";
  return s;
}

std::unique_ptr<llvm::Module> parse(llvm::LLVMContext &context) {
  llvm::SMDiagnostic error;
  auto module = llvm::parseAssemblyString(wrapperSource(), error, context);
  if (!module)
    error.print("LiveRangesTest", llvm::errs());
  return module;
}

/// Operands of calls (other than @args and constants) computed before the
/// previous call: the live ranges the rewrite exists to remove.
int longLivedCallOperands(llvm::Function &f) {
  int found = 0;
  llvm::SmallPtrSet<llvm::Value *, 32> sinceLastCall;
  for (llvm::Instruction &i : f.getEntryBlock()) {
    if (auto *call = llvm::dyn_cast<llvm::CallInst>(&i)) {
      for (llvm::Value *operand : call->args())
        if (llvm::isa<llvm::Instruction>(operand) &&
            !sinceLastCall.contains(operand))
          ++found;
      sinceLastCall.clear();
    }
    sinceLastCall.insert(&i);
  }
  return found;
}

/// Compiles `module` and runs its _mlir_step on `in`: the output and the
/// result.
std::pair<float, float> run(std::unique_ptr<llvm::Module> module,
                            std::unique_ptr<llvm::LLVMContext> context,
                            float in) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jit = llvm::cantFail(llvm::orc::LLJITBuilder().create());
  jit->getMainJITDylib().addGenerator(llvm::cantFail(
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
          jit->getDataLayout().getGlobalPrefix())));
  llvm::cantFail(jit->addIRModule(
      llvm::orc::ThreadSafeModule(std::move(module), std::move(context))));
  auto step =
      llvm::cantFail(jit->lookup("_mlir_step")).toPtr<void (*)(void **)>();
  float out = 0, result = 0;
  float *inPointer = &in, *outPointer = &out;
  void *args[] = {&inPointer, &outPointer, &result};
  step(args);
  return {out, result};
}

TEST(LiveRanges, CallOperandsAreComputedAfterThePreviousCall) {
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = parse(*context);
  ASSERT_TRUE(module);
  llvm::Function &step = *module->getFunction("_mlir_step");
  // The input has them (so the check below can fail): the arena's
  // addresses and the input pointer are computed at the top.
  EXPECT_GE(longLivedCallOperands(step), kCalls);

  nabla::LiveRangeStats stats = nabla::shortenLiveRanges(step);
  EXPECT_FALSE(llvm::verifyFunction(step, &llvm::errs()));
  EXPECT_EQ(longLivedCallOperands(step), 0);
  // The aligned arena pointer, the allocation (for free) and the input's
  // value (used at the end) are spilled; the arena's addresses and the
  // argument loads are recomputed.
  EXPECT_EQ(stats.spilled, 3u);
  EXPECT_GE(stats.rematerialized, static_cast<unsigned>(kCalls));
  // What an argument points to is read where it was: a kernel might
  // write it (the load named "inval" is still the original).
  bool inputReadInPlace = false;
  for (llvm::Instruction &i : step.getEntryBlock())
    inputReadInPlace |= i.getName() == "inval";
  EXPECT_TRUE(inputReadInPlace);
  // Kernels of other names and non-wrappers are left alone.
  EXPECT_EQ(nabla::shortenLiveRanges(*module->getFunction("inc")).spilled, 0u);
}

TEST(LiveRanges, TheRewrittenWrapperComputesTheSame) {
  constexpr float in = 0.25f;
  constexpr float expected = in + (in + kCalls); // exact in binary
  auto originalContext = std::make_unique<llvm::LLVMContext>();
  auto original = parse(*originalContext);
  ASSERT_TRUE(original);
  auto [out, result] = run(std::move(original), std::move(originalContext), in);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(result, expected + in);

  auto context = std::make_unique<llvm::LLVMContext>();
  auto rewritten = parse(*context);
  ASSERT_TRUE(rewritten);
  nabla::shortenLiveRanges(*rewritten);
  auto [outAfter, resultAfter] =
      run(std::move(rewritten), std::move(context), in);
  EXPECT_EQ(outAfter, expected);
  EXPECT_EQ(resultAfter, expected + in);
}

} // namespace
