"""What a card shows of a step: whole sentences a reader can act on, lists whole.

The index cuts a step's text at every 。；！？ (:func:`knowledge.index.sentences`), which
suits matching but not reading: a cut inside brackets leaves "5—20人,抽查總數的50%;" with
neither its opening nor its close, one item of a list says nothing of the others, and a
line ending in "主要職責有:" promises what follows. Here those pieces are put back
together into *units* (a sentence as a reader takes it) and an excerpt is chosen from
whole units, so a card never shows half a sentence.

Pure functions of texts and scores: the search (:meth:`knowledge.search.Searcher.hit`)
scores the index's sentences and passes the scores in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from knowledge.index import SENTENCE_RE

OPENING = "(（“「『【[《"
CLOSING = ")）”」』】]》"
COLONS = ":："
# What starts an item of a list: A、 B. 1、 (2) ① 一、 • -
ITEM_RE = re.compile(
    r"(?:[A-Za-z]|\d{1,2}|[一二三四五六七八九十]{1,3})[、.．)）](?!\d)"
    r"|[(（](?:\d{1,2}|[一二三四五六七八九十]{1,3}|[A-Za-z])[)）]"
    r"|[①-⑳•·▪◦●○■□◆◇※*\-]"
)
# A piece that stops mid-clause ("根據客戶需要準確、"): text the document lost the rest of.
DANGLING = "、,，"


@dataclass(frozen=True)
class Unit:
    """One sentence as a reader takes it: one or more of the index's pieces of a paragraph."""

    paragraph: int
    pieces: tuple[int, ...]  # numbers of the index's pieces, counted through the whole text
    text: str
    spaced: bool = False  # whether the document puts a space before it

    @property
    def is_item(self) -> bool:
        """Whether the unit is an item of a list (it starts with A、 1、 (2) • …)."""
        return bool(ITEM_RE.match(self.text))

    @property
    def introduces_list(self) -> bool:
        """Whether what follows the unit is its list: it ends with a colon ("職責有:"),
        or its colon is followed by the list's first item ("內容包括:A、…")."""
        if self.text.rstrip()[-1:] in COLONS:
            return True
        colon = outside_brackets_colon(self.text)
        return colon is not None and bool(ITEM_RE.match(self.text[colon + 1 :].lstrip()))

    @property
    def is_dangling(self) -> bool:
        """Whether the unit breaks off mid-clause: the document lost its end."""
        return self.text.rstrip()[-1:] in DANGLING


# Answering reads the same steps' units again and again (a card, its ➡️, the next asker):
# each text's units are worked out once. Bounded, for a corpus that keeps growing.
CACHED_TEXTS = 20_000


@lru_cache(maxsize=CACHED_TEXTS)
def outside_brackets_colon(text: str) -> int | None:
    """Where the first colon outside brackets is, if any."""
    depth = 0
    for i, char in enumerate(text):
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(depth - 1, 0)
        elif char in COLONS and depth == 0:
            return i
    return None


def units(paragraphs: Sequence[str]) -> list[Unit]:
    """A text's units: the index's pieces, joined again where a cut fell inside brackets
    or quotes (the pieces are numbered as the index numbers a step's body or a tip)."""
    return list(units_of(tuple(paragraphs)))


@lru_cache(maxsize=CACHED_TEXTS)
def units_of(paragraphs: tuple[str, ...]) -> tuple[Unit, ...]:
    """:func:`units`, worked out once for each text."""
    found: list[Unit] = []
    number = 0
    for paragraph_no, paragraph in enumerate(paragraphs):
        pending: list[int] = []
        start = 0
        depth = 0
        matches = [m for m in SENTENCE_RE.finditer(paragraph) if m.group().strip()]
        spans = [(m.start(), m.end()) for m in matches] or [(0, len(paragraph))]
        for piece_start, piece_end in spans:
            piece = paragraph[piece_start:piece_end]
            if not pending:
                start = piece_start
            pending.append(number)
            number += 1
            depth += sum(c in OPENING for c in piece) - sum(c in CLOSING for c in piece)
            depth = max(depth, 0)
            if depth == 0 or (piece_start, piece_end) == spans[-1]:
                text = paragraph[start:piece_end]
                spaced = bool(found) and found[-1].paragraph == paragraph_no and text[:1].isspace()
                if text.strip():
                    found.append(Unit(paragraph_no, tuple(pending), text.strip(), spaced))
                pending = []
    return tuple(found)


@dataclass(frozen=True)
class Excerpt:
    """The units a card shows, as text (paragraphs on lines of their own), the best one's
    score, and how many items of a list it had no room for."""

    text: str
    score: float
    hidden_items: int = 0


