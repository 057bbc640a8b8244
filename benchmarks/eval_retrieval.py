"""Print top-1/top-3 accuracy of the search on the golden and the public dev question sets.

python benchmarks/eval_retrieval.py [--misses] [FILE.tsv ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.evaluate import evaluate, read_questions

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = [
    ROOT / "tests" / "golden" / "questions.tsv",
    ROOT / "tests" / "holdout" / "questions.tsv",
    ROOT.parent / "shared" / "eval" / "dev_questions.tsv",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--misses", action="store_true", help="list the questions missed at top-1")
    args = parser.parse_args()
    kb = KnowledgeBase.open()
    for path in args.files or [p for p in DEFAULT_SETS if p.exists()]:
        report = evaluate(kb, read_questions(path))
        print(f"{path.name}: {report.summary()}")
        if args.misses:
            for question, hits in report.misses:
                got = " / ".join(f"{h.step.role or h.step.doc}›{h.step.label}" for h in hits[:3])
                print(f"  ✗ [{question.lang}/{question.kind}] {question.query}  →  {got}")


if __name__ == "__main__":
    main()
