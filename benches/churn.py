#!/usr/bin/env python3
"""Convergence under churn: after a burst of file operations on the seeds folder, how long
until the published feed equals the folder again? Python 3 standard library only.

    cargo build --release
    python3 benches/churn.py --ops 1000,10000 --runs 5

Per run, on 127.0.0.1 with a fresh temp folder:
  1. --articles articles (unique title and date each) in the seeds folder and one subfolder;
  2. seedfeed starts on them with the periodic reconcile off (watch.reconcile_secs = 0), so
     only events and self-healing can make the feed right;
  3. a burst of OPS operations, as fast as Python issues them, drawn from --mix:
       full:   creates, atomic replaces (temp name + rename), in-place rewrites (some of the
               same size), renames and moves between the folders, deletes, delete+create, slow
               partial writes and editor noise files;
       rename-delete: only "rename to a new name, in either folder" and "delete a file and
               create a new one" (the issue 13 reproduction);
  4. from the last operation, /feed.json is polled every 10 ms (keep-alive) until its titles
     equal the folder's, or --timeout seconds pass; the time is the convergence time.

Prints one line per run and, per OPS, the median and the maximum convergence time, the
failures (phantom titles: in the feed, not in the folder; missing ones: the reverse).
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Folder:
    """The seeds folder and what it must publish: relative path -> title."""

    def __init__(self, seeds, rng):
        self.seeds = seeds
        self.rng = rng
        self.titles = {}
        self.serial = 0
        os.makedirs(os.path.join(seeds, "sub"), exist_ok=True)

    def content(self):
        self.serial += 1
        title = f"Churn article {self.serial:07d}"
        day = 1 + self.serial % 28
        body = " ".join(f"w{self.rng.randrange(10**6):06d}" for _ in range(40))
        return title, f"{title}\n2025-03-{day:02d}\n\n{body}.\n"

    def fresh_name(self):
        folder = self.rng.choice(["", "sub/"])
        return f"{folder}a{self.rng.randrange(10**9):09d}.txt"

    def path(self, rel):
        return os.path.join(self.seeds, rel)

    def write(self, rel, text):
        with open(self.path(rel), "w") as f:
            f.write(text)

    def create(self, rel=None):
        rel = rel or self.fresh_name()
        title, text = self.content()
        self.write(rel, text)
        self.titles[rel] = title

    def pick(self):
        return self.rng.choice(sorted(self.titles)) if self.titles else None

    def op(self, mix):
        rng = self.rng
        victim = self.pick()
        if victim is None:
            return self.create()
        if mix == "rename-delete":
            kind = rng.choice(["rename", "delete-create"])
        else:
            kind = rng.choices(
                ["create", "replace", "rewrite", "same-size", "rename", "rename-over",
                 "delete", "delete-create", "slow", "noise"],
                [10, 10, 10, 5, 15, 5, 10, 10, 3, 5])[0]
        if kind == "create":
            self.create()
        elif kind == "replace":
            title, text = self.content()
            tmp = self.path(victim) + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, self.path(victim))
            self.titles[victim] = title
        elif kind in ("rewrite", "same-size"):
            title, text = self.content()
            self.write(victim, text)
            self.titles[victim] = title
        elif kind == "rename":
            target = self.fresh_name()
            os.rename(self.path(victim), self.path(target))
            self.titles[target] = self.titles.pop(victim)
        elif kind == "rename-over":
            target = self.pick()
            if target != victim:
                os.replace(self.path(victim), self.path(target))
                self.titles[target] = self.titles.pop(victim)
        elif kind == "delete":
            os.remove(self.path(victim))
            del self.titles[victim]
        elif kind == "delete-create":
            os.remove(self.path(victim))
            del self.titles[victim]
            self.create()
        elif kind == "slow":
            title, text = self.content()
            rel = self.fresh_name()
            with open(self.path(rel), "w") as f:
                f.write(text[: len(text) // 2])
                f.flush()
                time.sleep(0.02)
                f.write(text[len(text) // 2:])
            self.titles[rel] = title
        elif kind == "noise":
            base = self.path(victim)
            d, name = os.path.split(base)
            for noise in (os.path.join(d, f".{name}.swp"), base + "~", os.path.join(d, "4913")):
                with open(noise, "w") as f:
                    f.write("x")
                os.remove(noise)


class Feed:
    """`/feed.json` over one keep-alive connection, opened again when the server closed it
    (an idle connection is closed during a long burst)."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def titles(self):
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                self.conn.request("GET", "/feed.json")
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    return None
                return [item.get("title", "") for item in json.loads(body)["items"]]
            except (http.client.HTTPException, OSError):
                self.conn = None
        return None


def one_run(args, ops, seed):
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="seedfeed-churn-")
    seeds = os.path.join(work, "seeds")
    folder = Folder(seeds, rng)
    for _ in range(args.articles):
        folder.create()
    port = free_port()
    env = dict(os.environ)
    env.update({
        "SEEDFEED__FEED__ITEMS": "10000",
        "SEEDFEED__WATCH__RECONCILE_SECS": "0",
        "RUST_LOG": args.log_level,
    })
    logfile = open(os.path.join(work, "seedfeed.log"), "w")
    proc = subprocess.Popen(
        [args.bin, "serve", "--seeds", seeds, "--state-dir", os.path.join(work, "state"),
         "--listen", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    try:
        feed = Feed(port)
        deadline = time.monotonic() + 60
        while feed.titles() is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("seedfeed did not start")
            time.sleep(0.02)
        for _ in range(ops):
            folder.op(args.mix)
        quiet = time.monotonic()
        want = sorted(folder.titles.values())
        got = None
        while time.monotonic() - quiet < args.timeout:
            got = sorted(feed.titles() or [])
            if got == want:
                return time.monotonic() - quiet, [], []
            time.sleep(0.01)
        phantom = sorted(set(got or []) - set(want))
        missing = sorted(set(want) - set(got or []))
        if args.keep_failed:
            log(f"  kept {work}")
            work = None
        return None, phantom, missing
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        logfile.close()
        if work:
            shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "seedfeed"))
    p.add_argument("--ops", default="1000,10000", help="comma-separated burst sizes")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--articles", type=int, default=30)
    p.add_argument("--mix", choices=["full", "rename-delete"], default="full")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for convergence")
    p.add_argument("--seed", type=int, default=1, help="seed of the first run")
    p.add_argument("--log-level", default="info")
    p.add_argument("--keep-failed", action="store_true", help="keep the folder of a failed run")
    args = p.parse_args()
    print(f"| ops | runs | converged | p50 ms | max ms | phantoms (per failed run) |")
    print(f"|---|---|---|---|---|---|")
    for ops in [int(x) for x in args.ops.split(",")]:
        times, failures = [], []
        for run in range(args.runs):
            seed = args.seed + run
            took, phantom, missing = one_run(args, ops, seed)
            if took is None:
                failures.append(len(phantom))
                log(f"ops={ops} seed={seed}: NOT converged after {args.timeout} s: "
                    f"{len(phantom)} phantom {phantom[:3]}, {len(missing)} missing {missing[:3]}")
            else:
                times.append(took)
                log(f"ops={ops} seed={seed}: converged in {took * 1000:.0f} ms")
        p50 = f"{statistics.median(times) * 1000:.0f}" if times else "-"
        worst = f"{max(times) * 1000:.0f}" if times else "-"
        print(f"| {ops} | {args.runs} | {len(times)}/{args.runs} | {p50} | {worst} | {failures or '-'} |",
              flush=True)


if __name__ == "__main__":
    main()
