#!/usr/bin/env python3
"""Summarize a schemathesis NDJSON report written by run.sh.

    python3 tests/contract/summarize.py REPORT_DIR_OR_NDJSON [--bodies]

Prints, per operation: test cases by phase and generation mode, response status codes, and every failed check
with the status code and a short excerpt of the response (with --bodies). Standard library only.
"""
import base64
import collections
import glob
import json
import os
import sys


def load(path):
    if os.path.isdir(path):
        files = sorted(glob.glob(os.path.join(path, "*.ndjson")))
        if not files:
            sys.exit(f"no .ndjson report in {path}")
        path = files[-1]
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def text(content):
    if content is None:
        return ""
    if isinstance(content, dict) and "$base64" in content:
        raw = base64.b64decode(content["$base64"])
        return raw.decode("utf-8", "replace")
    return str(content)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    bodies = "--bodies" in sys.argv
    if not args:
        sys.exit(__doc__)
    ops = collections.defaultdict(lambda: {
        "cases": collections.Counter(), "statuses": collections.Counter(), "failures": collections.defaultdict(list)})
    running_time = None
    skipped = collections.defaultdict(list)
    seen = set()
    for event in load(args[0]):
        if "EngineFinished" in event:
            running_time = event["EngineFinished"]["running_time"]
        if "ScenarioFinished" not in event:
            continue
        sc = event["ScenarioFinished"]
        rec = sc["recorder"]
        if sc.get("status") == "skip":
            skipped[rec["label"]].append(f'{sc["phase"]}: {sc.get("skip_reason")}')
        for case_id, case in rec.get("cases", {}).items():
            value = case["value"]
            label = rec["label"]
            sent = f'{value["method"]} {value["path"]}'
            key = (sc["phase"], case_id)
            if key in seen:
                continue
            seen.add(key)
            meta = value.get("meta") or {}
            mode = (meta.get("generation") or {}).get("mode", "?")
            op = ops[label]
            if label != "Stateful tests" and sent.split(" ", 1)[0] != label.split(" ", 1)[0]:
                op["cases"][f'{sc["phase"]}/method-probe'] += 1
            else:
                op["cases"][f'{sc["phase"]}/{mode}'] += 1
            inter = rec.get("interactions", {}).get(case_id)
            status = inter["response"]["status_code"] if inter and inter.get("response") else None
            op["statuses"][status] += 1
            for check in rec.get("checks", {}).get(case_id, []):
                if check["status"] == "failure":
                    body = text(inter["response"].get("content")) if inter and inter.get("response") else ""
                    req = inter["request"] if inter else {}
                    info = (check.get("failure_info") or {}).get("failure") or {}
                    first = (info.get("message") or info.get("title") or "").strip().splitlines()
                    op["failures"][check["name"]].append(
                        (status, first[0] if first else "", f'{req.get("method")} {req.get("uri")}', body[:300]))
    total = 0
    for label in sorted(set(ops) | set(skipped), key=lambda s: (s.split(" ", 1)[1], s)):
        if label not in ops:
            print(f"{label}: 0 cases; skipped: {skipped[label]}")
    for label in sorted(ops, key=lambda s: (s.split(" ", 1)[1], s)):
        op = ops[label]
        n = sum(op["cases"].values())
        total += n
        print(f"{label}: {n} cases")
        print("   phases/modes:", dict(sorted(op["cases"].items())))
        if skipped.get(label):
            print("   skipped:     ", "; ".join(skipped[label]))
        print("   statuses:    ", dict(sorted(op["statuses"].items(), key=lambda kv: str(kv[0]))))
        for name, items in sorted(op["failures"].items()):
            print(f"   FAILED {name}: {len(items)} test cases")
            distinct = collections.Counter((s, msg) for s, msg, _, _ in items)
            for (s, msg), n in distinct.most_common():
                print(f"      {n}x [{s}] {msg}")
            if bodies:
                for s, _, req, body in items[:3]:
                    print(f"      e.g. {req}\n         -> [{s}] {body}")
    real_ops = [label for label in ops if label != "Stateful tests"]
    print(f"operations: {len(real_ops)} (+ stateful scenarios), test cases: {total}, "
          f"running time: {running_time and round(running_time, 1)}s")


if __name__ == "__main__":
    main()
