"""Compares the last epoch's test accuracy of two --metrics files."""
import json
import sys

def final_accuracy(path):
    with open(path) as f:
        return 100 * [json.loads(line) for line in f][-1]["test_accuracy"]

cpu, vulkan = map(final_accuracy, sys.argv[1:3])
verdict = "within" if abs(cpu - vulkan) <= 0.5 else "NOT within"
print(f"final test accuracy: cpu {cpu:.2f}% vulkan {vulkan:.2f}%: {verdict} 0.5 point")
