"""Compares the final test accuracy of mixed-precision runs with f32's."""
import json
import sys


def final_accuracy(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return lines[-1]["test_accuracy"]


f32 = final_accuracy(sys.argv[1])
for name, path in (("bf16", sys.argv[2]), ("f16", sys.argv[3])):
    acc = final_accuracy(path)
    # test_accuracy is a fraction; the bar is 1 percentage point.
    gap = 100 * abs(acc - f32)
    verdict = "within" if gap <= 1.0 else "NOT within"
    print(f"{name} {verdict} 1 point of f32: "
          f"{100 * acc:.2f}% vs {100 * f32:.2f}%")
