#!/usr/bin/env python3
"""Check the golden question set against the SOP text (stdlib only).

Usage:
    python3 tests/golden/check_questions.py [questions.tsv] [--sop PATH] [--dev PATH] [-v]

Each non-comment line of the question file must be
    query<TAB>snippet|snippet<TAB>lang<TAB>kind

Checks (any failure makes the exit status 1):
  * exactly 4 tab-separated columns, non-empty query;
  * lang in {hant, hans, en}, kind in the known kinds;
  * 1-3 snippets, each 4-20 characters long;
  * every snippet, after removing whitespace and punctuation, occurs in the
    SOP text after the same normalisation;
  * every snippet occurs verbatim inside one line (one step) of the SOP and
    contains no sentence end, so it never spans two sentences or steps;
  * no duplicate query inside the file, and none equal to a query of the
    public dev sample (when that file is present).

It then prints counts by lang and kind, how the questions spread over the
篇 of the document, and which steps of 篇3 they cover.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_QUESTIONS = HERE / "questions.tsv"
DEFAULT_SOP = ROOT / "knowledge" / "corpus" / "營業主管崗位職責.txt"
DEFAULT_DEV = ROOT.parent / "shared" / "eval" / "dev_questions.tsv"  # beside the checkout

LANGS = {"hant", "hans", "en"}
KINDS = {"numeric", "colloquial", "typo", "scenario", "keyword", "role", "english"}
SENTENCE_ENDS = set("。！？!?;；\n")
# Rough marker list, used only to report how many hant questions read as Cantonese.
CANTONESE_CHARS = set("唔冇嘅咩喺佢俾嗰咗啲嘢瞓嚟企搵咁哋晒乜嗌噉吓")
CANTONESE_WORDS = ("點算", "邊個", "幾耐", "幾多", "邊度", "點樣", "打交")
CANTONESE = CANTONESE_CHARS | set(CANTONESE_WORDS)

STEP_RE = re.compile(r"^(\d+)、\s*(\S{0,8})")
ROLE_RE = re.compile(r"^([一二三四五六七八九十]+)、\s*(\S+)")
PIECE_RE = re.compile(r"^營業主管崗位職責\s*篇(\d+)")


def normalize(text: str) -> str:
    """Drop whitespace, punctuation and symbols; keep letters and digits."""
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZC"
    ).lower()


def segment(lines: list[str]) -> list[str]:
    """Label each SOP line with the step it belongs to ("篇3/二、流動諮詢/4、巡視")."""
    labels = []
    piece, role, step = "前言", "", ""
    for line in lines:
        s = line.strip()
        m = PIECE_RE.match(s)
        if m:
            piece, role, step = f"篇{m.group(1)}", "", ""
        elif piece == "篇3" and ROLE_RE.match(s):
            role, step = ROLE_RE.match(s).group(0)[:8], "職責說明"
        elif piece == "篇3" and s.startswith("(一)"):
            step = "職責說明"
        elif STEP_RE.match(s):
            num, head = STEP_RE.match(s).groups()
            step = f"{num}、{head[:4]}" if piece == "篇3" else num
        label = "/".join(x for x in (piece, role, step) if x)
        labels.append(label)
    return labels


def read_tsv(path: Path) -> list[tuple[int, str]]:
    rows = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        rows.append((no, line))
    return rows


def bigrams(text: str) -> set[str]:
    t = normalize(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="?", type=Path, default=DEFAULT_QUESTIONS)
    ap.add_argument("--sop", type=Path, default=DEFAULT_SOP)
    ap.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    ap.add_argument("-v", "--verbose", action="store_true", help="list coverage per step")
    args = ap.parse_args()

    sop_text = args.sop.read_text(encoding="utf-8")
    sop_lines = sop_text.splitlines()
    sop_norm = normalize(sop_text)
    labels = segment(sop_lines)
    all_steps = [lab for lab in dict.fromkeys(labels) if lab.startswith("篇3/")]

    dev_queries: dict[str, str] = {}
    if args.dev.exists():
        for _, line in read_tsv(args.dev):
            q = line.split("\t")[0]
            dev_queries[normalize(q)] = q
    else:
        print(f"note: dev file {args.dev} not found; skipping the overlap check")

    errors: list[str] = []
    warnings: list[str] = []
    by_lang: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    by_lang_kind: Counter[tuple[str, str]] = Counter()
    by_piece: Counter[str] = Counter()
    step_hits: defaultdict[str, int] = defaultdict(int)
    seen: dict[str, int] = {}
    cantonese = 0
    rows = read_tsv(args.questions)

    for no, line in rows:
        cols = line.split("\t")
        where = f"line {no}"
        if len(cols) != 4:
            errors.append(f"{where}: expected 4 tab-separated columns, got {len(cols)}")
            continue
        query, snippet_col, lang, kind = (c.strip() for c in cols)
        if not query:
            errors.append(f"{where}: empty query")
        if lang not in LANGS:
            errors.append(f"{where}: bad lang {lang!r}")
        if kind not in KINDS:
            errors.append(f"{where}: bad kind {kind!r}")
        if (lang == "en") != (kind == "english"):
            warnings.append(f"{where}: lang {lang} with kind {kind}")
        by_lang[lang] += 1
        by_kind[kind] += 1
        by_lang_kind[(lang, kind)] += 1
        if lang == "hant" and any(m in query for m in CANTONESE):
            cantonese += 1

        nq = normalize(query)
        if nq in seen:
            errors.append(f"{where}: duplicate of the query on line {seen[nq]}: {query}")
        seen.setdefault(nq, no)
        if nq in dev_queries:
            errors.append(f"{where}: same query as the dev sample: {query}")
        else:
            qb = bigrams(query)
            for dq in dev_queries.values():
                db = bigrams(dq)
                if len(qb & db) / len(qb | db) >= 0.5:
                    warnings.append(f"{where}: close to dev query {dq!r}: {query}")

        snippets = [s for s in snippet_col.split("|")]
        if not 1 <= len(snippets) <= 3:
            errors.append(f"{where}: {len(snippets)} snippets (want 1-3)")
        pieces = set()
        for snip in snippets:
            ns = normalize(snip)
            if not 4 <= len(snip) <= 20 or len(ns) < 4:
                errors.append(f"{where}: snippet length {len(snip)} not in 4-20: {snip!r}")
            if any(ch in SENTENCE_ENDS for ch in snip):
                errors.append(f"{where}: snippet spans a sentence end: {snip!r}")
            if ns not in sop_norm:
                errors.append(f"{where}: snippet not in SOP: {snip!r}")
                continue
            hit_lines = [i for i, sl in enumerate(sop_lines) if snip in sl]
            if not hit_lines:
                errors.append(f"{where}: snippet not verbatim inside one SOP line: {snip!r}")
                continue
            for i in hit_lines:
                pieces.add(labels[i].split("/")[0])
                if labels[i].startswith("篇3/"):
                    step_hits[labels[i]] += 1
        for p in pieces:
            by_piece[p] += 1

    total = len(rows)
    print(f"questions: {total}")
    print(
        "by lang: "
        + ", ".join(f"{k}={by_lang[k]} ({by_lang[k] / total:.0%})" for k in sorted(by_lang))
    )
    print(f"  hant with Cantonese wording: {cantonese} ({cantonese / max(total, 1):.0%} of all)")
    print("by kind: " + ", ".join(f"{k}={by_kind[k]}" for k in sorted(by_kind)))
    print("lang x kind:")
    for lang in sorted(by_lang):
        cells = ", ".join(
            f"{k}={by_lang_kind[(lang, k)]}" for k in sorted(KINDS) if by_lang_kind[(lang, k)]
        )
        print(f"  {lang}: {cells}")
    other = sum(1 for _, line in rows if line.count("\t") == 3) - by_piece["篇3"]
    print(
        "by 篇 (a question counts once per 篇 its snippets hit): "
        + ", ".join(
            f"{p}={by_piece[p]}"
            for p in sorted(by_piece, key=lambda x: int(x[1:]) if x[1:].isdigit() else 0)
        )
    )
    print(f"  questions not about 篇3: {other} ({other / max(total, 1):.0%})")
    uncovered = [s for s in all_steps if not step_hits[s]]
    print(f"篇3 steps covered: {len(all_steps) - len(uncovered)}/{len(all_steps)}")
    if args.verbose:
        for s in all_steps:
            print(f"  {step_hits[s]:3d}  {s}")
    for s in uncovered:
        warnings.append(f"篇3 step without a question: {s}")

    for w in warnings:
        print(f"WARNING: {w}")
    for e in errors:
        print(f"ERROR: {e}")
    print("OK" if not errors else f"FAILED: {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
