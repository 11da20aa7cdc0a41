//===- ParserTest.cpp - The .nb parser and its error messages -------------===//
//
// DESIGN.md's examples parse into the expected trees; precedence and
// associativity match Python's; every parser error has its exact
// `file:line:col: error:` text checked; and no input, however broken, makes
// the parser crash or return null without saying why.
//
//===----------------------------------------------------------------------===//

#include "nabla/frontend/AST.h"
#include "nabla/frontend/Diagnostics.h"
#include "nabla/frontend/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <random>

using namespace nabla;
using namespace nabla::ast;

namespace {

/// Parses `source` as the file "test.nb" and keeps what was reported. The
/// SourceMgr lives as long as the tree, so its locations stay valid.
struct Parsed {
  explicit Parsed(llvm::StringRef source) : os(output), diags(sourceMgr, os) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, "test.nb"), llvm::SMLoc());
    module = parseModule(diags);
  }

  std::string diagnostics() {
    os.flush();
    return output;
  }

  std::string dump() const {
    std::string text;
    llvm::raw_string_ostream out(text);
    ast::dump(*module, out);
    return text;
  }

  std::pair<unsigned, unsigned> lineCol(llvm::SMLoc loc) const {
    return diags.getLineAndColumn(loc);
  }

  llvm::SourceMgr sourceMgr;
  std::string output;
  llvm::raw_string_ostream os;
  DiagnosticEngine diags;
  std::unique_ptr<Module> module;
};

using LineCol = std::pair<unsigned, unsigned>;

/// SourceMgr's format: the message, the source line, a caret under `col`.
std::string diag(llvm::StringRef kind, unsigned line, unsigned col,
                 llvm::StringRef message, llvm::StringRef sourceLine) {
  return "test.nb:" + std::to_string(line) + ":" + std::to_string(col) + ": " +
         kind.str() + ": " + message.str() + "\n" + sourceLine.str() + "\n" +
         std::string(col - 1, ' ') + "^\n";
}
std::string errorAt(unsigned line, unsigned col, llvm::StringRef message,
                    llvm::StringRef sourceLine) {
  return diag("error", line, col, message, sourceLine);
}
std::string noteAt(unsigned line, unsigned col, llvm::StringRef message,
                   llvm::StringRef sourceLine) {
  return diag("note", line, col, message, sourceLine);
}

/// Parses a one-line model whose body is `stmt`, and returns the error output
/// after checking that exactly one error was reported and no tree returned.
std::string oneError(llvm::StringRef source) {
  Parsed parsed(source);
  EXPECT_EQ(parsed.module, nullptr) << source.str();
  EXPECT_EQ(parsed.diags.getNumErrors(), 1u) << parsed.diagnostics();
  return parsed.diagnostics();
}

/// The dump of the expression `text`, parsed as `return <text>`.
std::string exprDump(llvm::StringRef text) {
  Parsed parsed(("model M() { return " + text + " }").str());
  if (!parsed.module)
    return "<error> " + parsed.diagnostics();
  std::string dump = parsed.dump();
  // Keep just what follows "  return ".
  size_t at = dump.find("  return ");
  return dump.substr(at + 9, dump.size() - at - 10);
}

const char *const kSeed = R"(model Seed(x: f32[2], y: f32) {
  param w: f32[2] = [0.3, 0.7]
  y_pred = sum(w * x)
  return (y_pred - y) ** 2
}
)";

const char *const kDigits = R"(# A layer is a function that owns parameters: every call makes fresh ones.
layer Dense(x: f32[N, I], out: int, act = relu, init = he) -> f32[N, out] {
  param w: f32[I, out] = init
  param b: f32[out] = zeros
  return act(x @ w + b)
}

layer Residual(x: f32[N, D]) -> f32[N, D] {
  return x + Dense(Dense(x, D), D, act = identity)
}

model Digits(x: f32[N, 64], label: i32[N]) {
  h = Dense(x, 256)
  repeat 4 { h = relu(Residual(h)) }
  logits = Dense(h, 10, act = identity)
  return cross_entropy(logits, label), logits
}
)";

//===----------------------------------------------------------------------===//
// DESIGN.md's examples
//===----------------------------------------------------------------------===//

