//===- OnnxTensors.cpp - The tensors of an ONNX model ---------------------===//
//
// TensorProto values (raw or typed, every number type a model's data
// comes in) checked against their dims, element types, and reading a
// model file. See Importer.h.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "nabla/runtime/Files.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>

namespace nabla::onnx_import {

[[noreturn]] void fail(const std::string &message) {
  throw ImportError{message};
}

std::string join(llvm::ArrayRef<int64_t> values) {
  std::string s;
  for (auto [i, v] : llvm::enumerate(values))
    s += (i ? ", " : "") + std::to_string(v);
  return s;
}

std::string list(llvm::ArrayRef<int64_t> values) {
  return "[" + join(values) + "]";
}

int64_t product(llvm::ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// A float as the .nb lexer reads it back to the same f32 (or f64) value.
std::string number(double v) {
  if (std::isinf(v))
    return v > 0 ? "3.4028234663852886e38" : "-3.4028234663852886e38";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

std::string dtypeName(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return "float";
  case onnx::TensorProto::UINT8:
    return "uint8";
  case onnx::TensorProto::INT8:
    return "int8";
  case onnx::TensorProto::UINT16:
    return "uint16";
  case onnx::TensorProto::INT16:
    return "int16";
  case onnx::TensorProto::INT32:
    return "int32";
  case onnx::TensorProto::INT64:
    return "int64";
  case onnx::TensorProto::STRING:
    return "string";
  case onnx::TensorProto::BOOL:
    return "bool";
  case onnx::TensorProto::FLOAT16:
    return "float16";
  case onnx::TensorProto::DOUBLE:
    return "double";
  case onnx::TensorProto::UINT32:
    return "uint32";
  case onnx::TensorProto::UINT64:
    return "uint64";
  case onnx::TensorProto::COMPLEX64:
    return "complex64";
  case onnx::TensorProto::COMPLEX128:
    return "complex128";
  case onnx::TensorProto::BFLOAT16:
    return "bfloat16";
  default:
    return "type " + std::to_string(type);
  }
}

/// The .nb element type of an ONNX one: int64 computes as i32 (nabla's
/// integers), as the ids and counts models hold fit in it.
std::optional<ElementType> elementType(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return ElementType::F32;
  case onnx::TensorProto::FLOAT16:
    return ElementType::F16;
  case onnx::TensorProto::BFLOAT16:
    return ElementType::BF16;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT64:
    return ElementType::I32;
  case onnx::TensorProto::BOOL:
    return ElementType::I1;
  default:
    return std::nullopt;
  }
}

bool isFloat(int32_t type) {
  return type == onnx::TensorProto::FLOAT ||
         type == onnx::TensorProto::FLOAT16 ||
         type == onnx::TensorProto::BFLOAT16 ||
         type == onnx::TensorProto::DOUBLE;
}

/// The values of a TensorProto as doubles (every type a model's numbers
/// come in), checked against its dims.
std::vector<double> tensorValues(const onnx::TensorProto &t,
                                 const std::string &what) {
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (int64_t d : dims)
    if (d < 0)
      fail(what + " has a negative dim " + list(dims));
  int64_t n = product(dims);
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    fail(what + " keeps its data in an external file, which nabla does not "
                "read; save the model with its weights inside");
  std::vector<double> values;
  auto take = [&](auto begin, auto end) {
    for (auto it = begin; it != end; ++it)
      values.push_back(static_cast<double>(*it));
  };
  int32_t type = t.data_type();
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    auto unpack = [&](auto sample) {
      using T = decltype(sample);
      if (raw.size() != size_t(n) * sizeof(T))
        fail(what + " has " + std::to_string(raw.size()) +
             " bytes of data but its dims " + list(dims) + " need " +
             std::to_string(n * sizeof(T)));
      for (int64_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
        values.push_back(static_cast<double>(v));
      }
    };
    switch (type) {
    case onnx::TensorProto::FLOAT:
      unpack(float());
      break;
    case onnx::TensorProto::DOUBLE:
      unpack(double());
      break;
    case onnx::TensorProto::INT32:
      unpack(int32_t());
      break;
    case onnx::TensorProto::INT64:
      unpack(int64_t());
      break;
    case onnx::TensorProto::INT8:
      unpack(int8_t());
      break;
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      unpack(uint8_t());
      break;
    case onnx::TensorProto::INT16:
      unpack(int16_t());
      break;
    case onnx::TensorProto::UINT16:
      unpack(uint16_t());
      break;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: {
      if (raw.size() != size_t(n) * 2)
        fail(what + " has " + std::to_string(raw.size()) +
             " bytes of data but its dims " + list(dims) + " need " +
             std::to_string(n * 2));
      Tensor half(type == onnx::TensorProto::FLOAT16 ? ElementType::F16
                                                     : ElementType::BF16,
                  dims);
      std::memcpy(half.data(), raw.data(), raw.size());
      for (int64_t i = 0; i < n; ++i)
        values.push_back(half.get(i));
      break;
    }
    default:
      fail(what + " is of type " + dtypeName(type) + ", which nabla lacks");
    }
    return values;
  }
  switch (type) {
  case onnx::TensorProto::FLOAT:
    take(t.float_data().begin(), t.float_data().end());
    break;
  case onnx::TensorProto::DOUBLE:
    take(t.double_data().begin(), t.double_data().end());
    break;
  case onnx::TensorProto::INT64:
    take(t.int64_data().begin(), t.int64_data().end());
    break;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    take(t.int32_data().begin(), t.int32_data().end());
    break;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    // Stored as the 16 bits in int32_data.
    Tensor half(type == onnx::TensorProto::FLOAT16 ? ElementType::F16
                                                   : ElementType::BF16,
                {int64_t(t.int32_data_size())});
    for (int i = 0; i < t.int32_data_size(); ++i) {
      uint16_t bits = static_cast<uint16_t>(t.int32_data(i));
      std::memcpy(static_cast<uint8_t *>(half.data()) + 2 * i, &bits, 2);
    }
    for (int64_t i = 0; i < half.getNumElements(); ++i)
      values.push_back(half.get(i));
    break;
  }
  default:
    fail(what + " is of type " + dtypeName(type) + ", which nabla lacks");
  }
  if (int64_t(values.size()) != n)
    fail(what + " has " + std::to_string(values.size()) +
         " values but its dims " + list(dims) + " need " + std::to_string(n));
  return values;
}

