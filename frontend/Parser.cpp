//===- Parser.cpp - Recursive-descent parser for .nb files ----------------===//
//
//   file      := function*
//   function  := ('model' | 'layer') IDENT '(' [argument (',' argument)*] ')'
//                ['->' type] block                  (`->` only on layers)
//   argument  := IDENT [':' type] ['=' expr]
//   type      := IDENT ['[' dim (',' dim)* ']']     (f32 f16 bf16 i32 i1;
//                                                    int and float: no dims)
//   dim       := IDENT | INTEGER
//   block     := '{' stmt* '}'
//   stmt      := 'param' IDENT ':' type '=' expr
//              | 'repeat' expr block
//              | 'return' expr (',' expr)*
//              | IDENT '=' expr
//   expr      := mul (('+' | '-') mul)*
//   mul       := matmul (('*' | '/') matmul)*
//   matmul    := unary ('@' unary)*
//   unary     := '-' unary | power
//   power     := primary ['**' unary]               (right-associative)
//   primary   := NUMBER | STRING | IDENT | IDENT '(' callargs ')'
//              | '(' expr ')' | '[' [expr (',' expr)* [',']] ']'
//   callargs  := [expr (',' expr)*] then [IDENT '=' expr (',' ...)*]
//
// Newlines are whitespace. Error handling: the first error inside a function
// abandons that function (no cascades of follow-on errors); the parser then
// skips to the next `model` or `layer` keyword, so independent mistakes in
// different functions are all reported in one run. Recursion and tree height
// are bounded so that no input, however deep, can overflow the stack here or
// in the passes that walk the tree later.
//
//===----------------------------------------------------------------------===//

#include "nabla/frontend/Parser.h"
#include "nabla/frontend/Lexer.h"

#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <cmath>

using namespace nabla;
using namespace nabla::ast;

namespace {

/// Deeper than any real model; small enough that recursive walks stay far
/// from the end of the stack.
constexpr unsigned kMaxNesting = 256;
constexpr unsigned kMaxTreeHeight = 1000;

/// Counts how deep the recursive descent currently is.
struct NestingScope {
  explicit NestingScope(unsigned &depth) : depth(depth) { ++depth; }
  ~NestingScope() { --depth; }
  unsigned &depth;
};

class Parser {
public:
  Parser(llvm::StringRef buffer, DiagnosticEngine &diags)
      : lexer(buffer, diags), diags(diags) {
    tok = lexer.next();
  }

  std::unique_ptr<Module> parseFile();

private:
  // Tokens.
  void consume();
  const Token &peek();
  bool consumeIf(TokenKind kind);

  // Errors.
  std::string found() const;
  bool expected(const llvm::Twine &what);
  bool recoverToNextFunction();
  bool growTree(llvm::SMLoc loc, unsigned childHeight);

  // Top level.
  std::unique_ptr<Function> parseFunction();
  bool parseTrainBlock(Module &module);
  bool parseImport(Module &module);
  bool parseArguments(Function &function);
  bool parseType(TypeExpr &type);
  bool parseDim(Dim &dim);

  // Statements.
  bool parseBlock(std::vector<StmtPtr> &body, llvm::SMLoc &endLoc);
  StmtPtr parseStmt();
  StmtPtr parseParam();
  StmtPtr parseRepeat();
  StmtPtr parseReturn();
  StmtPtr parseAssign();

  // Expressions. Each sets `height` to the height of the tree it returns.
  ExprPtr parseExpr();
  ExprPtr parseBinary(unsigned level);
  ExprPtr parseUnary();
  ExprPtr parsePower();
  ExprPtr parsePrimary();
  ExprPtr parsePostfix();
  bool parseIndexItem(IndexExpr &index);
  ExprPtr parseNumber();
  ExprPtr parseParens();
  ExprPtr parseCall(llvm::SMLoc loc, std::string callee);
  ExprPtr parseArray();

