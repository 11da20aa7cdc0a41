"""Strict checks of nablac's machine-readable output (json-output.test).

json FILE...: every non-empty line of each FILE is one JSON value, parsed
  without the NaN/Infinity extensions Python accepts by default.
xml FILE: FILE is well-formed XML; prints its first <text>.
"""
import json
import sys
import xml.etree.ElementTree as ET


def strict(constant):
    raise ValueError("not JSON: " + constant)


def check_json(paths):
    for path in paths:
        values = []
        with open(path) as f:
            for line in f:
                if line.strip():
                    values.append(json.loads(line, parse_constant=strict))
        name = path.rsplit("/", 1)[-1]
        runs = {v.get("run") for v in values if isinstance(v, dict) and "run" in v}
        print("%s: %d valid, %d runs" % (name, len(values), len(runs)))
        for v in values:
            if isinstance(v, dict) and "train_loss" in v:
                print("  train_loss %s test_loss %s start_time %s" %
                      (json.dumps(v["train_loss"]), json.dumps(v.get("test_loss")),
                       v["start_time"]))


def check_xml(path):
    root = ET.parse(path).getroot()
    texts = [t for t in root.iter() if t.tag.endswith("text")]
    print("well-formed: title %s" % texts[0].text)


if __name__ == "__main__":
    if sys.argv[1] == "json":
        check_json(sys.argv[2:])
    else:
        check_xml(sys.argv[2])
