#!/usr/bin/env python3
"""Two builds side by side on the hot paths, with the ceiling in the same run.

    python3 bench/compare.py OLD_FOLIO NEW_FOLIO --ceiling CEILING [--articles 1000] [--seconds 5] [--rounds 2]

One fresh database (`--articles` of the bench corpus and the demo blog) serves both builds in turn, each with the
response cache on and off (2 workers). Rounds alternate old and new so that drift of this shared machine falls on
both. Per round: `wrk -t2 -c32` on an article listing (cache on, cache off), an article (cache off) and the tags
(cache off); then run.py's writes (a PUT creating an ~11 KB article, and the identical re-PUT, 10 each). The
ceiling serves a body of the listing's size. Prints medians over rounds in Markdown.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--ceiling", required=True)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    builds = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    db = "folio_bench_compare"
    run.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    run.psql(f"CREATE DATABASE {db}")
    env = dict(os.environ, DATABASE_URL=f"{run.PG}/{db}", RUST_LOG="warn")
    try:
        run.sh([builds["new"], "migrate"], env=env, stdout=subprocess.DEVNULL)
        run.sh(["nice", "-n", "10", builds["new"], "seed", "--corpus", str(args.articles)], env=env,
               stdout=subprocess.DEVNULL)
        run.sh([builds["new"], "seed", "--demo"], env=env, stdout=subprocess.DEVNULL)
        run.psql("VACUUM ANALYZE", db)
        secret = run.token(builds["new"], db)
        slug = run.psql("SELECT slug FROM articles WHERE status = 'published' ORDER BY published_at DESC "
                        "LIMIT 1 OFFSET 5", db)
        paths = [("listing, cache on", True, "/api/v1/articles?per_page=10"),
                 ("listing, cache off", False, "/api/v1/articles?per_page=10"),
                 ("article, cache off", False, f"/api/v1/articles/{slug}"),
                 ("tags, cache off", False, "/api/v1/tags")]
        rps = {(b, name): [] for b in builds for name, _, _ in paths}
        put_new = {b: [] for b in builds}
        put_again = {b: [] for b in builds}
        size = 0
        for _ in range(args.rounds):
            for i, (build, folio) in enumerate(builds.items()):
                servers = {cache: run.Server(folio, db, run.BASE_PORT + 60 + 2 * i + cache, cache)
                           for cache in (False, True)}
                try:
                    for name, cache, path in paths:
                        url = servers[cache].base + path
                        run.wrk(url, 1, 32)
                        rps[(build, name)].append(run.wrk(url, args.seconds, 32)["rps"])
                    size = size or len(run.get(servers[True].base + paths[0][2]))
                    a, b = run.writes(servers[True].base, secret, rounds=10)
                    put_new[build].append(a)
                    put_again[build].append(b)
                finally:
                    for s in servers.values():
                        s.stop()
        ceiling = run.ceiling_rps(args.ceiling, size, args.seconds, 32)
        rev = subprocess.run(["git", "-C", run.ROOT, "rev-parse", "--short", "HEAD"], text=True,
                             capture_output=True).stdout.strip()
        print(f"\n| request | old, req/s | new, req/s | new / old | new / ceiling |  ({rev}, {args.rounds} rounds,"
              f" {args.articles} articles, ceiling {ceiling:.0f} req/s for {size} bytes)")
        print("|---|---:|---:|---:|---:|")
        for name, _, _ in paths:
            old, new = (statistics.median(rps[(b, name)]) for b in builds)
            print(f"| {name} | {old:.0f} | {new:.0f} | {new / old:.2f} | {new / ceiling:.1%} |")
        for label, data in (("PUT new article, median ms", put_new), ("identical re-PUT, median ms", put_again)):
            old, new = (statistics.median(data[b]) for b in builds)
            print(f"| {label} | {old:.2f} | {new:.2f} | {new / old:.2f} | |")
    finally:
        run.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