  Lexer lexer;
  DiagnosticEngine &diags;
  Token tok;
  Token peeked;
  bool hasPeeked = false;
  unsigned blockNesting = 0;
  unsigned exprNesting = 0;
  unsigned height = 0;
};

} // namespace

//===----------------------------------------------------------------------===//
// Tokens and errors
//===----------------------------------------------------------------------===//

void Parser::consume() {
  if (tok.is(TokenKind::Eof))
    return;
  if (hasPeeked) {
    tok = std::move(peeked);
    hasPeeked = false;
    return;
  }
  tok = lexer.next();
}

const Token &Parser::peek() {
  if (!hasPeeked) {
    peeked = lexer.next();
    hasPeeked = true;
  }
  return peeked;
}

bool Parser::consumeIf(TokenKind kind) {
  if (!tok.is(kind))
    return false;
  consume();
  return true;
}

/// The current token as the user wrote it, for "found ..." in messages.
std::string Parser::found() const {
  switch (tok.kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::String:
    return "string " + tok.text.str();
  default:
    return ("'" + tok.text + "'").str();
  }
}

/// Reports "<what>, found <current token>" at the current token and returns
/// false. An Error token was already reported by the lexer: say nothing more.
bool Parser::expected(const llvm::Twine &what) {
  if (!tok.is(TokenKind::Error))
    diags.error(tok.loc, what + ", found " + found());
  return false;
}

/// After an error, skips to the next `model` or `layer`. Returns false to
/// stop parsing altogether when the skipped text holds a lexer error: text
/// that does not even lex (say, a binary file) would otherwise produce one
/// message per stray byte.
bool Parser::recoverToNextFunction() {
  while (!tok.is(TokenKind::Eof) && !tok.is(TokenKind::KwModel) &&
         !tok.is(TokenKind::KwLayer)) {
    consume();
    if (tok.is(TokenKind::Error))
      return false;
  }
  return true;
}

/// Records that a node was built over children of height `childHeight`.
bool Parser::growTree(llvm::SMLoc loc, unsigned childHeight) {
  height = childHeight + 1;
  if (height <= kMaxTreeHeight)
    return true;
  diags.error(loc, "expression is nested too deeply (more than " +
                       llvm::Twine(kMaxTreeHeight) + " levels)");
  return false;
}

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

std::unique_ptr<Module> Parser::parseFile() {
  auto module = std::make_unique<Module>();
  llvm::StringMap<llvm::SMLoc> defined;
  while (!tok.is(TokenKind::Eof)) {
    // `train { ... }`: `train` is a keyword only here, so it stays usable
    // as a name elsewhere.
    if (tok.is(TokenKind::Ident) && tok.text == "train" &&
        peek().is(TokenKind::LBrace)) {
      if (!parseTrainBlock(*module) && !recoverToNextFunction())
        break;
      continue;
    }
    // `import "net.onnx" as Net`, `import` a keyword only here too.
    if (tok.is(TokenKind::Ident) && tok.text == "import" &&
        peek().is(TokenKind::String)) {
      if (!parseImport(*module)) {
        if (!recoverToNextFunction())
          break;
        continue;
      }
      const Import &import = module->imports.back();
      auto [it, inserted] = defined.try_emplace(import.name, import.nameLoc);
      if (!inserted) {
        diags.error(import.nameLoc,
                    "duplicate definition of '" + import.name + "'");
        diags.note(it->second, "previous definition is here");
      }
      continue;
    }
    if (!tok.is(TokenKind::KwModel) && !tok.is(TokenKind::KwLayer)) {
      expected("expected 'model', 'layer', 'import' or 'train'");
      if (!recoverToNextFunction())
        break;
      continue;
    }
    std::unique_ptr<Function> function = parseFunction();
    if (!function) {
      if (!recoverToNextFunction())
        break;
      continue;
    }
    auto [it, inserted] = defined.try_emplace(function->name, function->nameLoc);
    if (!inserted) {
      diags.error(function->nameLoc,
                  "duplicate definition of '" + function->name + "'");
      diags.note(it->second, "previous definition is here");
      continue;
    }
    module->functions.push_back(std::move(function));
  }
  return module;
}

