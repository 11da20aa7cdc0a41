//===- AST.cpp - The syntax tree of a .nb file ----------------------------===//
//
// Names of enums, Module queries, and dump(). The dump format is meant for
// people and for FileCheck, so it is stable and carries no locations:
//
//   model Seed(x: f32[2], y: f32)
//     param w: f32[2] = [0.3, 0.7]
//     assign y_pred = call sum(binary * (w, x))
//     return binary ** (binary - (y_pred, y), 2)
//   layer Dense(x: f32[N, I], out: int, act = relu) -> f32[N, out]
//     repeat 4
//       assign h = unary - (h)
//
// One line per function header and per statement, two spaces of indent per
// level (a `repeat` body is one level deeper than the `repeat`). Expressions
// are written prefix-style so the tree's shape is explicit:
//   number      shortest text that reads back as the same double (`0.3`)
//   string      "text" with \" \\ \n \t escaped again
//   name        as written
//   -e          unary - (e)
//   a OP b      binary OP (a, b)
//   f(a, k = v) call f(a, k = v)
//   [a, b]      [a, b]
//
//===----------------------------------------------------------------------===//

#include "nabla/frontend/AST.h"

#include "llvm/ADT/StringSwitch.h"

#include <cstdio>
#include <cstdlib>

using namespace nabla;
using namespace nabla::ast;

llvm::StringRef ast::toString(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I32:
    return "i32";
  case DType::I1:
    return "i1";
  }
  return "?";
}

std::optional<DType> ast::parseDType(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<DType>>(name)
      .Case("f32", DType::F32)
      .Case("f16", DType::F16)
      .Case("bf16", DType::BF16)
      .Case("i32", DType::I32)
      .Case("i1", DType::I1)
      .Default(std::nullopt);
}

const AssignStmt *TrainBlock::lookup(llvm::StringRef name) const {
  for (const auto &s : settings)
    if (s->name == name)
      return s.get();
  return nullptr;
}

llvm::StringRef ast::toString(BinaryExpr::Op op) {
  switch (op) {
  case BinaryExpr::Op::Add:
    return "+";
  case BinaryExpr::Op::Sub:
    return "-";
  case BinaryExpr::Op::Mul:
    return "*";
  case BinaryExpr::Op::Div:
    return "/";
  case BinaryExpr::Op::Pow:
    return "**";
  case BinaryExpr::Op::MatMul:
    return "@";
  case BinaryExpr::Op::Lt:
    return "<";
  case BinaryExpr::Op::Le:
    return "<=";
  case BinaryExpr::Op::Gt:
    return ">";
  case BinaryExpr::Op::Ge:
    return ">=";
  case BinaryExpr::Op::Eq:
    return "==";
  case BinaryExpr::Op::Ne:
    return "!=";
  }
  return "?";
}

const Function *Module::lookup(llvm::StringRef name) const {
  for (const auto &function : functions)
    if (function->name == name)
      return function.get();
  return nullptr;
}

const Import *Module::lookupImport(llvm::StringRef name) const {
  for (const Import &import : imports)
    if (import.name == name)
      return &import;
  return nullptr;
}

std::vector<const Function *> Module::models() const {
  std::vector<const Function *> result;
  for (const auto &function : functions)
    if (function->kind == Function::Kind::Model)
      result.push_back(function.get());
  return result;
}

//===----------------------------------------------------------------------===//
// dump()
//===----------------------------------------------------------------------===//

namespace {
class Dumper {
public:
  explicit Dumper(llvm::raw_ostream &os) : os(os) {}

  void function(const Function &function);
  void import(const Import &import) {
    os << "import ";
    string(import.path);
    os << " as " << import.name << "\n";
  }

private:
  void number(double value);
  void string(llvm::StringRef value);
  void type(const TypeExpr &type);
  void expr(const Expr &expr);
  void exprList(const std::vector<ExprPtr> &exprs);
public:
  void stmt(const Stmt &stmt, unsigned indent);

private:
  void body(const std::vector<StmtPtr> &stmts, unsigned indent);

  llvm::raw_ostream &os;
};
} // namespace

/// The shortest of %.15g and %.17g that reads back as `value`, so `0.3`
/// prints as `0.3` yet no double ever loses digits.
void Dumper::number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.15g", value);
  if (std::strtod(text, nullptr) != value)
    std::snprintf(text, sizeof(text), "%.17g", value);
  os << text;
}

void Dumper::string(llvm::StringRef value) {
  os << '"';
  for (char c : value) {
    switch (c) {
    case '"':
      os << "\\\"";
      break;
    case '\\':
      os << "\\\\";
      break;
    case '\n':
      os << "\\n";
      break;
    case '\t':
      os << "\\t";
      break;
    default:
      os << c;
    }
  }
  os << '"';
}

