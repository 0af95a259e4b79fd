#!/usr/bin/env python3
"""Writes N deterministic plain-text articles of 2-4 KB into DIR (100 per subfolder), in the
shapes seedfeed reads: metadata lines or none, one-line or blank-line paragraphs, headings,
trailing navigation. Same N, same bytes: runs are comparable."""
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


def article(i, rng):
    title = f"Article {i}: " + " ".join(rng.choice(WORDS) for _ in range(6))
    lines = [title]
    if i % 2 == 0:
        lines += [f"Author: Writer {i % 97}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", ""]
    else:
        lines += [""]
    target = rng.randint(2048, 4096)
    body = []
    size = 0
    while size < target:
        if rng.random() < 0.1:
            para = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
        else:
            para = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        body.append(para)
        size += len(para.encode()) + 2
    sep = "\n\n" if i % 3 else "\n"
    text = "\n".join(lines) + sep.join(body) + "\n"
    if i % 5 == 0:
        text += "\nRead more\nAnother story\nYet another story\n"
    return text


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20251122)
    for i in range(n):
        folder = os.path.join(out, f"{i // 100:04d}")
        if i % 100 == 0:
            os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{i:06d}.txt"), "w", encoding="utf-8") as f:
            f.write(article(i, rng))


if __name__ == "__main__":
    main()
