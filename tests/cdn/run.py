#!/usr/bin/env python3
"""The CDN recipe, tested: Varnish with docs/varnish/folio.vcl (as committed) in front of a real Folio.

    FOLIO_BIN=target/debug/folio DATABASE_URL=postgres://.../empty python3 tests/cdn/run.py

Fills Varnish with an article listing, five articles' pages, the settings and the page listing, then checks that
a write through Varnish purges exactly what it changed (the edited article's page, its neighbours' pages, the
listing; not the other articles, the settings or the pages), that a write straight to Folio is purged by a
`PURGE` with its `Purge-Keys`, and that a purged page comes back fresh. Exits 1 on the first failed check.
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VCL = os.path.join(HERE, "..", "..", "docs", "varnish", "folio.vcl")
FOLIO_PORT, VARNISH_PORT = 18190, 18191


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = dict(headers or {})
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, {k.lower(): v for k, v in res.getheaders()}, data


def until_ready(port, proc, name):
    """Waits until `/readyz` through `port` answers 200 (Varnish passes it to Folio)."""
    deadline = time.time() + 30
    while True:
        try:
            if request(port, "GET", "/readyz")[0] == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            sys.exit(f"[cdn] {name} did not start (Varnish logs to its -n directory's varnishd.log)")
        time.sleep(0.1)


def check(condition, message):
    if not condition:
        sys.exit(f"[cdn] FAILED: {message}")
    print(f"[cdn] ok: {message}", flush=True)


def main():
    folio = os.environ.get("FOLIO_BIN", "target/debug/folio")
    database = os.environ["DATABASE_URL"]
    for tool in ("varnishd",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install varnish varnish-modules)")
    env = dict(os.environ, DATABASE_URL=database, FOLIO_BIND=f"127.0.0.1:{FOLIO_PORT}", RUST_LOG="warn",
               FOLIO_AUTH_FAILURES_PER_MINUTE="0")
    subprocess.run([folio, "migrate"], env=env, check=True, capture_output=True)
    token = subprocess.run([folio, "token", "create", "--name", "cdn", "--scope", "admin"], env=env, check=True,
                           text=True, capture_output=True).stdout.splitlines()[0].strip()
    auth = {"Authorization": f"Bearer {token}"}
    work = tempfile.mkdtemp(prefix="folio-varnish-")
    os.chmod(work, 0o755)
    server = subprocess.Popen([folio, "serve"], env=env, stdout=subprocess.DEVNULL)
    varnish = None
    try:
        until_ready(FOLIO_PORT, server, "Folio")
        varnish = subprocess.Popen(["varnishd", "-F", "-n", work, "-a", f"127.0.0.1:{VARNISH_PORT}",
                                    "-f", os.path.abspath(VCL), "-s", "malloc,32m"],
                                   stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "varnishd.log"), "w"))
        until_ready(VARNISH_PORT, varnish, "Varnish")

        ids = {}
        for i, slug in enumerate("abcde"):
            status, _, body = request(VARNISH_PORT, "PUT", f"/api/v1/articles/{slug}", {
                "title": slug.upper(), "body_markdown": f"{slug} version 1", "status": "published",
                "published_at": f"2026-01-0{i + 1}T00:00:00Z"}, auth)
            check(status == 201, f"PUT {slug} through Varnish: {status}")
            ids[slug] = json.loads(body)["id"]
        status, _, _ = request(VARNISH_PORT, "PUT", "/api/v1/pages/about",
                               {"title": "About", "body_markdown": "Hi.", "status": "published"}, auth)
        check(status == 201, "PUT a page")

        pages = ["/api/v1/articles"] + [f"/api/v1/articles/{s}" for s in "abcde"] + ["/api/v1/site",
                                                                                      "/api/v1/pages"]

        def cdn(path):
            status, headers, body = request(VARNISH_PORT, "GET", path)
            return status, headers.get("x-cdn"), body

        for path in pages:
            cdn(path)
        for path in pages:
            status, state, _ = cdn(path)
            check(status == 200 and state == "hit", f"{path} is served from Varnish ({state})")

        # A write through Varnish purges what it changed: `c`, its neighbours `b` and `d`, the listing.
        status, headers, _ = request(VARNISH_PORT, "PATCH", "/api/v1/articles/c",
                                     {"body_markdown": "c version 2"}, auth)
        check(status == 200 and "purge-keys" in headers, f"PATCH c answers Purge-Keys: {headers.get('purge-keys')}")
        expected = {"/api/v1/articles", "/api/v1/articles/b", "/api/v1/articles/c", "/api/v1/articles/d"}
        for path in pages:
            status, state, body = cdn(path)
            want = "miss" if path in expected else "hit"
            check(state == want, f"after PATCH c, {path} is a {want} ({state})")
        status, _, body = cdn("/api/v1/articles/c")
        check(b"c version 2" in body, "c's page is the new version")

        # A write straight to Folio: Varnish knows nothing until a PURGE names its keys.
        status, headers, _ = request(FOLIO_PORT, "PATCH", "/api/v1/articles/a", {"title": "A, again"}, auth)
        keys = headers.get("purge-keys", "")
        check(status == 200 and f"article:{ids['a']}" in keys.split(), f"a direct PATCH names a's key: {keys}")
        _, state, body = cdn("/api/v1/articles/a")
        check(state == "hit" and b"A, again" not in body, "before the purge Varnish still has the old a")
        status, _, body = request(VARNISH_PORT, "PURGE", "/", headers={"xkey-purge": keys})
        gone = body.decode(errors="replace").split("<title>")[-1].split("</title>")[0]
        check(status == 200, f"PURGE answers {status}: {gone}")
        _, state, body = cdn("/api/v1/articles/a")
        check(state == "miss" and b"A, again" in body, "after the purge a is fresh")
        _, state, _ = cdn("/api/v1/articles/e")
        check(state == "hit", "e, which a's change did not touch, is still kept")
        _, state, _ = cdn("/api/v1/site")
        check(state == "hit", "the settings are still kept")
        # The settings purge what shows them.
        status, headers, _ = request(VARNISH_PORT, "PATCH", "/api/v1/site", {"title": "Notes"}, auth)
        check(status == 200, "PATCH /site through Varnish")
        _, state, body = cdn("/api/v1/site")
        check(state == "miss" and b"Notes" in body, "the settings are fresh after their write")
        _, state, _ = cdn("/api/v1/articles/e")
        check(state == "hit", "and the articles' pages are kept")
        print("[cdn] all checks passed", flush=True)
    finally:
        if varnish:
            varnish.terminate()
            varnish.wait()
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
