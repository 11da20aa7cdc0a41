//===- Checkpoint.cpp - safetensors checkpoints, written atomically -------===//
//
// Layout: u64 little-endian N, N bytes of JSON header (padded with spaces
// so the data starts at a multiple of 8, as the reference implementation
// does), then the data section. Each header entry other than
// "__metadata__" is {"dtype", "shape", "data_offsets": [begin, end]} with
// offsets relative to the start of the data section. Tensors are written
// contiguously in name order.
//
// The reader treats the file as untrusted: every length, offset and shape
// is checked (with overflow checks) before any data is touched.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Files.h"
#include "nabla/support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <tuple>

#include <chrono>
#include <fcntl.h>
#include <unistd.h>

using llvm::StringRef;

namespace nabla {

// Tensor bytes are host order; safetensors data is little-endian.
static_assert(llvm::sys::IsLittleEndianHost,
              "checkpoint I/O assumes a little-endian host");

static std::atomic<int64_t> writeFailureAfter{-1};

void setCheckpointWriteFailureForTesting(int64_t afterBytes) {
  writeFailureAfter = afterBytes;
}

static const char *kMetadataKey = "__metadata__";
/// Deeper JSON than this is rejected before parsing (llvm::json's parser
/// is recursive; a header cannot legitimately nest more than 3 levels).
static const unsigned kMaxJsonDepth = 64;

static StringRef dtypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "F32";
  case ElementType::F16:
    return "F16";
  case ElementType::BF16:
    return "BF16";
  case ElementType::I32:
    return "I32";
  case ElementType::I1:
    return "BOOL";
  case ElementType::F64:
    return "F64";
  }
  return "?";
}

