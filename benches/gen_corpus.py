#!/usr/bin/env python3
"""Writes N deterministic plain-text articles of 2-4 KB into DIR (100 per subfolder), in the
shapes seedfeed reads: metadata lines or none, one-line or blank-line paragraphs, headings,
trailing navigation. Same N, same bytes: runs are comparable.

    gen_corpus.py N DIR               # DIR/0000/000000.txt ...
    gen_corpus.py --markdown N DIR    # the same N articles as Markdown for Hugo (benches/e2e.py):
                                      # DIR/0000/000000.md with TOML front matter (title, and
                                      # date/author when the text article has them), headings as
                                      # "## ", the trailing navigation left out
"""
import json
import os
import random
import sys

WORDS = ("the council city budget vote night debate school transport housing station work "
         "spring cost tender member opposition mayor revenue line hospital library hour "
         "le conseil ville vote soir débat école transport logement gare travaux printemps "
         "coût appel offre membre maire recette ligne hôpital bibliothèque heure").split()


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def parts(i, rng):
    """Article i as (title, author or None, date or None, [(is_heading, text)], one_line,
    trailer); draws from rng exactly as the text output always has."""
    title = f"Article {i}: " + " ".join(rng.choice(WORDS) for _ in range(6))
    author = date = None
    if i % 2 == 0:
        author, date = f"Writer {i % 97}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
    target = rng.randint(2048, 4096)
    body = []
    size = 0
    while size < target:
        if rng.random() < 0.1:
            para = (True, " ".join(rng.choice(WORDS) for _ in range(4)).capitalize())
        else:
            para = (False, " ".join(sentence(rng) for _ in range(rng.randint(2, 5))))
        body.append(para)
        size += len(para[1].encode()) + 2
    trailer = "Read more\nAnother story\nYet another story\n" if i % 5 == 0 else None
    return title, author, date, body, i % 3 == 0, trailer


def article(i, rng):
    title, author, date, body, one_line, trailer = parts(i, rng)
    lines = [title]
    if date:
        lines += [f"Author: {author}", date, ""]
    else:
        lines += [""]
    sep = "\n" if one_line else "\n\n"
    text = "\n".join(lines) + sep.join(p for _, p in body) + "\n"
    if trailer:
        text += "\n" + trailer
    return text


def markdown(i, rng):
    title, author, date, body, _, _ = parts(i, rng)
    front = [f"title = {json.dumps(title, ensure_ascii=False)}"]
    if date:
        front += [f"date = {date}", f"author = {json.dumps(author)}"]
    paras = [f"## {p}" if heading else p for heading, p in body]
    return "+++\n" + "\n".join(front) + "\n+++\n\n" + "\n\n".join(paras) + "\n"


def main():
    args = sys.argv[1:]
    md = "--markdown" in args
    if md:
        args.remove("--markdown")
    if len(args) != 2:
        sys.exit(__doc__)
    n, out = int(args[0]), args[1]
    render, ext = (markdown, "md") if md else (article, "txt")
    rng = random.Random(20251122)
    for i in range(n):
        folder = os.path.join(out, f"{i // 100:04d}")
        if i % 100 == 0:
            os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{i:06d}.{ext}"), "w", encoding="utf-8") as f:
            f.write(render(i, rng))


if __name__ == "__main__":
    main()