def join(chosen: Sequence[Unit], is_verse: bool = False) -> str:
    """Units in reading order, spaced as the document spaces them: one paragraph's run
    on, each paragraph, each item of a list and what follows a sentence left out on a
    line of its own; each unit :func:`readable`."""
    text = ""
    previous: Unit | None = None
    for unit in chosen:
        shown = readable(unit.text, is_verse)
        colon = outside_brackets_colon(shown)
        if unit.introduces_list and colon is not None and colon + 1 < len(shown):
            # "內容包括:A、門市環境衛生;": the list's first item on a line of its own too.
            shown = shown[: colon + 1] + "\n" + shown[colon + 1 :].lstrip()
        if previous is None:
            text = shown
        elif (
            unit.paragraph != previous.paragraph
            or unit.is_item
            or unit.pieces[0] != previous.pieces[-1] + 1  # a sentence left out between
        ):
            text += "\n" + shown
        else:
            text += (" " if unit.spaced else "") + shown
        previous = unit
    return text


def readable_paragraphs(paragraphs: Sequence[str], is_verse: bool = False) -> list[str]:
    """Whole paragraphs as a reader should see them (:func:`readable`, unit by unit)."""
    found = units(paragraphs)
    return [join([u for u in found if u.paragraph == n], is_verse) for n in range(len(paragraphs))]


def is_verse_step(section: str, title: str) -> bool:
    """Whether a step is a rhyme by its place: its section or heading names a 口訣."""
    return bool(VERSE_NAME_RE.search(section) or VERSE_NAME_RE.search(title))


def list_after(all_units: Sequence[Unit], intro: int) -> list[int]:
    """The items of the list unit ``intro`` introduces: the run of items after it, or
    when none starts like an item, the rest of its paragraph or else the next paragraph."""
    following = range(intro + 1, len(all_units))
    if not following:
        return []
    if all_units[following[0]].is_item:
        items = []
        for n in following:
            if not all_units[n].is_item:
                break
            items.append(n)
        return items
    paragraph = all_units[intro].paragraph
    same = [n for n in following if all_units[n].paragraph == paragraph]
    if same:
        return same
    nxt = all_units[following[0]].paragraph
    return [n for n in following if all_units[n].paragraph == nxt]


def excerpt(
    all_units: Sequence[Unit],
    scores: Sequence[float],
    budget: int,
    whole_below: int,
    second_below: int,
    is_verse: bool = False,
) -> Excerpt:
    """The units to show for ``scores`` (one per unit): the best-matching whole.

    - A text of at most ``whole_below`` characters is shown whole: on a phone that is a
      few lines, and the sentence around the match is often the one that answers.
    - A unit that introduces a list brings the list, as much as ``budget`` allows; the
      items left out are counted (``hidden_items``).
    - Otherwise the best unit, and a second nearly as good while the excerpt is shorter
      than ``second_below``; and what lies between two chosen units of one paragraph,
      so the excerpt reads as the document does.
    A unit that breaks off mid-clause is not shown: when it is all that matched, the
    text's first whole sentence is (and the piece marked "…" when there is none).
    """
    top = max(scores, default=0.0)
    if top <= 0:
        return Excerpt("", 0.0)
    whole = [unit for unit in all_units if not unit.is_dangling] or list(all_units)
    if sum(len(unit.text) for unit in whole) <= whole_below:
        return Excerpt(join(whole, is_verse), top)
    ranked = sorted(
        (n for n in range(len(all_units)) if scores[n] > 0),
        key=lambda n: (all_units[n].is_dangling, -scores[n], n),
    )
    best = ranked[0]
    if all_units[best].is_dangling:
        # Only a broken-off piece matched: the text's first whole sentence says more.
        opening = next((n for n, unit in enumerate(all_units) if not unit.is_dangling), None)
        if opening is None:
            return Excerpt(join([all_units[best]], is_verse) + "…", top)
        best = opening
    chosen = {best}
    hidden = 0
    length = len(all_units[best].text)
    if all_units[best].introduces_list:
        items = list_after(all_units, best)
        for n in items:
            if length + len(all_units[n].text) > budget:
                hidden = len(items) - items.index(n)
                break
            chosen.add(n)
            length += len(all_units[n].text)
        return Excerpt(join([all_units[n] for n in sorted(chosen)], is_verse), top, hidden)
    for n in ranked[1:]:
        unit = all_units[n]
        if unit.is_dangling or scores[n] < 0.5 * top or length > second_below:
            break
        if unit.introduces_list or length + len(unit.text) > budget:
            continue  # a list's opening line without its list promises what is not there
        chosen.add(n)
        length += len(unit.text)
    chosen |= between(all_units, chosen, budget - length)
    return Excerpt(join([all_units[n] for n in sorted(chosen)], is_verse), top)


