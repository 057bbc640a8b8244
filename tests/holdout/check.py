#!/usr/bin/env python3
"""Check tests/holdout/questions.tsv (stdlib only).

Verifies: '#' header line; 4 tab-separated fields per row; valid lang and kind
(kind "english" exactly when lang "en"); no duplicate queries; 1-3 snippets of
4-20 characters each; every snippet occurs verbatim within one line of the SOP,
and also after whitespace/punctuation is removed from both sides.

Usage: python3 tests/holdout/check.py     (exit status 1 on any failure)
"""

import collections
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "questions.tsv"
SOP = HERE.parents[1] / "knowledge" / "corpus" / "營業主管崗位職責.txt"

LANGS = {"hant", "hans", "en"}
KINDS = {"numeric", "colloquial", "scenario", "typo", "keyword", "role", "english"}
CANTONESE = re.compile("[冇喺唔嘅咩俾攞嗰佢哋啲嘢咁係咗嚟喎]|點[算答處俾解]|邊[個度]|幾耐|[寫坐]低")
PIAN = re.compile(r"營業主管崗位職責 篇(\d+)")


def norm(text):
    """Drop whitespace, punctuation, symbols and control characters; casefold."""
    return "".join(ch for ch in text.casefold() if unicodedata.category(ch)[0] not in "PZSC")


def load_sop():
    """Return [(raw line, normalized line, 篇 number)] for the non-empty SOP lines."""
    out, pian = [], 0
    for raw in SOP.read_text(encoding="utf-8").splitlines():
        m = PIAN.search(raw)
        if m:
            pian = int(m.group(1))
            continue
        if raw.strip():
            out.append((raw, norm(raw), pian))
    return out


def main():
    sop = load_sop()
    errors = []
    langs, kinds, pians = collections.Counter(), collections.Counter(), collections.Counter()
    canto = 0
    seen = {}
    text = QUESTIONS.read_text(encoding="utf-8").splitlines()
    if not text or not text[0].startswith("#"):
        errors.append("line 1: missing '#' header line")
    for no, line in enumerate(text, 1):
        if no == 1 and line.startswith("#"):
            continue
        if not line.strip():
            errors.append(f"line {no}: blank line")
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            errors.append(f"line {no}: expected 4 tab-separated fields, got {len(fields)}")
            continue
        query, snippets, lang, kind = fields
        if not query.strip() or query != query.strip():
            errors.append(f"line {no}: empty query or stray whitespace")
        if query in seen:
            errors.append(f"line {no}: duplicate of line {seen[query]}")
        seen[query] = no
        if lang not in LANGS:
            errors.append(f"line {no}: bad lang {lang!r}")
        if kind not in KINDS:
            errors.append(f"line {no}: bad kind {kind!r}")
        if (lang == "en") != (kind == "english"):
            errors.append(f"line {no}: lang en and kind english must go together")
        langs[lang] += 1
        kinds[kind] += 1
        if lang == "hant" and CANTONESE.search(query):
            canto += 1
        parts = snippets.split("|")
        if not 1 <= len(parts) <= 3:
            errors.append(f"line {no}: {len(parts)} snippets (want 1-3)")
        hit_pians = set()
        for snip in parts:
            if not 4 <= len(snip) <= 20:
                errors.append(f"line {no}: snippet {snip!r} has {len(snip)} chars (want 4-20)")
            ns = norm(snip)
            found = [p for raw, n, p in sop if ns and ns in n]
            if not found:
                errors.append(f"line {no}: snippet {snip!r} not within any single SOP line")
            elif not any(snip in raw for raw, _, _ in sop):
                errors.append(f"line {no}: snippet {snip!r} only matches after normalizing")
            hit_pians.update(found)
        if len(hit_pians) == 1:
            pians[f"篇{hit_pians.pop()}"] += 1
        elif hit_pians:
            errors.append(f"line {no}: snippets span several 篇 {sorted(hit_pians)}")

    total = sum(langs.values())
    print(f"{total} questions")
    print("lang: " + ", ".join(f"{k} {v}" for k, v in langs.most_common()))
    print(f"  of which hant with Cantonese wording: {canto}")
    print("kind: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    p3 = pians.get("篇3", 0)
    print(
        f"篇3: {p3} ({p3 / max(total, 1):.0%}); other 篇: "
        + ", ".join(
            f"{k} {v}"
            for k, v in sorted(pians.items(), key=lambda kv: int(kv[0][1:]))
            if k != "篇3"
        )
    )
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