/// `import "FILE" as NAME`
bool Parser::parseImport(Module &module) {
  Import import;
  import.loc = tok.loc;
  consume(); // import
  import.pathLoc = tok.loc;
  import.path = tok.stringValue;
  consume(); // the file
  if (!(tok.is(TokenKind::Ident) && tok.text == "as"))
    return expected("expected 'as NAME' after the imported file");
  consume();
  if (!tok.is(TokenKind::Ident))
    return expected("expected the name the import is called by");
  import.nameLoc = tok.loc;
  import.name = tok.text.str();
  consume();
  module.imports.push_back(std::move(import));
  return true;
}

bool Parser::parseTrainBlock(Module &module) {
  llvm::SMLoc loc = tok.loc;
  consume(); // train
  std::vector<StmtPtr> body;
  llvm::SMLoc endLoc;
  if (!parseBlock(body, endLoc))
    return false;
  if (module.train) {
    diags.error(loc, "duplicate train block");
    diags.note(module.train->loc, "previous train block is here");
    return false;
  }
  auto block = std::make_unique<TrainBlock>();
  block->loc = loc;
  for (StmtPtr &stmt : body) {
    if (!llvm::isa<AssignStmt>(stmt.get())) {
      diags.error(stmt->getLoc(),
                  "a train block holds only settings (NAME = value)");
      return false;
    }
    if (!llvm::cast<AssignStmt>(stmt.get())->more.empty()) {
      diags.error(stmt->getLoc(), "a train setting has one name");
      return false;
    }
    auto *assign = llvm::cast<AssignStmt>(stmt.release());
    if (const AssignStmt *previous = block->lookup(assign->name)) {
      diags.error(assign->getLoc(), "duplicate setting '" + assign->name + "'");
      diags.note(previous->getLoc(), "previous value is here");
      delete assign;
      return false;
    }
    block->settings.emplace_back(assign);
  }
  module.train = std::move(block);
  return true;
}

std::unique_ptr<Function> Parser::parseFunction() {
  auto function = std::make_unique<Function>();
  function->kind = tok.is(TokenKind::KwModel) ? Function::Kind::Model
                                              : Function::Kind::Layer;
  function->loc = tok.loc;
  llvm::StringRef keyword = tok.text;
  consume();

  if (!tok.is(TokenKind::Ident)) {
    expected("expected a name after '" + keyword + "'");
    return nullptr;
  }
  function->name = tok.text.str();
  function->nameLoc = tok.loc;
  consume();

  if (!tok.is(TokenKind::LParen)) {
    expected("expected '(' after '" + function->name + "'");
    return nullptr;
  }
  consume();
  if (!parseArguments(*function))
    return nullptr;

  if (tok.is(TokenKind::Arrow)) {
    // A model's results are whatever it returns (the loss first); only a
    // layer, which is called like a function, declares its result type.
    if (function->kind == Function::Kind::Model) {
      diags.error(tok.loc, "a model cannot declare a result type; only a "
                           "layer can have '-> type'");
      return nullptr;
    }
    consume();
    function->resultType.emplace();
    if (!parseType(*function->resultType))
      return nullptr;
  }

  if (!tok.is(TokenKind::LBrace)) {
    expected("expected '{' to begin the body of '" + function->name + "'");
    return nullptr;
  }
  if (!parseBlock(function->body, function->endLoc))
    return nullptr;
  return function;
}

