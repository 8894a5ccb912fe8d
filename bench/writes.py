#!/usr/bin/env python3
"""What the change log costs a write: one build, two databases, one with the change log's triggers disabled.

    python3 bench/writes.py FOLIO [--rounds 30] [--articles 1000]

Each database is fresh (dropped afterwards) and holds the same `--articles`-article corpus and the demo blog; in
`log off` the triggers that append to the change log are disabled, in `log on` they run as shipped (the
dispatcher runs in both, with no webhook endpoint). Rounds alternate between the two so that drift of this shared
machine falls on both: each round is run.py's `writes` (a PUT creating an ~11 KB article with two tags and an
author, and the identical re-PUT, 10 each, deleted afterwards). Prints the medians over all rounds in Markdown.
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
    ap.add_argument("folio")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--articles", type=int, default=1000)
    args = ap.parse_args()
    folio = os.path.abspath(args.folio)
    builds = {"log off": folio, "log on": folio}
    servers, secrets, dbs = {}, {}, {}
    try:
        for i, (name, folio) in enumerate(builds.items()):
            db = f"folio_bench_writes_{i}"
            run.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            run.psql(f"CREATE DATABASE {db}")
            dbs[name] = db
            env = dict(os.environ, DATABASE_URL=f"{run.PG}/{db}", RUST_LOG="warn")
            run.sh([folio, "migrate"], env=env, stdout=subprocess.DEVNULL)
            run.sh(["nice", "-n", "10", folio, "seed", "--corpus", str(args.articles)], env=env,
                   stdout=subprocess.DEVNULL)
            run.sh([folio, "seed", "--demo"], env=env, stdout=subprocess.DEVNULL)
            if name == "log off":
                run.psql("ALTER TABLE articles DISABLE TRIGGER articles_log_insert, "
                         "DISABLE TRIGGER articles_log_update, DISABLE TRIGGER articles_log_delete; "
                         "ALTER TABLE tags DISABLE TRIGGER tags_log_insert, DISABLE TRIGGER tags_log_update, "
                         "DISABLE TRIGGER tags_log_delete", db)
            run.psql("VACUUM ANALYZE", db)
            secrets[name] = run.token(folio, db)
            servers[name] = run.Server(folio, db, run.BASE_PORT + 40 + i, cache=True)
        new = {name: [] for name in builds}
        again = {name: [] for name in builds}
        for _ in range(args.rounds):
            for name in builds:
                a, b = run.writes(servers[name].base, secrets[name], rounds=10)
                new[name].append(a)
                again[name].append(b)
        rev = subprocess.run(["git", "-C", run.ROOT, "rev-parse", "--short", "HEAD"], text=True,
                             capture_output=True).stdout.strip()
        print(f"\n| change log | PUT new, median ms | identical re-PUT, median ms |  ({rev}, {args.rounds} rounds of 10,"
              f" {args.articles} articles)")
        print("|---|---:|---:|")
        for name in builds:
            print(f"| {name} | {statistics.median(new[name]):.2f} | {statistics.median(again[name]):.2f} |")
    finally:
        for server in servers.values():
            server.stop()
        for db in dbs.values():
            run.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