static std::optional<ElementType> parseDtype(StringRef name) {
  return llvm::StringSwitch<std::optional<ElementType>>(name)
      .Case("F32", ElementType::F32)
      .Case("F16", ElementType::F16)
      .Case("BF16", ElementType::BF16)
      .Case("I32", ElementType::I32)
      .Case("BOOL", ElementType::I1)
      .Case("F64", ElementType::F64)
      .Default(std::nullopt);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

static llvm::Error writeError(StringRef path, const llvm::Twine &why) {
  return makeError("cannot write checkpoint '" + path + "': " + why);
}

/// The padded header text, or an error message.
static std::optional<std::string> buildHeader(const Checkpoint &checkpoint,
                                              std::string &error) {
  // Validate first: json::OStream asserts on invalid UTF-8.
  for (const auto &[key, value] : checkpoint.metadata)
    if (!llvm::json::isUTF8(key) || !llvm::json::isUTF8(value)) {
      error = "metadata entry '" + llvm::json::fixUTF8(key) +
              "' is not valid UTF-8";
      return std::nullopt;
    }
  for (const auto &[name, tensor] : checkpoint.tensors) {
    if (!llvm::json::isUTF8(name)) {
      error =
          "tensor name '" + llvm::json::fixUTF8(name) + "' is not valid UTF-8";
      return std::nullopt;
    }
    if (name == kMetadataKey) {
      error = "a tensor may not be named '__metadata__'";
      return std::nullopt;
    }
    bool shapeOk =
        llvm::all_of(tensor.getShape(), [](int64_t d) { return d >= 0; });
    if (!shapeOk ||
        tensor.sizeInBytes() != static_cast<uint64_t>(tensor.getNumElements()) *
                                    elementSize(tensor.getElementType())) {
      error = "tensor '" + name + "' holds " +
              std::to_string(tensor.sizeInBytes()) +
              " bytes, which does not match its type " + tensor.typeString();
      return std::nullopt;
    }
  }

  std::string header;
  llvm::raw_string_ostream os(header);
  llvm::json::OStream json(os);
  json.object([&] {
    if (!checkpoint.metadata.empty())
      json.attributeObject(kMetadataKey, [&] {
        for (const auto &[key, value] : checkpoint.metadata)
          json.attribute(key, value);
      });
    uint64_t offset = 0;
    for (const auto &[name, tensor] : checkpoint.tensors) {
      json.attributeObject(name, [&] {
        json.attribute("dtype", dtypeName(tensor.getElementType()));
        json.attributeArray("shape", [&] {
          for (int64_t d : tensor.getShape())
            json.value(d);
        });
        uint64_t end = offset + tensor.sizeInBytes();
        json.attributeArray("data_offsets", [&] {
          json.value(offset);
          json.value(end);
        });
        offset = end;
      });
    }
  });
  os.flush();
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

/// Writes the `size` bytes at `data` to `fd`, counting them in `written`;
/// honors the test failure hook.
static std::error_code writeAll(int fd, const void *data, size_t size,
                                uint64_t &written) {
  const char *p = static_cast<const char *>(data);
  int64_t limit = writeFailureAfter;
  bool fail = false;
  if (limit >= 0 && written + size > static_cast<uint64_t>(limit)) {
    size = static_cast<uint64_t>(limit) > written ? limit - written : 0;
    fail = true;
  }
  while (size > 0) {
    ssize_t n = ::write(fd, p, std::min<size_t>(size, 1 << 30));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return std::error_code(errno, std::generic_category());
    }
    if (n == 0)
      return std::make_error_code(std::errc::io_error);
    p += n;
    size -= n;
    written += n;
  }
  if (fail)
    return std::make_error_code(std::errc::no_space_on_device);
  return {};
}

/// Best effort: make the rename itself durable.
static void syncDirectory(StringRef path) {
  StringRef dir = llvm::sys::path::parent_path(path);
  std::string dirName = dir.empty() ? "." : dir.str();
  int fd = ::open(dirName.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void)::fsync(fd);
  ::close(fd);
}

/// Removes `path.tmp-XXXXXX` files a killed write left behind. One still
/// being written (another process saving the same path) changes as it is
/// written: only files untouched for five minutes are taken as stale.
static void removeStaleTemporaries(StringRef path) {
  StringRef dir = llvm::sys::path::parent_path(path);
  std::string prefix = llvm::sys::path::filename(path).str() + ".tmp-";
  std::error_code ec;
  auto now = std::chrono::system_clock::now();
  for (llvm::sys::fs::directory_iterator it(dir.empty() ? "." : dir, ec), end;
       it != end && !ec; it.increment(ec)) {
    StringRef name = llvm::sys::path::filename(it->path());
    if (!name.starts_with(prefix) || name.size() != prefix.size() + 6)
      continue;
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(it->path(), status) ||
        status.type() != llvm::sys::fs::file_type::regular_file)
      continue;
    if (now - status.getLastModificationTime() > std::chrono::minutes(5))
      (void)llvm::sys::fs::remove(it->path());
  }
}

llvm::Error writeCheckpoint(const Checkpoint &checkpoint, StringRef path) {
  removeStaleTemporaries(path);
  std::string error;
  std::optional<std::string> header = buildHeader(checkpoint, error);
  if (!header)
    return writeError(path, error);

  int fd = -1;
  llvm::SmallString<256> tmpPath;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, tmpPath))
    return writeError(path, ec.message());

  auto fail = [&](std::error_code ec) {
    if (fd >= 0)
      ::close(fd);
    llvm::sys::fs::remove(tmpPath);
    return writeError(path, ec.message());
  };

  uint64_t written = 0;
  uint8_t prefix[8];
  llvm::support::endian::write64le(prefix, header->size());
  if (std::error_code ec = writeAll(fd, prefix, sizeof(prefix), written))
    return fail(ec);
  if (std::error_code ec =
          writeAll(fd, header->data(), header->size(), written))
    return fail(ec);
  for (const auto &entry : checkpoint.tensors)
    if (std::error_code ec = writeAll(fd, entry.second.data(),
                                      entry.second.sizeInBytes(), written))
      return fail(ec);

  if (::fsync(fd) != 0)
    return fail(std::error_code(errno, std::generic_category()));
  int closeResult = ::close(fd);
  fd = -1;
  if (closeResult != 0)
    return fail(std::error_code(errno, std::generic_category()));
  if (std::error_code ec = llvm::sys::fs::rename(tmpPath, path))
    return fail(ec);
  syncDirectory(path);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

