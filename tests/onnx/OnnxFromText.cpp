//===- OnnxFromText.cpp - ONNX models for the tests, from ONNX's text -----===//
//
// onnx-from-text IN.txt OUT.onnx: parses ONNX's textual syntax (libonnx's
// OnnxParser), e.g.
//
//   <ir_version: 8, opset_import: ["" : 17]>
//   g (float[2, 3] x) => (float[2, 4] y) <float[3, 4] w = {...}> {
//     y = MatMul(x, w)
//   }
//
// and writes the model as a protobuf file: the lit tests write their
// models as text, without python3-onnx.
//
//===----------------------------------------------------------------------===//
#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: onnx-from-text IN.txt OUT.onnx\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << "error: cannot read " << argv[1] << "\n";
    return 2;
  }
  onnx::ModelProto model;
  std::string source = text.str();
  auto status = onnx::OnnxParser::Parse(model, source.c_str());
  if (!status.IsOK()) {
    std::cerr << "error: " << argv[1] << ": " << status.ErrorMessage() << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary);
  if (!model.SerializeToOstream(&out)) {
    std::cerr << "error: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
