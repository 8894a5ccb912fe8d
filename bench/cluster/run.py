#!/usr/bin/env python3
"""The cluster proof: Folio on more than one machine's worth of parts, on loopback.

    python3 bench/cluster/run.py FOLIO [--duration 60] [--scaling] [--ceiling CEILING]

Starts a private PostgreSQL primary and a real streaming replica of it (`pg_basebackup -R`, with a replication
slot), three Folio instances reading from the replica (`DATABASE_REPLICA_URLS`), and HAProxy from the distribution
with `bench/cluster/haproxy.cfg` as committed (health checks on `/readyz`). Then, under a bounded mixed load
through HAProxy (readers of listings and articles, writers doing idempotent PUTs of their own articles), it kills
one instance (SIGKILL) and starts it again, then stops the replica (immediate shutdown) and starts it again, and
reports:

- requests failed as the client saw them (anything but 2xx/3xx, or no answer): target 0, HAProxy's retries
  included (a request an instance never answered, or answered 503, is retried on another);
- stale reads: each acknowledged write is read back through HAProxy at once, and again after the documented bound
  (`--bound-ms`, 50): a read after the bound that shows an older version is stale (target 0);
- acknowledged writes lost: every acknowledged version must be in the primary at the end (target 0);
- each instance's `/readyz` replica counters (the replica served reads; it was skipped while down).

Exits 1 when a target is missed. With `--scaling`, it then measures read throughput through HAProxy (wrk) with 1,
2 and 3 instances, and with the response cache off, reads served by the replica against reads from the primary
(and, with `--ceiling`, bare actix-web on the same machine in the same run). Everything it starts, it stops.
"""
import argparse
import glob
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "haproxy.cfg")
LB_PORT = 18180
PORTS = [18181, 18182, 18183]
PRIMARY_PORT, REPLICA_PORT = 55440, 55441
CEILING_PORT = 18189


def log(msg):
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pg_bin(name):
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    for d in reversed(dirs):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: install PostgreSQL's server programs")
    return found


def as_pg(cmd):
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


