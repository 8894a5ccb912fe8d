#!/usr/bin/env python3
"""Folio's benchmark: every public read at several corpus sizes side by side, against the bare actix-web ceiling,
in the same run.

    python3 bench/run.py [--sizes 1000 100000 1000000] [--duration 5] [--connections 32] [--single 15]
                         [--mixed-before PATH_TO_AN_OLDER_FOLIO] [--group all|reads|search]

For each corpus size it uses the database `folio_bench_<N>` (loaded once with `folio seed --corpus N` when it does
not hold exactly N articles; kept for later runs). One server per size runs with the response cache off
(FOLIO_CACHE_BYTES=0: every request reaches PostgreSQL) and one with it on. For each endpoint, in this order:
the median of `--single` sequential requests (a new connection each) on every size, then wrk at
`--connections` on every size, cache off, then cache on, then the ceiling with a body of the same size. Then
writes (PUT of a new ~11 KB article, and the identical re-PUT; median of 10 each, deleted afterwards), and a
mixed run on the largest size: wrk on list page 1 with the cache on while one article is rewritten every second
(each write empties the cache), with this build and, when given, with an older build for comparison.

Needs wrk (Debian: apt-get install wrk), curl, and a PostgreSQL server (BENCH_PG, default
postgres://postgres@127.0.0.1:5432) on which it may create databases. Prints Markdown and writes it to
bench/results/.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CEILING_DIR = os.path.join(ROOT, "..", "shared", "bench", "ceiling")
BASE_PORT, CEILING_PORT = 18300, 18299
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def psql(sql, db="postgres"):
    out = subprocess.run(["psql", f"{PG}/{db}", "-Atqc", sql], check=True, text=True, capture_output=True)
    return out.stdout.strip()


def get(url, method="GET", body=None, token=None):
    req = urllib.request.Request(url, method=method, data=body)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def wait_up(url, proc):
    for _ in range(600):
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
                return db, None
        except subprocess.CalledProcessError:
            pass
        psql(f"DROP DATABASE {db} WITH (FORCE)")
    psql(f"CREATE DATABASE {db}")
    env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", RUST_LOG="warn")
    sh([folio, "migrate"], env=env, stdout=subprocess.DEVNULL)
    started = time.time()
    sh(["nice", "-n", "10", folio, "seed", "--corpus", str(n)], env=env)
    took = time.time() - started
    psql("VACUUM ANALYZE", db)
    print(f"loaded {n} articles in {took:.0f}s", flush=True)
    return db, took


def to_ms(value):
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    number, unit = float(m.group(1)), m.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def wrk(url, duration, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", url],
                         check=True, text=True, capture_output=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(non2xx.group(1)) if non2xx else 0}


def single_ms(url, count):
    """Median and slowest wall time of `count` sequential requests, each on a new connection (curl), after one
    warm-up."""
    times = []
    for i in range(count + 1):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{http_code}", url],
                             check=True, text=True, capture_output=True).stdout.split()
        if out[1] != "200":
            sys.exit(f"{url} answered {out[1]}")
        if i:
            times.append(float(out[0]) * 1000)
    return statistics.median(times), max(times)


def rss_mib(pid):
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def endpoints(base, n, group):
    """The URLs to measure, the same at every size: the deep cursor is 50 pages of 10 (500 articles) in. Every
    corpus body holds every body word (`latency`, `cache`, `consistency`...), so a common word matches every
    article: the worst case of a search; `latency -cache` matches none, after reading two lists of every article;
    `777` (as typed, a prefix) matches the titles `Article 777...`, about 0.1% of any corpus."""
    reads, search = [], [
        ("search: common word", "/api/v1/articles?q=latency%20"),
        ("search: two words", "/api/v1/articles?q=latency%20cache%20"),
        ("search: phrase", "/api/v1/articles?q=%22latency%20cache%22"),
        ("search: negation", "/api/v1/articles?q=latency%20-cache"),
        ("search: typo", "/api/v1/articles?q=latncy%20"),
        ("search: typos, two words", "/api/v1/articles?q=consistnecy%20replcia%20"),
        ("search: as you type", "/api/v1/articles?q=consis"),
        ("search: common word, by date", "/api/v1/articles?q=latency%20&sort=-published_at"),
        ("search: rare word", "/api/v1/articles?q=777%20"),
        ("search: rare prefix", "/api/v1/articles?q=777"),
        ("suggest", "/api/v1/search/suggest?q=consis"),
        ("suggest: two words", "/api/v1/search/suggest?q=latency%20thr"),
    ]
    if group in ("all", "reads"):
        cursor = ""
        for _ in range(5):
            doc = json.loads(get(f"{base}/api/v1/articles?per_page=100&fields=slug&cursor={cursor}"))
            cursor = doc["meta"]["pagination"]["next_cursor"] or ""
        middle = f"article-{n // 2}"
        reads = [
            ("list page 1", "/api/v1/articles"),
            ("list ?page=500", "/api/v1/articles?page=500" if n >= 5000 else "/api/v1/articles?page=50"),
            ("cursor 50 pages deep", f"/api/v1/articles?cursor={cursor}"),
            ("tag page", "/api/v1/articles?tag=rust"),
            ("tag_all=rust,databases", "/api/v1/articles?tag_all=rust,databases"),
            ("author page", "/api/v1/articles?author=grace"),
            ("featured", "/api/v1/featured"),
            ("detail", f"/api/v1/articles/{middle}"),
            ("related", f"/api/v1/articles/{middle}/related"),
            ("/tags by count", "/api/v1/tags?sort=-article_count"),
            ("/authors", "/api/v1/authors"),
        ]
    return reads + (search if group in ("all", "search") else [])


class Server:
    def __init__(self, folio, db, port, cache):
        env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", FOLIO_BIND=f"127.0.0.1:{port}", RUST_LOG="warn",
                   FOLIO_WORKERS="2", FOLIO_AUTH_FAILURES_PER_MINUTE="0",
                   FOLIO_CACHE_BYTES=str(16 << 20 if cache else 0))
        self.proc = subprocess.Popen([folio, "serve"], env=env, stdout=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        wait_up(f"{self.base}/readyz", self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def ceiling_rps(ceiling, size, duration, connections):
    env = dict(os.environ, BODY_BYTES=str(size), PORT=str(CEILING_PORT))
    proc = subprocess.Popen([ceiling], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(f"http://127.0.0.1:{CEILING_PORT}/", proc)
        return wrk(f"http://127.0.0.1:{CEILING_PORT}/", duration, connections)["rps"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def token(folio, db):
    env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", RUST_LOG="warn")
    out = subprocess.run([folio, "token", "create", "--name", "bench", "--scope", "content:write"], env=env,
                         check=True, text=True, capture_output=True).stdout
    return out.splitlines()[0].strip()


def revoke_bench_tokens(folio, db):
    psql("DELETE FROM api_tokens WHERE name = 'bench'", db)


ARTICLE = {
    "title": "A benchmark write",
    "body_markdown": "\n\n".join(["## Part\n\n" + " ".join(["Latency and throughput, measured."] * 60)] * 6),
    "status": "published",
    "published_at": "2026-10-01T00:00:00Z",
    "tags": ["rust", "databases"],
    "authors": ["ada"],
}


def writes(base, secret, rounds=10):
    """Median ms of a PUT creating an article and of the identical re-PUT (200, nothing written)."""
    body = json.dumps(ARTICLE).encode()
    new, again = [], []
    for k in range(rounds):
        url = f"{base}/api/v1/articles/bench-put-{k}"
        t = time.perf_counter()
        get(url, "PUT", body, secret)
        new.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        get(url, "PUT", body, secret)
        again.append((time.perf_counter() - t) * 1000)
    for k in range(rounds):
        get(f"{base}/api/v1/articles/bench-put-{k}", "DELETE", None, secret)
    return statistics.median(new), statistics.median(again)


def mixed(folio, db, secret, duration, connections):
    """wrk on list page 1 (cache on) while one article is rewritten every second; req/s and p99."""
    server = Server(folio, db, BASE_PORT + 90, True)
    stop = threading.Event()
    written = [0]

    def writer():
        k = 0
        while not stop.is_set():
            doc = dict(ARTICLE, title=f"Mixed write {k}")
            get(f"{server.base}/api/v1/articles/bench-mixed", "PUT", json.dumps(doc).encode(), secret)
            written[0] += 1
            k += 1
            stop.wait(1.0)

    try:
        thread = threading.Thread(target=writer)
        thread.start()
        result = wrk(f"{server.base}/api/v1/articles", duration, connections)
        stop.set()
        thread.join()
        get(f"{server.base}/api/v1/articles/bench-mixed", "DELETE", None, secret)
        return dict(result, writes=written[0])
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000])
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--single", type=int, default=15)
    ap.add_argument("--mixed-before", help="an older folio binary to compare the mixed run with")
    ap.add_argument("--group", choices=["all", "reads", "search"], default="all",
                    help="which endpoints: every one, the listings and single reads, or search and suggest")
    args = ap.parse_args()
    for tool in ("wrk", "curl"):
        if not shutil.which(tool):
            sh(["apt-get", "install", "-y", "-q", tool])
    sh(["cargo", "build", "--release", "--quiet", "--bin", "folio"], cwd=ROOT)
    sh(["cargo", "build", "--release", "--quiet", "--manifest-path", os.path.join(CEILING_DIR, "Cargo.toml"),
        "--target-dir", os.path.join(ROOT, "target", "ceiling")])
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    folio = os.path.join(target, "release", "folio")
    ceiling = os.path.join(ROOT, "target", "ceiling", "release", "ceiling")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True).stdout.strip()
    machine = f"{os.cpu_count()} cores, {platform.machine()}, {platform.release()}"
    sizes = args.sizes
    dbs, loads = {}, {}
    for n in sizes:
        dbs[n], loads[n] = load(n, folio)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    off = {n: Server(folio, dbs[n], BASE_PORT + 2 * i, False) for i, n in enumerate(sizes)}
    on = {n: Server(folio, dbs[n], BASE_PORT + 2 * i + 1, True) for i, n in enumerate(sizes)}
    rows = []
    try:
        urls = {n: endpoints(off[n].base, n, args.group) for n in sizes}
        for e, (name, _) in enumerate(urls[sizes[0]]):
            row = {"name": name, "single": {}, "off": {}, "on": {}, "bytes": {}}
            for n in sizes:
                path = urls[n][e][1]
                row["bytes"][n] = len(get(off[n].base + path))
                row["single"][n], row.setdefault("slowest", {})[n] = single_ms(off[n].base + path, args.single)
            for n in sizes:
                row["off"][n] = wrk(off[n].base + urls[n][e][1], args.duration, args.connections)
            for n in sizes:
                row["on"][n] = wrk(on[n].base + urls[n][e][1], args.duration, args.connections)
            row["ceiling"] = ceiling_rps(ceiling, row["bytes"][sizes[-1]], args.duration, args.connections)
            rows.append(row)
            print(name, json.dumps(row), flush=True)
        rss = {n: (rss_mib(off[n].proc.pid), rss_mib(on[n].proc.pid)) for n in sizes}
        secrets = {n: token(folio, dbs[n]) for n in sizes}
        put = {n: writes(off[n].base, secrets[n]) for n in sizes}
    finally:
        for s in list(off.values()) + list(on.values()):
            s.stop()
    big = sizes[-1]
    mixed_after = mixed(folio, dbs[big], secrets[big], args.duration * 2, args.connections)
    mixed_before = (mixed(args.mixed_before, dbs[big], secrets[big], args.duration * 2, args.connections)
                    if args.mixed_before else None)
    for n in sizes:
        revoke_bench_tokens(folio, dbs[n])
    size_mib = {n: int(psql("SELECT pg_database_size(current_database())", dbs[n])) / 2**20 for n in sizes}

    first, last = sizes[0], sizes[-1]
    k = lambda n: f"{n // 1000:,}k" if n < 1_000_000 else f"{n // 1_000_000}M"
    out = [f"### {', '.join(k(n) for n in sizes)} articles — {started}, commit {commit}, {machine}", "",
           f"Cache off unless said. single = median of {args.single} sequential requests (new connection each); "
           f"req/s, p50, p99 = wrk -t2 -c{args.connections} -d{args.duration}s. Ceiling = bare actix-web, body of the "
           f"{k(last)} response's size, same run. {k(last)}÷{k(first)} = the {k(last)} figure over the {k(first)} one "
           f"(time for single, req/s for load).", "",
           "| endpoint | " + " | ".join(f"single ms {k(n)}" for n in sizes) + f" | single slowest ms {k(last)} | "
           f"single {k(last)}÷{k(first)} | "
           + " | ".join(f"req/s {k(n)}" for n in sizes) + f" | req/s {k(last)}÷{k(first)} | p50 ms {k(last)} | "
           f"p99 ms {k(last)} | "
           f"ceiling req/s | uncached {k(last)} ÷ ceiling | cached req/s {k(last)} | cached ÷ ceiling |",
           "|---|" + "---:|" * (2 * len(sizes) + 10)]
    for r in rows:
        bad = " ⚠" if any(r[m][n]["non2xx"] for m in ("off", "on") for n in sizes) else ""
        out.append(
            f"| {r['name']}{bad} | " + " | ".join(f"{r['single'][n]:.2f}" for n in sizes)
            + f" | {r['slowest'][last]:.1f} | {r['single'][last] / r['single'][first]:.2f}× | "
            + " | ".join(f"{r['off'][n]['rps']:,.0f}" for n in sizes)
            + f" | {r['off'][last]['rps'] / r['off'][first]['rps']:.2f} | {r['off'][last]['p50']:.1f} | "
            f"{r['off'][last]['p99']:.1f} | "
            f"{r['ceiling']:,.0f} | {r['off'][last]['rps'] / r['ceiling']:.1%} | {r['on'][last]['rps']:,.0f} | "
            f"{r['on'][last]['rps'] / r['ceiling']:.0%} |")
    out += ["", "| corpus | PUT new, ms | identical re-PUT, ms | server RSS peak, MiB (cache off / on) | database | per 1,000 articles | load time |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        load_time = f"{loads[n]:.0f} s" if loads[n] else "(kept from an earlier run)"
        out.append(f"| {k(n)} | {put[n][0]:.1f} | {put[n][1]:.1f} | {rss[n][0]:.1f} / {rss[n][1]:.1f} | "
                   f"{size_mib[n]:,.0f} MiB | {size_mib[n] / n * 1000:.1f} MiB | {load_time} |")
    out += ["", f"Mixed run at {k(big)} (list page 1, cache on, wrk c{args.connections} for {args.duration * 2} s, "
                f"one article rewritten every second):", "",
            "| build | req/s | p50 ms | p99 ms | writes |", "|---|---:|---:|---:|---:|",
            f"| this commit | {mixed_after['rps']:,.0f} | {mixed_after['p50']:.2f} | {mixed_after['p99']:.1f} | "
            f"{mixed_after['writes']} |"]
    if mixed_before:
        out.append(f"| {os.path.basename(args.mixed_before)} | {mixed_before['rps']:,.0f} | "
                   f"{mixed_before['p50']:.2f} | {mixed_before['p99']:.1f} | {mixed_before['writes']} |")
    table = "\n".join(out) + "\n"
    print(table, flush=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M")
    with open(os.path.join(ROOT, "bench", "results", f"{stamp}-{'-'.join(str(n) for n in sizes)}.md"), "w") as f:
        f.write(table)


if __name__ == "__main__":
    main()
