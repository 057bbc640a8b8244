"""Follow-up questions: top-1 on the follow-up set, and what context costs the plain sets.

    python benchmarks/eval_followups.py [--misses]

The follow-up set (``tests/followups/followups.tsv``): each pair is asked as a person
would, the first question alone, then the follow-up in its context
(``knowledge.followup.in_context``); the follow-up's top hit must be the expected step.
Printed: top-1 in context and alone, by language and by kind.

The cost on the plain question sets (golden, held-out, the public sample): each question
is asked right after the one before it in the file, as if the same person had asked both
within minutes (a new topic nearly every time: the worst case for dragging), and top-1 is
compared with asking it alone. Asserts nothing: the floors live in tests/knowledge/test_followup.py.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import KnowledgeBase  # noqa: E402
from knowledge.evaluate import read_questions  # noqa: E402
from knowledge.followup import (  # noqa: E402
    in_context,
    read_follow_ups,
    right_at_top,
    turn_after,
)

FOLLOW_UPS = ROOT / "tests" / "followups" / "followups.tsv"
PLAIN_SETS = [
    ROOT / "tests" / "golden" / "questions.tsv",
    ROOT / "tests" / "holdout" / "questions.tsv",
    ROOT.parent / "shared" / "eval" / "dev_questions.tsv",  # the public sample, when present
]


def share(hits: int, n: int) -> str:
    return f"{hits / n:6.1%}" if n else "   n/a"


def follow_up_set(kb: KnowledgeBase, misses: bool) -> None:
    pairs = read_follow_ups(FOLLOW_UPS)
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # n, in context, alone
    for pair in pairs:
        turn = turn_after(kb, pair.first)
        answer = in_context(kb, pair.follow_up, turn)
        right = right_at_top(answer, pair.expected)
        alone = right_at_top(kb.ask(pair.follow_up), pair.expected)
        for key in ("all", f"lang {pair.lang}", f"kind {pair.kind}"):
            counts = by[key]
            counts[0] += 1
            counts[1] += right
            counts[2] += alone
        if misses and not right:
            got = answer.best.step if answer.best else None
            where = f"{got.role or got.doc}›{got.label}" if got else "nothing"
            print(f"    ✗ [{pair.lang} {pair.kind}] {pair.first} → {pair.follow_up}  →  {where}")
    print(f"follow-up set ({len(pairs)} pairs): top-1 in context, and asked alone")
    for key in sorted(by, key=lambda k: (k != "all", k)):
        n, right, alone = by[key]
        print(f"  {key:<16} n={n:<3} in context {share(right, n)}   alone {share(alone, n)}")


def plain_cost(kb: KnowledgeBase) -> None:
    print("plain sets: top-1 asked alone, and asked right after the question before it")
    for path in (p for p in PLAIN_SETS if p.exists()):
        questions = read_questions(path)
        alone = context = 0
        previous = None
        for question in questions:
            alone += right_at_top(kb.ask(question.query), question)
            context += right_at_top(in_context(kb, question.query, previous), question)
            previous = turn_after(kb, question.query)
        n = len(questions)
        cost = (alone - context) / n * 100 if n else 0.0
        name = f"{path.parent.name}/{path.stem}"
        print(
            f"  {name:<22} n={n:<5} alone {share(alone, n)}   after another "
            f"{share(context, n)}   cost {cost:+.1f} points"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list follow-ups missed at top-1")
    args = parser.parse_args()
    kb = KnowledgeBase.open()
    follow_up_set(kb, args.misses)
    plain_cost(kb)


if __name__ == "__main__":
    main()
