//===- Lexer.cpp - Tokens of the .nb language -----------------------------===//
//
// A hand-written scanner over the source buffer. Every call to next()
// consumes at least one byte or returns Eof, so no input can make a caller
// loop forever. Errors are reported here, once, and surface to the parser as
// TokenKind::Error so it can stop without piling on a second message.
//
//===----------------------------------------------------------------------===//

#include "nabla/frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ConvertUTF.h"

using namespace nabla;

llvm::StringRef nabla::describe(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Error:
    return "invalid token";
  case TokenKind::Ident:
    return "identifier";
  case TokenKind::Number:
    return "number";
  case TokenKind::String:
    return "string";
  case TokenKind::KwModel:
    return "'model'";
  case TokenKind::KwLayer:
    return "'layer'";
  case TokenKind::KwParam:
    return "'param'";
  case TokenKind::KwState:
    return "'state'";
  case TokenKind::KwRepeat:
    return "'repeat'";
  case TokenKind::KwReturn:
    return "'return'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Ellipsis:
    return "'...'";
  case TokenKind::Less:
    return "'<'";
  case TokenKind::LessEqual:
    return "'<='";
  case TokenKind::Greater:
    return "'>'";
  case TokenKind::GreaterEqual:
    return "'>='";
  case TokenKind::EqualEqual:
    return "'=='";
  case TokenKind::NotEqual:
    return "'!='";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Arrow:
    return "'->'";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::StarStar:
    return "'**'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::At:
    return "'@'";
  }
  return "token";
}

static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

/// True if `text` is digits ['.' digits] or '.' digits, with an optional
/// exponent [eE][+-]digits, and nothing else.
static bool isWellFormedNumber(llvm::StringRef text) {
  size_t i = 0, n = text.size();
  auto skipDigits = [&] {
    size_t start = i;
    while (i < n && llvm::isDigit(text[i]))
      ++i;
    return i - start;
  };
  size_t digits = skipDigits();
  if (i < n && text[i] == '.') {
    ++i;
    digits += skipDigits();
  }
  if (digits == 0)
    return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-'))
      ++i;
    if (skipDigits() == 0)
      return false;
  }
  return i == n;
}

/// The text of an unexpected character for a message: a well-formed UTF-8
/// character as itself (`'λ'`), anything else (control characters, broken
/// UTF-8) as `\xNN` escapes so the message stays printable.
static std::string printable(llvm::StringRef bytes) {
  auto *first = reinterpret_cast<const llvm::UTF8 *>(bytes.begin());
  auto *last = reinterpret_cast<const llvm::UTF8 *>(bytes.end());
  bool wholeUTF8 = bytes.size() > 1 &&
                   llvm::getNumBytesForUTF8(*first) == bytes.size() &&
                   llvm::isLegalUTF8Sequence(first, last);
  std::string out;
  for (unsigned char c : bytes) {
    if (wholeUTF8 || llvm::isPrint(c)) {
      out += static_cast<char>(c);
      continue;
    }
    out += "\\x";
    out += llvm::hexdigit(c >> 4);
    out += llvm::hexdigit(c & 15);
  }
  return out;
}

namespace {
/// The state of one call to Lexer::next(): where the token starts and where
/// scanning has got to.
struct Scan {
  const char *start;
  const char *&cur;
  const char *end;
  DiagnosticEngine &diags;

  bool atEnd() const { return cur == end; }
  bool peekIs(char c) const { return cur != end && *cur == c; }
  llvm::SMLoc startLoc() const { return llvm::SMLoc::getFromPointer(start); }

  Token make(TokenKind kind) const {
    Token tok;
    tok.kind = kind;
    tok.loc = startLoc();
    tok.text = llvm::StringRef(start, cur - start);
    return tok;
  }

  Token identifier();
  Token number();
  Token string();
  Token punctuation();
};
} // namespace

Token Scan::identifier() {
  while (!atEnd() && isIdentChar(*cur))
    ++cur;
  llvm::StringRef text(start, cur - start);
  return make(llvm::StringSwitch<TokenKind>(text)
                  .Case("model", TokenKind::KwModel)
                  .Case("layer", TokenKind::KwLayer)
                  .Case("param", TokenKind::KwParam)
                  .Case("state", TokenKind::KwState)
                  .Case("repeat", TokenKind::KwRepeat)
                  .Case("return", TokenKind::KwReturn)
                  .Default(TokenKind::Ident));
}

/// Takes the longest run that could belong to a number (letters, digits,
/// `_`, `.`, and a sign right after an `e`/`E`, as in `1e-3`; `x-1` never
/// glues because an identifier is not a number) and then checks its
/// form, so `1.2.3`, `1e` and `3abc` are each one error about the whole
/// literal rather than a number followed by confusing leftovers.
Token Scan::number() {
  while (!atEnd()) {
    char c = *cur;
    bool sign = (c == '+' || c == '-') && (cur[-1] == 'e' || cur[-1] == 'E');
    if (!isIdentChar(c) && c != '.' && !sign)
      break;
    ++cur;
  }
  Token tok = make(TokenKind::Number);
  if (isWellFormedNumber(tok.text))
    return tok;
  tok.kind = TokenKind::Error;
  diags.error(tok.loc, "bad number literal '" + tok.text + "'");
  return tok;
}