def between(all_units: Sequence[Unit], chosen: set[int], room: int) -> set[int]:
    """The units between two chosen ones of a paragraph, when they fit in ``room``."""
    if len(chosen) < 2:
        return set()
    first, last = min(chosen), max(chosen)
    gap = [n for n in range(first + 1, last) if n not in chosen]
    if any(all_units[n].paragraph != all_units[first].paragraph for n in range(first, last + 1)):
        return set()
    if sum(len(all_units[n].text) for n in gap) > room:
        return set()
    return set(gap)


# -- reading aids: what the document's extraction ran together --------------------------

PUNCTUATION_RE = re.compile(r"[\W_]")
CJK_ONLY_RE = re.compile(r"[\u3400-\u9fff]+")
# A rhyme (口訣) names itself so; its lines are five or seven characters.
VERSE_NAME_RE = re.compile(r"口[訣诀]|歌[訣诀]|順口溜|顺口溜")
VERSE_LINES = (7, 5)
SHORTEST_VERSE = 4  # lines
# Words that open a clause, so cannot end a sub-heading run into its text:
# "分流根據客戶…" is the heading 分流 and the sentence 根據客戶…
CLAUSE_OPENERS = ("當", "当", "對於", "对于", "根據", "根据", "若", "凡")
# ... unless 當 starts a word (當天, 當班), or the run before it names who acts: the
# sentence's subject ("客戶對於…", "營業員當…"), not a heading.
OPENER_IN_WORD_RE = re.compile(r"[當当][天時时日前地場场班面然中即晚月年]")
SUBJECT_ENDINGS = (
    "員",
    "员",
    "戶",
    "户",
    "人",
    "者",
    "們",
    "们",
    "經理",
    "经理",
    "主管",
    "長",
    "长",
)
LONGEST_HEADING = 5


def verse(text: str, exact: bool = True) -> list[str] | None:
    """The lines of a rhyme the document ran together without punctuation: seven
    characters each (or five), or None for prose. ``exact``: only a run that divides into
    such lines; else what is left over joins the last line (a heading run into it)."""
    if not CJK_ONLY_RE.fullmatch(text):
        return None
    sizes = [size for size in VERSE_LINES if len(text) % size == 0]
    if not sizes and not exact:
        sizes = [VERSE_LINES[0]]
    for size in sizes:
        if len(text) < SHORTEST_VERSE * size:
            continue
        whole = len(text) - len(text) % size
        lines = [text[i : i + size] for i in range(0, whole, size)]
        lines[-1] += text[whole:]
        return lines
    return None


def readable(text: str, is_verse: bool = False) -> str:
    """A unit as a reader should see it: a rhyme as its lines, a sub-heading the document
    ran into its sentence set off with a colon ("詢問與核實：詢問客戶…").

    ``is_verse``: the text is a rhyme by where it stands (a 口訣 step), so an
    unpunctuated run is broken into lines even when its length does not show it.
    """
    named = VERSE_NAME_RE.search(text[: LONGEST_HEADING + 4])
    if named:
        heading, rest = text[: named.end()], text[named.end() :].lstrip(":： ")
        lines = verse(rest)
        if lines:
            return heading + "：\n" + "\n".join(lines)
    lines = verse(text, exact=not is_verse)
    # Unnamed and not in a rhyme's place, only a long run of seven-character lines.
    if lines and (is_verse or (len(lines) >= 2 * SHORTEST_VERSE and len(lines[0]) == 7)):
        return "\n".join(lines)
    return set_off_heading(text)


def set_off_heading(text: str) -> str:
    """``text`` with a sub-heading fused to its start set off by a colon.

    Two shapes betray one: the heading's first word starts the sentence again
    ("詢問與核實詢問客戶"), or a clause opener follows a short run of characters
    ("分流根據客戶", "渠道推薦對於辦理").
    """
    for size in range(2, LONGEST_HEADING + 1):
        head, rest = text[:size], text[size:]
        if not CJK_ONLY_RE.fullmatch(head) or len(rest) < 8:
            break
        if size >= 4 and rest.startswith(head[:2]):
            return f"{head}：{rest}"
        if (
            rest.startswith(CLAUSE_OPENERS)
            and not OPENER_IN_WORD_RE.match(rest)
            and not head.endswith(SUBJECT_ENDINGS)
        ):
            return f"{head}：{rest}"
    return text
