#!/usr/bin/env python3
"""Sitemaps and feeds at scale: time to first byte, total time, size and the server's memory, at 1,000 and
1,000,000 articles side by side, in one run.

    python3 bench/sitemaps.py FOLIO_BIN [--ceiling CEILING_BIN] [--sizes 1000 1000000] [--repeat 5]

For each size it uses the database `folio_bench_<N>` (loaded with `folio seed --corpus N` when it does not hold
exactly N articles), starts one server on it (response cache off, so every request reads PostgreSQL), sets the
site's URL, and measures with curl, each the median of `--repeat` requests on new connections:
- `/api/v1/sitemap.xml` (at 1,000: the whole sitemap; at 1,000,000: the index, whose parts' starts take one
  index-only pass over the public timeline);
- the first, a middle and the last part of the articles (each 50,000 URLs, streamed), when there is an index;
- a conditional request with the sitemap's ETag (304);
- the RSS feed of the site (20 items, full content).
Memory: the server's peak resident set (VmHWM) before the first request and after the last. With `--ceiling`
(the bare actix-web server of ../shared/bench/ceiling, built with `cargo build --release`), each 200 row is also
timed against the ceiling serving a body of the same size, in the same run. Prints Markdown.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PORT = 18400


def psql(sql, db="postgres"):
    out = subprocess.run(["psql", f"{PG}/{db}", "-Atqc", sql], check=True, text=True, capture_output=True)
    return out.stdout.strip()


def ensure_corpus(folio, n):
    db = f"folio_bench_{n}"
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'"):
        psql(f"CREATE DATABASE {db}")
    try:
        have = int(psql("SELECT count(*) FROM articles", db))
    except subprocess.CalledProcessError:
        have = -1
    if have != n:
        psql(f"DROP DATABASE {db}")
        psql(f"CREATE DATABASE {db}")
        env = dict(os.environ, DATABASE_URL=f"{PG}/{db}")
        subprocess.run(["nice", "-n", "10", folio, "seed", "--corpus", str(n)], env=env, check=True)
    return db


def hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def curl(url, headers=()):
    """(status, seconds to first byte, seconds in all, bytes, etag)"""
    args = ["curl", "-s", "-o", "/dev/null", "-D", "-", "-w",
            "\n%{http_code} %{time_starttransfer} %{time_total} %{size_download}", url]
    for h in headers:
        args[1:1] = ["-H", h]
    out = subprocess.run(args, check=True, text=True, capture_output=True).stdout
    head, _, stats = out.rpartition("\n")
    code, ttfb, total, size = stats.split()
    etag = next((l.split(":", 1)[1].strip() for l in head.splitlines() if l.lower().startswith("etag:")), None)
    return int(code), float(ttfb), float(total), int(size), etag


def measure(url, repeat, headers=()):
    runs = [curl(url, headers) for _ in range(repeat)]
    codes = {r[0] for r in runs}
    return {
        "status": "/".join(str(c) for c in sorted(codes)),
        "ttfb_ms": statistics.median(r[1] for r in runs) * 1000,
        "total_ms": statistics.median(r[2] for r in runs) * 1000,
        "bytes": runs[-1][3],
        "etag": runs[-1][4],
    }


CEILING_PORT = 18401


def ceiling_ms(ceiling, size, repeat):
    """The ceiling's median total time for a body of `size` bytes."""
    env = dict(os.environ, BODY_BYTES=str(size), PORT=str(CEILING_PORT))
    proc = subprocess.Popen([ceiling], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{CEILING_PORT}/", timeout=1).read()
                break
            except Exception:
                time.sleep(0.1)
        return measure(f"http://127.0.0.1:{CEILING_PORT}/", repeat)["total_ms"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_size(folio, n, repeat):
    db = ensure_corpus(folio, n)
    env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", FOLIO_BIND=f"127.0.0.1:{PORT}", FOLIO_CACHE_BYTES="0",
               FOLIO_DISPATCH="false", RUST_LOG="warn")
    token = subprocess.run([folio, "token", "create", "--name", "bench-sitemaps", "--scope", "admin"], env=env,
                           check=True, text=True, capture_output=True).stdout.splitlines()[0].strip()
    server = subprocess.Popen([folio, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.5)
        req = urllib.request.Request(base + "/api/v1/site", method="PATCH",
                                     data=json.dumps({"url": "https://bench.example.com"}).encode())
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Content-Type", "application/merge-patch+json")
        urllib.request.urlopen(req, timeout=30).read()
        rows = {}
        before = hwm_kib(server.pid)
        # The first request after a change finds where the index's parts start; later ones reuse that.
        rows["sitemap.xml, first request"] = measure(base + "/api/v1/sitemap.xml", 1)
        rows["sitemap.xml"] = measure(base + "/api/v1/sitemap.xml", repeat)
        body = urllib.request.urlopen(base + "/api/v1/sitemap.xml", timeout=600).read().decode()
        parts = [p.replace("&amp;", "&") for p in re.findall(r"<sitemap><loc>(.*?)</loc>", body)]
        articles = [p for p in parts if "/articles.xml" in p]
        if articles:
            for name, url in [("first part", articles[0]), ("middle part", articles[len(articles) // 2]),
                              ("last part", articles[-1])]:
                rows[f"articles, {name} (of {len(articles)})"] = measure(url, repeat)
        etag = rows["sitemap.xml"]["etag"]
        rows["sitemap.xml, If-None-Match"] = measure(base + "/api/v1/sitemap.xml", repeat,
                                                    (f"If-None-Match: {etag}",))
        rows["feeds/rss (20 items)"] = measure(base + "/api/v1/feeds/rss", repeat)
        after = hwm_kib(server.pid)
        return rows, before, after
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folio")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--ceiling")
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], text=True, capture_output=True).stdout.strip()
    print(f"Sitemaps and feeds, commit {commit}, {time.strftime('%Y-%m-%d %H:%M')} UTC; median of {args.repeat}, "
          "new connection each, response cache off.\n")
    print("| corpus | request | status | first byte, ms | total, ms | bytes | ceiling, same bytes, ms |")
    print("|---|---|---|---:|---:|---:|---:|")
    for n in args.sizes:
        rows, before, after = run_size(args.folio, n, args.repeat)
        for name, r in rows.items():
            ceiling = ""
            if args.ceiling and r["status"] == "200":
                ceiling = f"{ceiling_ms(args.ceiling, r['bytes'], args.repeat):.1f}"
            print(f"| {n:,} | {name} | {r['status']} | {r['ttfb_ms']:.1f} | {r['total_ms']:.1f} | {r['bytes']:,} | "
                  f"{ceiling} |")
        print(f"| {n:,} | server peak RSS | | | {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after | | |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
