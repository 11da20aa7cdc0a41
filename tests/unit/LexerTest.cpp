//===- LexerTest.cpp - Tokens and diagnostics of the .nb language ---------===//
//
// Every token kind, comments, numbers and strings (good and bad), keywords,
// and the exact text of every lexer error, caret line included.
//
//===----------------------------------------------------------------------===//

#include "nabla/frontend/Diagnostics.h"
#include "nabla/frontend/Lexer.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

using namespace nabla;

namespace {

/// Lexes `source` as the file "test.nb" and keeps what was reported.
struct Lexed {
  explicit Lexed(llvm::StringRef source) : os(output), diags(sourceMgr, os) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, "test.nb"), llvm::SMLoc());
    Lexer lexer(sourceMgr.getMemoryBuffer(1)->getBuffer(), diags);
    tokens = lexer.tokenize();
  }

  std::vector<TokenKind> kinds() const {
    std::vector<TokenKind> result;
    for (const Token &tok : tokens)
      result.push_back(tok.kind);
    return result;
  }

  std::vector<std::string> texts() const {
    std::vector<std::string> result;
    for (const Token &tok : tokens)
      if (!tok.is(TokenKind::Eof))
        result.push_back(tok.text.str());
    return result;
  }

  std::pair<unsigned, unsigned> lineCol(size_t i) const {
    return diags.getLineAndColumn(tokens.at(i).loc);
  }

  std::string diagnostics() {
    os.flush();
    return output;
  }

  llvm::SourceMgr sourceMgr;
  std::string output;
  llvm::raw_string_ostream os;
  DiagnosticEngine diags;
  std::vector<Token> tokens;
};

/// SourceMgr's format: the message, the source line, a caret under `col`.
std::string errorAt(unsigned line, unsigned col, llvm::StringRef message,
                    llvm::StringRef sourceLine) {
  return "test.nb:" + std::to_string(line) + ":" + std::to_string(col) +
         ": error: " + message.str() + "\n" + sourceLine.str() + "\n" +
         std::string(col - 1, ' ') + "^\n";
}

using K = TokenKind;

TEST(LexerTest, EmptyInputIsJustEof) {
  Lexed lexed("");
  EXPECT_EQ(lexed.kinds(), std::vector<K>{K::Eof});
  EXPECT_FALSE(lexed.diags.hadError());
}

TEST(LexerTest, WhitespaceAndNewlinesAreInsignificant) {
  Lexed lexed("  \t\n\r\n  a \n\n b  \n");
  EXPECT_EQ(lexed.kinds(), (std::vector<K>{K::Ident, K::Ident, K::Eof}));
}

TEST(LexerTest, EveryPunctuator) {
  Lexed lexed("( ) [ ] { } , : = -> + - * ** / @");
  EXPECT_EQ(lexed.kinds(),
            (std::vector<K>{K::LParen, K::RParen, K::LBracket, K::RBracket,
                            K::LBrace, K::RBrace, K::Comma, K::Colon, K::Equal,
                            K::Arrow, K::Plus, K::Minus, K::Star, K::StarStar,
                            K::Slash, K::At, K::Eof}));
  EXPECT_FALSE(lexed.diags.hadError());
}

TEST(LexerTest, TwoCharacterOperatorsAreGreedy) {
  Lexed lexed("a->b x**-2 a--b ***");
  EXPECT_EQ(lexed.kinds(),
            (std::vector<K>{K::Ident, K::Arrow, K::Ident, K::Ident, K::StarStar,
                            K::Minus, K::Number, K::Ident, K::Minus, K::Minus,
                            K::Ident, K::StarStar, K::Star, K::Eof}));
}

TEST(LexerTest, KeywordsAndIdentifiers) {
  Lexed lexed(
      "model layer param state repeat return models _x x1 f32 Model states");
  EXPECT_EQ(lexed.kinds(),
            (std::vector<K>{K::KwModel, K::KwLayer, K::KwParam, K::KwState,
                            K::KwRepeat, K::KwReturn, K::Ident, K::Ident,
                            K::Ident, K::Ident, K::Ident, K::Ident, K::Eof}));
  EXPECT_EQ(lexed.texts(),
            (std::vector<std::string>{"model", "layer", "param", "state",
                                      "repeat", "return", "models", "_x", "x1",
                                      "f32", "Model", "states"}));
}

TEST(LexerTest, DotsAreNotPartOfIdentifiers) {
  Lexed lexed("a.b");
  EXPECT_EQ(lexed.kinds(),
            (std::vector<K>{K::Ident, K::Error, K::Ident, K::Eof}));
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(1, 2, "unexpected character '.'", "a.b"));
}

