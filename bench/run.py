#!/usr/bin/env python3
"""Folio's load benchmark: Folio (release) against the bare actix-web ceiling, in the same run.

    python3 bench/run.py [--sizes 1000 100000] [--duration 5] [--connections 32]

For each corpus size it loads the corpus once into the database `folio_bench_<N>` (bulk path,
`folio seed --corpus N`), then runs wrk against each public read endpoint, once with the response cache (the
default) and once without it (FOLIO_CACHE_BYTES=0, every request reaches PostgreSQL), and measures the ceiling
with a body of the same size. Prints a Markdown table per size and writes it to bench/results/.
Needs wrk (Debian: apt-get install wrk) and a PostgreSQL server (BENCH_PG, default
postgres://postgres@127.0.0.1:5432) on which it may create databases.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CEILING_DIR = os.path.join(ROOT, "..", "shared", "bench", "ceiling")
FOLIO_PORT, CEILING_PORT = 18280, 18281
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def psql(sql, db="postgres"):
    out = subprocess.run(["psql", f"{PG}/{db}", "-Atqc", sql], check=True, text=True, capture_output=True)
    return out.stdout.strip()


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def wait_up(url, proc):
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            get(url)
            return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"{url} never answered")


def load(n, folio):
    db = f"folio_bench_{n}"
    exists = psql(f"SELECT count(*) FROM pg_database WHERE datname = '{db}'") == "1"
    if exists:
        try:
            if psql("SELECT count(*) FROM articles", db) == str(n):
                print(f"corpus of {n} already loaded in {db}", flush=True)
                return db
        except subprocess.CalledProcessError:
            pass
        psql(f"DROP DATABASE {db} WITH (FORCE)")
    psql(f"CREATE DATABASE {db}")
    env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", RUST_LOG="warn")
    started = time.time()
    sh([folio, "seed", "--corpus", str(n)], env=env)
    psql("VACUUM ANALYZE", db)
    print(f"loaded {n} articles in {time.time() - started:.0f}s "
          f"({psql(f'SELECT pg_size_pretty(pg_database_size(current_database()))', db)})", flush=True)
    return db


def to_ms(value):
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    number, unit = float(m.group(1)), m.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def wrk(url, duration, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         check=True, text=True, capture_output=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(0) if errors else ""}


def rss_kib(pid):
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)), int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


def endpoints(base, n):
    """The URLs to measure; the deep cursor is found by walking the listing to its middle."""
    deep, cursor, seen = None, "", 0
    while seen < n // 2:
        doc = json.loads(get(f"{base}/api/v1/articles?per_page=100&fields=slug&cursor={cursor}"))
        seen += len(doc["data"])
        cursor = doc["meta"]["pagination"]["next_cursor"]
        if not cursor:
            break
        deep = cursor
    middle = f"article-{n // 2}"
    return [
        ("list page 1", "/api/v1/articles"),
        ("list page 3", "/api/v1/articles?page=3"),
        ("deep cursor page", f"/api/v1/articles?cursor={deep or ''}"),
        ("tag page", "/api/v1/articles?tag=rust"),
        ("featured", "/api/v1/featured"),
        ("detail", f"/api/v1/articles/{middle}"),
        ("related", f"/api/v1/articles/{middle}/related"),
        ("tags with counts", "/api/v1/tags?sort=-article_count"),
        ("search", "/api/v1/articles?q=latency%20cache"),
    ]


def run_folio(folio, db, cache, urls, duration, connections):
    env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", FOLIO_BIND=f"127.0.0.1:{FOLIO_PORT}", RUST_LOG="warn",
               FOLIO_WORKERS="2", FOLIO_AUTH_FAILURES_PER_MINUTE="0", FOLIO_CACHE_BYTES=str(16 << 20 if cache else 0))
    proc = subprocess.Popen([folio, "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{FOLIO_PORT}"
    try:
        wait_up(f"{base}/readyz", proc)
        results = {}
        for name, path in urls(base):
            body = get(base + path)
            results[name] = dict(wrk(base + path, duration, connections), bytes=len(body), path=path)
        results["_rss"] = rss_kib(proc.pid)
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_ceiling(ceiling, sizes, duration, connections):
    out = {}
    for size in sorted(set(sizes)):
        env = dict(os.environ, BODY_BYTES=str(size), PORT=str(CEILING_PORT))
        proc = subprocess.Popen([ceiling], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_up(f"http://127.0.0.1:{CEILING_PORT}/", proc)
            out[size] = wrk(f"http://127.0.0.1:{CEILING_PORT}/", duration, connections)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000])
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sh(["apt-get", "install", "-y", "-q", "wrk"])
    sh(["cargo", "build", "--release", "--quiet", "--bin", "folio"], cwd=ROOT)
    sh(["cargo", "build", "--release", "--quiet", "--manifest-path", os.path.join(CEILING_DIR, "Cargo.toml"),
        "--target-dir", os.path.join(ROOT, "target", "ceiling")])
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    folio = os.path.join(target, "release", "folio")
    ceiling = os.path.join(ROOT, "target", "ceiling", "release", "ceiling")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, capture_output=True).stdout.strip()
    machine = f"{os.cpu_count()} cores, {platform.machine()}, {platform.release()}"
    for n in args.sizes:
        db = load(n, folio)
        fixed = {}

        def urls(base):
            if "list" not in fixed:
                fixed["list"] = endpoints(base, n)
            return fixed["list"]

        cached = run_folio(folio, db, True, urls, args.duration, args.connections)
        uncached = run_folio(folio, db, False, urls, args.duration, args.connections)
        ceiling_runs = run_ceiling(ceiling, [r["bytes"] for k, r in cached.items() if k != "_rss"],
                                   args.duration, args.connections)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"### {n:,} articles — {now}, commit {commit}, {machine}",
            "",
            f"wrk -t2 -c{args.connections} -d{args.duration}s per row; ceiling = bare actix-web with a body of the same size, same run.",
            "",
            "| endpoint | bytes | ceiling req/s | cached req/s | ratio | p50 ms | p99 ms | uncached req/s | ratio | p50 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, _ in fixed["list"]:
            c, u = cached[name], uncached[name]
            top = ceiling_runs[c["bytes"]]["rps"]
            bad = " ⚠" if c["non2xx"] or u["non2xx"] else ""
            lines.append(
                f"| {name}{bad} | {c['bytes']} | {top:,.0f} | {c['rps']:,.0f} | {c['rps'] / top:.0%} | {c['p50']:.2f} | "
                f"{c['p99']:.2f} | {u['rps']:,.0f} | {u['rps'] / top:.0%} | {u['p50']:.2f} | {u['p99']:.2f} |")
        lines += ["", f"Peak RSS: {cached['_rss'][0] / 1024:.1f} MiB with the cache, "
                      f"{uncached['_rss'][0] / 1024:.1f} MiB without.", ""]
        table = "\n".join(lines)
        print(table, flush=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M")
        with open(os.path.join(ROOT, "bench", "results", f"{stamp}-{n}.md"), "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
