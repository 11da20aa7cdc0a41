//===- CompileCacheTest.cpp - The JIT's code kept on disk -----------------===//
//
// A second compile of the same model is served from the cache and computes
// the same outputs; a corrupt entry is recompiled, never loaded; a changed
// model is a different entry; NABLA_CACHE=off writes nothing.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/CompileCache.h"
#include "nabla/Model.h"
#include "nabla/runtime/JitEngine.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

using namespace nabla;

namespace {

/// A new directory under the system's temporary directory.
std::string makeTempDirectory(llvm::StringRef prefix) {
  llvm::SmallString<128> model;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, model);
  llvm::sys::path::append(model, prefix);
  llvm::SmallString<128> dir;
  EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory(model, dir));
  return std::string(dir);
}

constexpr const char *kModel = R"(
model M(x: f32[4, 3]) {
  param w: f32[3, 2] = he
  return sum(relu(x @ w))
}
)";

/// A fresh cache directory, named in NABLA_CACHE_DIR for the test's length.
class CompileCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    directory = makeTempDirectory("nabla-cache-test");
    setenv("NABLA_CACHE_DIR", directory.c_str(), 1);
    unsetenv("NABLA_CACHE");
  }
  void TearDown() override {
    unsetenv("NABLA_CACHE_DIR");
    unsetenv("NABLA_CACHE");
    llvm::sys::fs::remove_directories(directory);
  }

  /// Compiles `text` and runs it on a fixed x; returns the output and
  /// whether the code came from the cache.
  std::pair<double, bool> compileAndRun(const char *text,
                                        std::string *entry = nullptr,
                                        const CompileOptions &options = {},
                                        CompileInfo *info = nullptr) {
    auto source = Source::fromString(text, "cache.nb");
    EXPECT_TRUE(bool(source)) << llvm::toString(source.takeError());
    auto model = Model::compile(**source, options);
    EXPECT_TRUE(bool(model)) << llvm::toString(model.takeError());
    EXPECT_FALSE(bool((*model)->initParameters(2)));
    Tensor x(ElementType::F32, {4, 3});
    for (int64_t i = 0; i < x.getNumElements(); ++i)
      x.set(i, 0.25 * i - 1);
    auto out = (*model)->run({{"x", x}});
    EXPECT_TRUE(bool(out)) << llvm::toString(out.takeError());
    if (entry)
      *entry = (*model)->getCompileInfo().cacheEntry;
    if (info)
      *info = (*model)->getCompileInfo();
    return {(*out)[0].get(0), (*model)->getCompileInfo().cacheHit};
  }

  std::string directory;
};

TEST_F(CompileCacheTest, SecondCompileIsServedFromTheCache) {
  std::string entry;
  auto [first, firstHit] = compileAndRun(kModel, &entry);
  EXPECT_FALSE(firstHit);
  EXPECT_TRUE(llvm::sys::fs::exists(entry)) << entry;
  EXPECT_EQ(llvm::sys::path::parent_path(entry), directory);
  CompileInfo info;
  auto [second, secondHit] = compileAndRun(kModel, nullptr, {}, &info);
  EXPECT_TRUE(secondHit);
  EXPECT_TRUE(info.passesSkipped); // found before lowering
  EXPECT_EQ(second, first);        // the same machine code
  EXPECT_NE(first, 0.0);
}

TEST_F(CompileCacheTest, WatchedPassesRunAndTheFinalIRIsServed) {
  // A caller that configures the pass manager (IR printing, timing) sees
  // the passes run; LLVM's work is still served by the final IR's key.
  int configured = 0;
  CompileOptions watched;
  watched.configurePassManager = [&](mlir::PassManager &) { ++configured; };
  CompileInfo info;
  auto [first, firstHit] = compileAndRun(kModel, nullptr, watched, &info);
  EXPECT_FALSE(firstHit);
  auto [second, secondHit] = compileAndRun(kModel, nullptr, watched, &info);
  EXPECT_EQ(configured, 2);
  EXPECT_TRUE(secondHit);
  EXPECT_FALSE(info.passesSkipped);
  EXPECT_EQ(second, first);
}

TEST_F(CompileCacheTest, ADifferentModelIsADifferentEntry) {
  std::string a, b;
  compileAndRun(kModel, &a);
  std::string changed = std::string(kModel);
  changed.replace(changed.find("relu"), 4, "tanh");
  auto [value, hit] = compileAndRun(changed.c_str(), &b);
  EXPECT_FALSE(hit);
  EXPECT_NE(a, b);
}

TEST_F(CompileCacheTest, ACorruptEntryIsRecompiledNotLoaded) {
  std::string entry;
  auto [first, firstHit] = compileAndRun(kModel, &entry);
  ASSERT_FALSE(firstHit);
  for (int damage = 0; damage < 2; ++damage) {
    auto contents = llvm::MemoryBuffer::getFile(entry);
    ASSERT_TRUE(bool(contents));
    std::string bytes = (*contents)->getBuffer().str();
    if (damage == 0)
      bytes[bytes.size() / 2] ^= 0x5a; // one flipped byte
    else
      bytes.resize(bytes.size() / 3); // a write cut short
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
    auto [value, hit] = compileAndRun(kModel);
    EXPECT_FALSE(hit) << "damage " << damage;
    EXPECT_EQ(value, first);
    // ... and the entry was replaced by a good one.
    EXPECT_TRUE(compileAndRun(kModel).second) << "damage " << damage;
  }
}

TEST_F(CompileCacheTest, OffWritesNothing) {
  setenv("NABLA_CACHE", "off", 1);
  auto [value, hit] = compileAndRun(kModel);
  EXPECT_FALSE(hit);
  std::error_code ec;
  EXPECT_EQ(llvm::sys::fs::directory_iterator(directory, ec),
            llvm::sys::fs::directory_iterator());
}

TEST(CompileCache, StoreAndLoadRoundTrip) {
  std::string dir = makeTempDirectory("nabla-cache-unit");
  CompileCache cache(dir + "/nested"); // created on the first store
  std::string key = CompileCache::key("module {}", "x86_64|cpu|+avx");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_NE(key, CompileCache::key("module {}", "x86_64|cpu|+avx2"));
  EXPECT_EQ(cache.load(key), nullptr);
  ASSERT_FALSE(bool(cache.store(key, llvm::StringRef("\0object\1", 8))));
  auto loaded = cache.load(key);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->getBuffer(), llvm::StringRef("\0object\1", 8));
  llvm::sys::fs::remove_directories(dir);
}

TEST(CompileCache, SourceKeyNamesModulePipelineAndTarget) {
  // This test binary exists, so the build can be identified.
  auto key = CompileCache::sourceKey("module {}", "builtin.module(cse)", "t");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 64u);
  EXPECT_EQ(key, CompileCache::sourceKey("module {}", "builtin.module(cse)",
                                         "t"));
  EXPECT_NE(key, CompileCache::sourceKey("module {} ", "builtin.module(cse)",
                                         "t"));
  EXPECT_NE(key, CompileCache::sourceKey("module {}", "builtin.module(cse{})",
                                         "t"));
  EXPECT_NE(key, CompileCache::sourceKey("module {}", "builtin.module(cse)",
                                         "u"));
  // Not the key of the same text as final IR.
  EXPECT_NE(*key, CompileCache::key("module {}", "t"));
}

} // namespace
