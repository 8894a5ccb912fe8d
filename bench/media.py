#!/usr/bin/env python3
"""Uploads and serving of media: what a 4000 × 3000 JPEG costs to upload (metadata stripped, variants made), and
how fast files are served against the ceiling answering the same number of bytes.

    python3 bench/media.py FOLIO [--ceiling CEILING] [--photos 5] [--duration 8]

Needs Pillow (`pip install pillow`) to make the photos: 4000 × 3000 RGB with gradients, shapes and noise (so that
JPEG has detail to encode), quality 90, EXIF with a GPS position, each from its own seed (no two alike). Two
release servers (2 workers each) on one fresh database, each with its own media directory: one with the default
variant widths (480, 960, 1600: six variants per photo), one with `FOLIO_MEDIA_WIDTHS=8192` (wider than any photo:
no variants), so that the difference is the variants' cost. Per server: the median (and range) of the photos'
upload times, sequential; then the same bytes again (answered from the existing file). Serving: `wrk -t2 -c32`
on the 960-pixel JPEG variant and on the original, and the ceiling with a body of the same size, in the same run.
"""
import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def photo(seed):
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(seed)
    w, h = 4000, 3000
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    r, g, b = img.split()
    img = Image.merge("RGB", (r, g.rotate(90, expand=False), b.transpose(Image.FLIP_LEFT_RIGHT)))
    draw = ImageDraw.Draw(img)
    for _ in range(120):
        x, y = rnd.randrange(w), rnd.randrange(h)
        s = rnd.randrange(40, 600)
        draw.ellipse((x, y, x + s, y + s), fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    img = img.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise((w, h), 24).convert("RGB")
    img = Image.blend(img, noise, 0.12)
    exif = Image.Exif()
    exif[0x0112] = 1
    gps = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 3.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def upload(base, secret, body):
    req = urllib.request.Request(f"{base}/api/v1/media", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {secret}", "Content-Type": "image/jpeg"})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as res:
        doc = res.read()
        status = res.status
    elapsed = (time.perf_counter() - start) * 1000
    import json
    return status, elapsed, json.loads(doc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folio")
    ap.add_argument("--ceiling")
    ap.add_argument("--photos", type=int, default=5)
    ap.add_argument("--duration", type=int, default=8)
    args = ap.parse_args()
    folio = os.path.abspath(args.folio)
    db = "folio_bench_media"
    run.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    run.psql(f"CREATE DATABASE {db}")
    env = dict(os.environ, DATABASE_URL=f"{run.PG}/{db}", RUST_LOG="warn")
    run.sh([folio, "migrate"], env=env, stdout=subprocess.DEVNULL)
    secret = run.token(folio, db)
    print(f"making {args.photos} photos of 4000 x 3000 ...", file=sys.stderr)
    photos = [photo(seed) for seed in range(args.photos)]
    dirs, procs = [], []
    try:
        results = {}
        served = None
        for i, (name, widths) in enumerate([("variants 480, 960, 1600", None), ("no variants", "8192")]):
            media_dir = tempfile.mkdtemp(prefix="folio-bench-media-")
            dirs.append(media_dir)
            port = run.BASE_PORT + 60 + i
            senv = dict(env, FOLIO_BIND=f"127.0.0.1:{port}", FOLIO_WORKERS="2", FOLIO_MEDIA_STORE=media_dir,
                        FOLIO_AUTH_FAILURES_PER_MINUTE="0")
            if widths:
                senv["FOLIO_MEDIA_WIDTHS"] = widths
            proc = subprocess.Popen([folio, "serve"], env=senv, stdout=subprocess.DEVNULL)
            procs.append(proc)
            base = f"http://127.0.0.1:{port}"
            run.wait_up(f"{base}/readyz", proc)
            # Each server its own bytes: one extra byte after the JPEG's end marker makes new content, which the
            # re-encoding drops.
            times, again, docs = [], [], []
            for body in photos:
                body = body + bytes([i])
                status, ms, doc = upload(base, secret, body)
                assert status == 201, status
                times.append(ms)
                docs.append(doc)
                status, ms, _ = upload(base, secret, body)
                assert status == 200, status
                again.append(ms)
            results[name] = (times, again, docs)
            if widths is None:
                served = (base, docs[0])
            else:
                proc.terminate()
                proc.wait(timeout=30)
        rev = subprocess.run(["git", "-C", run.ROOT, "rev-parse", "--short", "HEAD"], text=True,
                             capture_output=True).stdout.strip()
        sizes = [len(p) for p in photos]
        print(f"\nUploads of {args.photos} JPEGs of 4000 x 3000 ({min(sizes) / 1e6:.1f}-{max(sizes) / 1e6:.1f} MB, "
              f"EXIF with GPS), sequential, release build of {rev}, "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}:\n")
        print("| server | upload, median ms (min-max) | files stored | stored bytes (original / variants) "
              "| same bytes again, median ms |")
        print("|---|---:|---:|---:|---:|")
        for name, (times, again, docs) in results.items():
            doc = docs[0]
            variant_bytes = sum(v["bytes"] for v in doc["variants"])
            print(f"| {name} | {statistics.median(times):.0f} ({min(times):.0f}-{max(times):.0f}) | "
                  f"{1 + len(doc['variants'])} | {doc['bytes']:,} / {variant_bytes:,} | "
                  f"{statistics.median(again):.1f} |")
        base, doc = served
        print("\nThe first photo's files:\n")
        print("| file | bytes |")
        print("|---|---:|")
        print(f"| original.jpg (4000 x 3000, re-encoded at quality 90) | {doc['bytes']:,} |")
        for v in doc["variants"]:
            print(f"| {v['url'].rsplit('/', 1)[1]} ({v['width']} x {v['height']}) | {v['bytes']:,} |")
        print(f"\nServing (`wrk -t2 -c32`, {args.duration} s, the variants server):\n")
        print("| file | bytes | Folio req/s | ceiling req/s (same bytes) | Folio / ceiling | Folio p99 ms |")
        print("|---|---:|---:|---:|---:|---:|")
        variant = next(v for v in doc["variants"] if v["url"].endswith("/960w.jpg"))
        for label, url, size in [("960w.jpg", variant["url"], variant["bytes"]),
                                 ("original.jpg", doc["url"], doc["bytes"])]:
            path = url[url.index("/media/"):]
            folio_run = run.wrk(f"{base}{path}", args.duration, 32)
            assert folio_run["non2xx"] == 0
            ceiling = run.ceiling_rps(args.ceiling, size, args.duration, 32) if args.ceiling else None
            ratio = f"{folio_run['rps'] / ceiling:.2f}" if ceiling else "-"
            print(f"| {label} | {size:,} | {folio_run['rps']:,.0f} | "
                  f"{f'{ceiling:,.0f}' if ceiling else '-'} | {ratio} | {folio_run['p99']:.1f} |")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        run.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
