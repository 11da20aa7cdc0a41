//===- Npz.cpp - NumPy .npz archives --------------------------------------===//
//
// An .npz file is a ZIP archive of .npy files (numpy.savez stores them,
// numpy.savez_compressed deflates them). The central directory at the end
// of the archive lists each member with its offsets and sizes; every one
// is checked against the file before it is read, and a deflated member
// must inflate to exactly its recorded size.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/Files.h"
#include "nabla/runtime/Npy.h"
#include "nabla/support/Error.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

namespace nabla {

namespace {

uint32_t u32(llvm::StringRef b, size_t at) {
  return llvm::support::endian::read32le(b.data() + at);
}
uint16_t u16(llvm::StringRef b, size_t at) {
  return llvm::support::endian::read16le(b.data() + at);
}

/// Gives the whole pages of `data`, a member of the mapped archive `file`,
/// back to the kernel once its array is in a tensor: a large data set is
/// then resident once, not twice, while the archive is read. The mapping
/// is of the file, so a page read again comes back from it.
void releasePages(const llvm::MemoryBuffer &file, llvm::StringRef data) {
  if (file.getBufferKind() != llvm::MemoryBuffer::MemoryBuffer_MMap)
    return;
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t begin =
      llvm::alignTo(reinterpret_cast<uintptr_t>(data.begin()), page);
  uint64_t end = llvm::alignDown(reinterpret_cast<uintptr_t>(data.end()), page);
  if (begin < end)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

/// Inflates a raw deflate stream that must give exactly `size` bytes.
llvm::Expected<std::string> inflateMember(llvm::StringRef data, uint64_t size,
                                          const llvm::Twine &what) {
  std::string out(size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return makeError(what + ": cannot initialize zlib");
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef *>(out.data());
  zs.avail_out = static_cast<uInt>(size);
  int rc = inflate(&zs, Z_FINISH);
  uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != size)
    return makeError(what + ": the compressed data is corrupt or does not "
                            "inflate to its recorded size");
  return out;
}

} // namespace

llvm::Expected<std::map<std::string, Tensor>> readNpz(llvm::StringRef path) {
  // 4 GiB: the ZIP format without its 64-bit extension, which numpy uses
  // only past that.
  auto file = readRegularFile(path, /*maxBytes=*/uint64_t(4) << 30);
  if (!file)
    return makeError(path +
                     ": cannot read: " + llvm::toString(file.takeError()));
  llvm::StringRef b = (*file)->getBuffer();
  auto bad = [&](const llvm::Twine &why) {
    return makeError(path + ": not a valid .npz file: " + why);
  };
  // The end-of-central-directory record: 22 bytes and a comment of up to
  // 64 KiB, found from the end.
  if (b.size() < 22)
    return bad("too short for a ZIP archive");
  size_t eocd = llvm::StringRef::npos;
  for (size_t at = b.size() - 22;; --at) {
    if (u32(b, at) == 0x06054b50) {
      eocd = at;
      break;
    }
    if (at == 0 || b.size() - at > 22 + 65535)
      break;
  }
  if (eocd == llvm::StringRef::npos)
    return bad("no ZIP end-of-central-directory record");
  uint16_t count = u16(b, eocd + 10);
  uint32_t dirSize = u32(b, eocd + 12), dirOffset = u32(b, eocd + 16);
  if (uint64_t(dirOffset) + dirSize > eocd)
    return bad("the central directory lies outside the file");
  std::map<std::string, Tensor> arrays;
  size_t at = dirOffset;
  for (uint16_t i = 0; i < count; ++i) {
    if (at + 46 > eocd || u32(b, at) != 0x02014b50)
      return bad("central directory entry " + llvm::Twine(i) + " is damaged");
    uint16_t method = u16(b, at + 10);
    uint32_t packed = u32(b, at + 20), size = u32(b, at + 24);
    uint16_t nameLength = u16(b, at + 28), extra = u16(b, at + 30),
             comment = u16(b, at + 32);
    uint32_t local = u32(b, at + 42);
    if (at + 46 + nameLength > eocd)
      return bad("central directory entry " + llvm::Twine(i) + " is damaged");
    std::string name = b.substr(at + 46, nameLength).str();
    at += 46 + nameLength + extra + comment;
    if (local + 30 > b.size() || u32(b, local) != 0x04034b50)
      return bad("member '" + name + "' has no local header");
    uint64_t dataAt =
        uint64_t(local) + 30 + u16(b, local + 26) + u16(b, local + 28);
    if (dataAt + packed > b.size())
      return bad("member '" + name + "' runs past the end of the file");
    llvm::StringRef data = b.substr(dataAt, packed), member = data;
    std::string inflated;
    if (method == 8) {
      auto out = inflateMember(data, size, path + ": member '" + name + "'");
      if (!out)
        return out.takeError();
      inflated = std::move(*out);
      data = inflated;
    } else if (method != 0 || packed != size) {
      return bad("member '" + name + "' uses compression method " +
                 llvm::Twine(method) +
                 " (numpy writes 0, stored, or 8, "
                 "deflated)");
    }
    llvm::StringRef key = name;
    if (!key.consume_back(".npy"))
      return bad("member '" + name + "' is not a .npy file");
    auto array = parseNpy(data, (path + ":" + name).str());
    if (!array)
      return array.takeError();
    arrays[key.str()] = std::move(*array);
    releasePages(**file, member);
  }
  if (arrays.empty())
    return bad("it holds no arrays");
  return arrays;
}

} // namespace nabla
