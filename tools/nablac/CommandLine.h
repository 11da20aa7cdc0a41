//===- CommandLine.h - nablac's commands and the flags each takes -*- C++
//-*-===//
//
// One table: every command, its usage line, what it does, and the flags
// it reads. Per-command help (`nablac train --help`, `nablac help train`)
// is printed from it, and a flag the command does not read is refused
// with the command's own flags, never silently ignored.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TOOLS_NABLAC_COMMANDLINE_H
#define NABLA_TOOLS_NABLAC_COMMANDLINE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace nabla::tools {

struct CommandInfo {
  std::string name;  // "train"; "emit" for `nablac FILE.nb --emit=STAGE`
  std::string usage; // "nablac train FILE.nb [options]"
  std::string summary;
  std::vector<std::string> flags; // the flags it reads, by name
  bool trainFlags = false;        // and every training setting's
};

/// Every command, in the order `nablac --help` lists them.
llvm::ArrayRef<CommandInfo> commands();

/// The command called `name`, or null.
const CommandInfo *findCommand(llvm::StringRef name);

/// Whether `command` reads the flag `flag` (as spelled on the command
/// line, without dashes). MLIR's --mlir-* flags apply to every command.
bool takesFlag(const CommandInfo &command, llvm::StringRef flag);

/// The error for `flags` given to `command` that it does not read (empty
/// when none): names the first, the command's flags, and the closest of
/// them when the flag looks like a typo of one.
std::string checkFlags(const CommandInfo &command,
                       llvm::ArrayRef<std::string> flags);

/// `nablac help COMMAND`: the usage, the summary and each flag the
/// command reads with its help (from the registered llvm::cl options).
void printCommandHelp(const CommandInfo &command, llvm::raw_ostream &os);

} // namespace nabla::tools

#endif // NABLA_TOOLS_NABLAC_COMMANDLINE_H
