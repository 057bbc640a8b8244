"""Every expected snippet of a kept SOP's questions is a verbatim piece of its sop.md.

A question set under tests/sops/<name>/questions.tsv names, for each question, pieces of
the answering step; a piece that is not in the document (a paraphrase, a typo in the
quote) would make the question unanswerable whatever the search does. Spaces are ignored,
as the evaluation ignores them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOPS = Path(__file__).resolve().parent / "sops"
FOLDERS = sorted(p for p in SOPS.glob("*/") if (p / "questions.tsv").exists())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_every_snippet_is_in_the_document(folder: Path) -> None:
    document = squash((folder / "sop.md").read_text(encoding="utf-8"))
    missing = []
    for number, line in enumerate(
        (folder / "questions.tsv").read_text(encoding="utf-8").splitlines(), 1
    ):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 4, f"{folder.name} line {number}: {len(fields)} fields"
        for snippet in fields[1].split("|"):
            if snippet != "NONE" and squash(snippet) not in document:
                missing.append(f"line {number}: {snippet}")
    assert not missing, "\n".join(missing)