TEST(ParserTest, SeedExample) {
  Parsed parsed(kSeed);
  ASSERT_TRUE(parsed.module) << parsed.diagnostics();
  EXPECT_EQ(parsed.diagnostics(), "");
  ASSERT_EQ(parsed.module->functions.size(), 1u);
  const Function &seed = *parsed.module->functions[0];
  EXPECT_EQ(seed.kind, Function::Kind::Model);
  EXPECT_EQ(seed.name, "Seed");
  EXPECT_EQ(parsed.lineCol(seed.loc), (LineCol{1, 1}));
  EXPECT_EQ(parsed.lineCol(seed.nameLoc), (LineCol{1, 7}));
  EXPECT_EQ(parsed.lineCol(seed.endLoc), (LineCol{5, 1}));
  EXPECT_FALSE(seed.resultType);

  ASSERT_EQ(seed.args.size(), 2u);
  EXPECT_EQ(seed.args[0].name, "x");
  ASSERT_TRUE(seed.args[0].type);
  EXPECT_EQ(seed.args[0].type->kind, TypeExpr::Kind::Tensor);
  EXPECT_EQ(seed.args[0].type->dtype, DType::F32);
  ASSERT_EQ(seed.args[0].type->dims.size(), 1u);
  EXPECT_FALSE(seed.args[0].type->dims[0].isNamed());
  EXPECT_EQ(seed.args[0].type->dims[0].size, 2);
  EXPECT_TRUE(seed.args[1].type->dims.empty()); // y: f32 is a scalar

  ASSERT_EQ(seed.body.size(), 3u);
  auto *param = llvm::dyn_cast<ParamStmt>(seed.body[0].get());
  ASSERT_TRUE(param);
  EXPECT_EQ(param->name, "w");
  EXPECT_EQ(parsed.lineCol(param->getLoc()), (LineCol{2, 3}));
  EXPECT_EQ(parsed.lineCol(param->nameLoc), (LineCol{2, 9}));
  auto *init = llvm::dyn_cast<ArrayExpr>(param->init.get());
  ASSERT_TRUE(init);
  EXPECT_EQ(parsed.lineCol(init->getLoc()), (LineCol{2, 21}));
  ASSERT_EQ(init->elements.size(), 2u);
  EXPECT_EQ(llvm::cast<NumberExpr>(init->elements[1].get())->value, 0.7);
  EXPECT_FALSE(llvm::cast<NumberExpr>(init->elements[1].get())->isInteger);

  auto *assign = llvm::dyn_cast<AssignStmt>(seed.body[1].get());
  ASSERT_TRUE(assign);
  EXPECT_EQ(assign->name, "y_pred");
  EXPECT_EQ(parsed.lineCol(assign->getLoc()), (LineCol{3, 3}));
  auto *call = llvm::dyn_cast<CallExpr>(assign->value.get());
  ASSERT_TRUE(call);
  EXPECT_EQ(call->callee, "sum");
  EXPECT_EQ(parsed.lineCol(call->getLoc()), (LineCol{3, 12}));

  auto *ret = llvm::dyn_cast<ReturnStmt>(seed.body[2].get());
  ASSERT_TRUE(ret);
  ASSERT_EQ(ret->values.size(), 1u);
  auto *pow = llvm::dyn_cast<BinaryExpr>(ret->values[0].get());
  ASSERT_TRUE(pow);
  EXPECT_EQ(pow->op, BinaryExpr::Op::Pow);
  EXPECT_EQ(parsed.lineCol(pow->getLoc()), (LineCol{4, 23}));
  EXPECT_TRUE(llvm::cast<NumberExpr>(pow->rhs.get())->isInteger);

  EXPECT_EQ(parsed.dump(), "model Seed(x: f32[2], y: f32)\n"
                           "  param w: f32[2] = [0.3, 0.7]\n"
                           "  assign y_pred = call sum(binary * (w, x))\n"
                           "  return binary ** (binary - (y_pred, y), 2)\n");
}

