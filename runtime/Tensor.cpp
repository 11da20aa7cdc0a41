//===- Tensor.cpp - Host tensors ------------------------------------------===//
#include "nabla/runtime/Tensor.h"
#include "nabla/support/Error.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace nabla {

llvm::StringRef toString(ElementType type) {
  switch (type) {
  case ElementType::F32: return "f32";
  case ElementType::F16: return "f16";
  case ElementType::BF16: return "bf16";
  case ElementType::I32: return "i32";
  case ElementType::I1: return "i1";
  case ElementType::F64: return "f64";
  }
  return "?";
}

std::optional<ElementType> parseElementType(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<ElementType>>(name)
      .Case("f32", ElementType::F32)
      .Case("f16", ElementType::F16)
      .Case("bf16", ElementType::BF16)
      .Case("i32", ElementType::I32)
      .Case("i1", ElementType::I1)
      .Case("f64", ElementType::F64)
      .Default(std::nullopt);
}

size_t elementSize(ElementType type) {
  switch (type) {
  case ElementType::F32:
  case ElementType::I32: return 4;
  case ElementType::F16:
  case ElementType::BF16: return 2;
  case ElementType::I1: return 1;
  case ElementType::F64: return 8;
  }
  return 4;
}

Tensor::Tensor(ElementType type, std::vector<int64_t> shape)
    : type(type), shape(std::move(shape)) {
  bytes.assign(getNumElements() * elementSize(type), 0);
}

Tensor Tensor::fromDoubles(ElementType type, std::vector<int64_t> shape,
                           llvm::ArrayRef<double> values) {
  Tensor t(type, std::move(shape));
  assert(static_cast<int64_t>(values.size()) == t.getNumElements());
  for (auto [i, v] : llvm::enumerate(values))
    t.set(i, v);
  return t;
}

int64_t Tensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// f16 and bf16 go through APFloat so rounding is IEEE round-to-nearest-even.
static uint16_t toHalf(double v, const llvm::fltSemantics &sem) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

static double fromHalf(uint16_t bits, const llvm::fltSemantics &sem) {
  return llvm::APFloat(sem, llvm::APInt(16, bits)).convertToDouble();
}

double Tensor::get(int64_t i) const {
  const uint8_t *p = bytes.data() + i * elementSize(type);
  switch (type) {
  case ElementType::F32: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  case ElementType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case ElementType::F16:
  case ElementType::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return fromHalf(h, type == ElementType::F16 ? llvm::APFloat::IEEEhalf()
                                                : llvm::APFloat::BFloat());
  }
  case ElementType::I1:
    return *p ? 1.0 : 0.0;
  case ElementType::F64: {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  }
  return 0;
}

void Tensor::set(int64_t i, double value) {
  uint8_t *p = bytes.data() + i * elementSize(type);
  switch (type) {
  case ElementType::F32: {
    float f = static_cast<float>(value);
    std::memcpy(p, &f, 4);
    return;
  }
  case ElementType::I32: {
    int32_t v = static_cast<int32_t>(value);
    std::memcpy(p, &v, 4);
    return;
  }
  case ElementType::F16:
  case ElementType::BF16: {
    uint16_t h = toHalf(value, type == ElementType::F16
                                   ? llvm::APFloat::IEEEhalf()
                                   : llvm::APFloat::BFloat());
    std::memcpy(p, &h, 2);
    return;
  }
  case ElementType::I1:
    *p = value != 0;
    return;
  case ElementType::F64:
    std::memcpy(p, &value, 8);
    return;
  }
}

std::vector<double> Tensor::toDoubles() const {
  std::vector<double> values(getNumElements());
  for (int64_t i = 0; i < getNumElements(); ++i)
    values[i] = get(i);
  return values;
}

Tensor Tensor::convertTo(ElementType to) const & {
  if (to == type)
    return *this;
  Tensor t(to, shape);
  for (int64_t i = 0; i < getNumElements(); ++i)
    t.set(i, get(i));
  return t;
}

Tensor Tensor::convertTo(ElementType to) && {
  if (to == type)
    return std::move(*this);
  return static_cast<const Tensor &>(*this).convertTo(to);
}

Tensor Tensor::reshaped(std::vector<int64_t> newShape) && {
  Tensor t;
  t.type = type;
  t.shape = std::move(newShape);
  assert(t.getNumElements() == getNumElements() &&
         "a reshape keeps the element count");
  t.bytes = std::move(bytes);
  bytes.clear();
  shape.assign(1, 0);
  return t;
}

int64_t elementsPerRow(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape.drop_front(std::min<size_t>(1, shape.size())))
    n *= d;
  return n;
}

std::string formatTensorType(ElementType type, llvm::ArrayRef<int64_t> shape) {
  std::string s = toString(type).str();
  if (!shape.empty())
    s += "[" +
         llvm::join(llvm::map_range(shape,
                                    [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
  return s;
}

std::string Tensor::typeString() const { return formatTensorType(type, shape); }

llvm::Error checkFitsInMemory(uint64_t bytes, const llvm::Twine &what) {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return llvm::Error::success(); // unknown: let the allocation decide
  uint64_t memory = uint64_t(pages) * uint64_t(pageSize);
  if (bytes <= memory)
    return llvm::Error::success();
  auto gib = [](uint64_t b) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GiB", b / double(1ull << 30));
    return std::string(text);
  };
  return makeError("error: " + what + " need " + gib(bytes) +
                   ", more than this machine's " + gib(memory) + " of memory");
}

} // namespace nabla