class Postgres:
    def __init__(self, root, name, port):
        self.dir = os.path.join(root, name)
        self.data = os.path.join(self.dir, "data")
        self.port = port
        self.log = os.path.join(self.dir, "postgres.log")
        os.makedirs(self.dir)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    def url(self, db="folio"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def configure(self):
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.dir}'\nmax_connections = 200\n")

    def init_primary(self):
        run(as_pg([pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                   "--locale=C"]))
        self.configure()

    def init_replica_of(self, primary):
        run(as_pg([pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                   "-D", self.data, "-R", "-X", "stream", "-C", "-S", "folio_replica", "-c", "fast"]))
        self.configure()

    def start(self):
        run(as_pg([pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"]))

    def stop(self, mode="fast"):
        subprocess.run(as_pg([pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"]),
                       capture_output=True)

    def psql(self, sql, db="folio"):
        return run(["psql", self.url(db), "-Atqc", sql]).stdout.strip()


class Instance:
    def __init__(self, folio, port, primary, replica, cache=True, workers=1):
        self.folio, self.port = folio, port
        self.logs = os.path.dirname(primary.dir)
        self.env = dict(os.environ, DATABASE_URL=primary.url(), FOLIO_BIND=f"127.0.0.1:{port}", RUST_LOG="warn",
                        FOLIO_WORKERS=str(workers), FOLIO_AUTH_FAILURES_PER_MINUTE="0",
                        FOLIO_TRUSTED_PROXIES="127.0.0.1", FOLIO_AUTO_MIGRATE="false",
                        FOLIO_CACHE_BYTES=str(16 << 20 if cache else 0),
                        DATABASE_REPLICA_URLS=replica.url() if replica else "")
        self.proc = None

    def start(self):
        # Its log (a replica or instance going away is logged) is kept beside the clusters' while the run lasts.
        with open(os.path.join(self.logs, f"folio-{self.port}.log"), "a") as out:
            self.proc = subprocess.Popen([self.folio, "serve"], env=self.env, stdout=subprocess.DEVNULL,
                                         stderr=out)
        wait_ready(self.port)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def request(port, method, path, body=None, token=None, timeout=15):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def wait_ready(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if request(port, "GET", "/readyz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"the instance on port {port} never became ready")


class HAProxy:
    def __init__(self, root, servers=3):
        text = open(CONFIG).read()
        keep = {f"folio{i + 1}" for i in range(servers)}
        lines = [line for line in text.splitlines()
                 if not (line.strip().startswith("server ") and line.split()[1] not in keep)]
        self.config = os.path.join(root, f"haproxy-{servers}.cfg")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = os.path.join(root, f"haproxy-{servers}.log")
        self.proc = subprocess.Popen(["haproxy", "-W", "-db", "-f", self.config],
                                     stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if request(LB_PORT, "GET", "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        sys.exit("HAProxy never answered")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()

    def errors(self, limit=10):
        """Log lines of requests that HAProxy answered with a 5xx status (after its retries)."""
        with open(self.log) as f:
            return [line.strip() for line in f if re.search(r" 5\d\d \d+ ", line)][:limit]


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.failed = []
        self.stale_at_once = 0
        self.stale_after_bound = []
        self.checked = 0
        self.acked = {}
        self.writes = 0

    def count(self, status, what):
        with self.lock:
            self.requests += 1
            if status is None or status >= 400:
                self.failed.append((round(time.time(), 3), status, what))


def title_of(body):
    try:
        return json.loads(body).get("title")
    except ValueError:
        return None


def reader(tally, stop, paths):
    conn = http.client.HTTPConnection("127.0.0.1", LB_PORT, timeout=15)
    while not stop.is_set():
        path = random.choice(paths())
        try:
            conn.request("GET", path)
            res = conn.getresponse()
            res.read()
            tally.count(res.status, f"GET {path}")
        except (OSError, http.client.HTTPException) as e:
            tally.count(None, f"GET {path}: {e}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", LB_PORT, timeout=15)


def writer(tally, stop, token, slugs, bound):
    n = 0
    while not stop.is_set():
        n += 1
        for slug in slugs:
            title = f"{slug} v{n}"
            body = {"title": title, "body_markdown": f"Version {n} of {slug}.", "status": "published",
                    "published_at": "2026-01-01T00:00:00Z", "tags": ["cluster"]}
            try:
                status, _ = request(LB_PORT, "PUT", f"/api/v1/articles/{slug}", body, token)
            except OSError as e:
                status = None
                tally.count(None, f"PUT {slug}: {e}")
            else:
                tally.count(status, f"PUT {slug}")
            if status not in (200, 201):
                continue
            with tally.lock:
                tally.acked[slug] = n
                tally.writes += 1
            # Read back at once (another instance may not have heard of it yet), then after the bound.
            for wait, at_once in ((0, True), (bound, False)):
                time.sleep(wait)
                try:
                    status, got = request(LB_PORT, "GET", f"/api/v1/articles/{slug}")
                except OSError as e:
                    tally.count(None, f"GET {slug}: {e}")
                    continue
                tally.count(status, f"GET {slug}")
                if status != 200:
                    continue
                seen = title_of(got)
                with tally.lock:
                    tally.checked += not at_once
                    if seen != title:
                        if at_once:
                            tally.stale_at_once += 1
                        else:
                            tally.stale_after_bound.append((slug, title, seen))


def readyz_counts():
    counts = {}
    for port in PORTS:
        try:
            status, body = request(port, "GET", "/readyz", timeout=2)
            counts[port] = json.loads(body) if status == 200 else {"status": status}
        except OSError as e:
            counts[port] = {"error": str(e)}
    return counts


def replica_reads_now(ready=None):
    ready = ready or readyz_counts()
    return sum(r.get("reads", 0) for c in ready.values() for r in c.get("replicas", []))


def proof(args, folio, primary, replica, instances, token):
    slugs_public = [s for s in primary.psql(
        "SELECT slug FROM articles WHERE status = 'published' ORDER BY slug").split("\n") if s]
    paths = ["/api/v1/articles", "/api/v1/articles?per_page=5&page=2", "/api/v1/tags", "/api/v1/featured",
             "/api/v1/articles?tag=cluster"] + [f"/api/v1/articles/{s}" for s in slugs_public]
    tally = Tally()
    stop = threading.Event()
    threads = [threading.Thread(target=reader, args=(tally, stop, lambda: paths)) for _ in range(args.readers)]
    threads += [threading.Thread(target=writer, args=(tally, stop, token, [f"cl-{w}-{k}" for k in range(3)],
                                                       args.bound_ms / 1000))
                for w in range(args.writers)]
    d = args.duration
    events = [
        (0.20 * d, "SIGKILL instance 2", lambda: instances[1].kill()),
        (0.35 * d, "start instance 2", lambda: instances[1].start()),
        (0.55 * d, "stop the replica (immediate)", lambda: replica.stop("immediate")),
        (0.75 * d, "start the replica", lambda: replica.start()),
    ]
    timeline = []
    restarted = 0
    started = time.time()
    for t in threads:
        t.start()
    for at, what, act in events:
        time.sleep(max(0.0, started + at - time.time()))
        log(what)
        before = time.time()
        act()
        timeline.append((round(before - started, 1), what, round(time.time() - before, 2)))
        if what == "stop the replica (immediate)":
            time.sleep(1.0)
            timeline.append((round(time.time() - started, 1), "readyz while the replica is down",
                             [c.get("replicas", [{}])[0].get("state") for c in readyz_counts().values()]))
        if what == "start the replica":
            restarted = replica_reads_now()
    time.sleep(max(0.0, started + d - time.time()))
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    time.sleep(1.0)
    ready = readyz_counts()

    stored = dict(line.split("|", 1) for line in primary.psql(
        "SELECT slug, title FROM articles WHERE slug LIKE 'cl-%'").split("\n") if line)
    def version(title):
        found = re.search(r" v(\d+)$", title or "")
        return int(found.group(1)) if found else 0

    # A write that failed as the client saw it may still have landed: a newer version than acknowledged is fine.
    lost = [(slug, n, stored.get(slug)) for slug, n in tally.acked.items() if version(stored.get(slug)) < n]
    replica_reads = replica_reads_now(ready)
    primary_reads = sum(c.get("primary_reads", 0) for c in ready.values())
    result = {
        "duration_s": round(elapsed, 1),
        "requests": tally.requests,
        "requests_per_s": round(tally.requests / elapsed),
        "acknowledged_writes": tally.writes,
        "failed": len(tally.failed),
        "failures": tally.failed[:10],
        "stale_at_once": tally.stale_at_once,
        "checked_after_bound": tally.checked,
        "stale_after_bound": len(tally.stale_after_bound),
        "stale_examples": tally.stale_after_bound[:5],
        "lost_writes": len(lost),
        "lost_examples": lost[:5],
        "replica_reads": replica_reads,
        "replica_reads_after_its_restart": replica_reads - restarted,
        "primary_reads_instead": primary_reads,
        "replica_states_at_end": [r.get("state") for c in ready.values() for r in c.get("replicas", [])],
        "timeline": timeline,
    }
    return result


def wrk(url, seconds, connections=32):
    out = run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(rate.group(1)) if rate else 0.0, int(errors.group(1)) if errors else 0


def scaling(args, folio, root, primary, replica):
    rows = []
    target = "/api/v1/articles?per_page=10"
    body_bytes = 0
    # The response cache on (as deployed): 1, 2 and 3 instances of 2 workers each behind HAProxy.
    for cache, with_replica, counts in ((True, True, (1, 2, 3)), (False, True, (3,)), (False, False, (3,))):
        instances = [Instance(folio, port, primary, replica if with_replica else None, cache=cache, workers=2)
                     for port in PORTS]
        for i in instances:
            i.start()
        body_bytes = body_bytes or len(request(PORTS[0], "GET", target)[1])
        try:
            for n in counts:
                lb = HAProxy(root, n)
                try:
                    wrk(f"http://127.0.0.1:{LB_PORT}{target}", 2)
                    rate, errors = wrk(f"http://127.0.0.1:{LB_PORT}{target}", args.wrk_seconds)
                finally:
                    lb.stop()
                ready = readyz_counts()
                reads = sum(r.get("reads", 0) for c in ready.values() for r in c.get("replicas", []))
                rows.append({"instances": n, "cache": cache, "replica": with_replica, "req_per_s": round(rate),
                             "errors": errors, "replica_reads": reads})
                log(f"{n} instance(s), cache {'on' if cache else 'off'}, replica {'on' if with_replica else 'off'}:"
                    f" {rate:.0f} req/s")
        finally:
            for i in instances:
                i.stop()
    if args.ceiling:
        # Bare actix-web answering a body of the listing's size: directly, and as the one server behind HAProxy.
        for port, behind in ((CEILING_PORT, False), (PORTS[0], True)):
            env = dict(os.environ, PORT=str(port), BODY_BYTES=str(body_bytes))
            proc = subprocess.Popen([args.ceiling], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            lb = None
            try:
                time.sleep(1)
                if behind:
                    lb = HAProxy(root, 1)
                url = f"http://127.0.0.1:{LB_PORT if behind else port}{target}"
                wrk(url, 2)
                rate, _ = wrk(url, args.wrk_seconds)
                name = "ceiling behind HAProxy" if behind else "ceiling, direct"
                rows.append({"instances": name, "req_per_s": round(rate), "body_bytes": body_bytes})
                log(f"{name}: {rate:.0f} req/s")
            finally:
                if lb:
                    lb.stop()
                proc.terminate()
                proc.wait()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folio")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--readers", type=int, default=6)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--bound-ms", type=float, default=50)
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--skip-proof", action="store_true", help="with --scaling: measure only")
    ap.add_argument("--wrk-seconds", type=int, default=8)
    ap.add_argument("--ceiling")
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    folio = os.path.abspath(args.folio)
    for tool in ["haproxy", "psql"] + (["wrk"] if args.scaling else []):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install haproxy postgresql-client wrk)")

    root = tempfile.mkdtemp(prefix="folio-cluster-")
    os.chmod(root, 0o755)
    primary = Postgres(root, "primary", PRIMARY_PORT)
    replica = Postgres(root, "replica", REPLICA_PORT)
    instances, lb = [], None
    try:
        log("primary: initdb and start")
        primary.init_primary()
        primary.start()
        primary.psql("CREATE DATABASE folio", "postgres")
        env = dict(os.environ, DATABASE_URL=primary.url(), RUST_LOG="warn")
        run([folio, "migrate"], env=env)
        run([folio, "seed", "--demo"], env=env)
        token = run([folio, "token", "create", "--name", "cluster", "--scope", "content:write"],
                    env=env).stdout.splitlines()[0].strip()
        log("replica: pg_basebackup -R and start")
        replica.init_replica_of(primary)
        replica.start()
        log("three instances and HAProxy")
        instances = [Instance(folio, port, primary, replica) for port in PORTS]
        for i in instances:
            i.start()
        lb = HAProxy(root)
        deadline = time.time() + 10
        while time.time() < deadline:
            states = [c.get("replicas", [{}])[0].get("state") for c in readyz_counts().values()]
            if states == ["healthy"] * 3:
                break
            time.sleep(0.1)
        if args.skip_proof:
            result = {"failed": 0, "stale_after_bound": 0, "lost_writes": 0, "replica_reads_after_its_restart": 1}
        else:
            log(f"mixed load for {args.duration:.0f} s")
            result = proof(args, folio, primary, replica, instances, token)
        lb.stop()
        result["load_balancer_errors"] = lb.errors()
        lb = None
        for i in instances:
            i.stop()
        instances = []
        rev = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], text=True,
                             capture_output=True).stdout.strip()
        result["commit"] = rev
        result["date"] = time.strftime("%Y-%m-%d")
        if args.scaling:
            result["scaling"] = scaling(args, folio, root, primary, replica)
        print(json.dumps(result, indent=2))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
        missed = [name for name in ("failed", "stale_after_bound", "lost_writes") if result[name]]
        if result["replica_reads_after_its_restart"] <= 0:
            missed.append("replica_reads_after_its_restart (the replica served nothing once back)")
        if missed:
            log(f"missed: {', '.join(missed)}")
            sys.exit(1)
        log("all targets met")
    finally:
        if lb:
            lb.stop()
        for i in instances:
            i.stop()
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
