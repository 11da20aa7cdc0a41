/* A plain C program over a library written by nablac export: reads rows of
   float32 (or -DIN_TYPE=int32_t: token ids) from a file, predicts them,
   writes the outputs as float32. Built with -include MODEL.h
   -DPREDICT=MODEL_predict -DIN=MODEL_INPUT_SIZE -DOUT=MODEL_OUTPUT_SIZE
   (tests/lit/nablac/export.test). */
#include <stdio.h>
#include <stdlib.h>

#ifndef IN_TYPE
#define IN_TYPE float
#endif

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s ROWS.f32 OUT.f32\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0)
    return 2;
  long bytes = ftell(f);
  rewind(f);
  int64_t n = bytes / (long)(sizeof(IN_TYPE) * IN);
  IN_TYPE *x = malloc(bytes + 1);
  float *y = malloc(sizeof(float) * OUT * (n + 1));
  if (!x || !y || fread(x, 1, bytes, f) != (size_t)bytes)
    return 2;
  fclose(f);
  /* Bad arguments are error codes, not crashes. */
  if (PREDICT(x, -1, y) == 0 || PREDICT(NULL, 3, y) == 0 ||
      PREDICT(x, 0, y) != 0) {
    fprintf(stderr, "wrong error codes\n");
    return 1;
  }
  int code = PREDICT(x, n, y);
  if (code != 0) {
    fprintf(stderr, "predict returned %d\n", code);
    return 1;
  }
  FILE *out = fopen(argv[2], "wb");
  if (!out || fwrite(y, sizeof(float) * OUT, n, out) != (size_t)n)
    return 2;
  fclose(out);
  printf("%lld rows predicted\n", (long long)n);
  return 0;
}