static llvm::Error readError(StringRef path, const llvm::Twine &why) {
  return makeError("cannot read checkpoint '" + path + "': " + why);
}

/// Whether JSON text nests brackets deeper than `limit` (outside strings).
static bool nestsDeeperThan(StringRef text, unsigned limit) {
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit)
        return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

namespace {
struct Entry {
  std::string name;
  ElementType type;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};
} // namespace

/// Validates one tensor entry of the header.
static llvm::Expected<Entry> parseEntry(StringRef path, StringRef name,
                                        const llvm::json::Value &value,
                                        uint64_t dataSize) {
  auto bad = [&](const llvm::Twine &why) {
    return readError(path, "tensor '" + name + "' " + why);
  };
  const llvm::json::Object *object = value.getAsObject();
  if (!object)
    return bad("is not a JSON object");
  const llvm::json::Value *dtype = object->get("dtype");
  const llvm::json::Value *shape = object->get("shape");
  const llvm::json::Value *offsets = object->get("data_offsets");
  if (!dtype)
    return bad("has no 'dtype'");
  if (!shape)
    return bad("has no 'shape'");
  if (!offsets)
    return bad("has no 'data_offsets'");

  Entry entry;
  entry.name = name.str();
  std::optional<StringRef> dtypeText = dtype->getAsString();
  if (!dtypeText)
    return bad("has a 'dtype' that is not a string");
  std::optional<ElementType> type = parseDtype(*dtypeText);
  if (!type)
    return bad("has unsupported dtype '" + *dtypeText +
               "' (supported: F32, F16, BF16, F64, I32, BOOL)");
  entry.type = *type;

  const llvm::json::Array *dims = shape->getAsArray();
  if (!dims)
    return bad("has a 'shape' that is not an array");
  uint64_t numElements = 1;
  const uint64_t maxCount = std::numeric_limits<int64_t>::max();
  for (const llvm::json::Value &dim : *dims) {
    std::optional<uint64_t> d = dim.getAsUINT64();
    if (!d) {
      std::optional<double> number = dim.getAsNumber();
      if (number && *number < 0)
        return bad("has a negative dimension in its 'shape'");
      return bad("has a 'shape' that is not an array of integers");
    }
    if (*d > maxCount || (*d != 0 && numElements > maxCount / *d))
      return bad("has a 'shape' whose element count overflows");
    numElements *= *d;
    entry.shape.push_back(static_cast<int64_t>(*d));
  }
  uint64_t elemSize = elementSize(entry.type);
  if (numElements > maxCount / elemSize)
    return bad("has a 'shape' whose byte size overflows");
  uint64_t byteSize = numElements * elemSize;

  const llvm::json::Array *range = offsets->getAsArray();
  std::optional<uint64_t> begin, end;
  if (range && range->size() == 2) {
    begin = (*range)[0].getAsUINT64();
    end = (*range)[1].getAsUINT64();
  }
  if (!begin || !end)
    return bad("has 'data_offsets' that are not two non-negative integers");
  if (*end < *begin)
    return bad("has 'data_offsets' [" + llvm::Twine(*begin) + ", " +
               llvm::Twine(*end) + "] that end before they begin");
  if (*end > dataSize)
    return bad("has 'data_offsets' [" + llvm::Twine(*begin) + ", " +
               llvm::Twine(*end) + "] outside the data section (" +
               llvm::Twine(dataSize) +
               " bytes; the file is truncated or "
               "corrupt)");
  if (*end - *begin != byteSize) {
    std::string dimsText;
    llvm::raw_string_ostream os(dimsText);
    llvm::interleaveComma(entry.shape, os);
    return bad("has 'data_offsets' [" + llvm::Twine(*begin) + ", " +
               llvm::Twine(*end) + "] spanning " + llvm::Twine(*end - *begin) +
               " bytes, but " + *dtypeText + " [" + dimsText + "] needs " +
               llvm::Twine(byteSize));
  }
  entry.begin = *begin;
  entry.end = *end;
  return entry;
}