TEST(ParserTest, DigitsExample) {
  Parsed parsed(kDigits);
  ASSERT_TRUE(parsed.module) << parsed.diagnostics();
  const Module &module = *parsed.module;
  ASSERT_EQ(module.functions.size(), 3u);

  const Function *dense = module.lookup("Dense");
  ASSERT_TRUE(dense);
  EXPECT_EQ(dense->kind, Function::Kind::Layer);
  ASSERT_EQ(dense->args.size(), 4u);
  EXPECT_EQ(dense->args[0].type->dims[0].name, "N");
  EXPECT_EQ(dense->args[0].type->dims[1].name, "I");
  EXPECT_EQ(dense->args[1].type->kind, TypeExpr::Kind::Int);
  EXPECT_FALSE(dense->args[2].type);
  EXPECT_EQ(llvm::cast<IdentExpr>(dense->args[2].defaultValue.get())->name,
            "relu");
  EXPECT_EQ(dense->args[3].name, "init");
  ASSERT_TRUE(dense->resultType);
  EXPECT_EQ(dense->resultType->dims[1].name, "out");

  const Function *residual = module.lookup("Residual");
  ASSERT_TRUE(residual);
  auto *ret = llvm::cast<ReturnStmt>(residual->body[0].get());
  auto *add = llvm::cast<BinaryExpr>(ret->values[0].get());
  auto *outer = llvm::cast<CallExpr>(add->rhs.get());
  EXPECT_EQ(outer->args.size(), 2u);
  ASSERT_EQ(outer->kwargs.size(), 1u);
  EXPECT_EQ(outer->kwargs[0].name, "act");
  EXPECT_EQ(llvm::cast<IdentExpr>(outer->kwargs[0].value.get())->name,
            "identity");
  EXPECT_EQ(llvm::cast<CallExpr>(outer->args[0].get())->callee, "Dense");

  std::vector<const Function *> models = module.models();
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]->name, "Digits");
  EXPECT_EQ(module.lookup("Nope"), nullptr);

  auto *repeat = llvm::cast<RepeatStmt>(models[0]->body[1].get());
  EXPECT_EQ(llvm::cast<NumberExpr>(repeat->count.get())->value, 4);
  EXPECT_EQ(repeat->body.size(), 1u);
  auto *twoResults = llvm::cast<ReturnStmt>(models[0]->body[3].get());
  EXPECT_EQ(twoResults->values.size(), 2u);

  EXPECT_EQ(parsed.dump(),
            "layer Dense(x: f32[N, I], out: int, act = relu, init = he) -> "
            "f32[N, out]\n"
            "  param w: f32[I, out] = init\n"
            "  param b: f32[out] = zeros\n"
            "  return call act(binary + (binary @ (x, w), b))\n"
            "layer Residual(x: f32[N, D]) -> f32[N, D]\n"
            "  return binary + (x, call Dense(call Dense(x, D), D, act = "
            "identity))\n"
            "model Digits(x: f32[N, 64], label: i32[N])\n"
            "  assign h = call Dense(x, 256)\n"
            "  repeat 4\n"
            "    assign h = call relu(call Residual(h))\n"
            "  assign logits = call Dense(h, 10, act = identity)\n"
            "  return call cross_entropy(logits, label), logits\n");
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

TEST(ParserTest, PrecedenceFromLoosestToTightest) {
  EXPECT_EQ(exprDump("a + b * c @ d ** -e"),
            "binary + (a, binary * (b, binary @ (c, binary ** (d, unary - "
            "(e)))))");
  EXPECT_EQ(exprDump("a ** b @ c * d - e"),
            "binary - (binary * (binary @ (binary ** (a, b), c), d), e)");
}

TEST(ParserTest, UnaryMinusIsLooserThanPower) {
  // As in Python: -x ** 2 == -(x ** 2).
  EXPECT_EQ(exprDump("-x ** 2"), "unary - (binary ** (x, 2))");
  EXPECT_EQ(exprDump("x ** -y ** 2"),
            "binary ** (x, unary - (binary ** (y, 2)))");
  EXPECT_EQ(exprDump("- -x"), "unary - (unary - (x))");
}

TEST(ParserTest, UnaryMinusIsTighterThanMatmul) {
  EXPECT_EQ(exprDump("-a @ b"), "binary @ (unary - (a), b)");
  EXPECT_EQ(exprDump("a * -b"), "binary * (a, unary - (b))");
  EXPECT_EQ(exprDump("a - -b"), "binary - (a, unary - (b))");
}

TEST(ParserTest, PowerIsRightAssociative) {
  EXPECT_EQ(exprDump("2 ** 3 ** 2"), "binary ** (2, binary ** (3, 2))");
}

TEST(ParserTest, OtherOperatorsAreLeftAssociative) {
  EXPECT_EQ(exprDump("a - b - c"), "binary - (binary - (a, b), c)");
  EXPECT_EQ(exprDump("a / b * c"), "binary * (binary / (a, b), c)");
  EXPECT_EQ(exprDump("a @ b @ c"), "binary @ (binary @ (a, b), c)");
}

TEST(ParserTest, ParenthesesOverridePrecedence) {
  EXPECT_EQ(exprDump("(a + b) * c"), "binary * (binary + (a, b), c)");
  EXPECT_EQ(exprDump("(-x) ** 2"), "binary ** (unary - (x), 2)");
  EXPECT_EQ(exprDump("((a))"), "a");
}

TEST(ParserTest, OperatorLocations) {
  Parsed parsed("model M() { return -a + f(b) }");
  ASSERT_TRUE(parsed.module);
  auto *ret = llvm::cast<ReturnStmt>(parsed.module->functions[0]->body[0].get());
  auto *add = llvm::cast<BinaryExpr>(ret->values[0].get());
  EXPECT_EQ(parsed.lineCol(ret->getLoc()), (LineCol{1, 13}));
  EXPECT_EQ(parsed.lineCol(add->getLoc()), (LineCol{1, 23}));
  EXPECT_EQ(parsed.lineCol(add->lhs->getLoc()), (LineCol{1, 20})); // '-'
  EXPECT_EQ(parsed.lineCol(add->rhs->getLoc()), (LineCol{1, 25})); // 'f'
}

