//===- CompileCache.h - Compiled code kept on disk -------------*- C++ -*-===//
//
// The JIT's machine code for a module, stored under a hash of everything
// that determines it, in one of two ways:
// - the module as nabla's lowering receives it, the lowering pipeline (its
//   textual form, options included), this build of nabla (the size and
//   modification time of the binary it is linked into, as ccache identifies
//   a compiler), the LLVM version, the target triple, CPU and its features,
//   and the cache format. A hit skips nabla's passes and LLVM both: a second
//   compile of a model costs its parse and the load of the object file.
// - the final IR (in the LLVM dialect) and the same target and versions,
//   where the passes must run anyway (a caller watches them: IR printing,
//   pass timing); a hit skips LLVM's code generator.
//
// Where: $NABLA_CACHE_DIR if set, else $XDG_CACHE_HOME/nabla, else
// ~/.cache/nabla. NABLA_CACHE=off turns the cache off. The cache holds at
// most $NABLA_CACHE_MAX bytes (1G by default; K, M and G suffixes): after
// each store, the least recently used entries go (llvm::pruneCache; a hit
// marks its entry used). Each entry is
// written to a temporary file and renamed into place, and carries the
// SHA-256 of its contents: a truncated or corrupt entry is ignored (and
// replaced), never loaded.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_COMPILECACHE_H
#define NABLA_RUNTIME_COMPILECACHE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>

namespace nabla {

class CompileCache {
public:
  /// The cache the environment asks for, or none (NABLA_CACHE=off, or no
  /// directory can be named).
  static std::optional<CompileCache> fromEnvironment();
  explicit CompileCache(std::string directory) : directory(std::move(directory)) {}

  /// The key of an IR text compiled for `target` (triple, CPU, features).
  static std::string key(llvm::StringRef ir, llvm::StringRef target);
  /// The key of a module not yet lowered (`source`) that `pipeline` lowers
  /// and LLVM compiles for `target`, by this build of nabla; none when this
  /// build cannot be identified (its binary cannot be found).
  static std::optional<std::string> sourceKey(llvm::StringRef source,
                                              llvm::StringRef pipeline,
                                              llvm::StringRef target);
  /// The object stored under `key`, if there is one and it is intact.
  std::unique_ptr<llvm::MemoryBuffer> load(llvm::StringRef key) const;
  /// Stores `object` under `key` (atomically).
  llvm::Error store(llvm::StringRef key, llvm::StringRef object) const;
  /// The file an entry lives in.
  std::string pathOf(llvm::StringRef key) const;

  /// The size limit: NABLA_CACHE_MAX, else 1 GiB; an error names a value
  /// that is not a size.
  static llvm::Expected<uint64_t> maxBytesFromEnvironment();
  /// Removes the least recently used entries until the cache holds at most
  /// `maxBytes`.
  void prune(uint64_t maxBytes) const;
  struct Stats {
    int64_t entries = 0;
    uint64_t bytes = 0;
  };
  Stats stats() const;
  /// Removes every entry (and leftovers of interrupted stores); returns
  /// how many files went.
  llvm::Expected<int64_t> clear() const;
  const std::string &getDirectory() const { return directory; }

private:
  std::string directory;
};

} // namespace nabla

#endif // NABLA_RUNTIME_COMPILECACHE_H
