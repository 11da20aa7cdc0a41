//===- Enums.h - The choices of the training passes -------------*- C++ -*-===//
//
// The optimizer and the compute precision, as the pass options of
// nabla-training-step and nabla-mixed-precision, the nabla-train-pipeline
// and the API take them. Each name is written once, in the tables below:
// pass options list them as llvm::cl values, settings are parsed with
// them, and errors print them.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_PASSES_ENUMS_H
#define NABLA_PASSES_ENUMS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>

namespace nabla {

/// torch.optim's SGD (plain, momentum, Nesterov), Adam and AdamW.
enum class Optimizer { SGD, Momentum, Nesterov, Adam, AdamW };

/// What matmuls and elementwise ops compute in (the master weights, the
/// optimizer, losses and reductions stay f32).
enum class Precision { F32, BF16, F16 };

template <typename E> struct EnumName {
  E value;
  const char *name;
  const char *help;
};

inline constexpr EnumName<Optimizer> kOptimizerNames[] = {
    {Optimizer::SGD, "sgd", "plain SGD"},
    {Optimizer::Momentum, "momentum", "SGD with momentum"},
    {Optimizer::Nesterov, "nesterov", "SGD with Nesterov momentum"},
    {Optimizer::Adam, "adam", "Adam"},
    {Optimizer::AdamW, "adamw", "Adam with decoupled weight decay"},
};

inline constexpr EnumName<Precision> kPrecisionNames[] = {
    {Precision::F32, "f32", "32-bit floats throughout"},
    {Precision::BF16, "bf16", "bfloat16 compute, f32 master weights"},
    {Precision::F16, "f16", "float16 compute, f32 master weights"},
};

/// The name of `value` in `table`.
template <typename E, size_t N>
llvm::StringRef enumName(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E> &entry : table)
    if (entry.value == value)
      return entry.name;
  return "?";
}

/// The value called `name` in `table`, or nullopt.
template <typename E, size_t N>
std::optional<E> parseEnum(const EnumName<E> (&table)[N],
                           llvm::StringRef name) {
  for (const EnumName<E> &entry : table)
    if (name == entry.name)
      return entry.value;
  return std::nullopt;
}

/// "a, b or c": the names of `table`, for error messages and help.
template <typename E, size_t N>
std::string enumChoices(const EnumName<E> (&table)[N]) {
  std::string text;
  for (size_t i = 0; i < N; ++i) {
    if (i)
      text += i + 1 == N ? " or " : ", ";
    text += table[i].name;
  }
  return text;
}

/// The names of `table` as the values of an llvm::cl option (pass and
/// pipeline options): `Option<Optimizer> o{..., clValues(kOptimizerNames)}`.
template <typename E, size_t N> struct ClValues {
  const EnumName<E> (&table)[N];
  template <typename Opt> void apply(Opt &option) const {
    for (const EnumName<E> &entry : table)
      option.getParser().addLiteralOption(entry.name, entry.value, entry.help);
  }
};
template <typename E, size_t N>
ClValues<E, N> clValues(const EnumName<E> (&table)[N]) {
  return {table};
}

inline llvm::StringRef toString(Optimizer o) {
  return enumName(kOptimizerNames, o);
}
inline llvm::StringRef toString(Precision p) {
  return enumName(kPrecisionNames, p);
}

} // namespace nabla

#endif // NABLA_PASSES_ENUMS_H