Tensor toTensor(const onnx::TensorProto &t, const std::string &what) {
  auto type = elementType(t.data_type());
  if (!type && t.data_type() == onnx::TensorProto::DOUBLE)
    type = ElementType::F64;
  if (!type)
    fail(what + " is of type " + dtypeName(t.data_type()) +
         ", which nabla lacks");
  std::vector<double> values = tensorValues(t, what);
  return Tensor::fromDoubles(
      *type, std::vector<int64_t>(t.dims().begin(), t.dims().end()), values);
}

bool parseProtoFile(const std::string &path,
                    google::protobuf::MessageLite &message) {
  // protobuf reads at most 2 GiB; a directory or a device is refused
  // before it is read.
  auto buffer = readRegularFile(path, (uint64_t(1) << 31) - 1);
  if (!buffer)
    fail("cannot read it: " + llvm::toString(buffer.takeError()));
  return message.ParseFromArray((*buffer)->getBufferStart(),
                                static_cast<int>((*buffer)->getBufferSize()));
}

onnx::ModelProto readModel(const std::string &path) {
  onnx::ModelProto model;
  if (!parseProtoFile(path, model))
    fail("not an ONNX model: its protobuf does not parse (a truncated or "
         "corrupt file?)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    fail("not an ONNX model: it has no graph of nodes");
  return model;
}

} // namespace nabla::onnx_import
