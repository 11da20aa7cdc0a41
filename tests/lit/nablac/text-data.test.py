"""Writes a corpus of random words and a bigram model reading it as
`data = text("corpus.txt")`, trains it with nablac, and checks that the
held-out loss ends below the corpus's unigram entropy (what a model that
ignores the previous byte can reach at best), computed here.

    text-data.test.py NABLAC WORKDIR
"""
import math
import pathlib
import random
import re
import subprocess
import sys
from collections import Counter

nablac, work = sys.argv[1], pathlib.Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
random.seed(1)
words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to"]
text = " ".join(random.choice(words) for _ in range(4000))
(work / "corpus.txt").write_text(text)
(work / "bigram.nb").write_text("""
model Bigram(x: i32[N, 32], y: i32[N, 32]) {
  param table: f32[256, 256] = zeros
  logits = embedding(table, x)
  return cross_entropy(reshape(logits, [N * 32, 256]), reshape(y, [N * 32])), logits
}
train {
  data = text("corpus.txt")
  batch = 16
  epochs = 3
  optimizer = adam
  lr = 0.05
}
""")
counts = Counter(text)
unigram = -sum(c / len(text) * math.log(c / len(text)) for c in counts.values())
out = subprocess.run([nablac, "train", str(work / "bigram.nb")],
                     capture_output=True, text=True)
print(out.stdout, out.stderr)
losses = [float(m) for m in re.findall(r"test loss ([\d.]+)", out.stdout)]
if out.returncode != 0 or len(losses) != 3:
    sys.exit("nablac train failed")
print(f"unigram entropy {unigram:.4f}, last held-out loss {losses[-1]:.4f}")
print("below the unigram entropy" if losses[-1] < unigram else "NOT below")