TEST(ParserTest, CallsWithKeywordArguments) {
  EXPECT_EQ(exprDump("f()"), "call f()");
  EXPECT_EQ(exprDump("f(x, 1, act = relu, init = he)"),
            "call f(x, 1, act = relu, init = he)");
  EXPECT_EQ(exprDump("f(act = g(y = 2))"), "call f(act = call g(y = 2))");
  // `a == b` is not a keyword argument followed by anything odd: `=` then
  // an expression is all a keyword argument is.
  EXPECT_EQ(exprDump("f(x = -1)"), "call f(x = unary - (1))");
}

TEST(ParserTest, NestedArrays) {
  EXPECT_EQ(exprDump("[[1, 2], [3, 4.5],]"), "[[1, 2], [3, 4.5]]");
  EXPECT_EQ(exprDump("[]"), "[]");
  EXPECT_EQ(exprDump("[[[-1e-3]]]"), "[[[unary - (0.001)]]]");
}

TEST(ParserTest, NumbersAndStrings) {
  EXPECT_EQ(exprDump("0.1 + .5 + 2.5E+4 + 1e-3"),
            "binary + (binary + (binary + (0.1, 0.5), 25000), 0.001)");
  EXPECT_EQ(exprDump("load(\"digits.csv.gz\", \"a\\\"b\")"),
            "call load(\"digits.csv.gz\", \"a\\\"b\")");
  Parsed parsed("model M() { return 3, 3.0, 3e0 }");
  ASSERT_TRUE(parsed.module);
  auto *ret = llvm::cast<ReturnStmt>(parsed.module->functions[0]->body[0].get());
  EXPECT_TRUE(llvm::cast<NumberExpr>(ret->values[0].get())->isInteger);
  EXPECT_FALSE(llvm::cast<NumberExpr>(ret->values[1].get())->isInteger);
  EXPECT_FALSE(llvm::cast<NumberExpr>(ret->values[2].get())->isInteger);
}

TEST(ParserTest, NumbersDumpWithFullPrecision) {
  EXPECT_EQ(exprDump("0.30000000000000004"), "0.30000000000000004");
  EXPECT_EQ(exprDump("123456789"), "123456789");
}

//===----------------------------------------------------------------------===//
// Statements, types, layout
//===----------------------------------------------------------------------===//

TEST(ParserTest, SeveralReturnValues) {
  Parsed parsed("model M(a, b) { return a, b + 1, [a] }");
  ASSERT_TRUE(parsed.module);
  EXPECT_EQ(parsed.dump(), "model M(a, b)\n  return a, binary + (b, 1), [a]\n");
}

TEST(ParserTest, NewlinesAndCommentsAreInsignificant) {
  Parsed parsed(R"(# leading comment
model   M (   # after the paren
  x : f32 [ N ,
            4 ] ,   # a dim list split over lines
  y : f32 )
{
  z = x *    # operator at end of line
      y
  repeat
    2
  {
  }
  return z # trailing
}  # after the body
)");
  ASSERT_TRUE(parsed.module) << parsed.diagnostics();
  EXPECT_EQ(parsed.dump(), "model M(x: f32[N, 4], y: f32)\n"
                           "  assign z = binary * (x, y)\n"
                           "  repeat 2\n"
                           "  return z\n");
}

TEST(ParserTest, EveryType) {
  Parsed parsed("layer L(a: f32, b: f16[1], c: bf16[N, 2], d: i32[0], e: i1,"
                " f: int, g: float) -> bf16[N] { return a }");
  ASSERT_TRUE(parsed.module) << parsed.diagnostics();
  const Function &layer = *parsed.module->functions[0];
  EXPECT_EQ(layer.args[1].type->dtype, DType::F16);
  EXPECT_EQ(layer.args[2].type->dtype, DType::BF16);
  EXPECT_EQ(layer.args[3].type->dtype, DType::I32);
  EXPECT_EQ(layer.args[4].type->dtype, DType::I1);
  EXPECT_EQ(layer.args[5].type->kind, TypeExpr::Kind::Int);
  EXPECT_EQ(layer.args[6].type->kind, TypeExpr::Kind::Float);
  EXPECT_EQ(parsed.lineCol(layer.args[2].type->loc), (LineCol{1, 31}));
  EXPECT_EQ(parsed.lineCol(layer.args[2].type->dims[1].loc), (LineCol{1, 39}));
  EXPECT_EQ(parsed.dump(), "layer L(a: f32, b: f16[1], c: bf16[N, 2], d: "
                           "i32[0], e: i1, f: int, g: float) -> bf16[N]\n"
                           "  return a\n");
}