llvm::Expected<Checkpoint> readCheckpoint(StringRef path) {
  auto buffer = readRegularFile(path);
  if (!buffer)
    return readError(path, llvm::toString(buffer.takeError()));
  StringRef bytes = (*buffer)->getBuffer();

  if (bytes.size() < 8)
    return readError(path, "the file is " + llvm::Twine(bytes.size()) +
                               " bytes, too short for the 8-byte header "
                               "length");
  uint64_t headerLen = llvm::support::endian::read64le(bytes.data());
  if (headerLen > bytes.size() - 8)
    return readError(path, "the header length " + llvm::Twine(headerLen) +
                               " exceeds the " + llvm::Twine(bytes.size() - 8) +
                               " bytes that follow it (truncated or not a "
                               "safetensors file)");
  StringRef headerText = bytes.substr(8, headerLen);
  StringRef data = bytes.drop_front(8 + headerLen);

  if (nestsDeeperThan(headerText, kMaxJsonDepth))
    return readError(path, "the header is not valid JSON: nested too deeply");
  llvm::Expected<llvm::json::Value> header = llvm::json::parse(headerText);
  if (!header)
    return readError(path, "the header is not valid JSON: " +
                               llvm::toString(header.takeError()));
  const llvm::json::Object *root = header->getAsObject();
  if (!root)
    return readError(path, "the header is not a JSON object");

  Checkpoint checkpoint;
  std::vector<Entry> entries;
  for (const auto &[key, value] : *root) {
    StringRef name = key;
    if (name == kMetadataKey) {
      const llvm::json::Object *metadata = value.getAsObject();
      if (!metadata)
        return readError(path, "'__metadata__' is not a JSON object");
      for (const auto &[mkey, mvalue] : *metadata) {
        std::optional<StringRef> text = mvalue.getAsString();
        if (!text)
          return readError(path, "metadata value for '" + StringRef(mkey) +
                                     "' is not a string");
        checkpoint.metadata[mkey.str()] = text->str();
      }
      continue;
    }
    llvm::Expected<Entry> entry = parseEntry(path, name, value, data.size());
    if (!entry)
      return entry.takeError();
    entries.push_back(std::move(*entry));
  }

  // Overlap check (empty ranges cannot overlap anything). Sorting by name
  // second keeps the message deterministic.
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  const Entry *previous = nullptr;
  for (const Entry &entry : entries) {
    if (entry.begin == entry.end)
      continue;
    if (previous && entry.begin < previous->end)
      return readError(path, "tensors '" + previous->name + "' and '" +
                                 entry.name + "' overlap in the data section");
    if (!previous || entry.end > previous->end)
      previous = &entry;
  }

  for (Entry &entry : entries) {
    Tensor tensor(entry.type, std::move(entry.shape));
    if (tensor.sizeInBytes() > 0)
      std::memcpy(tensor.data(), data.data() + entry.begin,
                  tensor.sizeInBytes());
    checkpoint.tensors.emplace(std::move(entry.name), std::move(tensor));
  }
  return checkpoint;
}

llvm::Expected<const Tensor *> checkpointTensor(const Checkpoint &checkpoint,
                                                StringRef key, ElementType type,
                                                llvm::ArrayRef<int64_t> shape) {
  auto it = checkpoint.tensors.find(key.str());
  if (it == checkpoint.tensors.end())
    return makeError("the checkpoint has no tensor '" + key + "'");
  const Tensor &t = it->second;
  Tensor needed(type, std::vector<int64_t>(shape.begin(), shape.end()));
  if (t.getElementType() != type || t.getShape() != needed.getShape())
    return makeError("checkpoint tensor '" + key + "' is " + t.typeString() +
                     " but the model needs " + needed.typeString());
  return &t;
}

} // namespace nabla