void Dumper::type(const TypeExpr &type) {
  if (type.kind == TypeExpr::Kind::Int) {
    os << "int";
    return;
  }
  if (type.kind == TypeExpr::Kind::Float) {
    os << "float";
    return;
  }
  os << toString(type.dtype);
  if (type.dims.empty())
    return;
  os << '[';
  for (size_t i = 0; i < type.dims.size(); ++i) {
    if (i)
      os << ", ";
    const Dim &dim = type.dims[i];
    if (dim.isNamed())
      os << dim.name;
    else
      os << dim.size;
  }
  os << ']';
}

void Dumper::exprList(const std::vector<ExprPtr> &exprs) {
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i)
      os << ", ";
    expr(*exprs[i]);
  }
}

void Dumper::expr(const Expr &e) {
  if (auto *num = llvm::dyn_cast<NumberExpr>(&e)) {
    number(num->value);
  } else if (auto *str = llvm::dyn_cast<StringExpr>(&e)) {
    string(str->value);
  } else if (auto *ident = llvm::dyn_cast<IdentExpr>(&e)) {
    os << ident->name;
  } else if (auto *unary = llvm::dyn_cast<UnaryExpr>(&e)) {
    os << "unary - (";
    expr(*unary->operand);
    os << ')';
  } else if (auto *binary = llvm::dyn_cast<BinaryExpr>(&e)) {
    os << "binary " << toString(binary->op) << " (";
    expr(*binary->lhs);
    os << ", ";
    expr(*binary->rhs);
    os << ')';
  } else if (auto *call = llvm::dyn_cast<CallExpr>(&e)) {
    os << "call " << call->callee << '(';
    exprList(call->args);
    for (size_t i = 0; i < call->kwargs.size(); ++i) {
      if (i || !call->args.empty())
        os << ", ";
      os << call->kwargs[i].name << " = ";
      expr(*call->kwargs[i].value);
    }
    os << ')';
  } else if (auto *array = llvm::dyn_cast<ArrayExpr>(&e)) {
    os << '[';
    exprList(array->elements);
    os << ']';
  } else if (auto *index = llvm::dyn_cast<IndexExpr>(&e)) {
    os << "index (";
    expr(*index->base);
    os << ")[";
    for (size_t i = 0; i < index->items.size(); ++i) {
      const IndexItem &item = index->items[i];
      if (i)
        os << ", ";
      if (item.kind == IndexItem::Kind::Ellipsis) {
        os << "...";
      } else if (item.kind == IndexItem::Kind::Index) {
        expr(*item.index);
      } else {
        if (item.start)
          expr(*item.start);
        os << ':';
        if (item.stop)
          expr(*item.stop);
        if (item.step) {
          os << ':';
          expr(*item.step);
        }
      }
    }
    os << ']';
  }
}

void Dumper::stmt(const Stmt &s, unsigned indent) {
  os.indent(indent);
  if (auto *assign = llvm::dyn_cast<AssignStmt>(&s)) {
    os << "assign " << assign->name;
    for (const auto &extra : assign->more)
      os << ", " << extra.second;
    os << " = ";
    expr(*assign->value);
    os << '\n';
  } else if (auto *param = llvm::dyn_cast<ParamStmt>(&s)) {
    os << (param->isState ? "state " : "param ") << param->name << ": ";
    type(param->type);
    os << " = ";
    expr(*param->init);
    os << '\n';
  } else if (auto *repeat = llvm::dyn_cast<RepeatStmt>(&s)) {
    os << "repeat ";
    if (!repeat->index.empty())
      os << repeat->index << " in ";
    expr(*repeat->count);
    os << '\n';
    body(repeat->body, indent + 2);
  } else if (auto *ret = llvm::dyn_cast<ReturnStmt>(&s)) {
    os << "return ";
    exprList(ret->values);
    os << '\n';
  }
}

void Dumper::body(const std::vector<StmtPtr> &stmts, unsigned indent) {
  for (const StmtPtr &s : stmts)
    stmt(*s, indent);
}

void Dumper::function(const Function &function) {
  os << (function.kind == Function::Kind::Model ? "model " : "layer ")
     << function.name << '(';
  for (size_t i = 0; i < function.args.size(); ++i) {
    const Argument &arg = function.args[i];
    if (i)
      os << ", ";
    os << arg.name;
    if (arg.type) {
      os << ": ";
      type(*arg.type);
    }
    if (arg.defaultValue) {
      os << " = ";
      expr(*arg.defaultValue);
    }
  }
  os << ')';
  if (function.resultType) {
    os << " -> ";
    type(*function.resultType);
  }
  os << '\n';
  body(function.body, 2);
}

void ast::dump(const Module &module, llvm::raw_ostream &os) {
  Dumper dumper(os);
  for (const Import &import : module.imports)
    dumper.import(import);
  for (const auto &function : module.functions)
    dumper.function(*function);
  if (module.train) {
    os << "train\n";
    for (const auto &setting : module.train->settings)
      dumper.stmt(*setting, 1);
  }
}
