//===- Parser.h - Recursive-descent parser for .nb files --------*- C++ -*-===//
#ifndef NABLA_FRONTEND_PARSER_H
#define NABLA_FRONTEND_PARSER_H

#include "nabla/frontend/AST.h"
#include "nabla/frontend/Diagnostics.h"

#include <memory>

namespace nabla {

/// Parses the main buffer of `diags`' SourceMgr. Returns null after reporting
/// errors (each with file:line:col, the line and a caret).
std::unique_ptr<ast::Module> parseModule(DiagnosticEngine &diags);
/// Parses buffer `bufferId` of `diags`' SourceMgr (a layer an import made).
std::unique_ptr<ast::Module> parseModule(DiagnosticEngine &diags,
                                         unsigned bufferId);

} // namespace nabla

#endif // NABLA_FRONTEND_PARSER_H
