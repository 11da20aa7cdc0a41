"""Checks a CPU --profile report: profile.test.py REPORT WHAT [MODULE].

The header names WHAT and counts the kernels; the listed lines are the
slowest first (at most 20, then "... K more" for the rest), their shares
are their times over the total, and the kernels' total lies within the
call's time (the clock is read inside the call). With MODULE (the same
function at --emit=llvm-dialect --profile), the count is its number of
nabla_profile_stop calls.
"""
import re
import sys

report = open(sys.argv[1]).read().splitlines()
what = sys.argv[2]
header = re.compile(
    r"profile of (.+): (\d+) kernels, ([0-9.]+) us of the call's ([0-9.]+) us on the CPU$")
line = re.compile(r"^ +([0-9.]+) us +([0-9.]+)% +(\S+) \((.+)\)$")

starts = [i for i, text in enumerate(report) if header.match(text)]
assert len(starts) == 1, f"expected one profile header in {sys.argv[1]}"
start = starts[0]
m = header.match(report[start])
assert m.group(1) == what, m.group(1)
count, total, call = int(m.group(2)), float(m.group(3)), float(m.group(4))
assert count > 0
# Printed to 0.1 us: the total is within the call up to rounding.
assert total <= call + 0.1, (total, call)

listed = []
more = 0
for text in report[start + 1:]:
    if text.startswith("  ... "):
        more = int(text.split()[1])
        break
    k = line.match(text)
    if not k:
        break
    listed.append((float(k.group(1)), float(k.group(2)), k.group(3), k.group(4)))
assert len(listed) == min(count, 20), (len(listed), count)
assert len(listed) + more == count, (len(listed), more, count)

times = [t for t, _, _, _ in listed]
assert times == sorted(times, reverse=True), "not slowest first"
assert sum(times) <= total + 0.05 * len(times) + 0.1, (sum(times), total)
for t, share, name, where in listed:
    if total >= 1.0:  # shares of a sub-microsecond total are mostly rounding
        assert abs(share - 100 * t / total) <= 100 * 0.05 / total + 0.1, (
            t, share, total)
    assert re.match(r"[\w.]+\.nb:\d+:\d+", where), where

if len(sys.argv) > 3:
    module = open(sys.argv[3]).read()
    stops = len(re.findall(r"llvm\.call @nabla_profile_stop\(", module))
    assert stops == count, f"{count} kernels timed, {stops} instrumented"
print(f"ok: {count} kernels")