TEST(ParserTest, NestedRepeatAndEmptyBodies) {
  Parsed parsed("model A() {} layer B() { repeat n { repeat 2 { x = 1 } } }");
  ASSERT_TRUE(parsed.module) << parsed.diagnostics();
  EXPECT_EQ(parsed.dump(), "model A()\n"
                           "layer B()\n"
                           "  repeat n\n"
                           "    repeat 2\n"
                           "      assign x = 1\n");
}

TEST(ParserTest, EmptyFileIsAnEmptyModule) {
  Parsed parsed("  # nothing here\n");
  ASSERT_TRUE(parsed.module);
  EXPECT_TRUE(parsed.module->functions.empty());
  EXPECT_TRUE(parsed.module->models().empty());
}

TEST(ParserTest, ImportNamesAModelFromAnotherFormat) {
  Parsed parsed("import \"nets/cnn.onnx\" as Cnn\n"
                "model M(x: f32[2, 3]) { return Cnn(x) }\n");
  ASSERT_TRUE(parsed.module) << parsed.diagnostics();
  ASSERT_EQ(parsed.module->imports.size(), 1u);
  const Import &import = parsed.module->imports[0];
  EXPECT_EQ(import.path, "nets/cnn.onnx");
  EXPECT_EQ(import.name, "Cnn");
  EXPECT_EQ(parsed.lineCol(import.pathLoc), LineCol(1, 8));
  EXPECT_EQ(parsed.lineCol(import.nameLoc), LineCol(1, 27));
  EXPECT_EQ(parsed.module->lookupImport("Cnn"), &import);
  EXPECT_EQ(parsed.module->lookupImport("M"), nullptr);
  EXPECT_EQ(parsed.dump().substr(0, 35),
            "import \"nets/cnn.onnx\" as Cnn\nmodel");
  // `import` and `as` stay names elsewhere.
  EXPECT_TRUE(
      Parsed("model M(import: f32) { as = import\n return as }").module);
}

TEST(ParserErrorTest, ImportErrors) {
  EXPECT_EQ(oneError("import \"a.onnx\" Net"),
            errorAt(1, 17,
                    "expected 'as NAME' after the imported file, "
                    "found 'Net'",
                    "import \"a.onnx\" Net"));
  EXPECT_EQ(oneError("import \"a.onnx\" as 3"),
            errorAt(1, 20,
                    "expected the name the import is called by, "
                    "found '3'",
                    "import \"a.onnx\" as 3"));
  Parsed twice("import \"a.onnx\" as A\nlayer A() { return 1 }");
  EXPECT_EQ(twice.module, nullptr);
  EXPECT_EQ(
      twice.diagnostics(),
      errorAt(2, 7, "duplicate definition of 'A'", "layer A() { return 1 }") +
          noteAt(1, 20, "previous definition is here",
                 "import \"a.onnx\" as A"));
}

