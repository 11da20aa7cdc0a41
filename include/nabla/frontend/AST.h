//===- AST.h - The syntax tree of a .nb file -------------------*- C++ -*-===//
//
// The parser produces this tree; MLIRGen elaborates it (instantiating layers,
// unrolling `repeat`, inferring shapes) into the nabla dialect. Nodes hold
// llvm::SMLoc positions into the source buffer so every later error can point
// at the user's text. Kinds use LLVM-style RTTI (classof + llvm::dyn_cast).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_FRONTEND_AST_H
#define NABLA_FRONTEND_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nabla::ast {

using llvm::SMLoc;

/// Element types a tensor type may name in source (`f32[2, N]`).
enum class DType { F32, F16, BF16, I32, I1 };
llvm::StringRef toString(DType dtype);
std::optional<DType> parseDType(llvm::StringRef name);

/// One dimension in a type: a literal size (`64`) or a named dim (`N`).
struct Dim {
  SMLoc loc;
  std::string name; // empty for a literal size
  int64_t size = 0; // valid when name is empty
  bool isNamed() const { return !name.empty(); }
};

/// `f32` (a scalar), `f32[N, 64]` (a tensor), `int` or `float` (a
/// compile-time number, used for layer arguments such as `out: int`).
struct TypeExpr {
  enum class Kind { Tensor, Int, Float };
  SMLoc loc;
  Kind kind = Kind::Tensor;
  DType dtype = DType::F32; // for Kind::Tensor
  std::vector<Dim> dims;    // empty: a scalar (rank 0)
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum class Kind { Number, String, Ident, Unary, Binary, Call, Array, Index };
  Expr(Kind kind, SMLoc loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  SMLoc getLoc() const { return loc; }

private:
  Kind kind;
  SMLoc loc;
};
using ExprPtr = std::unique_ptr<Expr>;

/// `3`, `0.5`, `1e-3`. `isInteger` is true when the text had no `.`/exponent.
class NumberExpr : public Expr {
public:
  NumberExpr(SMLoc loc, double value, bool isInteger)
      : Expr(Kind::Number, loc), value(value), isInteger(isInteger) {}
  double value;
  bool isInteger;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }
};

/// `"digits.csv.gz"`
class StringExpr : public Expr {
public:
  StringExpr(SMLoc loc, std::string value)
      : Expr(Kind::String, loc), value(std::move(value)) {}
  std::string value;
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }
};

/// A name: a value, a dim, a layer, a built-in function or an init.
class IdentExpr : public Expr {
public:
  IdentExpr(SMLoc loc, std::string name)
      : Expr(Kind::Ident, loc), name(std::move(name)) {}
  std::string name;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Ident; }
};

/// `-x`
class UnaryExpr : public Expr {
public:
  enum class Op { Neg };
  UnaryExpr(SMLoc loc, Op op, ExprPtr operand)
      : Expr(Kind::Unary, loc), op(op), operand(std::move(operand)) {}
  Op op;
  ExprPtr operand;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unary; }
};

/// `a + b`, `a @ b`, `a ** b`. The location is the operator's.
class BinaryExpr : public Expr {
public:
  enum class Op { Add, Sub, Mul, Div, Pow, MatMul, Lt, Le, Gt, Ge, Eq, Ne };
  BinaryExpr(SMLoc loc, Op op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  Op op;
  ExprPtr lhs, rhs;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
};
llvm::StringRef toString(BinaryExpr::Op op);

/// `name = value` inside a call.
struct KeywordArg {
  SMLoc loc;
  std::string name;
  ExprPtr value;
};

/// `Dense(x, 256, act = identity)`. The location is the callee name's.
class CallExpr : public Expr {
public:
  CallExpr(SMLoc loc, std::string callee)
      : Expr(Kind::Call, loc), callee(std::move(callee)) {}
  std::string callee;
  std::vector<ExprPtr> args;
  std::vector<KeywordArg> kwargs;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
};

/// `[0.3, 0.7]`, `[[1, 2], [3, 4]]`. The location is the `[`.
class ArrayExpr : public Expr {
public:
  explicit ArrayExpr(SMLoc loc) : Expr(Kind::Array, loc) {}
  std::vector<ExprPtr> elements;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Array; }
};

/// One item between the brackets of an index: `i`, `a:b:c` (each part
/// optional: `:`, `a:`, `::2`) or `...`.
struct IndexItem {
  enum class Kind { Index, Slice, Ellipsis };
  Kind kind = Kind::Index;
  SMLoc loc;
  ExprPtr index;             // Index
  ExprPtr start, stop, step; // Slice; null where omitted
};

