"""Answer quality on every corpus the project measures, alone and beside the packaged SOP.

    python benchmarks/eval_retrieval.py [--only NAME] [--alone] [--misses] [--json]

Corpora: the packaged SOP with its question sets (golden, held-out, the public sample and
the off-topic lines); the public second SOP (``../shared/eval/sopdev``) and every real SOP
of another workplace kept as test data (``tests/sops/*/sop.md`` with ``questions.tsv``,
whose questions were written before the document was first searched). Each other SOP is
measured served alone and served beside the packaged SOP, as a store that imports its own
document next to the sample would serve it.

Printed per corpus and question set: top-1, top-3, English top-1, reply@1 (the answering
text is in the first reply itself), the share of right and of wrong answers given with
confidence, the share of right answers given no step at all ("none"), and the shares of
off-topic questions answered with confidence and given no step (as they should be). Asserts nothing:
the floors live in tests/knowledge/test_quality.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import KnowledgeBase  # noqa: E402
from knowledge.corpus import CORPUS_DIR, sop_files  # noqa: E402
from knowledge.evaluate import OFF_TOPIC, Question, Report, evaluate, read_questions  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
PACKAGED_SETS = [
    ROOT / "tests" / "golden" / "questions.tsv",
    ROOT / "tests" / "holdout" / "questions.tsv",
    SHARED / "dev_questions.tsv",
]
PACKAGED_OFF_TOPIC = ROOT / "tests" / "golden" / "offtopic.txt"


@dataclass(frozen=True)
class Corpus:
    name: str
    sources: tuple[Path, ...]
    sets: tuple[Path, ...]


def corpora() -> list[Corpus]:
    found = [
        Corpus(
            "packaged", tuple(sop_files(CORPUS_DIR)), tuple(p for p in PACKAGED_SETS if p.exists())
        )
    ]
    others = [SHARED / "sopdev"] + sorted((ROOT / "tests" / "sops").glob("*/"))
    for folder in others:
        sop, questions = folder / f"{folder.name}.md", folder / "questions.tsv"
        if not sop.exists():
            sop = folder / "sop.md"
        if sop.exists() and questions.exists():
            found.append(Corpus(folder.name, (sop,), (questions,)))
    return found


def off_topic_questions() -> list[Question]:
    lines = PACKAGED_OFF_TOPIC.read_text(encoding="utf-8").splitlines()
    return [Question(line, (OFF_TOPIC,), "", "offtopic") for line in lines if line.strip()]


def measure(kb: KnowledgeBase, path: Path, extra: list[Question] | None = None) -> Report:
    return evaluate(kb, read_questions(path) + (extra or []))


def row(label: str, report: Report) -> str:
    f = report.figures()
    return (
        f"  {label:<34} n={f['n']:<4.0f} top-1 {f['top1']:6.1%}  top-3 {f['top3']:6.1%}  "
        f"en {f['en_top1']:6.1%}  reply@1 {f['reply1']:6.1%}  "
        f"conf right {f['conf_right']:4.0%} wrong {f['conf_wrong']:4.0%}  "
        f"right none {f['right_none']:4.0%}  off-topic conf {f['off_topic']:4.0%} "
        f"none {f['off_topic_none']:4.0%} of {report.off_topic}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="measure only these corpora")
    parser.add_argument("--alone", action="store_true", help="skip 'beside the packaged SOP'")
    parser.add_argument("--misses", action="store_true", help="list questions missed at top-1")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    everything = corpora()
    packaged = everything[0]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:

        def open_kb(name: str, sources: tuple[Path, ...]) -> KnowledgeBase:
            started = time.perf_counter()
            kb = KnowledgeBase.open(index_path=Path(tmp) / f"{name}.db", sources=list(sources))
            print(f"{name}: {len(kb.steps)} steps, opened in {time.perf_counter() - started:.1f} s")
            return kb

        for corpus in everything:
            if args.only and corpus.name not in args.only:
                continue
            modes = [("alone", corpus.sources)]
            if not args.alone and corpus is not packaged:
                modes.append(("beside the packaged SOP", packaged.sources + corpus.sources))
            elif not args.alone:
                # What serving a store's own SOPs beside it costs the packaged SOP's answers.
                others = tuple(s for c in everything if c is not packaged for s in c.sources)
                modes.append(("beside the other SOPs", packaged.sources + others))
            for mode, sources in modes:
                try:
                    kb = open_kb(f"{corpus.name}-{mode.split()[0]}", sources)
                except Exception as error:  # noqa: BLE001 - one corpus must not hide the rest
                    if corpus is packaged:
                        raise
                    print(f"  {corpus.name}, {mode}: NOT MEASURED, the index was not built:")
                    print(f"    {type(error).__name__}: {error}")
                    results[f"{corpus.name}, {mode}"] = {"error": 1.0}
                    continue
                for path in corpus.sets:
                    extra = (
                        off_topic_questions()
                        if corpus is packaged and "golden" in str(path)
                        else None
                    )
                    report = measure(kb, path, extra)
                    label = f"{path.parent.name if corpus is packaged else corpus.name}, {mode}"
                    print(row(label, report))
                    results[label] = report.figures()
                    if args.misses:
                        for question, hits in report.misses:
                            got = " / ".join(
                                f"{h.step.role or h.step.doc}›{h.step.label}"[:40] for h in hits[:2]
                            )
                            print(f"    ✗ [{question.lang}] {question.query}  →  {got}")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