TEST(ParserTest, DTypeNames) {
  for (DType dtype :
       {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I1})
    EXPECT_EQ(parseDType(toString(dtype)), dtype);
  EXPECT_EQ(parseDType("f64"), std::nullopt);
  EXPECT_EQ(parseDType("int"), std::nullopt);
  EXPECT_EQ(toString(BinaryExpr::Op::MatMul), "@");
  EXPECT_EQ(toString(BinaryExpr::Op::Pow), "**");
  EXPECT_EQ(toString(BinaryExpr::Op::Div), "/");
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(ParserErrorTest, MissingCloseParenAfterArguments) {
  EXPECT_EQ(oneError("model A(x: f32 return x }"),
            errorAt(1, 16, "expected ')' after arguments, found 'return'",
                    "model A(x: f32 return x }"));
}

TEST(ParserErrorTest, NotAStatement) {
  EXPECT_EQ(
      oneError("model A() {\n  + x\n}"),
      errorAt(2, 3,
              "expected a statement (param, state, repeat, return or NAME = "
              "...), found '+'",
              "  + x"));
}

TEST(ParserErrorTest, NotAnExpression) {
  EXPECT_EQ(oneError("model A() { y = ) }"),
            errorAt(1, 17, "expected an expression, found ')'",
                    "model A() { y = ) }"));
  EXPECT_EQ(oneError("model A() { return }"),
            errorAt(1, 20, "expected an expression, found '}'",
                    "model A() { return }"));
}

TEST(ParserErrorTest, UnknownType) {
  EXPECT_EQ(oneError("model A(x: f33[2]) {}"),
            errorAt(1, 12,
                    "unknown type 'f33'; expected one of f32, f16, bf16, i32, "
                    "i1, int, float",
                    "model A(x: f33[2]) {}"));
}

TEST(ParserErrorTest, MissingType) {
  EXPECT_EQ(oneError("model A(x: [2]) {}"),
            errorAt(1, 12,
                    "expected a type (such as f32[N, 64] or int), found '['",
                    "model A(x: [2]) {}"));
}

TEST(ParserErrorTest, BadDimensions) {
  EXPECT_EQ(oneError("model A(x: f32[2.5]) {}"),
            errorAt(1, 16,
                    "bad dimension '2.5'; expected a name or a non-negative "
                    "integer",
                    "model A(x: f32[2.5]) {}"));
  EXPECT_EQ(oneError("model A(x: f32[N, -3]) {}"),
            errorAt(1, 19,
                    "bad dimension '-3'; expected a name or a non-negative "
                    "integer",
                    "model A(x: f32[N, -3]) {}"));
  EXPECT_EQ(oneError("model A(x: f32[99999999999999999999]) {}"),
            errorAt(1, 16,
                    "bad dimension '99999999999999999999'; expected a name or "
                    "a non-negative integer",
                    "model A(x: f32[99999999999999999999]) {}"));
  EXPECT_EQ(oneError("model A(x: f32[]) {}"),
            errorAt(1, 16, "expected a dimension (a name or a size), found ']'",
                    "model A(x: f32[]) {}"));
  EXPECT_EQ(oneError("model A(x: f32[2 3]) {}"),
            errorAt(1, 18, "expected ']' after the dimensions of 'f32', found '3'",
                    "model A(x: f32[2 3]) {}"));
}

TEST(ParserErrorTest, NumberTypesTakeNoDimensions) {
  EXPECT_EQ(oneError("layer A(n: int[2]) {}"),
            errorAt(1, 15,
                    "'int' is a single compile-time number and takes no "
                    "dimensions",
                    "layer A(n: int[2]) {}"));
}

TEST(ParserErrorTest, UnterminatedBlockPointsAtItsBrace) {
  EXPECT_EQ(oneError("model A(x) {\n  y = x\n  return y\n"),
            errorAt(1, 12, "unterminated block: expected '}'", "model A(x) {"));
  EXPECT_EQ(oneError("model A() {\n  repeat 2 {\n    y = x\n}\n"),
            errorAt(1, 11, "unterminated block: expected '}'", "model A() {"));
}

TEST(ParserErrorTest, ForgottenBraceBeforeNextFunction) {
  Parsed parsed("model A() {\n  y = x\nmodel B() { return 1 }");
  EXPECT_EQ(parsed.module, nullptr);
  EXPECT_EQ(parsed.diags.getNumErrors(), 1u);
  EXPECT_EQ(parsed.diagnostics(),
            errorAt(3, 1, "expected '}' to close the block, found 'model'",
                    "model B() { return 1 }") +
                noteAt(1, 11, "the block starts here", "model A() {"));
}

TEST(ParserErrorTest, ModelCannotDeclareResultType) {
  EXPECT_EQ(oneError("model A(x) -> f32 { return x }"),
            errorAt(1, 12,
                    "a model cannot declare a result type; only a layer can "
                    "have '-> type'",
                    "model A(x) -> f32 { return x }"));
}

TEST(ParserErrorTest, DuplicateFunction) {
  Parsed parsed("layer Dense(x) { return x }\nlayer Dense(y) { return y }\n");
  EXPECT_EQ(parsed.module, nullptr);
  EXPECT_EQ(parsed.diags.getNumErrors(), 1u);
  EXPECT_EQ(parsed.diagnostics(),
            errorAt(2, 7, "duplicate definition of 'Dense'",
                    "layer Dense(y) { return y }") +
                noteAt(1, 7, "previous definition is here",
                       "layer Dense(x) { return x }"));
}

TEST(ParserErrorTest, DuplicateArgument) {
  Parsed parsed("model A(x: f32,\n        x: f32) {}");
  EXPECT_EQ(parsed.module, nullptr);
  EXPECT_EQ(parsed.diags.getNumErrors(), 1u);
  EXPECT_EQ(parsed.diagnostics(),
            errorAt(2, 9, "duplicate argument 'x'", "        x: f32) {}") +
                noteAt(1, 9, "previous definition is here", "model A(x: f32,"));
}

TEST(ParserErrorTest, PositionalAfterKeyword) {
  EXPECT_EQ(oneError("model A() { y = f(a = 1, b + 2) }"),
            errorAt(1, 26, "positional argument after keyword argument",
                    "model A() { y = f(a = 1, b + 2) }"));
}

TEST(ParserErrorTest, DuplicateKeywordArgument) {
  Parsed parsed("model A() { y = f(act = relu, act = tanh) }");
  EXPECT_EQ(parsed.module, nullptr);
  EXPECT_EQ(parsed.diagnostics(),
            errorAt(1, 31, "duplicate keyword argument 'act'",
                    "model A() { y = f(act = relu, act = tanh) }") +
                noteAt(1, 19, "previous value is here",
                       "model A() { y = f(act = relu, act = tanh) }"));
}

TEST(ParserErrorTest, CallMissingCloseParen) {
  EXPECT_EQ(oneError("model A() { y = f(x y) }"),
            errorAt(1, 21, "expected ')' after the arguments of 'f', found 'y'",
                    "model A() { y = f(x y) }"));
}

TEST(ParserErrorTest, UnclosedParenthesis) {
  Parsed parsed("model A() { y = (a + b }");
  EXPECT_EQ(parsed.module, nullptr);
  EXPECT_EQ(parsed.diagnostics(),
            errorAt(1, 24, "expected ')', found '}'", "model A() { y = (a + b }") +
                noteAt(1, 17, "to match this '('", "model A() { y = (a + b }"));
}

TEST(ParserErrorTest, UnclosedArray) {
  EXPECT_EQ(oneError("model A() { y = [1, 2 3] }"),
            errorAt(1, 23, "expected ',' or ']' after an array element, found '3'",
                    "model A() { y = [1, 2 3] }"));
}

TEST(ParserErrorTest, AssignmentNeedsEquals) {
  EXPECT_EQ(oneError("model A() { foo(x) }"),
            errorAt(1, 16, "expected '=' after 'foo', found '('",
                    "model A() { foo(x) }"));
}

TEST(ParserErrorTest, FunctionHeaderErrors) {
  EXPECT_EQ(oneError("model"), errorAt(1, 6, "expected a name after 'model', "
                                             "found end of file",
                                       "model"));
  EXPECT_EQ(oneError("layer 3() {}"),
            errorAt(1, 7, "expected a name after 'layer', found '3'",
                    "layer 3() {}"));
  EXPECT_EQ(oneError("model A {}"),
            errorAt(1, 9, "expected '(' after 'A', found '{'", "model A {}"));
  EXPECT_EQ(oneError("model A(x,) {}"),
            errorAt(1, 11, "expected an argument name, found ')'",
                    "model A(x,) {}"));
  EXPECT_EQ(oneError("model A() return 1"),
            errorAt(1, 11,
                    "expected '{' to begin the body of 'A', found 'return'",
                    "model A() return 1"));
}

TEST(ParserErrorTest, TopLevelNeedsModelOrLayer) {
  EXPECT_EQ(oneError("x = 1"),
            errorAt(1, 1,
                    "expected 'model', 'layer', 'import' or 'train', found 'x'",
                    "x = 1"));
  EXPECT_EQ(oneError("model A() {}\n}"),
            errorAt(2, 1,
                    "expected 'model', 'layer', 'import' or 'train', found '}'",
                    "}"));
  EXPECT_EQ(
      oneError("\"s\""),
      errorAt(
          1, 1,
          "expected 'model', 'layer', 'import' or 'train', found string \"s\"",
          "\"s\""));
}

TEST(ParserErrorTest, ParamErrors) {
  EXPECT_EQ(oneError("layer A() { param : f32 = 1 }"),
            errorAt(1, 19, "expected a parameter name after 'param', found ':'",
                    "layer A() { param : f32 = 1 }"));
  EXPECT_EQ(oneError("layer A() { param w = 1 }"),
            errorAt(1, 21, "expected ':' and a type after 'w', found '='",
                    "layer A() { param w = 1 }"));
  EXPECT_EQ(oneError("layer A() { param w: f32[2] }"),
            errorAt(1, 29,
                    "expected '=' and an initializer after the type of 'w', "
                    "found '}'",
                    "layer A() { param w: f32[2] }"));
}

TEST(ParserErrorTest, RepeatNeedsABlock) {
  EXPECT_EQ(oneError("model A() { repeat 3 x = 1 }"),
            errorAt(1, 22, "expected '{' after the repeat count, found 'x'",
                    "model A() { repeat 3 x = 1 }"));
}

TEST(ParserErrorTest, NumberOutOfRange) {
  EXPECT_EQ(oneError("model A() { return 1e400 }"),
            errorAt(1, 20, "number literal '1e400' is out of range",
                    "model A() { return 1e400 }"));
}

TEST(ParserErrorTest, LexerErrorIsNotFollowedByAParserError) {
  EXPECT_EQ(oneError("model A() { y = x $ 2 }"),
            errorAt(1, 19, "unexpected character '$'", "model A() { y = x $ 2 }"));
  EXPECT_EQ(oneError("model A() { y = 1.2.3 }"),
            errorAt(1, 17, "bad number literal '1.2.3'",
                    "model A() { y = 1.2.3 }"));
  EXPECT_EQ(oneError("model A() { y = load(\"data.csv) }"),
            errorAt(1, 22, "unterminated string",
                    "model A() { y = load(\"data.csv) }"));
  EXPECT_EQ(oneError("model A() { y = f(a $) }"),
            errorAt(1, 21, "unexpected character '$'", "model A() { y = f(a $) }"));
}

TEST(ParserErrorTest, IndependentErrorsInDifferentFunctionsAreAllReported) {
  Parsed parsed("model A() { y = ) }\n"
                "layer B() { return 1 }\n"
                "model C() { + }\n");
  EXPECT_EQ(parsed.module, nullptr);
  EXPECT_EQ(parsed.diags.getNumErrors(), 2u);
  EXPECT_EQ(
      parsed.diagnostics(),
      errorAt(1, 17, "expected an expression, found ')'",
              "model A() { y = ) }") +
          errorAt(3, 13,
                  "expected a statement (param, state, repeat, return or NAME "
                  "= ...), found '+'",
                  "model C() { + }"));
}

TEST(ParserErrorTest, DeepNestingIsAnErrorNotACrash) {
  std::string parens = "model A() { y = " + std::string(100000, '(') + "x" +
                       std::string(100000, ')') + " }";
  EXPECT_NE(oneError(parens).find(
                "error: expression is nested too deeply (more than 256 "
                "levels)"),
            std::string::npos);

  std::string minus = "model A() { y = " + std::string(100000, '-') + "x }";
  EXPECT_NE(oneError(minus).find("error: expression is nested too deeply"),
            std::string::npos);

  std::string chain = "model A() { y = x";
  for (int i = 0; i < 100000; ++i)
    chain += " + x";
  chain += " }";
  EXPECT_NE(oneError(chain).find(
                "error: expression is nested too deeply (more than 1000 "
                "levels)"),
            std::string::npos);

  std::string repeats = "model A() { ";
  for (int i = 0; i < 100000; ++i)
    repeats += "repeat 2 { ";
  EXPECT_NE(oneError(repeats).find(
                "error: blocks are nested too deeply (more than 256 levels)"),
            std::string::npos);
}

TEST(ParserErrorTest, NoSourceBuffer) {
  llvm::SourceMgr sourceMgr;
  std::string output;
  llvm::raw_string_ostream os(output);
  DiagnosticEngine diags(sourceMgr, os);
  EXPECT_EQ(parseModule(diags), nullptr);
  EXPECT_EQ(output, "error: no source to parse\n");
}

//===----------------------------------------------------------------------===//
// Robustness
//===----------------------------------------------------------------------===//

/// Parses `source` and checks the one promise that holds for every input:
/// either a tree and no errors, or null and at least one error.
void expectParsesOrReports(const std::string &source) {
  Parsed parsed(source);
  if (parsed.module) {
    EXPECT_FALSE(parsed.diags.hadError()) << source;
    parsed.dump(); // must not crash either
  } else {
    EXPECT_TRUE(parsed.diags.hadError()) << source;
  }
}

TEST(ParserRobustnessTest, EveryTruncationOfTheDigitsExample) {
  std::string digits = kDigits;
  for (size_t length = 0; length <= digits.size(); ++length)
    expectParsesOrReports(digits.substr(0, length));
}

TEST(ParserRobustnessTest, RandomBytes) {
  std::mt19937 rng(20240601); // fixed seed: failures are reproducible
  for (int i = 0; i < 500; ++i) {
    std::string source(rng() % 200, '\0');
    for (char &c : source)
      c = static_cast<char>(rng() % 256);
    expectParsesOrReports(source);
  }
}

TEST(ParserRobustnessTest, RandomTokenSoup) {
  // Random sequences of real tokens get much further into the parser than
  // random bytes do.
  const char *const vocabulary[] = {
      "model", "layer", "param",  "repeat", "return", "x",   "f32", "int",
      "N",     "2",     "0.5",    "\"s\"",  "(",      ")",   "[",   "]",
      "{",     "}",     ",",      ":",      "=",      "->",  "+",   "-",
      "*",     "**",    "/",      "@",      "\n",     "# c\n"};
  const size_t vocabularySize = sizeof(vocabulary) / sizeof(vocabulary[0]);
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) {
    std::string source = rng() % 2 ? "model M(x: f32[N]) { " : "";
    for (unsigned n = rng() % 40; n; --n) {
      source += vocabulary[rng() % vocabularySize];
      source += ' ';
    }
    expectParsesOrReports(source);
  }
}

} // namespace
