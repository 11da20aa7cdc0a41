//===- CompileCache.cpp - Compiled code kept on disk ----------------------===//
#include "nabla/runtime/CompileCache.h"
#include "nabla/runtime/Files.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CachePruning.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <dlfcn.h>

namespace nabla {

namespace {

/// Bumped whenever what an entry holds, or how it is used, changes.
constexpr llvm::StringLiteral kFormat = "nabla-object-cache-1";
/// An entry: this magic line, the SHA-256 of the object (32 bytes), the
/// object.
constexpr llvm::StringLiteral kMagic = "NABLAOBJ1\n";
constexpr size_t kHashSize = 32;

std::string sha256Hex(llvm::ArrayRef<llvm::StringRef> parts) {
  llvm::SHA256 hasher;
  for (llvm::StringRef part : parts) {
    hasher.update(part);
    hasher.update(llvm::StringRef("\0", 1)); // parts cannot run together
  }
  auto digest = hasher.final();
  return llvm::toHex(llvm::ArrayRef<uint8_t>(digest.data(), digest.size()),
                     /*LowerCase=*/true);
}

/// "path size mtime" of a file, or nothing if it cannot be read.
std::optional<std::string> fileStamp(const std::string &path) {
  llvm::sys::fs::file_status status;
  if (path.empty() || llvm::sys::fs::status(path, status) ||
      !llvm::sys::fs::is_regular_file(status))
    return std::nullopt;
  return path + " " + std::to_string(status.getSize()) + " " +
         std::to_string(status.getLastModificationTime()
                            .time_since_epoch()
                            .count());
}

/// This build of nabla: the binary holding this code (a program, or a
/// shared library it was linked into) and the main program. A rebuilt
/// compiler has a new modification time; a stale entry is never used.
std::optional<std::string> buildIdentity() {
  static const std::optional<std::string> identity =
      []() -> std::optional<std::string> {
    static int anchor;
    std::string program =
        llvm::sys::fs::getMainExecutable(nullptr, static_cast<void *>(&anchor));
    auto stamp = fileStamp(program);
    if (!stamp)
      return std::nullopt;
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&buildIdentity), &info) &&
        info.dli_fname && llvm::sys::path::is_absolute(info.dli_fname) &&
        program != info.dli_fname)
      if (auto library = fileStamp(info.dli_fname))
        *stamp += "|" + *library;
    return stamp;
  }();
  return identity;
}

} // namespace

std::optional<CompileCache> CompileCache::fromEnvironment() {
  if (auto off = llvm::sys::Process::GetEnv("NABLA_CACHE"))
    if (*off == "off" || *off == "0")
      return std::nullopt;
  if (auto dir = llvm::sys::Process::GetEnv("NABLA_CACHE_DIR"))
    if (!dir->empty())
      return CompileCache(*dir);
  llvm::SmallString<256> path;
  if (auto xdg = llvm::sys::Process::GetEnv("XDG_CACHE_HOME");
      xdg && !xdg->empty()) {
    path = *xdg;
  } else if (llvm::sys::path::home_directory(path)) {
    llvm::sys::path::append(path, ".cache");
  } else {
    return std::nullopt;
  }
  llvm::sys::path::append(path, "nabla");
  return CompileCache(std::string(path));
}

std::string CompileCache::key(llvm::StringRef ir, llvm::StringRef target) {
  return sha256Hex({kFormat, LLVM_VERSION_STRING, target, ir});
}

std::optional<std::string> CompileCache::sourceKey(llvm::StringRef source,
                                                   llvm::StringRef pipeline,
                                                   llvm::StringRef target) {
  std::optional<std::string> build = buildIdentity();
  if (!build)
    return std::nullopt;
  return sha256Hex({kFormat, "source", *build, LLVM_VERSION_STRING, target,
                    pipeline, source});
}

std::string CompileCache::pathOf(llvm::StringRef key) const {
  // llvm::pruneCache only ever removes files named llvmcache-*.
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, "llvmcache-" + key + ".o");
  return std::string(path);
}

llvm::Expected<uint64_t> CompileCache::maxBytesFromEnvironment() {
  auto text = llvm::sys::Process::GetEnv("NABLA_CACHE_MAX");
  if (!text || text->empty())
    return uint64_t(1) << 30;
  llvm::StringRef t(*text);
  uint64_t unit = 1;
  if (t.consume_back("K") || t.consume_back("k"))
    unit = uint64_t(1) << 10;
  else if (t.consume_back("M") || t.consume_back("m"))
    unit = uint64_t(1) << 20;
  else if (t.consume_back("G") || t.consume_back("g"))
    unit = uint64_t(1) << 30;
  uint64_t n;
  if (t.getAsInteger(10, n) || n == 0 || n > (UINT64_MAX >> 30))
    return llvm::createStringError(
        "NABLA_CACHE_MAX=" + *text +
        ": expected a size in bytes, with K, M or G (512M, 2G)");
  return n * unit;
}

