#!/usr/bin/env python3
"""Benchmark seedfeed's boilerplate stripping on a public labelled page set.

Each HTML page is turned into scraper-style plain text by a small converter
(html.parser): line 1 is the page's <title> (or first <h1>), then the visible
text, one block per line. `seedfeed inspect --json` is run on those .txt files
and the body it keeps (paragraphs + headings + list_items) is scored against the
hand-labelled article text as a bag of lowercase \\w+ tokens (multiset overlap).
The baseline "keep every line" keeps every converted line except the title.

Python 3.8+ stdlib only (3.11+ for the dragnet v1 TOML layout).

Data sets understood by --data (the layout is detected):

  * dragnet / CleanEval style:  DIR/HTML/X.html + DIR/Corrected/X.html.corrected.txt
      git clone https://github.com/seomoz/dragnet_data  (or the pre-2020 history of
      https://github.com/dragnet-org/dragnet_data); tar xzf dragnet_HTML.tar.gz;
      tar xzf dragnet_Corrected.tar.gz
    The label is the text before the comments separator line
    ("!@#$%^&*()  COMMENTS", hand-typed variants tolerated); comments are excluded.
  * dragnet v1:  DIR/data/html/UUID.html + DIR/data/meta/UUID.toml (field `text`)
      git clone https://github.com/dragnet-org/dragnet_data && cd dragnet_data &&
      git lfs pull && tar xzf data/html.tar.gz -C data && tar xzf data/meta.tar.gz -C data
  * Zyte/scrapinghub article-extraction-benchmark:
      DIR/html/KEY.html.gz + DIR/ground-truth.json (field `articleBody`)
      git clone https://github.com/scrapinghub/article-extraction-benchmark

Usage:
  python3 benches/extract.py --data DIR [--bin target/release/seedfeed] [--limit N]
                     [--work DIR] [--config FILE] [--batch 200]

seedfeed runs with its working directory set to the work dir, so it uses its
built-in default configuration unless --config is given.
Exit status: 0 on success, 2 when the data dir or the binary is missing/unusable.
"""

import argparse
import codecs
import collections
import gzip
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOKEN_RE = re.compile(r"\w+", re.UNICODE)
COMMENTS_SEP_RE = re.compile(r"^[\s!@#$%^&*()]*[!@#$%^&*()]{3,}[\s!@#$%^&*()]*COMMENTS\s*$")
META_CHARSET_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)

# Elements whose end (and start) ends the current line.
BLOCK_TAGS = frozenset("""
address article aside blockquote body br caption center dd details dialog dir div dl dt
fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html
legend li main menu nav ol option p pre section summary table tbody td tfoot th thead tr ul
""".split())
HEAD_TAGS = frozenset("base link meta title style script noscript template".split())
# Elements whose content is never shown as text.
SKIP_TAGS = frozenset("script style noscript template svg math iframe object canvas".split())


def die(msg):
    print("error: " + msg, file=sys.stderr)
    sys.exit(2)


# --------------------------------------------------------------------------- decoding

