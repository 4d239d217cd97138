#!/usr/bin/env python3
"""Write a trimmed copy of botocore's acm-pca model to api/acm-pca/2017-08-22/service-2.json.

The trimmed model keeps what code generation and request validation need
(metadata, operations, shapes, members, constraints, per-operation errors) and
drops AWS's documentation prose. Unknown keys make the script fail so that a
botocore upgrade which adds something meaningful is noticed rather than
silently dropped.

Usage: python3 scripts/trim-model.py [-o OUTPUT]
"""

import argparse
import gzip
import json
import os
import sys

import botocore

SERVICE = "acm-pca"
API_VERSION = "2017-08-22"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "api", SERVICE, API_VERSION, "service-2.json")

# Keys that are prose (or pointers to prose) and never reach the output.
PROSE = {"documentation", "documentationUrl", "deprecatedMessage"}

OPERATION_KEYS = {"name", "http", "input", "output", "errors", "idempotent", "deprecated"}
SHAPE_KEYS = {
    "type", "members", "required", "enum", "min", "max", "pattern", "member",
    "key", "value", "exception", "error", "fault", "retryable", "box",
    "sensitive", "deprecated", "timestampFormat",
}
MEMBER_KEYS = {
    "shape", "locationName", "box", "idempotencyToken", "timestampFormat",
    "jsonvalue", "deprecated",
}
REF_KEYS = {"shape"}


def pick(obj, allowed, where):
    """Copies the allowed keys of obj, failing on keys that are neither allowed nor prose."""
    unknown = set(obj) - allowed - PROSE
    if unknown:
        sys.exit(f"trim-model: unknown keys {sorted(unknown)} in {where}; decide whether to keep them")
    return {k: v for k, v in obj.items() if k in allowed}


def trim(model):
    ops = {}
    for name, op in model["operations"].items():
        o = pick(op, OPERATION_KEYS, f"operation {name}")
        for ref in ("input", "output"):
            if ref in o:
                o[ref] = pick(o[ref], REF_KEYS, f"operation {name}.{ref}")
        if "errors" in o:
            o["errors"] = [pick(e, REF_KEYS, f"operation {name}.errors") for e in o["errors"]]
        ops[name] = o

    shapes = {}
    for name, shape in model["shapes"].items():
        s = pick(shape, SHAPE_KEYS, f"shape {name}")
        if "members" in s:
            s["members"] = {
                m: pick(ref, MEMBER_KEYS, f"shape {name}.{m}") for m, ref in s["members"].items()
            }
        for ref in ("member", "key", "value"):
            if ref in s:
                s[ref] = pick(s[ref], MEMBER_KEYS, f"shape {name}.{ref}")
        shapes[name] = s

    return {
        "botocoreVersion": botocore.__version__,
        "version": model.get("version"),
        "metadata": pick(model["metadata"], set(model["metadata"]) - PROSE, "metadata"),
        "operations": ops,
        "shapes": shapes,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=DEFAULT_OUT)
    args = parser.parse_args()

    src = os.path.join(os.path.dirname(botocore.__file__), "data", SERVICE, API_VERSION, "service-2.json.gz")
    with gzip.open(src, "rt", encoding="utf-8") as f:
        model = json.load(f)

    text = json.dumps(trim(model), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
