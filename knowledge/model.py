"""Plain data objects of the knowledge base: what the parser builds and the search returns.

Nothing here knows about Telegram or storage, so the same objects serve the bot, the
command line and the benchmarks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One numbered procedure step (or duty) of a role, with its tips.

    ``body`` holds the step's sentences without the tips; ``tips`` the 溫馨提示
    paragraphs that belong to it. ``alternates`` are staff wordings taught later.
    """

    doc: str
    doc_no: int
    role: str
    section: str
    number: str
    title: str
    body: tuple[str, ...]
    tips: tuple[str, ...] = ()
    alternates: tuple[str, ...] = ()
    # Pictures the step shows, as the SOP file names them (a path beside the file, or the
    # name of a picture embedded in a Word file); not part of the id.
    pictures: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A short id that survives re-parsing, small enough for callback data."""
        key = "\x1f".join((str(self.doc_no), self.role, self.section, self.number, self.title))
        return hashlib.blake2s(key.encode(), digest_size=5).hexdigest()

    @property
    def label(self) -> str:
        """The step as its heading reads: ``1、晨會``, or ``3. Wiping the worktops`` when
        the heading is English."""
        if self.number and self.title:
            if self.title.isascii():
                return f"{self.number}. {self.title}"
            return f"{self.number}、{self.title}"
        return self.title or self.number

    @property
    def text(self) -> str:
        """The step's full text without its tips."""
        return "".join(self.body)

    @property
    def breadcrumb(self) -> tuple[str, ...]:
        """Document › role › step, leaving out levels the document does not have."""
        return tuple(part for part in (self.doc, self.role, self.label) if part)

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "doc": self.doc,
            "role": self.role,
            "section": self.section,
            "step": self.label,
            "text": self.text,
            "tips": list(self.tips),
        }
        if self.pictures:  # only then: the keys of a step without pictures stay as they were
            data["pictures"] = list(self.pictures)
        return data


@dataclass
class StepDraft:
    """A step while a parser is still reading it; ``freeze`` makes the :class:`Step`."""

    doc: str
    doc_no: int
    role: str
    section: str
    number: str
    title: str
    line: int = 0
    body: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    pictures: list[str] = field(default_factory=list)
    alternates: list[str] = field(default_factory=list)

    def freeze(self) -> Step:
        return Step(
            doc=self.doc,
            doc_no=self.doc_no,
            role=self.role,
            section=self.section,
            number=self.number,
            title=self.title,
            body=tuple(self.body),
            tips=tuple(self.tips),
            alternates=tuple(self.alternates),
            pictures=tuple(dict.fromkeys(self.pictures)),
        )


@dataclass(frozen=True)
class Passage:
    """A searchable unit inside a step: one body sentence or one tip sentence."""

    step_index: int
    kind: str  # "title", "body", "tip" or "alternate"
    position: int
    text: str


# A tip this short is shown whole in the first reply; a longer one by its matching sentences.
SHORT_TIP = 90


@dataclass(frozen=True)
class Hit:
    """A step that answers a question, with the sentences that matched.

    ``passage`` holds the matching body sentences, whole (empty when a tip answers on
    its own; paragraphs on lines of their own), ``tip_passage`` the matching sentences
    of the best tip, or all of a short one; ``tips`` are the step's whole tips,
    best-matching first.
    """

    step: Step
    passage: str
    tips: tuple[str, ...]
    score: float
    matched_terms: tuple[str, ...] = ()
    tip_passage: str = ""  # what the card shows of the best tip (all of a short one)
    hidden_items: int = 0  # items of a list ``passage`` had no room for

    def as_dict(self) -> dict[str, object]:
        data = self.step.as_dict()
        data["passage"] = self.passage or self.tip_passage
        data["tips"] = list(self.tips)
        data["score"] = round(self.score, 4)
        return {
            key: data[key]
            for key in ("doc", "role", "section", "step", "passage", "text", "tips", "score")
        }


@dataclass(frozen=True)
class Answer:
    """What the knowledge base says to one question.

    ``confidence`` is "high" when the first hit answers the question, "low" when the
    hits are only the closest steps, and "none" when the question could not be
    searched at all (empty, emoji only, ...); ``problem`` then says why.
    """

    query: str
    script: str  # "hant", "hans" or "en": the script replies are written in
    confidence: str
    hits: tuple[Hit, ...] = ()
    elapsed_ms: float = 0.0
    problem: str = ""
    terms: tuple[str, ...] = field(default=())

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class Lint:
    """Something the parser had to guess or repair, with where it happened.

    ``message`` is English for logs and the CLI; ``code`` and ``params`` let a reader's
    language be used instead (``knowledge.messages.render_lint``). Older lints have no code.
    """

    source: str
    line: int
    message: str
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"

    @property
    def parameters(self) -> dict[str, str]:
        return dict(self.params)


@dataclass(frozen=True)
class ParsedSource:
    """One SOP file turned into steps, plus what had to be guessed on the way."""

    source: str
    title: str
    steps: tuple[Step, ...]
    lints: tuple[Lint, ...] = ()