/// `x[0]`, `h[:, -1]`, `x[..., 1:5:2]`, as numpy and PyTorch. The
/// location is the `[`.
class IndexExpr : public Expr {
public:
  IndexExpr(SMLoc loc, ExprPtr base)
      : Expr(Kind::Index, loc), base(std::move(base)) {}
  ExprPtr base;
  std::vector<IndexItem> items;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Index; }
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

class Stmt {
public:
  enum class Kind { Assign, Param, Repeat, Return };
  Stmt(Kind kind, SMLoc loc) : kind(kind), loc(loc) {}
  virtual ~Stmt() = default;
  Kind getKind() const { return kind; }
  SMLoc getLoc() const { return loc; }

private:
  Kind kind;
  SMLoc loc;
};
using StmtPtr = std::unique_ptr<Stmt>;

/// `h = relu(x @ w)`, or `a, b = split(x, 2)` (one name per piece). The
/// location is the first name's.
class AssignStmt : public Stmt {
public:
  AssignStmt(SMLoc loc, std::string name, ExprPtr value)
      : Stmt(Kind::Assign, loc), name(std::move(name)), value(std::move(value)) {}
  std::string name;
  /// The names after the first, with their locations.
  std::vector<std::pair<SMLoc, std::string>> more;
  ExprPtr value;
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Assign; }
};

/// `param w: f32[I, out] = he`, or `state mean: f32[C] = zeros` (a value
/// the model keeps between steps but does not train, such as batch norm's
/// running statistics). The location is the keyword's; `nameLoc` is the
/// name's.
class ParamStmt : public Stmt {
public:
  ParamStmt(SMLoc loc) : Stmt(Kind::Param, loc) {}
  bool isState = false;
  SMLoc nameLoc;
  std::string name;
  TypeExpr type;
  ExprPtr init;
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Param; }
};

/// `repeat 4 { ... }`, or `repeat t in T { ... }` with the iteration
/// (0 to T - 1) bound to `t` inside.
class RepeatStmt : public Stmt {
public:
  RepeatStmt(SMLoc loc) : Stmt(Kind::Repeat, loc) {}
  std::string index; // empty without `NAME in`
  SMLoc indexLoc;
  ExprPtr count;
  std::vector<StmtPtr> body;
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Repeat; }
};

/// `return loss, logits`
class ReturnStmt : public Stmt {
public:
  ReturnStmt(SMLoc loc) : Stmt(Kind::Return, loc) {}
  std::vector<ExprPtr> values;
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Return; }
};

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

/// A parameter of a model or layer: `x: f32[N, I]`, `out: int`,
/// `act = relu`. Models' parameters are the model's inputs.
struct Argument {
  SMLoc loc;
  std::string name;
  std::optional<TypeExpr> type;
  ExprPtr defaultValue; // may be null
};

/// `model M(...) { ... }` or `layer L(...) -> T { ... }`.
struct Function {
  enum class Kind { Model, Layer };
  Kind kind = Kind::Model;
  SMLoc loc;     // the keyword
  SMLoc nameLoc; // the name
  std::string name;
  std::vector<Argument> args;
  std::optional<TypeExpr> resultType; // layers only, optional
  std::vector<StmtPtr> body;
  SMLoc endLoc; // the closing `}`
};

/// `train { data = "digits.csv.gz" epochs = 20 ... }`: the training set-up
/// a model file carries (see docs/language.md). Each setting is `NAME = e`.
struct TrainBlock {
  SMLoc loc;
  std::vector<std::unique_ptr<AssignStmt>> settings;
  /// The setting called `name`, or null.
  const AssignStmt *lookup(llvm::StringRef name) const;
};

/// `import "net.onnx" as Net`: a model in another format (ONNX), called
/// as a layer (`logits = Net(x)`). Each call imports it for the shapes of
/// its arguments (see MLIRGen.h, registerLayerImporter).
struct Import {
  SMLoc loc;     // the keyword
  SMLoc pathLoc; // the file's string
  std::string path;
  SMLoc nameLoc;
  std::string name;
};

/// A whole .nb file.
struct Module {
  std::vector<Import> imports;
  std::vector<std::unique_ptr<Function>> functions;
  std::unique_ptr<TrainBlock> train; // null when the file has none
  /// The function named `name`, or null.
  const Function *lookup(llvm::StringRef name) const;
  /// The import named `name`, or null.
  const Import *lookupImport(llvm::StringRef name) const;
  /// The models in source order.
  std::vector<const Function *> models() const;
};

/// Prints the tree in an indented, stable form (`nablac --emit=ast`).
void dump(const Module &module, llvm::raw_ostream &os);

} // namespace nabla::ast

#endif // NABLA_FRONTEND_AST_H
