#!/usr/bin/env python3
"""End-to-end benchmark: seedfeed against Hugo (feed build, change to visible) and nginx
(serving the same feed bytes), on N generated articles. Python 3 standard library only.

    cargo build --release
    python3 benches/e2e.py --sizes 1000,10000,100000 --runs 3 --out target/e2e.md

Per N it measures, all on 127.0.0.1:
  1. corpus       benches/gen_corpus.py N target/bench-corpus-N (kept and reused), and the same
                  articles as Markdown in a Hugo site, target/bench-hugo-N (kept and reused);
  2. start-up     seedfeed cold start (empty state dir) and warm restart (same state dir), from
                  process start to the first 200 from /feed.atom (polled every 5 ms), with
                  VmRSS then; medians of --runs;
  3. hugo build   `hugo` building only the home RSS feed, and the full site, with peak RSS
                  (ru_maxrss); medians of --runs-peers;
  4. change       (after any background work the daemon logs, e.g. related-story signatures,
                  is done; its duration is reported) a new file written (open, write, close)
                  into a subfolder of the seeds folder
                  while seedfeed runs: time from close() until /feed.atom (keep-alive
                  connection, polled every 2 ms) has its title; --changes samples, p50/p99;
                  the same against `hugo server` (watch mode) for N <= --hugo-server-max;
  5. serving      /feed.atom and /feed.rss, identity and gzip, from seedfeed and from nginx
                  (gzip_static) serving the very same bytes, under `wrk --latency` with
                  -c64 and -c256 (--wrk-conns), --wrk-seconds each;
  6. memory       seedfeed VmRSS after the wrk runs;
  7. soak         with --soak SECONDS, on the largest N: files created, modified and deleted
                  a few times a second while the feed is polled; VmRSS every 10 s.

Hugo, nginx and wrk are the peers (`apt-get install -y hugo nginx wrk`): a missing one stops
the run at once with the list of what is missing, rather than leaving its cells empty;
--allow-missing-peers skips its columns with a note instead. Each size also measures the
physical floor of a cold start: reading every article file from the page cache, and reading
and checksumming them (`cat` and `cksum` over all files, as many processes as cores), so the
cold start can be read against it. The Markdown tables go to stdout and to --out; progress goes to stderr.
Every child process is stopped and every temp dir removed on exit, Ctrl-C included.
"""
import argparse
import contextlib
import ctypes
import datetime
import gzip
import http.client
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "target")
FEEDS = ("/feed.atom", "/feed.rss")

# The "target" column. Ratios are always seedfeed / peer: below 1 is better for times and
# memory, above 1 is better for requests per second.
TARGETS = {  # issue 17 (at 100,000 articles unless said)
    "cold": "≤ 0.2× (5× faster); ≤ 0.3 s at 10,000",
    "warm": "≤ 0.5 s",
    "full": "≤ 0.1× (10× faster)",
    "mem": "≤ 120 MiB",
    "change_p50": "≤ 25 ms",
    "change_p99": "≤ 60 ms",
    "rps": "≥ 1.0×",
    "p99": "≤ 1.2×",
}


class BenchError(Exception):
    """A measurement could not be made (e.g. seedfeed exited); the message says why."""


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- children and temp dirs

CHILDREN = []
TEMP_DIRS = []
CLEANUPS = []  # extra paths to remove on exit (probe files put into kept corpora)


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL if this script dies without cleaning up."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def spawn(cmd, **kw):
    proc = subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kw)
    CHILDREN.append(proc)
    return proc


def stop(proc, sig=signal.SIGTERM, timeout=30):
    """Sends sig, waits up to timeout, then SIGKILL. Returns the exit status."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ValueError):
        CHILDREN.remove(proc)
    return proc.returncode


def temp_dir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    TEMP_DIRS.append(path)
    return path


def cleanup():
    for proc in list(CHILDREN):
        stop(proc, timeout=5)
    for path in CLEANUPS + TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=20):
    with contextlib.suppress(OSError), open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:])
    return ""


def vm_kb(pid, key="VmRSS"):
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def run_out(cmd):
    with contextlib.suppress(OSError):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    return "not installed"


# ---------------------------------------------------------------- statistics and formatting

def pct(values, p):
    """Nearest-rank percentile; with fewer than 100 values p99 is the maximum."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def secs(x):
    if x is None:
        return "—"
    if x == math.inf:
        return "timeout"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def mib(kb):
    return "—" if kb is None else f"{kb / 1024:.0f} MiB"


def ratio(a, b):
    if a is None or b is None or b == 0 or math.inf in (a, b):
        return "—"
    return f"{a / b:.2f}×"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- 1. corpora