void CompileCache::prune(uint64_t maxBytes) const {
  llvm::CachePruningPolicy policy;
  policy.Interval = std::chrono::seconds(0); // every time: a cheap scan
  policy.Expiration = std::chrono::seconds(0);
  policy.MaxSizePercentageOfAvailableSpace = 0;
  policy.MaxSizeBytes = maxBytes;
  llvm::pruneCache(directory, policy);
}

/// Calls `each` with the path and size of every file of the cache: its
/// entries, leftovers of interrupted stores, and entries of the older
/// format (KEY.o).
template <typename F>
static void forEachFile(llvm::StringRef directory, F each) {
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(directory, ec), end;
       it != end && !ec; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    bool ours = name.starts_with("llvmcache") ||
                (name.ends_with(".o") && name.size() == 66) ||
                name.contains(".o.tmp-");
    llvm::sys::fs::file_status status;
    if (!ours || llvm::sys::fs::status(it->path(), status) ||
        !llvm::sys::fs::is_regular_file(status))
      continue;
    each(it->path(), status.getSize());
  }
}

CompileCache::Stats CompileCache::stats() const {
  Stats s;
  forEachFile(directory, [&](const std::string &path, uint64_t size) {
    if (llvm::StringRef(path).ends_with(".o")) {
      ++s.entries;
      s.bytes += size;
    }
  });
  return s;
}

llvm::Expected<int64_t> CompileCache::clear() const {
  std::vector<std::string> files;
  forEachFile(directory, [&](const std::string &path, uint64_t) {
    files.push_back(path);
  });
  for (const std::string &file : files)
    if (std::error_code ec = llvm::sys::fs::remove(file))
      return llvm::createStringError(ec, "cannot remove '" + file +
                                             "': " + ec.message());
  return int64_t(files.size());
}

std::unique_ptr<llvm::MemoryBuffer>
CompileCache::load(llvm::StringRef key) const {
  // An entry that is not a plain file (a symlink to /dev/zero) is a miss.
  auto file = readRegularFile(pathOf(key));
  if (!file) {
    llvm::consumeError(file.takeError());
    return nullptr;
  }
  llvm::StringRef contents = (*file)->getBuffer();
  if (!contents.consume_front(kMagic) || contents.size() < kHashSize)
    return nullptr;
  llvm::StringRef hash = contents.take_front(kHashSize);
  llvm::StringRef object = contents.drop_front(kHashSize);
  auto digest = llvm::SHA256::hash(llvm::arrayRefFromStringRef(object));
  if (std::memcmp(digest.data(), hash.data(), kHashSize) != 0)
    return nullptr;
  // Used now: pruning removes the least recently used entries first, by
  // access time (which a noatime mount would not update on its own).
  int fd;
  if (!llvm::sys::fs::openFileForWrite(pathOf(key), fd,
                                       llvm::sys::fs::CD_OpenExisting,
                                       llvm::sys::fs::OF_Append)) {
    auto now = std::chrono::system_clock::now();
    (void)llvm::sys::fs::setLastAccessAndModificationTime(fd, now, now);
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  }
  return llvm::MemoryBuffer::getMemBufferCopy(object, pathOf(key));
}

llvm::Error CompileCache::store(llvm::StringRef key,
                                llvm::StringRef object) const {
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return llvm::createStringError(ec, "cannot create the compile cache '" +
                                           directory + "': " + ec.message());
  std::string path = pathOf(key);
  llvm::SmallString<256> temp;
  int fd = -1;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, temp))
    return llvm::createStringError(ec, "cannot write to the compile cache '" +
                                           directory + "': " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    auto digest = llvm::SHA256::hash(llvm::arrayRefFromStringRef(object));
    os << kMagic;
    os.write(reinterpret_cast<const char *>(digest.data()), digest.size());
    os << object;
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return llvm::createStringError(ec, "cannot write '" + temp + "': " +
                                             ec.message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return llvm::createStringError(ec, "cannot write '" + path + "': " +
                                           ec.message());
  }
  auto maxBytes = maxBytesFromEnvironment();
  if (!maxBytes)
    return maxBytes.takeError();
  prune(*maxBytes);
  return llvm::Error::success();
}

} // namespace nabla
