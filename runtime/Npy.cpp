//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
// magic "\x93NUMPY", major, minor, header length (2 bytes in 1.0, 4 in
// 2.0/3.0, little-endian), then a Python dict literal padded with spaces,
// then the raw data.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/Npy.h"
#include "nabla/runtime/Files.h"
#include "nabla/support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using llvm::StringRef;

namespace nabla {

static llvm::Error bad(StringRef name, const llvm::Twine &why) {
  return makeError(name + ": not a valid .npy file: " + why);
}

/// The value of `'key': value` in the header dict, as raw text.
static std::optional<StringRef> headerField(StringRef header, StringRef key) {
  std::string quoted = "'" + key.str() + "'";
  size_t at = header.find(quoted);
  if (at == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(at + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  if (rest.starts_with("(")) {
    size_t close = rest.find(')');
    if (close == StringRef::npos)
      return std::nullopt;
    return rest.take_front(close + 1);
  }
  if (rest.starts_with("'")) {
    size_t close = rest.find('\'', 1);
    if (close == StringRef::npos)
      return std::nullopt;
    return rest.slice(1, close);
  }
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

llvm::Expected<Tensor> parseNpy(StringRef bytes, StringRef name) {
  if (!bytes.consume_front("\x93NUMPY"))
    return bad(name, "it does not start with \\x93NUMPY");
  if (bytes.size() < 4)
    return bad(name, "the header is truncated");
  unsigned major = static_cast<uint8_t>(bytes[0]);
  bytes = bytes.drop_front(2);
  size_t headerLen;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(bytes[0]) |
                (static_cast<uint8_t>(bytes[1]) << 8);
    bytes = bytes.drop_front(2);
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 4)
      return bad(name, "the header is truncated");
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = (headerLen << 8) | static_cast<uint8_t>(bytes[i]);
    bytes = bytes.drop_front(4);
  } else {
    return bad(name, "unsupported format version " + llvm::Twine(major));
  }
  if (bytes.size() < headerLen)
    return bad(name, "the header is truncated");
  StringRef header = bytes.take_front(headerLen);
  StringRef data = bytes.drop_front(headerLen);

  // numpy reads the header as a dict, where a key given twice takes its
  // last value; this reader would take the first: refuse both.
  for (const char *key : {"descr", "fortran_order", "shape"}) {
    std::string quoted = "'" + std::string(key) + "'";
    size_t first = header.find(quoted);
    if (first != StringRef::npos &&
        header.find(quoted, first + 1) != StringRef::npos)
      return bad(name, "the header gives '" + llvm::Twine(key) + "' twice");
  }
  auto descr = headerField(header, "descr");
  auto order = headerField(header, "fortran_order");
  auto shapeText = headerField(header, "shape");
  if (!descr || !order || !shapeText)
    return bad(name, "the header lacks 'descr', 'fortran_order' or 'shape'");
  if (*order != "False")
    return bad(name, "Fortran-ordered arrays are not supported (save with "
                     "np.ascontiguousarray)");

  std::vector<int64_t> shape;
  StringRef dims = shapeText->drop_front().drop_back(); // strip ( )
  while (!dims.trim().empty()) {
    auto [dim, rest] = dims.split(',');
    dim = dim.trim();
    dims = rest;
    if (dim.empty())
      continue;
    int64_t d;
    if (dim.getAsInteger(10, d) || d < 0 || d > (int64_t(1) << 40))
      return bad(name, "bad shape " + *shapeText);
    shape.push_back(d);
  }

  struct Kind {
    const char *descr;
    size_t size;
    ElementType to;
  };
  static const Kind kinds[] = {
      {"<f4", 4, ElementType::F32}, {"<f8", 8, ElementType::F32},
      {"<f2", 2, ElementType::F16}, {"<i4", 4, ElementType::I32},
      {"<i8", 8, ElementType::I32}, {"|u1", 1, ElementType::I32},
      {"|i1", 1, ElementType::I32}, {"|b1", 1, ElementType::I1}};
  const Kind *kind = nullptr;
  for (const Kind &k : kinds)
    if (*descr == k.descr)
      kind = &k;
  if (!kind)
    return bad(name, "unsupported element type '" + *descr +
                         "' (use float32, float64, float16, int32, int64, "
                         "uint8, int8 or bool, little-endian)");
  // The payload is checked against the shape before anything is
  // allocated: a 128-byte file may claim shape (2^40, 64).
  uint64_t n = 1;
  for (int64_t d : shape) {
    auto product = llvm::checkedMulUnsigned(n, uint64_t(d));
    if (!product || *product > (uint64_t(1) << 40))
      return bad(name, "shape " + *shapeText + " is too large");
    n = *product;
  }
  if (data.size() != n * kind->size)
    return bad(name, "shape " + *shapeText + " needs " +
                         llvm::Twine(n * kind->size) + " bytes of data, found " +
                         llvm::Twine(data.size()));
  Tensor t(kind->to, shape);
  const char *p = data.data();
  for (int64_t i = 0; i < int64_t(n); ++i, p += kind->size) {
    StringRef d = kind->descr;
    if (d == "<f4" || d == "<i4" || d == "<f2") {
      std::memcpy(static_cast<char *>(t.data()) + i * kind->size, p,
                  kind->size);
    } else if (d == "<f8") {
      double v;
      std::memcpy(&v, p, 8);
      t.set(i, v);
    } else if (d == "<i8") {
      int64_t v;
      std::memcpy(&v, p, 8);
      if (v < INT32_MIN || v > INT32_MAX)
        return bad(name, "value " + llvm::Twine(v) + " at index " +
                             llvm::Twine(i) + " does not fit in i32");
      t.set(i, static_cast<double>(v));
    } else if (d == "|u1") {
      t.set(i, static_cast<uint8_t>(*p));
    } else if (d == "|i1") {
      t.set(i, static_cast<int8_t>(*p));
    } else {
      t.set(i, *p != 0);
    }
  }
  return t;
}

llvm::Expected<Tensor> readNpy(StringRef path) {
  auto buffer = readRegularFile(path);
  if (!buffer)
    return makeError(path +
                     ": cannot read: " + llvm::toString(buffer.takeError()));
  return parseNpy((*buffer)->getBuffer(), path);
}

llvm::Error writeNpy(const Tensor &tensor, StringRef path) {
  const char *descr = nullptr;
  switch (tensor.getElementType()) {
  case ElementType::F32: descr = "<f4"; break;
  case ElementType::F16: descr = "<f2"; break;
  case ElementType::I32: descr = "<i4"; break;
  case ElementType::I1: descr = "|b1"; break;
  case ElementType::F64: descr = "<f8"; break;
  case ElementType::BF16:
    return writeNpy(tensor.convertTo(ElementType::F32), path);
  }
  std::string shape = "(";
  for (int64_t d : tensor.getShape())
    shape += std::to_string(d) + ",";
  if (tensor.getRank() > 1)
    shape.pop_back();
  shape += ")";
  std::string header = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic + version + length + header + '\n' is a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, path + ": cannot write: " + ec.message());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  os.write(static_cast<const char *>(tensor.data()), tensor.sizeInBytes());
  return llvm::Error::success();
}

} // namespace nabla