def text_corpus(n):
    """target/bench-corpus-N, generated once (into a temp name, then renamed)."""
    path = os.path.join(TARGET, f"bench-corpus-{n}")
    if not os.path.isdir(path):
        log(f"generating {path}")
        tmp = path + ".partial"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "benches/gen_corpus.py"), str(n), tmp],
                       check=True)
        os.rename(tmp, path)
    return path


HUGO_CONFIG = """\
baseURL = "http://127.0.0.1/"
title = "seedfeed"
languageCode = "en"
buildFuture = true
disableKinds = ["taxonomy", "term"]
[services.rss]
limit = 50
# Like seedfeed: the front-matter date, else the time the file appeared (its mtime).
[frontmatter]
date = ["date", ":fileModTime"]
"""

# Merged over config.toml (--config config.toml,config-rss.toml) for the feed-only build.
# `--disableKinds page` would be shorter, but Hugo then drops the pages from .Site.RegularPages
# and the feed comes out empty; render = "link" keeps them listed and linked, unrendered.
HUGO_RSS_ONLY = """\
disableKinds = ["section", "taxonomy", "term", "sitemap", "robotsTXT", "404"]
[outputs]
home = ["RSS"]
[[cascade]]
[cascade._build]
render = "link"
list = "always"
[cascade._target]
kind = "page"
"""

HUGO_LAYOUTS = {
    "list.html": '<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ .Title }}</title>'
                 '<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>'
                 '</li>{{ end }}</ul></html>\n',
    "single.html": '<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ .Title }}'
                   '</title><h1>{{ .Title }}</h1>{{ .Content }}</html>\n',
}


def hugo_site(n):
    """target/bench-hugo-N: config, minimal layouts (the RSS template is Hugo's embedded one),
    and the same N articles as Markdown in content/posts (generated once)."""
    site = os.path.join(TARGET, f"bench-hugo-{n}")
    os.makedirs(os.path.join(site, "layouts", "_default"), exist_ok=True)
    for name, text in [("config.toml", HUGO_CONFIG), ("config-rss.toml", HUGO_RSS_ONLY)] + [
            (os.path.join("layouts", "_default", k), v) for k, v in HUGO_LAYOUTS.items()]:
        with open(os.path.join(site, name), "w") as f:
            f.write(text)
    posts = os.path.join(site, "content", "posts")
    if not os.path.isdir(posts):
        log(f"generating {posts}")
        tmp = posts + ".partial"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "benches/gen_corpus.py"),
                        "--markdown", str(n), tmp], check=True)
        os.rename(tmp, posts)
    return site


# ---------------------------------------------------------------- seedfeed process

