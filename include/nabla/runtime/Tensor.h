//===- Tensor.h - Host tensors ----------------------------------*- C++ -*-===//
//
// A dense, row-major host tensor that owns its bytes. The JIT reads and
// writes tensors in place through memref descriptors that point into them.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_TENSOR_H
#define NABLA_RUNTIME_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <new>
#include <vector>

namespace nabla {

enum class ElementType { F32, F16, BF16, I32, I1, F64 };

llvm::StringRef toString(ElementType type);
std::optional<ElementType> parseElementType(llvm::StringRef name);
/// Bytes per element (i1 is stored as one byte, as MLIR's memrefs do).
size_t elementSize(ElementType type);

/// An error unless `bytes` of tensors (`what`: "the parameters and
/// optimizer state") fit in this machine's memory: checked before
/// allocating, so a model too large for it is an error naming the sizes,
/// not "LLVM ERROR: out of memory".
llvm::Error checkFitsInMemory(uint64_t bytes, const llvm::Twine &what);
/// `f32[2, 3]`, or `f32` for a scalar: types in the language's words.
std::string formatTensorType(ElementType type, llvm::ArrayRef<int64_t> shape);
/// Elements per row of a batch of this shape: the product of every
/// dimension but the first (the batch's); 1 for a scalar or a vector.
int64_t elementsPerRow(llvm::ArrayRef<int64_t> shape);

/// Allocates on 64-byte boundaries (a cache line, a 512-bit vector): the
/// compiled kernels may then store whole lines (nabla-cpu-nontemporal-
/// stores) without reading them first.
template <typename T> struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  CacheLineAllocator() = default;
  template <typename U> CacheLineAllocator(const CacheLineAllocator<U> &) {}
  T *allocate(size_t n) {
    return static_cast<T *>(::operator new(n * sizeof(T), kAlignment));
  }
  void deallocate(T *p, size_t n) {
    ::operator delete(p, n * sizeof(T), kAlignment);
  }
  template <typename U> bool operator==(const CacheLineAllocator<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const CacheLineAllocator<U> &) const {
    return false;
  }
};

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor.
  Tensor(ElementType type, std::vector<int64_t> shape);
  /// A tensor holding `values` converted to `type`; the count must match.
  static Tensor fromDoubles(ElementType type, std::vector<int64_t> shape,
                            llvm::ArrayRef<double> values);

  ElementType getElementType() const { return type; }
  const std::vector<int64_t> &getShape() const { return shape; }
  int64_t getRank() const { return static_cast<int64_t>(shape.size()); }
  int64_t getNumElements() const;
  void *data() { return bytes.data(); }
  const void *data() const { return bytes.data(); }
  size_t sizeInBytes() const { return bytes.size(); }

  /// Element `i` (row-major) as a double, and back; converts f16/bf16/i32/i1.
  double get(int64_t i) const;
  void set(int64_t i, double value);
  std::vector<double> toDoubles() const;

  /// The same values in another element type (rounding to nearest even).
  Tensor convertTo(ElementType to) const &;
  /// The same values as `to` (convertTo), taking this tensor's bytes when
  /// the type is already `to`: a data set is not held twice.
  Tensor convertTo(ElementType to) &&;
  /// The same bytes with another shape of as many elements; this tensor
  /// is left empty.
  Tensor reshaped(std::vector<int64_t> newShape) &&;

  /// `f32[2, 3]`
  std::string typeString() const;

private:
  ElementType type = ElementType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t, CacheLineAllocator<uint8_t>> bytes;
};

} // namespace nabla

#endif // NABLA_RUNTIME_TENSOR_H