def decode_bytes(raw, html_page=True):
    """Decode page bytes: BOM, else valid UTF-8, else <meta> charset, else cp1252."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(enc, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if html_page:
        m = META_CHARSET_RE.search(raw[:16384])
        if m:
            name = m.group(1).decode("ascii", "replace").lower()
            if name in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
                name = "cp1252"  # as browsers do (WHATWG encoding spec)
            try:
                if "utf-16" not in codecs.lookup(name).name:
                    return raw.decode(name, errors="replace")
            except LookupError:
                pass
    return raw.decode("cp1252", errors="replace")


# --------------------------------------------------------------------------- HTML -> text

class TextConverter(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = []
        self.buf = []
        self.skip = collections.Counter()  # open SKIP_TAGS by name
        self.in_head = False
        self.title_parts = None  # list while inside the first <title>
        self.title = None
        self.h1_parts = None
        self.first_h1 = None

    def flush(self):
        line = " ".join("".join(self.buf).split())
        self.buf = []
        if line:
            self.lines.append(line)

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip[tag] += 1
            return
        if any(self.skip.values()):
            return
        if tag == "head":
            self.in_head = True
            return
        if tag == "body" or (self.in_head and tag not in HEAD_TAGS):
            self.in_head = False  # as browsers do: body content ends <head>
        if tag == "title" and self.title is None and self.title_parts is None:
            self.title_parts = []
            return
        if self.in_head:
            return
        if tag == "h1" and self.first_h1 is None and self.h1_parts is None:
            self.h1_parts = []
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_startendtag(self, tag, attrs):
        # <br/>, <svg/>, <div/>: a self-closed element has no content.
        if tag in SKIP_TAGS:
            return
        self.handle_starttag(tag, attrs)
        if tag not in ("head", "title"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            if self.skip[tag] > 0:
                self.skip[tag] -= 1
            return
        if tag in ("body", "html"):
            self.skip.clear()  # never let an unclosed <noscript> eat the page
        if any(self.skip.values()):
            return
        if tag == "head":
            self.in_head = False
            return
        if tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split())
            self.title_parts = None
            return
        if self.in_head:
            return
        if tag == "h1" and self.h1_parts is not None:
            self.first_h1 = " ".join("".join(self.h1_parts).split()) or None
            self.h1_parts = None
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data):
        if any(self.skip.values()):
            return
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if self.in_head:
            return
        if self.h1_parts is not None:
            self.h1_parts.append(data)
        self.buf.append(data)

    def close(self):
        super().close()
        if self.title_parts is not None:  # unclosed <title>
            self.title = " ".join("".join(self.title_parts).split())
            self.title_parts = None
        self.flush()


def html_to_text(html_text):
    """Return (title, body_lines)."""
    conv = TextConverter()
    conv.feed(html_text)
    conv.close()
    title = conv.title or conv.first_h1 or ""
    return title, conv.lines


# --------------------------------------------------------------------------- data sets

def label_before_comments(text):
    out = []
    for line in text.splitlines():
        if COMMENTS_SEP_RE.match(line):
            break
        out.append(line)
    return "\n".join(out)


def load_pages(data):
    """Return (layout name, [(page_id, html_path, label_text_or_loader)])."""
    if os.path.isdir(os.path.join(data, "HTML")) and os.path.isdir(os.path.join(data, "Corrected")):
        pages = []
        for name in sorted(os.listdir(os.path.join(data, "HTML"))):
            if not name.endswith((".html", ".htm")):
                continue
            corr = os.path.join(data, "Corrected", name + ".corrected.txt")
            if not os.path.exists(corr):
                continue
            with open(corr, "rb") as f:
                label = label_before_comments(decode_bytes(f.read(), html_page=False))
            pages.append((name.rsplit(".", 1)[0], os.path.join(data, "HTML", name), label))
        return "dragnet HTML/ + Corrected/ (comments excluded)", pages
    for base in (os.path.join(data, "data"), data):
        hd, md = os.path.join(base, "html"), os.path.join(base, "meta")
        if os.path.isdir(hd) and os.path.isdir(md):
            import tomllib  # Python 3.11+
            pages = []
            for name in sorted(os.listdir(md)):
                if not name.endswith(".toml"):
                    continue
                uid = name[:-5]
                hp = os.path.join(hd, uid + ".html")
                if not os.path.exists(hp):
                    continue
                with open(os.path.join(md, name), "rb") as f:
                    meta = tomllib.load(f)
                pages.append((uid, hp, meta.get("text", "") or ""))
            return "dragnet v1 html/ + meta/*.toml (text)", pages
    gt = os.path.join(data, "ground-truth.json")
    if os.path.exists(gt) and os.path.isdir(os.path.join(data, "html")):
        with open(gt, encoding="utf-8") as f:
            truth = json.load(f)
        pages = []
        for key in sorted(truth):
            for ext in (".html.gz", ".html"):
                hp = os.path.join(data, "html", key + ext)
                if os.path.exists(hp):
                    pages.append((key, hp, truth[key].get("articleBody", "") or ""))
                    break
        return "article-extraction-benchmark html/ + ground-truth.json (articleBody)", pages
    return None, []


# --------------------------------------------------------------------------- scoring

def tokens(text):
    return TOKEN_RE.findall(text.lower())


def prf(tp, n_pred, n_gold):
    # Undefined ratios: 1 when both sides are empty, else 0 (as in
    # article-extraction-benchmark's evaluate.py).
    p = tp / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
    r = tp / n_gold if n_gold else (1.0 if n_pred == 0 else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


class Score:
    def __init__(self):
        self.tp = self.n_pred = self.n_gold = 0
        self.per_page = []
        self.removed = []

    def add(self, pred_text, gold_counter, n_gold, removed_lines):
        pred = collections.Counter(tokens(pred_text))
        tp = sum((pred & gold_counter).values())
        n_pred = sum(pred.values())
        self.tp += tp
        self.n_pred += n_pred
        self.n_gold += n_gold
        self.per_page.append(prf(tp, n_pred, n_gold))
        self.removed.append(removed_lines)

    def row(self, name):
        mp, mr, mf = prf(self.tp, self.n_pred, self.n_gold)
        n = len(self.per_page) or 1
        ap = sum(x[0] for x in self.per_page) / n
        ar = sum(x[1] for x in self.per_page) / n
        af = sum(x[2] for x in self.per_page) / n
        rm = sum(self.removed) / n
        return "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f |" % (
            name, mp, mr, mf, ap, ar, af, rm)


# --------------------------------------------------------------------------- seedfeed

def run_inspect(binary, files, cwd, config):
    cmd = [binary, "inspect", "--json"]
    if config:
        cmd += ["--config", config]
    cmd += files
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Exit status 1 only means "some file would be skipped"; the JSON is still printed.
    try:
        out = json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        raise RuntimeError("seedfeed exited %d without JSON: %s" % (
            proc.returncode, proc.stderr.decode("utf-8", "replace")[-2000:]))
    if isinstance(out, dict):
        out = [out]
    return {os.path.abspath(os.path.join(cwd, o["path"])): o for o in out}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="unpacked labelled page set")
    ap.add_argument("--bin", default="target/release/seedfeed", help="seedfeed binary")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--work", default=None, help="dir for converted .txt files (kept)")
    ap.add_argument("--config", default=None, help="seedfeed config file (default: built-in)")
    ap.add_argument("--batch", type=int, default=200, help="files per seedfeed call")
    args = ap.parse_args()

    if not os.path.isdir(args.data):
        die("data dir %r not found (get it with e.g. `git clone "
            "https://github.com/scrapinghub/article-extraction-benchmark`)" % args.data)
    binary = shutil.which(args.bin) if os.sep not in args.bin else args.bin
    if not binary or not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        die("seedfeed binary %r not found or not executable (build it with "
            "`cargo build --release` or pass --bin)" % args.bin)
    binary = os.path.abspath(binary)
    if args.config:
        if not os.path.isfile(args.config):
            die("config %r not found" % args.config)
        args.config = os.path.abspath(args.config)
    overrides = sorted(k for k in os.environ if k.startswith("SEEDFEED__"))
    if overrides:
        print("note: environment overrides in effect: " + ", ".join(overrides), file=sys.stderr)

    layout, pages = load_pages(args.data)
    if layout is None:
        die("no known layout in %r (want HTML/+Corrected/, data/html+data/meta, or "
            "html/+ground-truth.json)" % args.data)
    if not pages:
        die("no labelled pages found in %r" % args.data)
    if args.limit:
        pages = pages[:args.limit]

    t0 = time.time()
    tmp = None
    if args.work:
        work = os.path.abspath(args.work)
        os.makedirs(work, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="seedfeed-extract-")
        work = tmp.name

    # 1. convert
    converted, failed = [], []
    for pid, hp, label in pages:
        try:
            with open(hp, "rb") as f:
                title, lines = html_to_text(decode_bytes(f.read()))
        except Exception as e:  # noqa: BLE001 - report and go on
            failed.append((pid, "%s: %s" % (type(e).__name__, e)))
            continue
        if not lines:
            failed.append((pid, "no visible text"))
            continue
        txt = os.path.join(work, re.sub(r"[^A-Za-z0-9_.-]", "_", pid) + ".txt")
        with open(txt, "w", encoding="utf-8") as f:
            f.write((title or "Untitled") + "\n" + "\n".join(lines) + "\n")
        converted.append((pid, txt, lines, label))
    t_conv = time.time() - t0

    # 2. seedfeed
    results = {}
    t1 = time.time()
    for i in range(0, len(converted), args.batch):
        chunk = [c[1] for c in converted[i:i + args.batch]]
        try:
            results.update(run_inspect(binary, chunk, work, args.config))
        except (OSError, RuntimeError) as e:
            die("running seedfeed failed: %s" % e)
    t_seed = time.time() - t1

    # 3. score
    sf, base = Score(), Score()
    skipped, empty_labels = [], 0
    stripped_counts = []
    for pid, txt, lines, label in converted:
        gold = collections.Counter(tokens(label))
        n_gold = sum(gold.values())
        empty_labels += n_gold == 0
        r = results.get(os.path.abspath(txt))
        if r is None:
            failed.append((pid, "missing from seedfeed output"))
            r = {"skipped": "missing from output"}
        if r.get("skipped"):
            skipped.append((pid, r["skipped"]))
            kept = []
        else:
            kept = list(r.get("paragraphs") or []) + list(r.get("headings") or []) + \
                list(r.get("list_items") or [])
        stripped_counts.append(len(r.get("stripped") or []))
        sf.add("\n".join(kept), gold, n_gold, max(0, len(lines) - len(kept)))
        base.add("\n".join(lines), gold, n_gold, 0)

    n = len(converted)
    print("Data: %s, %s — %d pages scored (%d failed to convert, %d skipped by seedfeed, "
          "%d with empty label)" % (args.data, layout, n, len(failed), len(skipped), empty_labels))
    print("Binary: %s%s" % (binary, " --config " + args.config if args.config else " (built-in config)"))
    print()
    print("| system | micro P | micro R | micro F1 | macro P | macro R | macro F1 | lines removed/page |")
    print("|---|---|---|---|---|---|---|---|")
    print(sf.row("seedfeed"))
    print(base.row("keep every line"))
    print()
    avg_lines = sum(len(c[2]) for c in converted) / (n or 1)
    print("Body lines/page after conversion: %.1f; seedfeed `stripped` (chrome) lines/page: %.1f; "
          "label tokens: %d" % (avg_lines, sum(stripped_counts) / (n or 1), sf.n_gold))
    print("Time: convert %.1fs, seedfeed %.1fs (%d calls), total %.1fs" % (
        t_conv, t_seed, (n + args.batch - 1) // args.batch, time.time() - t0))
    for pid, why in failed:
        print("failed: %s (%s)" % (pid, why))
    for pid, why in skipped:
        print("skipped by seedfeed: %s (%s)" % (pid, why))
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
