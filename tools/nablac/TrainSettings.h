//===- TrainSettings.h - Every training setting, once -----------*- C++ -*-===//
//
// The one table of what `nablac train` can be told: each setting's name,
// value, help and check. The command line's flags (--clip-norm X) and the
// model file's train block (`clip_norm = X`) both come from it, so a
// setting cannot exist in one and not the other, and is checked the same
// way in both. Defaults are the fields' initial values (TrainConfig,
// TrainOptions, and the pass options in passes/Passes.td), shown in --help.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TOOLS_NABLAC_TRAINSETTINGS_H
#define NABLA_TOOLS_NABLAC_TRAINSETTINGS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <optional>
#include <string>

namespace nabla::tools {

struct TrainConfig;

struct TrainSetting {
  /// How the value is written: a path is relative to the model file in a
  /// train block; a switch is a flag without a value (--check-numerics).
  enum class Type { Number, Integer, Text, Path, Switch };
  std::string name; // the train block's spelling: clip_norm
  Type type;
  std::string value; // the flag's value, for --help: X, FILE, sgd|adam|...
  std::string help;
  /// Sets the setting from `text`; on a bad value, returns what the value
  /// must be ("a positive number", "sgd, momentum, ... or adamw").
  std::function<std::optional<std::string>(TrainConfig &, llvm::StringRef)> set;
  /// The value in `config` as text (for the default in --help).
  std::function<std::string(const TrainConfig &)> get;

  /// The flag's spelling: clip-norm.
  std::string flag() const;
};

/// Every setting, in the order --help lists them.
llvm::ArrayRef<TrainSetting> trainSettings();

/// The setting called `name` (as in a train block, or as a flag), or null.
const TrainSetting *findTrainSetting(llvm::StringRef name);

} // namespace nabla::tools

#endif // NABLA_TOOLS_NABLAC_TRAINSETTINGS_H
