//===- Lexer.h - Tokens of the .nb language --------------------*- C++ -*-===//
#ifndef NABLA_FRONTEND_LEXER_H
#define NABLA_FRONTEND_LEXER_H

#include "nabla/frontend/Diagnostics.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <string>
#include <vector>

namespace nabla {

enum class TokenKind {
  Eof,
  Error, // the lexer already reported it
  Ident,
  Number,
  String,
  // keywords
  KwModel,
  KwLayer,
  KwParam,
  KwState,
  KwRepeat,
  KwReturn,
  // punctuation
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Ellipsis, // ...
  Equal,
  Arrow, // ->
  Plus,
  Minus,
  Star,
  StarStar, // **
  Slash,
  At,
  Less,         // <
  LessEqual,    // <=
  Greater,      // >
  GreaterEqual, // >=
  EqualEqual,   // ==
  NotEqual,     // !=
};

/// A short human name for a token kind, used in "expected X" messages
/// (e.g. "')'", "identifier", "end of file").
llvm::StringRef describe(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text; // points into the source buffer
  llvm::SMLoc loc;
  /// For String: the value with escapes resolved. For Number: unused.
  std::string stringValue;

  bool is(TokenKind k) const { return kind == k; }
};

/// Splits a buffer into tokens. `#` starts a comment to the end of the line;
/// newlines are whitespace. Errors (an unexpected character, an unterminated
/// string, a malformed number such as `1.2.3` or `1e`) are reported through
/// the DiagnosticEngine and produce a TokenKind::Error token.
class Lexer {
public:
  Lexer(llvm::StringRef buffer, DiagnosticEngine &diags)
      : buffer(buffer), cur(buffer.begin()), diags(diags) {}

  Token next();
  /// All tokens up to and including Eof (`nablac --emit=tokens`).
  std::vector<Token> tokenize();

private:
  llvm::StringRef buffer;
  const char *cur;
  DiagnosticEngine &diags;
};

} // namespace nabla

#endif // NABLA_FRONTEND_LEXER_H
