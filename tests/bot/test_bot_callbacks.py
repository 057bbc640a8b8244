"""Callback data: what the bot writes fits in 64 bytes and reads back; nothing else does."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.browse.contents import Contents
from bot.browse.keyboards import PAGE_SIZE, page_of
from knowledge import KnowledgeBase

STEP = "802c95ae0e"


@pytest.mark.parametrize(
    ("data", "pattern", "groups"),
    [
        (callbacks.full(STEP), callbacks.FULL, (STEP,)),
        (callbacks.more(3), callbacks.MORE, ("3",)),
        (callbacks.vote(True, STEP), callbacks.VOTE, ("+", STEP)),
        (callbacks.vote(False, STEP), callbacks.VOTE, ("-", STEP)),
        (callbacks.see(STEP), callbacks.SEE, (STEP,)),
        (callbacks.example(2), callbacks.EXAMPLE, ("2",)),
        (callbacks.documents(1), callbacks.DOCUMENTS, ("1",)),
        (callbacks.document(12, 0), callbacks.DOCUMENT, ("12", "0")),
        (callbacks.section(999, 999, 999), callbacks.SECTION, ("999", "999", "999")),
        (callbacks.read(STEP), callbacks.READ, (STEP,)),
        (callbacks.role(4), callbacks.ROLE, ("4", None)),
        (callbacks.role(None), callbacks.ROLE, (None, "-")),
    ],
)
def test_callback_data_reads_back(data: str, pattern, groups: tuple) -> None:
    assert len(data.encode()) <= 64
    assert pattern.match(data).groups() == groups
    assert [p for p in callbacks.PATTERNS if p.match(data)] == [pattern]


@pytest.mark.parametrize(
    "data",
    [
        "",
        "full",
        "full:",
        "FULL:802c95ae0e",
        "full:802c95ae0e ",
        "full:802c95ae0e\n",
        "more:1000",
        "more:-1",
        "more:١",
        "fb:*:802c95ae0e",
        "role:",
        "role:--",
        "docs:",
        "ask:12",
    ],
)
def test_other_data_is_unknown(data: str) -> None:
    assert not callbacks.is_known(data)


def test_oversized_data_is_a_bug() -> None:
    with pytest.raises(ValueError):
        callbacks.full("f" * 80)


def test_every_step_id_fits_every_form(kb: KnowledgeBase) -> None:
    for step in kb.steps:
        for data in (
            callbacks.full(step.id),
            callbacks.vote(True, step.id),
            callbacks.read(step.id),
        ):
            assert callbacks.is_known(data)


def test_contents_group_steps_by_document_then_role(kb: KnowledgeBase) -> None:
    contents = Contents.from_steps(kb.steps)
    flattened = [s for d in contents.documents for r in d.roles for s in r.steps]
    assert sorted(s.id for s in flattened) == sorted(s.id for s in kb.steps)
    for document in contents.documents:
        for section in document.roles:
            assert {(s.doc, s.role) for s in section.steps} == {(document.name, section.name)}
    assert "" not in contents.roles
    step = kb.steps[-1]
    d, r, p = contents.locate(step.id)
    assert contents.documents[d].roles[r].steps[p] == step
    assert contents.locate("0000000000") is None
    assert contents.document(len(contents.documents)) is None
    assert contents.section(0, 99) is None


def test_pages_are_clamped() -> None:
    items = list(range(PAGE_SIZE * 2 + 1))
    assert page_of(items, 0) == (items[:PAGE_SIZE], 0)
    assert page_of(items, 2) == (items[-1:], 2)
    assert page_of(items, 99) == (items[-1:], 2)
    assert page_of([], 5) == ([], 0)
