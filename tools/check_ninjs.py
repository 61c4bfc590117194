#!/usr/bin/env python3
"""Validates every public story of a running site, as served by the Content API's ninjs
endpoint, against the IPTC ninjs JSON Schema (jsonschema, draft 2020-12, formats checked).

    python3 tools/check_ninjs.py http://127.0.0.1:8080 KEY ../shared/data/ninjs/schema/ninjs-schema_2.1.json

Also checks that the schema rejects every one of the IPTC's own not-valid examples beside it
(and that there are some), so a validator that accepts everything cannot pass. Exit 1 on any
problem.
"""

import glob
import json
import os
import sys
import urllib.request

import jsonschema


def get(url, key):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def main():
    origin, key, schema_path = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    schema = json.load(open(schema_path))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = []

    examples = os.path.join(os.path.dirname(schema_path), "..", "examples")
    invalid = sorted(glob.glob(os.path.join(examples, "not-valid", "*.json")))
    if not invalid:
        problems.append(f"no IPTC not-valid examples under {examples}: the validator cannot be checked")
    for f in invalid:
        if validator.is_valid(json.load(open(f))):
            problems.append(f"the validator accepts the IPTC not-valid example {os.path.basename(f)}")
    rejected = len(invalid) - sum(1 for p in problems if "accepts the IPTC not-valid" in p)
    print(f"the schema rejects {rejected} of {len(invalid)} IPTC not-valid examples")

    url = f"{origin}/api/v1/articles?limit=100"
    checked = 0
    while url:
        page = get(url, key)
        for a in page["articles"]:
            item = get(f"{origin}/api/v1/articles/{a['slug']}/ninjs", key)
            for e in validator.iter_errors(item):
                problems.append(f"{a['slug']}: {e.json_path}: {e.message[:200]}")
            checked += 1
        url = page["meta"]["next"]
    print(f"{checked} stories as ninjs 2.1: {len(problems)} problems")
    if checked == 0:
        problems.append("no stories to check")
    for p in problems:
        print("PROBLEM:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