TEST(LexerTest, GoodNumbers) {
  Lexed lexed("12 0.5 .5 1e-3 2.5E+4 1. 007 3e2");
  std::vector<K> numbers(8, K::Number);
  numbers.push_back(K::Eof);
  EXPECT_EQ(lexed.kinds(), numbers);
  EXPECT_EQ(lexed.texts(),
            (std::vector<std::string>{"12", "0.5", ".5", "1e-3", "2.5E+4", "1.",
                                      "007", "3e2"}));
  EXPECT_FALSE(lexed.diags.hadError());
}

TEST(LexerTest, NumberNextToOperators) {
  // A sign joins a number only right after its exponent letter.
  Lexed lexed("2-1 1e-3-x 4*.5");
  EXPECT_EQ(lexed.texts(), (std::vector<std::string>{"2", "-", "1", "1e-3", "-",
                                                     "x", "4", "*", ".5"}));
  EXPECT_FALSE(lexed.diags.hadError());
}

TEST(LexerTest, BadNumberTwoDots) {
  Lexed lexed("x = 1.2.3");
  EXPECT_EQ(lexed.kinds(),
            (std::vector<K>{K::Ident, K::Equal, K::Error, K::Eof}));
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(1, 5, "bad number literal '1.2.3'", "x = 1.2.3"));
}

TEST(LexerTest, BadNumberEmptyExponent) {
  Lexed lexed("1e + 2");
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(1, 1, "bad number literal '1e'", "1e + 2"));
  EXPECT_EQ(lexed.kinds(),
            (std::vector<K>{K::Error, K::Plus, K::Number, K::Eof}));
}

TEST(LexerTest, BadNumberSignedEmptyExponent) {
  Lexed lexed("1e-");
  EXPECT_EQ(lexed.diagnostics(), errorAt(1, 1, "bad number literal '1e-'", "1e-"));
}

TEST(LexerTest, BadNumberLettersAfterDigits) {
  Lexed lexed("  3abc)");
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(1, 3, "bad number literal '3abc'", "  3abc)"));
  EXPECT_EQ(lexed.kinds(), (std::vector<K>{K::Error, K::RParen, K::Eof}));
  EXPECT_EQ(lexed.diags.getNumErrors(), 1u);
}

TEST(LexerTest, StringWithEscapes) {
  Lexed lexed(R"(load("a\"b\\c\nd\te.csv"))");
  ASSERT_EQ(lexed.kinds(), (std::vector<K>{K::Ident, K::LParen, K::String,
                                           K::RParen, K::Eof}));
  EXPECT_EQ(lexed.tokens[2].stringValue, "a\"b\\c\nd\te.csv");
  EXPECT_EQ(lexed.tokens[2].text, R"("a\"b\\c\nd\te.csv")");
  EXPECT_FALSE(lexed.diags.hadError());
}

TEST(LexerTest, EmptyString) {
  Lexed lexed(R"("")");
  ASSERT_EQ(lexed.kinds(), (std::vector<K>{K::String, K::Eof}));
  EXPECT_EQ(lexed.tokens[0].stringValue, "");
}

TEST(LexerTest, UnterminatedStringAtEndOfLine) {
  Lexed lexed("x = \"abc\ny = 1\n");
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(1, 5, "unterminated string", "x = \"abc"));
  // Lexing resumes on the next line.
  EXPECT_EQ(lexed.kinds(), (std::vector<K>{K::Ident, K::Equal, K::Error,
                                           K::Ident, K::Equal, K::Number,
                                           K::Eof}));
}

TEST(LexerTest, UnterminatedStringAtEndOfFile) {
  Lexed lexed("f(\"ab\\\"");
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(1, 3, "unterminated string", "f(\"ab\\\""));
  EXPECT_EQ(lexed.diags.getNumErrors(), 1u);
}

TEST(LexerTest, UnknownEscape) {
  Lexed lexed(R"(s = "a\qb" + 1)");
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(1, 7,
                    R"(unknown escape sequence '\q' in string; expected \", \\, \n or \t)",
                    R"(s = "a\qb" + 1)"));
  EXPECT_EQ(lexed.kinds(), (std::vector<K>{K::Ident, K::Equal, K::Error,
                                           K::Plus, K::Number, K::Eof}));
}

TEST(LexerTest, CommentsRunToEndOfLine) {
  Lexed lexed("# heading ( $ \"\na # trailing ]\n  # indented\nb # at eof");
  EXPECT_EQ(lexed.kinds(), (std::vector<K>{K::Ident, K::Ident, K::Eof}));
  EXPECT_FALSE(lexed.diags.hadError());
}

TEST(LexerTest, UnexpectedCharacter) {
  Lexed lexed("model M() {\n  y = x $ 2\n}");
  EXPECT_EQ(lexed.diagnostics(),
            errorAt(2, 9, "unexpected character '$'", "  y = x $ 2"));
  EXPECT_EQ(lexed.diags.getNumErrors(), 1u);
}