/// A double-quoted string with the escapes \" \\ \n \t. A string ends at
/// its line: a newline or the end of the file before the closing quote is an
/// error at the opening quote, where the user has to look.
Token Scan::string() {
  ++cur; // the opening quote
  std::string value;
  const char *badEscape = nullptr;
  while (!atEnd() && *cur != '"' && *cur != '\n') {
    if (*cur != '\\') {
      value += *cur++;
      continue;
    }
    const char *escape = cur++;
    if (atEnd() || *cur == '\n')
      break;
    switch (*cur++) {
    case '"':
      value += '"';
      break;
    case '\\':
      value += '\\';
      break;
    case 'n':
      value += '\n';
      break;
    case 't':
      value += '\t';
      break;
    default:
      if (!badEscape)
        badEscape = escape;
      break;
    }
  }
  if (!peekIs('"')) {
    Token tok = make(TokenKind::Error);
    diags.error(tok.loc, "unterminated string");
    return tok;
  }
  ++cur; // the closing quote
  Token tok = make(TokenKind::String);
  if (badEscape) {
    // Report it only now, after the whole string is consumed, so the rest of
    // the string is not lexed as code and reported again.
    tok.kind = TokenKind::Error;
    diags.error(llvm::SMLoc::getFromPointer(badEscape),
                "unknown escape sequence '" +
                    printable(llvm::StringRef(badEscape, 2)) +
                    "' in string; expected \\\", \\\\, \\n or \\t");
    return tok;
  }
  tok.stringValue = std::move(value);
  return tok;
}

Token Scan::punctuation() {
  char c = *cur++;
  switch (c) {
  case '(':
    return make(TokenKind::LParen);
  case ')':
    return make(TokenKind::RParen);
  case '[':
    return make(TokenKind::LBracket);
  case ']':
    return make(TokenKind::RBracket);
  case '{':
    return make(TokenKind::LBrace);
  case '}':
    return make(TokenKind::RBrace);
  case ',':
    return make(TokenKind::Comma);
  case ':':
    return make(TokenKind::Colon);
  case '.':
    if (peekIs('.') && cur + 1 != end && cur[1] == '.') {
      cur += 2;
      return make(TokenKind::Ellipsis);
    }
    break;
  case '=':
    if (peekIs('=')) {
      ++cur;
      return make(TokenKind::EqualEqual);
    }
    return make(TokenKind::Equal);
  case '<':
    if (peekIs('=')) {
      ++cur;
      return make(TokenKind::LessEqual);
    }
    return make(TokenKind::Less);
  case '>':
    if (peekIs('=')) {
      ++cur;
      return make(TokenKind::GreaterEqual);
    }
    return make(TokenKind::Greater);
  case '!':
    if (peekIs('=')) {
      ++cur;
      return make(TokenKind::NotEqual);
    }
    break;
  case '+':
    return make(TokenKind::Plus);
  case '/':
    return make(TokenKind::Slash);
  case '@':
    return make(TokenKind::At);
  case '-':
    if (peekIs('>')) {
      ++cur;
      return make(TokenKind::Arrow);
    }
    return make(TokenKind::Minus);
  case '*':
    if (peekIs('*')) {
      ++cur;
      return make(TokenKind::StarStar);
    }
    return make(TokenKind::Star);
  default:
    break;
  }
  // Take a whole UTF-8 character (lead byte plus continuation bytes) so the
  // user gets one message showing `'λ'`, not one per byte.
  if (static_cast<unsigned char>(c) >= 0xC0) {
    while (!atEnd() && (static_cast<unsigned char>(*cur) & 0xC0) == 0x80 &&
           cur - start < 4)
      ++cur;
  }
  Token tok = make(TokenKind::Error);
  diags.error(tok.loc, "unexpected character '" + printable(tok.text) + "'");
  return tok;
}

/// Moves `cur` past spaces, newlines and `#` comments.
static void skipTrivia(const char *&cur, const char *end) {
  while (cur != end) {
    if (*cur == '#') {
      while (cur != end && *cur != '\n')
        ++cur;
    } else if (llvm::isSpace(*cur)) {
      ++cur;
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  const char *end = buffer.end();
  // Editors on Windows may start a UTF-8 file with a byte-order mark.
  if (cur == buffer.begin() && buffer.starts_with("\xEF\xBB\xBF"))
    cur += 3;
  skipTrivia(cur, end);
  Scan scan{cur, cur, end, diags};
  if (cur == end)
    return scan.make(TokenKind::Eof);
  char c = *cur;
  if (isIdentStart(c))
    return scan.identifier();
  if (llvm::isDigit(c) || (c == '.' && cur + 1 != end && llvm::isDigit(cur[1])))
    return scan.number();
  if (c == '"')
    return scan.string();
  return scan.punctuation();
}

std::vector<Token> Lexer::tokenize() {
  std::vector<Token> tokens;
  do {
    tokens.push_back(next());
  } while (!tokens.back().is(TokenKind::Eof));
  return tokens;
}
