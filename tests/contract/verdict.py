#!/usr/bin/env python3
"""The contract run's verdict: every failed check of a schemathesis NDJSON report must be argued in argued.tsv.

    python3 tests/contract/verdict.py REPORT_DIR [argued.tsv]

Prints each failure that no argued line covers and exits 1 if there is one; prints how many argued failures it
saw per line and exits 0 otherwise. Standard library only.
"""
import collections
import os
import re
import sys
from urllib.parse import urlsplit

from summarize import load, text


def argued(path):
    rules = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            check, operation, status, contains = line.rstrip("\n").split("\t")
            rules.append((check, operation, int(status), contains))
    return rules


def matches(pattern, operation):
    """`*`, or `METHOD /path/{param}` against an operation label or a request's `METHOD /path/value`."""
    if pattern == "*":
        return True
    regex = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(pattern)) + "$"
    return re.match(regex, operation) is not None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rules = argued(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "argued.tsv"))
    covered = collections.Counter()
    unargued = []
    for event in load(sys.argv[1]):
        if "ScenarioFinished" not in event:
            continue
        rec = event["ScenarioFinished"]["recorder"]
        for case_id, checks in rec.get("checks", {}).items():
            inter = rec.get("interactions", {}).get(case_id) or {}
            response = inter.get("response") or {}
            status = response.get("status_code")
            body = text(response.get("content"))
            request = inter.get("request") or {}
            operation = rec["label"]
            if operation == "Stateful tests" and request:
                operation = f'{request.get("method", "?")} {urlsplit(request.get("uri", "")).path}'
            for check in checks:
                if check["status"] != "failure":
                    continue
                rule = next(
                    (r for r in rules
                     if r[0] == check["name"] and matches(r[1], operation) and r[2] == status and r[3] in body),
                    None,
                )
                if rule:
                    covered[rule] += 1
                else:
                    unargued.append((check["name"], operation, status, body[:200], request.get("uri", "")))
    for rule, n in sorted(covered.items()):
        print(f"argued  {n:5}x  {rule[0]}  {rule[1]}  [{rule[2]}] {rule[3]}")
    for name, operation, status, body, uri in unargued:
        print(f"UNARGUED  {name}  {operation}  [{status}] {body}  ({uri})")
    if unargued:
        print(f"{len(unargued)} failed check(s) not argued in argued.tsv")
        sys.exit(1)
    print("every failed check is argued in argued.tsv")


if __name__ == "__main__":
    main()