TEST(LexerTest, UnprintableCharacterIsEscaped) {
  Lexed lexed(llvm::StringRef("a\x01", 2));
  EXPECT_NE(lexed.diagnostics().find(
                "test.nb:1:2: error: unexpected character '\\x01'"),
            std::string::npos);
}

TEST(LexerTest, NonAsciiCharacterIsOneError) {
  Lexed lexed("x = \xCE\xBB + 1"); // λ
  EXPECT_EQ(lexed.diags.getNumErrors(), 1u);
  EXPECT_NE(lexed.diagnostics().find(
                "test.nb:1:5: error: unexpected character '\xCE\xBB'"),
            std::string::npos);
  EXPECT_EQ(lexed.kinds(), (std::vector<K>{K::Ident, K::Equal, K::Error,
                                           K::Plus, K::Number, K::Eof}));
}

TEST(LexerTest, EmbeddedNulIsAnErrorNotTheEnd) {
  Lexed lexed(llvm::StringRef("a\0b", 3));
  EXPECT_EQ(lexed.kinds(),
            (std::vector<K>{K::Ident, K::Error, K::Ident, K::Eof}));
}

TEST(LexerTest, ByteOrderMarkIsSkipped) {
  Lexed lexed("\xEF\xBB\xBFmodel");
  EXPECT_EQ(lexed.kinds(), (std::vector<K>{K::KwModel, K::Eof}));
  EXPECT_EQ(lexed.lineCol(0), (std::pair<unsigned, unsigned>{1, 4}));
}

TEST(LexerTest, LocationsAreLineAndColumn) {
  Lexed lexed("model Seed(\n  x: f32[2])");
  EXPECT_EQ(lexed.lineCol(0), (std::pair<unsigned, unsigned>{1, 1}));
  EXPECT_EQ(lexed.lineCol(1), (std::pair<unsigned, unsigned>{1, 7}));
  EXPECT_EQ(lexed.lineCol(3), (std::pair<unsigned, unsigned>{2, 3}));
  EXPECT_EQ(lexed.lineCol(6), (std::pair<unsigned, unsigned>{2, 9}));
  EXPECT_EQ(lexed.diags.getBufferName(lexed.tokens[3].loc), "test.nb");
}

TEST(LexerTest, EofRepeats) {
  llvm::SourceMgr sourceMgr;
  std::string output;
  llvm::raw_string_ostream os(output);
  DiagnosticEngine diags(sourceMgr, os);
  Lexer lexer("x", diags);
  EXPECT_TRUE(lexer.next().is(K::Ident));
  EXPECT_TRUE(lexer.next().is(K::Eof));
  EXPECT_TRUE(lexer.next().is(K::Eof));
}

TEST(LexerTest, DescribeNamesTokensForMessages) {
  EXPECT_EQ(describe(K::Ident), "identifier");
  EXPECT_EQ(describe(K::Number), "number");
  EXPECT_EQ(describe(K::String), "string");
  EXPECT_EQ(describe(K::LParen), "'('");
  EXPECT_EQ(describe(K::Arrow), "'->'");
  EXPECT_EQ(describe(K::StarStar), "'**'");
  EXPECT_EQ(describe(K::KwRepeat), "'repeat'");
  EXPECT_EQ(describe(K::Eof), "end of file");
}

//===----------------------------------------------------------------------===//
// DiagnosticEngine
//===----------------------------------------------------------------------===//

TEST(DiagnosticsTest, ErrorWithoutLocation) {
  llvm::SourceMgr sourceMgr;
  std::string output;
  llvm::raw_string_ostream os(output);
  DiagnosticEngine diags(sourceMgr, os);
  diags.error("bad value '7' for --dim");
  EXPECT_EQ(output, "error: bad value '7' for --dim\n");
  EXPECT_EQ(diags.getNumErrors(), 1u);
  EXPECT_TRUE(diags.hadError());
}

TEST(DiagnosticsTest, NotesDoNotCountAsErrors) {
  Lexed lexed("a b");
  lexed.diags.note(lexed.tokens[1].loc, "see here");
  EXPECT_EQ(lexed.diagnostics(), "test.nb:1:3: note: see here\na b\n  ^\n");
  EXPECT_FALSE(lexed.diags.hadError());
}

TEST(DiagnosticsTest, LocationOutsideAnyBufferIsPrintedWithoutPosition) {
  Lexed lexed("a");
  const char *elsewhere = "not in the source manager";
  llvm::SMLoc loc = llvm::SMLoc::getFromPointer(elsewhere);
  lexed.diags.error(loc, "oops");
  EXPECT_EQ(lexed.diagnostics(), "error: oops\n");
  EXPECT_EQ(lexed.diags.getLineAndColumn(loc),
            (std::pair<unsigned, unsigned>{0, 0}));
  EXPECT_EQ(lexed.diags.getBufferName(loc), "");
  EXPECT_EQ(lexed.diags.getBufferName(llvm::SMLoc()), "");
}

} // namespace
