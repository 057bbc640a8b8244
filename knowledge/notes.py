"""Store notes: questions people answered, matched against new questions.

A note is a question a responder answered (``bot/asks/``), kept for one store. It is
not part of the SOP index (it belongs to one store, and it is written in a minute, not
imported), so it is matched here, beside the search: each note's question is read the way
the search reads a question (folding, segmentation, Cantonese, regional words, synonyms),
and a new question matches a note when the two share most of what each of them says.

Nothing here knows about Telegram or storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.search import Query, Searcher

# Both questions must be mostly explained by each other: the share of each one's weight
# found in the other, combined (harmonic mean), and the asked question's own share.
CONFIDENT_SCORE = 0.6
CONFIDENT_COVERAGE = 0.6
# A term weighing at least this share of a question's heaviest is one of its own words (or
# their character pairs, which weigh the pair weight of the search); less, an expansion.
OWN = 0.25


@dataclass(frozen=True)
class NoteMatch:
    note_id: int
    score: float  # 0..1: how much the two questions say alike
    confident: bool


@dataclass(frozen=True)
class ReadNote:
    note_id: int
    terms: dict[str, float]


def terms_of(query: Query) -> dict[str, float]:
    """What a question says, as the search reads it: its words with their expansions,
    and the character pairs of the words (so 退貨單 and 退貨 still meet)."""
    found = dict(query.words)
    for gram, weight in query.grams.items():
        key = f"\x00{gram}"
        found[key] = max(found.get(key, 0.0), weight)
    return found


def share(one: dict[str, float], other: dict[str, float]) -> float:
    """How much of what ``one`` says ``other`` also says.

    What the resources add to a question (a synonym, a regional word) may match, but is
    not owed: only the words and pairs it was written with count in full against it.
    """
    top = max(one.values(), default=0.0)
    owed = sum(weight for weight in one.values() if weight >= OWN * top)
    if not owed:
        return 0.0
    found = sum(min(weight, other[term]) for term, weight in one.items() if term in other)
    return min(1.0, found / owed)


class NoteMatcher:
    """The notes of one or more stores, read once, matched against questions."""

    def __init__(self, searcher: Searcher, notes: Iterable[tuple[int, str]]) -> None:
        self.searcher = searcher
        self.notes = [ReadNote(note_id, terms_of(searcher.read(text))) for note_id, text in notes]

    def best(self, question: str) -> NoteMatch | None:
        """The note the question asks again, if any says most of what it says."""
        if not self.notes:
            return None
        asked = terms_of(self.searcher.read(question))
        if not asked:
            return None
        best: NoteMatch | None = None
        for note in self.notes:
            mine, theirs = share(asked, note.terms), share(note.terms, asked)
            if not mine or not theirs:
                continue
            score = 2 * mine * theirs / (mine + theirs)
            if best is None or score > best.score:
                confident = score >= CONFIDENT_SCORE and mine >= CONFIDENT_COVERAGE
                best = NoteMatch(note.note_id, score, confident)
        return best