class Seedfeed:
    """One `seedfeed serve` on a free port, its stdout/stderr in files under work."""

    def __init__(self, binary, corpus, state_dir, work):
        self.port = free_port()
        self.log = os.path.join(work, f"seedfeed-{self.port}.log")
        self.t0 = time.perf_counter()
        with open(self.log, "wb") as out:
            self.proc = spawn([binary, "serve", "--seeds", corpus, "--state-dir", state_dir,
                               "--listen", f"127.0.0.1:{self.port}"],
                              stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise BenchError(f"seedfeed exited with status {self.proc.returncode}; "
                             f"last lines of its log:\n{tail(self.log)}")

    def wait_ready(self, timeout):
        """Polls GET /feed.atom every 5 ms on a new connection until 200; returns the seconds
        since the process was started."""
        deadline = self.t0 + timeout
        while time.perf_counter() < deadline:
            self.check_alive()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/feed.atom")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return time.perf_counter() - self.t0
            except OSError:
                pass
            time.sleep(0.005)
        raise BenchError(f"seedfeed not ready after {timeout} s; last lines of its log:\n"
                         f"{tail(self.log)}")

    def wait_background(self, timeout):
        """When seedfeed computes related-stories signatures after ready (it logs so at once),
        waits until it is done: the change and serving measurements are of the steady state.
        Returns the seconds since start then, or None when there was no such work."""
        time.sleep(0.2)
        with open(self.log, errors="replace") as f:
            if "signatures in the background" not in f.read():
                return None
        deadline = self.t0 + timeout
        while time.perf_counter() < deadline:
            self.check_alive()
            with open(self.log, errors="replace") as f:
                if "related stories ready" in f.read():
                    return time.perf_counter() - self.t0
            time.sleep(0.05)
        raise BenchError(f"background work not done after {timeout} s")

    def rss_kb(self):
        return vm_kb(self.proc.pid)

    def stop(self):
        status = stop(self.proc)
        if status not in (0, -signal.SIGTERM):
            log(f"note: seedfeed exited with status {status} on SIGTERM")


# ---------------------------------------------------------------- 2. start-up

def measure_startup(args, corpus, work):
    """Cold start and warm restart, --runs of each; medians and VmRSS when ready."""
    cold, warm, cold_rss, warm_rss = [], [], [], []
    for run in range(args.runs):
        state = os.path.join(work, "state")
        shutil.rmtree(state, ignore_errors=True)
        for label, times, rss in (("cold", cold, cold_rss), ("warm", warm, warm_rss)):
            sf = Seedfeed(args.bin, corpus, state, work)
            try:
                times.append(sf.wait_ready(args.start_timeout))
                rss.append(sf.rss_kb())
            finally:
                sf.stop()
            log(f"  {label} start {run + 1}/{args.runs}: {secs(times[-1])}, "
                f"VmRSS {mib(rss[-1])}")
    return {"cold": cold, "warm": warm, "cold_rss": med(cold_rss), "warm_rss": med(warm_rss)}


# ---------------------------------------------------------------- 3. hugo builds

def hugo_build(site, work, rss_only):
    """One `hugo` build into a fresh dir: (seconds, peak RSS in KiB)."""
    out = os.path.join(work, "hugo-out")
    shutil.rmtree(out, ignore_errors=True)
    cmd = ["hugo", "--quiet", "-s", site, "-d", out, "--cacheDir", os.path.join(work, "hugo-cache")]
    if rss_only:
        cmd += ["--config", "config.toml,config-rss.toml"]
    log_path = os.path.join(work, "hugo-build.log")
    with open(log_path, "wb") as f:
        t0 = time.perf_counter()
        proc = spawn(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    CHILDREN.remove(proc)
    if proc.returncode != 0:
        raise BenchError(f"hugo build failed ({' '.join(cmd)}):\n{tail(log_path)}")
    feed = os.path.join(out, "index.xml")
    with open(feed, "rb") as f:
        items = f.read().count(b"<item>")
    if items != 50:
        raise BenchError(f"hugo wrote {items} items in {feed}, expected 50")
    files = sum(len(fs) for _, _, fs in os.walk(out))
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, usage.ru_maxrss, files


def measure_hugo_builds(args, n, site, work):
    res = {}
    for kind, rss_only in (("rss", True), ("full", False)):
        runs = args.runs_peers or (1 if n >= 100000 and kind == "full" else args.runs)
        times, peaks = [], []
        for run in range(runs):
            elapsed, peak, files = hugo_build(site, work, rss_only)
            times.append(elapsed)
            peaks.append(peak)
            log(f"  hugo {kind} build {run + 1}/{runs}: {secs(elapsed)}, peak RSS {mib(peak)}, "
                f"{files} files")
        res[kind] = {"times": times, "rss": max(peaks), "runs": runs}
    return res


# ---------------------------------------------------------------- 4. change to visible

class Poller:
    """GET PATH on one keep-alive connection, with If-None-Match when the server gave an
    ETag (a 304 means nothing changed); reconnects when the server closes."""

    def __init__(self, port, path):
        self.port, self.path, self.etag, self.body = port, path, None, b""
        self.conn = None

    def get(self):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                headers = {"If-None-Match": self.etag} if self.etag else {}
                self.conn.request("GET", self.path, headers=headers)
                r = self.conn.getresponse()
                body = r.read()
                if r.status == 200:
                    self.etag, self.body = r.getheader("ETag"), body
                return self.body
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        return self.body

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


def wait_for(poller, predicate, timeout, alive=None):
    """Polls every ~2 ms until predicate(body); seconds, or math.inf after timeout."""
    t0 = time.perf_counter()
    while True:
        if predicate(poller.get()):
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            return math.inf
        if alive:
            alive()
        time.sleep(0.002)


def change_to_visible(poller, folder, samples, timeout, make, alive=None):
    """Writes `samples` new files into folder (make(title) gives the file text), each timed
    from close() until its title is in the feed; ~200 ms apart. Then deletes them and waits
    until they are gone. Returns (latencies, seconds until all deletions were visible)."""
    os.makedirs(folder, exist_ok=True)
    time.sleep(1)  # let the watcher pick the new folder up before the first sample
    token = secrets.token_hex(4)
    latencies, titles, paths = [], [], []
    for k in range(samples):
        title = f"E2E probe {token} {k:03d} {secrets.token_hex(3)}"
        path = os.path.join(folder, f"probe-{token}-{k:03d}" + make.ext)
        with open(path, "w", encoding="utf-8") as f:
            f.write(make(title))
        # the clock starts at close(), like a `cp` finishing
        latencies.append(wait_for(poller, lambda b, t=title.encode(): t in b, timeout, alive))
        titles.append(title.encode())
        paths.append(path)
        log(f"    sample {k + 1}/{samples}: {secs(latencies[-1])}")
        if latencies[-2:] == [math.inf, math.inf]:
            log("    two timeouts in a row: skipping the remaining samples")
            break
        time.sleep(0.2)
    for path in paths:
        os.remove(path)
    gone = wait_for(poller, lambda b: not any(t in b for t in titles), max(timeout, 60), alive)
    shutil.rmtree(folder, ignore_errors=True)
    return latencies, gone


def seedfeed_probe(title):
    return (f"{title}\n\nA probe article written by benches/e2e.py to time how soon a new file "
            f"shows in the feed. It is deleted again when the measurement ends.\n\n"
            f"Second paragraph, so that the body is more than one line: {title}.\n")


seedfeed_probe.ext = ".txt"


def hugo_probe(title):
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return f'+++\ntitle = "{title}"\ndate = {now}\n+++\n\n{seedfeed_probe(title)}'


hugo_probe.ext = ".md"


def measure_hugo_server(args, site, work):
    """`hugo server` in watch mode (full re-renders), the same change-to-visible probe on its
    in-memory /index.xml."""
    port = free_port()
    log_path = os.path.join(work, "hugo-server.log")
    with open(log_path, "wb") as out:
        proc = spawn(["hugo", "server", "-s", site, "--bind", "127.0.0.1", "--port", str(port),
                      "--disableFastRender", "--disableLiveReload",
                      "--cacheDir", os.path.join(work, "hugo-cache")],
                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def alive():
        if proc.poll() is not None:
            raise BenchError(f"hugo server exited ({proc.returncode}):\n{tail(log_path)}")

    folder = os.path.join(site, "content", "posts", "zz-e2e")
    CLEANUPS.append(folder)
    try:
        t0 = time.perf_counter()
        while True:
            alive()
            with contextlib.suppress(OSError, http.client.HTTPException):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/index.xml")
                if c.getresponse().status == 200:
                    break
            if time.perf_counter() - t0 > args.start_timeout:
                raise BenchError(f"hugo server not ready:\n{tail(log_path)}")
            time.sleep(0.05)
        log(f"  hugo server ready in {secs(time.perf_counter() - t0)}")
        poller = Poller(port, "/index.xml")
        lat, _ = change_to_visible(poller, folder, args.hugo_changes, args.sample_timeout,
                                   hugo_probe, alive)
        poller.close()
        return lat
    finally:
        stop(proc, timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- 5. serving

NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
master_process on;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    types {{ application/atom+xml atom; application/rss+xml rss; }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types application/atom+xml application/rss+xml;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000000;
    open_file_cache max=64;
    gzip_static on;
    gzip_vary on;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def fetch(port, path, gz):
    """(status, Content-Encoding, body) of one GET."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers={"Accept-Encoding": "gzip"} if gz else {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Encoding"), body


def wait_compressed(port, timeout=10):
    """Waits until seedfeed serves every feed gzipped: a change is served as soon as it is
    rendered and gzipped right after, so a request in between gets the identity bytes."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if all(fetch(port, path, True)[1] == "gzip" for path in FEEDS):
            return
        time.sleep(0.02)
    raise BenchError(f"seedfeed did not serve gzip within {timeout} s")


def start_nginx(sf_port, work):
    """Writes seedfeed's feed bytes (identity and its gzip) into a docroot and starts nginx
    on it. Returns (process, port, notes on byte identity)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    tmp = os.path.join(work, "nginx")
    root = os.path.join(tmp, "html")
    os.makedirs(root)
    wait_compressed(sf_port)
    for path in FEEDS:
        for gz in (False, True):
            status, enc, body = fetch(sf_port, path, gz)
            if status != 200 or (enc == "gzip") != gz:
                raise BenchError(f"seedfeed {path} gzip={gz}: status {status}, encoding {enc}")
            with open(os.path.join(root, path.lstrip("/") + (".gz" if gz else "")), "wb") as f:
                f.write(body)
    # as root, nginx's worker runs as nobody: it must be able to read the docroot
    user = ""
    if os.geteuid() == 0:
        user = "user nobody nogroup;\n"
        p = root
        while p.startswith(work) or p == work:
            os.chmod(p, 0o755)
            p = os.path.dirname(p)
        for name in os.listdir(root):
            os.chmod(os.path.join(root, name), 0o644)
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(user=user, tmp=tmp, port=port, root=root))
    proc = spawn([nginx, "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")],
                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    t0 = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise BenchError(f"nginx exited ({proc.returncode}):\n"
                             f"{tail(os.path.join(tmp, 'error.log'))}")
        with contextlib.suppress(OSError):
            if fetch(port, "/feed.atom", False)[0] == 200:
                break
        if time.perf_counter() - t0 > 10:
            raise BenchError("nginx did not answer within 10 s")
        time.sleep(0.02)
    notes = []
    for path in FEEDS:
        for gz in (False, True):
            a, b = fetch(sf_port, path, gz), fetch(port, path, gz)
            same = a == b
            if gz and same:
                same = gzip.decompress(a[2]) == fetch(sf_port, path, False)[2]
            notes.append(f"{path} {'gzip' if gz else 'identity'}: "
                         f"{'identical' if same else 'DIFFERENT'} bytes ({len(a[2])} B)")
            if not same:
                raise BenchError("nginx and seedfeed bodies differ: " + notes[-1])
    return proc, port, notes


WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk(port, path, gz, conns, seconds):
    """One `wrk --latency` run: dict of rps, p99 (s), errors, requests."""
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency"]
    if gz:
        cmd += ["-H", "Accept-Encoding: gzip"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=seconds + 60)
    CHILDREN.remove(proc)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    reqs = re.search(r"(\d+) requests in", out)
    if not (rps and p99 and reqs):
        raise BenchError(f"cannot parse wrk output:\n{out}")
    errors = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    return {"rps": float(rps.group(1)), "p99": float(p99.group(1)) * WRK_UNITS[p99.group(2)],
            "errors": errors, "requests": int(reqs.group(1))}


def measure_serving(args, sf, work):
    """The wrk matrix, seedfeed and nginx alternating on each variant."""
    nginx, port, notes = start_nginx(sf.port, work)
    rows = []
    try:
        for path in FEEDS:
            for gz in (False, True):
                for conns in args.wrk_conns:
                    sf.check_alive()
                    a = wrk(sf.port, path, gz, conns, args.wrk_seconds)
                    b = wrk(port, path, gz, conns, args.wrk_seconds)
                    name = f"{path} {'gzip' if gz else 'identity'} c{conns}"
                    log(f"  {name}: seedfeed {a['rps']:.0f} req/s p99 {secs(a['p99'])}, "
                        f"nginx {b['rps']:.0f} req/s p99 {secs(b['p99'])}")
                    rows.append((name, a, b))
    finally:
        stop(nginx, signal.SIGQUIT, timeout=10)
    return rows, notes


# ---------------------------------------------------------------- 7. soak

def soak(sf, corpus, seconds):
    """Creates, rewrites and deletes files in a subfolder a few times a second while polling
    /feed.atom; VmRSS every 10 s. Returns the samples (seconds, KiB)."""
    folder = os.path.join(corpus, "zz-e2e-soak")
    CLEANUPS.append(folder)
    os.makedirs(folder, exist_ok=True)
    poller = Poller(sf.port, "/feed.atom")
    live, serial, samples = [], 0, []
    t0 = next_sample = time.perf_counter()
    ops = polls = 0
    try:
        while time.perf_counter() - t0 < seconds:
            now = time.perf_counter()
            if now >= next_sample:
                samples.append((now - t0, sf.rss_kb()))
                log(f"  soak {now - t0:.0f} s: VmRSS {mib(samples[-1][1])}")
                next_sample += 10
            sf.check_alive()
            op = serial % 3 if len(live) < 20 else 2
            if op == 0 or not live:  # create
                path = os.path.join(folder, f"soak-{serial:06d}.txt")
                with open(path, "w") as f:
                    f.write(seedfeed_probe(f"Soak article {serial}"))
                live.append(path)
            elif op == 1:  # modify
                with open(live[serial % len(live)], "a") as f:
                    f.write(f"\nEdited at step {serial}.\n")
            else:  # delete
                os.remove(live.pop(0))
            serial += 1
            ops += 1
            for _ in range(5):
                poller.get()
                polls += 1
                time.sleep(0.05)
        samples.append((time.perf_counter() - t0, sf.rss_kb()))
    finally:
        poller.close()
        shutil.rmtree(folder, ignore_errors=True)
    return samples, ops, polls


# ---------------------------------------------------------------- one size

def measure_floor(corpus, runs=3):
    """Seconds to read every file of `corpus` from the page cache (`cat`), and to read and
    checksum them (`cksum`), with as many processes as cores: medians of `runs`, after one
    warm-up read. Returns (bytes, read_s, read_hash_s)."""
    files = []
    for root, _, names in os.walk(corpus):
        files.extend(os.path.join(root, name) for name in names)
    size = sum(os.path.getsize(f) for f in files)
    listing = "\0".join(files).encode()
    cores = str(os.cpu_count() or 1)

    def timed(tool):
        start = time.monotonic()
        subprocess.run(["xargs", "-0", "-P", cores, "-n", "512", tool], input=listing,
                       stdout=subprocess.DEVNULL, check=True)
        return time.monotonic() - start

    timed("cat")
    reads = [timed("cat") for _ in range(runs)]
    hashes = [timed("cksum") for _ in range(runs)]
    return size, med(reads), med(hashes)


def bench_size(args, n, soak_here):
    work = temp_dir(f"seedfeed-e2e-{n}-")
    res = {"n": n, "notes": [], "load": open("/proc/loadavg").read().split()[:3]}
    corpus = text_corpus(n)
    log(f"[N={n}] read and read+hash floor")
    res["floor"] = measure_floor(corpus)
    have_hugo = shutil.which("hugo") is not None
    site = hugo_site(n) if have_hugo else None

    log(f"[N={n}] seedfeed start-up, {args.runs} run(s)")
    res["start"] = measure_startup(args, corpus, work)

    if have_hugo:
        log(f"[N={n}] hugo builds")
        res["hugo"] = measure_hugo_builds(args, n, site, work)
    else:
        res["notes"].append("hugo not installed: Hugo columns skipped")

    log(f"[N={n}] seedfeed (warm) for change-to-visible and serving")
    sf = Seedfeed(args.bin, corpus, os.path.join(work, "state"), work)
    folder = os.path.join(corpus, "zz-e2e")
    CLEANUPS.append(folder)
    try:
        ready = sf.wait_ready(args.start_timeout)
        res["ready_rss"] = sf.rss_kb()
        background = sf.wait_background(args.start_timeout)
        if background is not None:
            res["background"] = background - ready
            res["background_rss"] = sf.rss_kb()
            log(f"  background work after ready: {secs(res['background'])}, "
                f"VmRSS {mib(res['background_rss'])}")
        poller = Poller(sf.port, "/feed.atom")
        res["change"], res["gone"] = change_to_visible(
            poller, folder, args.changes, args.sample_timeout, seedfeed_probe, sf.check_alive)
        poller.close()
        res["change_rss"] = sf.rss_kb()

        if have_hugo and n <= args.hugo_server_max and args.hugo_changes:
            log(f"[N={n}] hugo server change-to-visible")
            res["hugo_server"] = measure_hugo_server(args, site, work)

        if shutil.which("wrk") and (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
            log(f"[N={n}] serving: wrk {args.wrk_seconds} s per run")
            res["serving"], res["identity_notes"] = measure_serving(args, sf, work)
        else:
            res["notes"].append("wrk or nginx not installed: serving skipped")
        res["after_rss"] = sf.rss_kb()
        res["hwm"] = vm_kb(sf.proc.pid, "VmHWM")

        if soak_here:
            log(f"[N={n}] soak {args.soak} s")
            res["soak"] = soak(sf, corpus, args.soak)
        sf.check_alive()
    finally:
        sf.stop()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return res


# ---------------------------------------------------------------- report

def report_size(r, args):
    n, st, hugo = r["n"], r["start"], r.get("hugo")
    cold, warm = med(st["cold"]), med(st["warm"])
    h_rss = med(hugo["rss"]["times"]) if hugo else None
    h_full = med(hugo["full"]["times"]) if hugo else None
    ch = r["change"]
    ch_p50, ch_p99 = pct(ch, 50), pct(ch, 99)
    hs = r.get("hugo_server")
    hs_p50, hs_p99 = (pct(hs, 50), pct(hs, 99)) if hs else (None, None)
    timeouts = sum(1 for x in ch if x == math.inf)
    peer_rss = f"hugo, feed only (n={hugo['rss']['runs']})" if hugo else "hugo: skipped"
    peer_full = f"hugo, full site (n={hugo['full']['runs']})" if hugo else "hugo: skipped"
    rows = [
        ("feed ready, cold start (empty state)", secs(cold), secs(h_rss), peer_rss,
         ratio(cold, h_rss), TARGETS["cold"]),
        ("feed ready, warm restart", secs(warm), secs(h_rss), "hugo, feed only (no state)",
         ratio(warm, h_rss), TARGETS["warm"]),
        ("whole site ready, cold start", secs(cold), secs(h_full), peer_full,
         ratio(cold, h_full), TARGETS["full"]),
        ("memory when ready, cold (VmRSS / peak RSS)", mib(st["cold_rss"]),
         mib(hugo["rss"]["rss"]) if hugo else "—", "hugo, feed only", "—", TARGETS["mem"]),
        ("memory when ready, warm", mib(st["warm_rss"]),
         mib(hugo["full"]["rss"]) if hugo else "—", "hugo, full site", "—", TARGETS["mem"]),
        (f"change to visible, p50 (K={len(ch)})", secs(ch_p50), secs(hs_p50),
         f"hugo server (K={len(hs)})" if hs else "hugo server: skipped",
         ratio(ch_p50, hs_p50), TARGETS["change_p50"]),
        (f"change to visible, p99 (= max, K={len(ch)})", secs(ch_p99), secs(hs_p99),
         "hugo server, max" if hs else "—", ratio(ch_p99, hs_p99), TARGETS["change_p99"]),
        ("deletions gone from the feed", secs(r["gone"]), "—", "—", "—", "—"),
    ]
    size, floor_read, floor_hash = r["floor"]
    rows.insert(1, (f"floor: read {size / 2**20:.0f} MiB from the page cache; read + cksum",
                    f"{secs(floor_read)}; {secs(floor_hash)}", secs(cold),
                    "seedfeed cold start", f"{cold / floor_hash:.1f}× the read+hash floor"
                    if floor_hash else "—", "—"))
    serving = r.get("serving", [])
    for name, a, b in serving:
        if name.endswith(f"c{max(args.wrk_conns)}") and "atom gzip" in name:
            rows.append((f"req/s {name}", f"{a['rps']:.0f}", f"{b['rps']:.0f}", "nginx",
                         ratio(a["rps"], b["rps"]), TARGETS["rps"]))
    if r.get("background") is not None:
        rows.append(("background work after ready (related signatures); VmRSS then",
                     f"{secs(r['background'])}; {mib(r.get('background_rss'))}", "—", "—", "—",
                     TARGETS["mem"]))
    rows.append(("memory after the change samples (VmRSS)", mib(r.get("change_rss")), "—",
                 "—", "—", TARGETS["mem"]))
    rows.append(("memory after wrk (VmRSS; VmHWM)", f"{mib(r.get('after_rss'))}; "
                 f"{mib(r.get('hwm'))}", "—", "—", "—", TARGETS["mem"]))
    out = [f"### N = {n:,}", "",
           table(("metric", "seedfeed", "peer", "peer is", "ratio", "target"), rows), ""]
    out.append(f"Start-up runs (s): cold {', '.join(f'{x:.3f}' for x in st['cold'])}; "
               f"warm {', '.join(f'{x:.3f}' for x in st['warm'])}.")
    if hugo:
        out.append(f"Hugo builds (s): feed only "
                   f"{', '.join(f'{x:.3f}' for x in hugo['rss']['times'])}; full site "
                   f"{', '.join(f'{x:.3f}' for x in hugo['full']['times'])}.")
    out.append(f"Change to visible (ms, sorted): "
               f"{', '.join('timeout' if x == math.inf else f'{x * 1000:.0f}' for x in sorted(ch))}"
               + (f" — {timeouts} timed out after {args.sample_timeout} s" if timeouts else "")
               + ".")
    if hs:
        out.append(f"hugo server (ms, sorted): "
                   f"{', '.join('timeout' if x == math.inf else f'{x * 1000:.0f}' for x in sorted(hs))}.")
    if serving:
        out += ["", f"Serving, wrk -t2 -d{args.wrk_seconds}s --latency (ratios seedfeed/nginx):",
                "", table(("variant", "seedfeed req/s", "nginx req/s", "req/s ratio",
                           "seedfeed p99", "nginx p99", "p99 ratio", "errors sf / nginx"),
                          [(name, f"{a['rps']:.0f}", f"{b['rps']:.0f}", ratio(a["rps"], b["rps"]),
                            secs(a["p99"]), secs(b["p99"]), ratio(a["p99"], b["p99"]),
                            f"{a['errors']} / {b['errors']}") for name, a, b in serving]),
                "", "Bodies checked before the runs: " + "; ".join(r["identity_notes"]) + "."]
    if "soak" in r:
        samples, ops, polls = r["soak"]
        kbs = [kb for _, kb in samples if kb]
        out += ["", f"Soak {args.soak} s ({ops} files created, appended to or deleted; "
                f"{polls} GET /feed.atom): VmRSS "
                f"first {mib(kbs[0])}, last {mib(kbs[-1])}, max {mib(max(kbs))} "
                f"({len(kbs)} samples, every 10 s)."]
    out.append(f"Load average when this size started: {' '.join(r['load'])} "
               f"(other work on the machine makes the numbers noisy).")
    out += [f"Note: {x}" for x in r["notes"]]
    return "\n".join(out)


def report_summary(results, args):
    rows = []
    for r in results:
        hugo, hs = r.get("hugo"), r.get("hugo_server")
        best = [(a["rps"], b["rps"]) for name, a, b in r.get("serving", [])]
        rows.append((f"{r['n']:,}", secs(med(r["start"]["cold"])), secs(med(r["start"]["warm"])),
                     secs(med(hugo["rss"]["times"])) if hugo else "—",
                     secs(med(hugo["full"]["times"])) if hugo else "—",
                     secs(pct(r["change"], 50)), secs(pct(hs, 50)) if hs else "—",
                     f"{min(a / b for a, b in best):.2f}–{max(a / b for a, b in best):.2f}×"
                     if best else "—",
                     f"{mib(r['start']['cold_rss'])} / {mib(r.get('after_rss'))}"))
    return table(("N", "seedfeed cold", "seedfeed warm", "hugo feed build", "hugo full build",
                  "seedfeed change p50", "hugo server change p50", "req/s vs nginx (range)",
                  "seedfeed RSS ready / after wrk"), rows)


def machine():
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")),
                     model)
    mem = vm_meminfo()
    load = open("/proc/loadavg").read().split()[:3]
    return [f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
            f"- machine: {os.cpu_count()} cores ({model}), {mem}, Linux {platform.release()}, "
            f"load average at start {' '.join(load)}",
            f"- seedfeed: `{run_out([ARGS.bin, '--version'])}` ({ARGS.bin})",
            f"- peers: {run_out(['hugo', 'version'])}; {run_out(['nginx', '-v'])}; "
            f"{run_out(['wrk', '-v'])}"]


def vm_meminfo():
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        kb = int(f.readline().split()[1])
        return f"{kb / 1048576:.0f} GiB RAM"
    return "RAM unknown"


# ---------------------------------------------------------------- main

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(x.replace("_", "")) for x in s.split(",") if x]
    p.add_argument("--bin", default=os.path.join(TARGET, "release", "seedfeed"),
                   help="seedfeed binary (default: target/release/seedfeed)")
    p.add_argument("--sizes", type=ints, default=[1000, 10000], help="comma-separated N (default 1000,10000)")
    p.add_argument("--runs", type=int, default=3, help="seedfeed start-up runs (median)")
    p.add_argument("--runs-peers", type=int, default=None,
                   help="hugo build runs (default: --runs; 1 for the full build at N >= 100000)")
    p.add_argument("--changes", type=int, default=30, help="change-to-visible samples (K)")
    p.add_argument("--hugo-changes", type=int, default=5, help="samples against hugo server")
    p.add_argument("--hugo-server-max", type=int, default=10000,
                   help="largest N for the hugo server measurement")
    p.add_argument("--sample-timeout", type=float, default=30,
                   help="seconds before a change sample counts as a timeout")
    p.add_argument("--start-timeout", type=float, default=600,
                   help="seconds to wait for a server to be ready")
    p.add_argument("--wrk-seconds", type=int, default=10, help="duration of each wrk run")
    p.add_argument("--wrk-conns", type=ints, default=[64, 256], help="wrk connection counts")
    p.add_argument("--soak", type=int, default=0, metavar="SECONDS",
                   help="churn + polling on the largest N for this long, VmRSS every 10 s")
    p.add_argument("--out", help="also write the Markdown report to this file")
    p.add_argument("--allow-missing-peers", action="store_true",
                   help="skip the columns of a missing hugo, nginx or wrk instead of stopping")
    args = p.parse_args()
    args.bin = os.path.abspath(args.bin)
    if not os.access(args.bin, os.X_OK):
        p.error(f"{args.bin} is not an executable (cargo build --release, or pass --bin)")
    missing = [tool for tool in ("hugo", "wrk") if shutil.which(tool) is None]
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        missing.append("nginx")
    if missing and not args.allow_missing_peers:
        p.error(f"peers missing: {', '.join(missing)} (apt-get install -y hugo nginx wrk, "
                "or pass --allow-missing-peers to skip their columns)")
    return args


def main():
    global ARGS
    ARGS = args = parse_args()
    # Ctrl-C and SIGTERM both end the run cleanly (children stopped, temp dirs removed), also
    # when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    header = ["## seedfeed end-to-end benchmark", ""] + machine() + [
        f"- command: `python3 benches/e2e.py {' '.join(sys.argv[1:])}`",
        "- ratios are seedfeed / peer (times and memory: lower is better for seedfeed; "
        "req/s: higher is better). p99 of K < 100 samples is the maximum.", ""]
    results, failures = [], []
    try:
        for n in args.sizes:
            try:
                results.append(bench_size(args, n, args.soak and n == max(args.sizes)))
            except BenchError as e:
                log(f"[N={n}] FAILED: {e}")
                failures.append(f"N = {n:,}: FAILED: {e}")
    except KeyboardInterrupt:
        log("interrupted")
        failures.append("interrupted")
    finally:
        cleanup()
    text = "\n".join(header)
    if results:
        text += "\n### Summary\n\n" + report_summary(results, args) + "\n\n"
        text += "\n\n".join(report_size(r, args) for r in results) + "\n"
    if failures:
        text += "\n" + "\n".join(failures) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