bool Parser::parseArguments(Function &function) {
  if (consumeIf(TokenKind::RParen))
    return true;
  llvm::StringMap<llvm::SMLoc> seen;
  while (true) {
    if (!tok.is(TokenKind::Ident))
      return expected("expected an argument name");
    Argument arg;
    arg.loc = tok.loc;
    arg.name = tok.text.str();
    consume();
    if (consumeIf(TokenKind::Colon)) {
      arg.type.emplace();
      if (!parseType(*arg.type))
        return false;
    }
    if (consumeIf(TokenKind::Equal)) {
      arg.defaultValue = parseExpr();
      if (!arg.defaultValue)
        return false;
    }
    auto [it, inserted] = seen.try_emplace(arg.name, arg.loc);
    if (!inserted) {
      diags.error(arg.loc, "duplicate argument '" + arg.name + "'");
      diags.note(it->second, "previous definition is here");
      return false;
    }
    function.args.push_back(std::move(arg));

    if (consumeIf(TokenKind::Comma))
      continue;
    if (consumeIf(TokenKind::RParen))
      return true;
    return expected("expected ')' after arguments");
  }
}

bool Parser::parseType(TypeExpr &type) {
  if (!tok.is(TokenKind::Ident))
    return expected("expected a type (such as f32[N, 64] or int)");
  type.loc = tok.loc;
  llvm::StringRef name = tok.text;
  if (name == "int" || name == "float") {
    type.kind = name == "int" ? TypeExpr::Kind::Int : TypeExpr::Kind::Float;
    consume();
    if (tok.is(TokenKind::LBracket)) {
      diags.error(tok.loc, "'" + name +
                               "' is a single compile-time number and takes "
                               "no dimensions");
      return false;
    }
    return true;
  }
  std::optional<DType> dtype = parseDType(name);
  if (!dtype) {
    diags.error(type.loc, "unknown type '" + name +
                              "'; expected one of f32, f16, bf16, i32, i1, "
                              "int, float");
    return false;
  }
  type.kind = TypeExpr::Kind::Tensor;
  type.dtype = *dtype;
  consume();
  if (!consumeIf(TokenKind::LBracket))
    return true; // a scalar
  do {
    type.dims.emplace_back();
    if (!parseDim(type.dims.back()))
      return false;
  } while (consumeIf(TokenKind::Comma));
  if (!consumeIf(TokenKind::RBracket))
    return expected("expected ']' after the dimensions of '" + name + "'");
  return true;
}

bool Parser::parseDim(Dim &dim) {
  dim.loc = tok.loc;
  if (tok.is(TokenKind::Ident)) {
    dim.name = tok.text.str();
    consume();
    return true;
  }
  auto bad = [&](const llvm::Twine &text) {
    diags.error(dim.loc, "bad dimension '" + text +
                             "'; expected a name or a non-negative integer");
    return false;
  };
  if (tok.is(TokenKind::Minus) && peek().is(TokenKind::Number))
    return bad("-" + peek().text);
  if (!tok.is(TokenKind::Number))
    return expected("expected a dimension (a name or a size)");
  // getAsInteger also rejects sizes that do not fit in 64 bits.
  if (tok.text.getAsInteger(10, dim.size) || dim.size < 0)
    return bad(tok.text);
  consume();
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool Parser::parseBlock(std::vector<StmtPtr> &body, llvm::SMLoc &endLoc) {
  NestingScope scope(blockNesting);
  llvm::SMLoc open = tok.loc;
  if (blockNesting > kMaxNesting) {
    diags.error(open, "blocks are nested too deeply (more than " +
                          llvm::Twine(kMaxNesting) + " levels)");
    return false;
  }
  consume(); // '{'
  while (!tok.is(TokenKind::RBrace)) {
    if (tok.is(TokenKind::Eof)) {
      diags.error(open, "unterminated block: expected '}'");
      return false;
    }
    // A function keyword here almost always means a `}` was forgotten.
    if (tok.is(TokenKind::KwModel) || tok.is(TokenKind::KwLayer)) {
      expected("expected '}' to close the block");
      diags.note(open, "the block starts here");
      return false;
    }
    StmtPtr stmt = parseStmt();
    if (!stmt)
      return false;
    body.push_back(std::move(stmt));
  }
  endLoc = tok.loc;
  consume(); // '}'
  return true;
}

StmtPtr Parser::parseStmt() {
  switch (tok.kind) {
  case TokenKind::KwParam:
  case TokenKind::KwState:
    return parseParam();
  case TokenKind::KwRepeat:
    return parseRepeat();
  case TokenKind::KwReturn:
    return parseReturn();
  case TokenKind::Ident:
    return parseAssign();
  default:
    expected("expected a statement (param, state, repeat, return or NAME "
             "= ...)");
    return nullptr;
  }
}

StmtPtr Parser::parseParam() {
  auto param = std::make_unique<ParamStmt>(tok.loc);
  param->isState = tok.is(TokenKind::KwState);
  consume(); // 'param' or 'state'
  if (!tok.is(TokenKind::Ident)) {
    expected(param->isState ? "expected a name after 'state'"
                            : "expected a parameter name after 'param'");
    return nullptr;
  }
  param->name = tok.text.str();
  param->nameLoc = tok.loc;
  consume();
  if (!consumeIf(TokenKind::Colon)) {
    expected("expected ':' and a type after '" + param->name + "'");
    return nullptr;
  }
  if (!parseType(param->type))
    return nullptr;
  if (!consumeIf(TokenKind::Equal)) {
    expected("expected '=' and an initializer after the type of '" +
             param->name + "'");
    return nullptr;
  }
  param->init = parseExpr();
  if (!param->init)
    return nullptr;
  return param;
}

StmtPtr Parser::parseRepeat() {
  auto repeat = std::make_unique<RepeatStmt>(tok.loc);
  consume(); // 'repeat'
  // `repeat t in T`: `in` is a keyword only here.
  if (tok.is(TokenKind::Ident) && peek().is(TokenKind::Ident) &&
      peek().text == "in") {
    repeat->index = tok.text.str();
    repeat->indexLoc = tok.loc;
    consume(); // the name
    consume(); // 'in'
  }
  repeat->count = parseExpr();
  if (!repeat->count)
    return nullptr;
  if (!tok.is(TokenKind::LBrace)) {
    expected("expected '{' after the repeat count");
    return nullptr;
  }
  llvm::SMLoc endLoc;
  if (!parseBlock(repeat->body, endLoc))
    return nullptr;
  return repeat;
}

StmtPtr Parser::parseReturn() {
  auto ret = std::make_unique<ReturnStmt>(tok.loc);
  consume(); // 'return'
  do {
    ExprPtr value = parseExpr();
    if (!value)
      return nullptr;
    ret->values.push_back(std::move(value));
  } while (consumeIf(TokenKind::Comma));
  return ret;
}

StmtPtr Parser::parseAssign() {
  llvm::SMLoc loc = tok.loc;
  std::string name = tok.text.str();
  consume();
  // `a, b, c = split(...)`: one name per value.
  std::vector<std::pair<llvm::SMLoc, std::string>> more;
  while (consumeIf(TokenKind::Comma)) {
    if (!tok.is(TokenKind::Ident)) {
      expected("expected a name after ','");
      return nullptr;
    }
    more.emplace_back(tok.loc, tok.text.str());
    consume();
  }
  if (!consumeIf(TokenKind::Equal)) {
    expected("expected '=' after '" +
             (more.empty() ? name : more.back().second) + "'");
    return nullptr;
  }
  ExprPtr value = parseExpr();
  if (!value)
    return nullptr;
  auto assign =
      std::make_unique<AssignStmt>(loc, std::move(name), std::move(value));
  assign->more = std::move(more);
  return assign;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// The comparison `kind` denotes, if any.
static std::optional<BinaryExpr::Op> comparisonOp(TokenKind kind) {
  using Op = BinaryExpr::Op;
  switch (kind) {
  case TokenKind::Less:
    return Op::Lt;
  case TokenKind::LessEqual:
    return Op::Le;
  case TokenKind::Greater:
    return Op::Gt;
  case TokenKind::GreaterEqual:
    return Op::Ge;
  case TokenKind::EqualEqual:
    return Op::Eq;
  case TokenKind::NotEqual:
    return Op::Ne;
  default:
    return std::nullopt;
  }
}

/// An expression: sums, or one comparison of two sums (`a < b`, looser
/// than every arithmetic operator). Comparisons do not chain: Python's
/// `a < b < c` means `a < b and b < c`, C's `(a < b) < c`.
ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseBinary(0);
  if (!lhs)
    return nullptr;
  std::optional<BinaryExpr::Op> op = comparisonOp(tok.kind);
  if (!op)
    return lhs;
  llvm::SMLoc loc = tok.loc;
  unsigned lhsHeight = height;
  consume();
  ExprPtr rhs = parseBinary(0);
  if (!rhs || !growTree(loc, std::max(lhsHeight, height)))
    return nullptr;
  if (comparisonOp(tok.kind)) {
    diags.error(tok.loc, "comparisons do not chain; use parentheses");
    return nullptr;
  }
  return std::make_unique<BinaryExpr>(loc, *op, std::move(lhs), std::move(rhs));
}

/// The operator `kind` denotes at binary precedence `level` (0: + -,
/// 1: * /, 2: @), if any.
static std::optional<BinaryExpr::Op> binaryOp(TokenKind kind, unsigned level) {
  using Op = BinaryExpr::Op;
  switch (kind) {
  case TokenKind::Plus:
    return level == 0 ? std::optional(Op::Add) : std::nullopt;
  case TokenKind::Minus:
    return level == 0 ? std::optional(Op::Sub) : std::nullopt;
  case TokenKind::Star:
    return level == 1 ? std::optional(Op::Mul) : std::nullopt;
  case TokenKind::Slash:
    return level == 1 ? std::optional(Op::Div) : std::nullopt;
  case TokenKind::At:
    return level == 2 ? std::optional(Op::MatMul) : std::nullopt;
  default:
    return std::nullopt;
  }
}

/// One left-associative precedence level; level 2 (`@`) sits on unary.
ExprPtr Parser::parseBinary(unsigned level) {
  auto operand = [&] { return level == 2 ? parseUnary() : parseBinary(level + 1); };
  ExprPtr lhs = operand();
  if (!lhs)
    return nullptr;
  while (std::optional<BinaryExpr::Op> op = binaryOp(tok.kind, level)) {
    llvm::SMLoc loc = tok.loc;
    unsigned lhsHeight = height;
    consume();
    ExprPtr rhs = operand();
    if (!rhs || !growTree(loc, std::max(lhsHeight, height)))
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(loc, *op, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

/// Every recursive path through expressions passes here, so this is where
/// nesting is bounded.
ExprPtr Parser::parseUnary() {
  NestingScope scope(exprNesting);
  if (exprNesting > kMaxNesting) {
    diags.error(tok.loc, "expression is nested too deeply (more than " +
                             llvm::Twine(kMaxNesting) + " levels)");
    return nullptr;
  }
  if (!tok.is(TokenKind::Minus))
    return parsePower();
  llvm::SMLoc loc = tok.loc;
  consume();
  ExprPtr operand = parseUnary();
  if (!operand || !growTree(loc, height))
    return nullptr;
  return std::make_unique<UnaryExpr>(loc, UnaryExpr::Op::Neg,
                                     std::move(operand));
}

/// `a ** b`, binding tighter than unary minus on its left (`-x ** 2` is
/// `-(x ** 2)`) and taking a unary on its right (`x ** -1`), as in Python.
/// Recursing through parseUnary makes it right-associative.
ExprPtr Parser::parsePower() {
  ExprPtr base = parsePostfix();
  if (!base || !tok.is(TokenKind::StarStar))
    return base;
  llvm::SMLoc loc = tok.loc;
  unsigned baseHeight = height;
  consume();
  ExprPtr exponent = parseUnary();
  if (!exponent || !growTree(loc, std::max(baseHeight, height)))
    return nullptr;
  return std::make_unique<BinaryExpr>(loc, BinaryExpr::Op::Pow,
                                      std::move(base), std::move(exponent));
}

/// A primary followed by any number of indexes: `x[0]`, `h[:, -1][1:]`.
/// (A `[` after an expression cannot start an array literal: no
/// statement or argument starts with one there.)
ExprPtr Parser::parsePostfix() {
  ExprPtr base = parsePrimary();
  while (base && tok.is(TokenKind::LBracket)) {
    llvm::SMLoc open = tok.loc;
    unsigned baseHeight = height;
    consume(); // '['
    auto index = std::make_unique<IndexExpr>(open, std::move(base));
    unsigned itemsHeight = baseHeight;
    do {
      if (tok.is(TokenKind::RBracket) && !index->items.empty())
        break; // a trailing comma
      if (!parseIndexItem(*index))
        return nullptr;
      itemsHeight = std::max(itemsHeight, height);
    } while (consumeIf(TokenKind::Comma));
    if (!consumeIf(TokenKind::RBracket)) {
      if (!tok.is(TokenKind::Error)) {
        expected("expected ',' or ']' in an index");
        diags.note(open, "to match this '['");
      }
      return nullptr;
    }
    if (!growTree(open, itemsHeight))
      return nullptr;
    base = std::move(index);
  }
  return base;
}

/// `i`, `a:b`, `a:b:c` with any part left out, or `...`.
bool Parser::parseIndexItem(IndexExpr &index) {
  IndexItem item;
  item.loc = tok.loc;
  height = 1;
  if (consumeIf(TokenKind::Ellipsis)) {
    item.kind = IndexItem::Kind::Ellipsis;
    index.items.push_back(std::move(item));
    return true;
  }
  auto endsPart = [&] {
    return tok.is(TokenKind::Colon) || tok.is(TokenKind::Comma) ||
           tok.is(TokenKind::RBracket);
  };
  unsigned partsHeight = 1;
  auto part = [&](ExprPtr &into) {
    if (endsPart())
      return true;
    into = parseExpr();
    partsHeight = std::max(partsHeight, height);
    return into != nullptr;
  };
  if (!part(item.start))
    return false;
  if (!consumeIf(TokenKind::Colon)) {
    if (!item.start) {
      expected("expected an index, a slice or '...'");
      return false;
    }
    item.index = std::move(item.start);
    index.items.push_back(std::move(item));
    return true;
  }
  item.kind = IndexItem::Kind::Slice;
  if (!part(item.stop))
    return false;
  if (consumeIf(TokenKind::Colon) && !part(item.step))
    return false;
  height = partsHeight;
  index.items.push_back(std::move(item));
  return true;
}

ExprPtr Parser::parsePrimary() {
  switch (tok.kind) {
  case TokenKind::Number:
    return parseNumber();
  case TokenKind::String: {
    auto str = std::make_unique<StringExpr>(tok.loc, tok.stringValue);
    height = 1;
    consume();
    return str;
  }
  case TokenKind::Ident: {
    llvm::SMLoc loc = tok.loc;
    std::string name = tok.text.str();
    consume();
    if (tok.is(TokenKind::LParen))
      return parseCall(loc, std::move(name));
    height = 1;
    return std::make_unique<IdentExpr>(loc, std::move(name));
  }
  case TokenKind::LParen:
    return parseParens();
  case TokenKind::LBracket:
    return parseArray();
  default:
    expected("expected an expression");
    return nullptr;
  }
}

ExprPtr Parser::parseNumber() {
  double value = 0;
  // The lexer has checked the form; what can still fail is the range.
  if (tok.text.getAsDouble(value) || !std::isfinite(value)) {
    diags.error(tok.loc, "number literal '" + tok.text + "' is out of range");
    return nullptr;
  }
  bool isInteger = tok.text.find_first_of(".eE") == llvm::StringRef::npos;
  auto number = std::make_unique<NumberExpr>(tok.loc, value, isInteger);
  height = 1;
  consume();
  return number;
}

ExprPtr Parser::parseParens() {
  llvm::SMLoc open = tok.loc;
  consume(); // '('
  ExprPtr inner = parseExpr();
  if (!inner)
    return nullptr;
  if (!consumeIf(TokenKind::RParen)) {
    if (!tok.is(TokenKind::Error)) {
      expected("expected ')'");
      diags.note(open, "to match this '('");
    }
    return nullptr;
  }
  return inner; // parentheses add no node, so `height` stays the inner one
}

ExprPtr Parser::parseCall(llvm::SMLoc loc, std::string callee) {
  auto call = std::make_unique<CallExpr>(loc, std::move(callee));
  consume(); // '('
  unsigned argsHeight = 0;
  if (!tok.is(TokenKind::RParen)) {
    do {
      llvm::SMLoc argLoc = tok.loc;
      if (tok.is(TokenKind::Ident) && peek().is(TokenKind::Equal)) {
        KeywordArg kwarg{argLoc, tok.text.str(), nullptr};
        consume(); // the name
        consume(); // '='
        for (const KeywordArg &previous : call->kwargs) {
          if (previous.name != kwarg.name)
            continue;
          diags.error(argLoc, "duplicate keyword argument '" + kwarg.name + "'");
          diags.note(previous.loc, "previous value is here");
          return nullptr;
        }
        kwarg.value = parseExpr();
        if (!kwarg.value)
          return nullptr;
        call->kwargs.push_back(std::move(kwarg));
      } else {
        ExprPtr arg = parseExpr();
        if (!arg)
          return nullptr;
        if (!call->kwargs.empty()) {
          diags.error(argLoc, "positional argument after keyword argument");
          return nullptr;
        }
        call->args.push_back(std::move(arg));
      }
      argsHeight = std::max(argsHeight, height);
    } while (consumeIf(TokenKind::Comma));
  }
  if (!consumeIf(TokenKind::RParen)) {
    expected("expected ')' after the arguments of '" + call->callee + "'");
    return nullptr;
  }
  if (!growTree(loc, argsHeight))
    return nullptr;
  return call;
}

ExprPtr Parser::parseArray() {
  auto array = std::make_unique<ArrayExpr>(tok.loc);
  consume(); // '['
  unsigned elementsHeight = 0;
  while (!tok.is(TokenKind::RBracket)) {
    ExprPtr element = parseExpr();
    if (!element)
      return nullptr;
    elementsHeight = std::max(elementsHeight, height);
    array->elements.push_back(std::move(element));
    if (!consumeIf(TokenKind::Comma))
      break; // a trailing comma before `]` is fine
  }
  if (!consumeIf(TokenKind::RBracket)) {
    expected("expected ',' or ']' after an array element");
    return nullptr;
  }
  if (!growTree(array->getLoc(), elementsHeight))
    return nullptr;
  return array;
}

std::unique_ptr<Module> nabla::parseModule(DiagnosticEngine &diags) {
  llvm::SourceMgr &sourceMgr = diags.getSourceMgr();
  if (sourceMgr.getNumBuffers() == 0) {
    diags.error("no source to parse");
    return nullptr;
  }
  return parseModule(diags, sourceMgr.getMainFileID());
}

std::unique_ptr<Module> nabla::parseModule(DiagnosticEngine &diags,
                                           unsigned bufferId) {
  llvm::StringRef buffer =
      diags.getSourceMgr().getMemoryBuffer(bufferId)->getBuffer();
  unsigned errorsBefore = diags.getNumErrors();
  Parser parser(buffer, diags);
  std::unique_ptr<Module> module = parser.parseFile();
  if (diags.getNumErrors() != errorsBefore)
    return nullptr;
  return module;
}
