"""The knowledge base: the one object the bot, the CLI and the benchmarks talk to."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge import confidence
from knowledge.confidence import HIGH as HIGH
from knowledge.confidence import LOW as LOW
from knowledge.confidence import NONE as NONE
from knowledge.corpus import (
    CORPUS_DIR,
    AlternateKey,
    Catalog,
    attach_alternates,
    attach_extra_alternates,
    load_catalog,
    parse_file,
    question_files,
    read_alternates,
    sop_files,
)
from knowledge.index import (
    Index,
    build_index,
    dictionary_path,
    fingerprint,
    load_index,
    read_fingerprint,
)
from knowledge.lexicon import DOCUMENT_LEXICON_DIR, LEXICON_DIR, Lexicon, load_lexicon
from knowledge.model import Answer, Hit, Lint, ParsedSource, Step
from knowledge.normalize import CJK_RE, LATIN_RE, SURROGATE_RE, clean, detect_script
from knowledge.resources import english_shorthand
from knowledge.search import MAX_QUERY_CHARS, Query, Searcher
from knowledge.segment import Segmenter, cache_dir
from knowledge.smalltalk import KINDS as SMALL_TALK_KINDS
from knowledge.smalltalk import small_talk

log = logging.getLogger(__name__)

EMPTY, NO_WORDS, TOO_LONG = "empty", "no_words", "too_long"
# Problems that mean the message was not a question at all (kept out of /gaps and /stats).
NOT_QUESTIONS = frozenset({EMPTY, NO_WORDS, *SMALL_TALK_KINDS})


# What a damaged index file or dictionary raises while being read.
DAMAGE = (sqlite3.DatabaseError, ValueError, KeyError, IndexError, TypeError, EOFError)


class StaleIndexError(RuntimeError):
    """The index on disk was not built from these sources, and building was not allowed."""


INDEX_CODE = (
    "corpus.py",
    "reading.py",
    "structure.py",
    "messages.py",
    "parse_text.py",
    "parse_markdown.py",
    "parse_docx.py",
    "parse_pdf.py",
    "parse_html.py",
    "parse_sheet.py",
    "model.py",
    "index.py",
    "segment.py",
    "normalize.py",
    "lexicon.py",
    "resources.py",
)


def default_index_path() -> Path:
    """$SOPBOT_INDEX, else ``index.db`` in the cache directory."""
    configured = os.environ.get("SOPBOT_INDEX")
    return Path(configured) if configured else cache_dir() / "sopbot" / "index.db"


class KnowledgeBase:
    """Parsed SOP steps and the search over them."""

    def __init__(
        self, index: Index, searcher: Searcher, sources: Sequence[Path], index_path: Path
    ) -> None:
        self.index_path = index_path
        self.index = index
        self.searcher = searcher
        self.sources = tuple(sources)
        # The served steps for each set of documents left out (see ``ask``), built on first use.
        self.served_masks: dict[frozenset[int], npt.NDArray[np.bool_]] = {}

    @classmethod
    def open(
        cls,
        index_path: Path | None = None,
        sources: Sequence[Path] | None = None,
        lexicon_dir: Path = LEXICON_DIR,
        catalog: Catalog | None = None,
        questions: Sequence[Path] | None = None,
        extra_alternates: Mapping[AlternateKey, Sequence[str]] | None = None,
        build: bool = True,
    ) -> KnowledgeBase:
        """Load the index, building it first when the corpus or lexicon changed.

        ``extra_alternates`` are staff questions taught since, by step id or by
        (document number, role, step label); they are indexed with their steps.
        With ``build=False`` a stale index raises :class:`StaleIndexError` instead: a
        second process loading what the first built must not rebuild it behind its back.
        """
        index_path = index_path or default_index_path()
        sources = list(sources) if sources is not None else sop_files(CORPUS_DIR)
        catalog = catalog or load_catalog()
        questions = list(questions) if questions is not None else question_files()
        extra = {key: tuple(qs) for key, qs in (extra_alternates or {}).items() if qs}
        lexicon = load_lexicon(lexicon_dir)
        # Chat shorthand (mgr, pls, b4) is general English, whatever the document.
        shorthand = {**english_shorthand(lexicon_dir / "general"), **lexicon.english_shorthand}
        lexicon = replace(lexicon, english_shorthand=shorthand)
        lexicon_files = sorted(p for p in lexicon_dir.rglob("*") if p.is_file())
        lexicon_files += sorted(p for p in DOCUMENT_LEXICON_DIR.glob("*") if p.is_file())
        # The index depends on the code that parses and segments too, not just data.
        code = [Path(__file__).with_name(name) for name in INDEX_CODE]
        stamp = fingerprint(
            [p.name.encode() + p.read_bytes() for p in [*sources, *questions, *code]]
            + [str(p.relative_to(p.parents[1])).encode() + p.read_bytes() for p in lexicon_files]
            + [repr(sorted(catalog.files.items())).encode(), repr(catalog.roles).encode()]
            # Only when there are any, so an index built without them stays valid.
            + ([repr(sorted(extra.items(), key=repr)).encode()] if extra else [])
        )
        dictionary = dictionary_path(index_path)

        def rebuild() -> None:
            started = time.perf_counter()
            parsed = [parse_file(path, catalog) for path in sources]
            parsed = attach_alternates(parsed, read_alternates(questions))
            parsed = attach_extra_alternates(parsed, extra)
            extra_words = lexicon_words(lexicon)
            build_index(
                index_path, parsed, Segmenter(lexicon), catalog.aliases(), stamp, extra_words
            )
            log.info("built the index in %.1fs", time.perf_counter() - started)

        if read_fingerprint(index_path) != stamp or not dictionary.exists():
            if not build:
                raise StaleIndexError(f"{index_path} was built from other sources")
            rebuild()
        try:
            index = load_index(index_path)
            segmenter = Segmenter(lexicon, dictionary)
        except DAMAGE as error:
            # A damaged page behind an intact header, or a garbled dictionary file: the
            # index is a derived cache, so it is built again rather than the bot not starting.
            if not build:
                raise StaleIndexError(f"{index_path} is damaged ({error})") from error
            log.warning("the index %s is damaged (%s): building it again", index_path, error)
            rebuild()
            index = load_index(index_path)
            segmenter = Segmenter(lexicon, dictionary)
        searcher = Searcher(
            index,
            lexicon,
            segmenter,
            catalog.aliases(),
            catalog.roles,
            catalog.home_documents(),
            catalog.specialists,
            scope=frozenset(catalog.files),
        )
        # The index is a few million long-lived objects; left to the garbage collector,
        # every full collection walks them all and stalls answers for 100 ms or more.
        gc.collect()
        gc.freeze()
        return cls(index, searcher, sources, index_path)

    @property
    def steps(self) -> list[Step]:
        return self.index.steps

    @property
    def lints(self) -> list[Lint]:
        return self.index.lints

    @property
    def lexicon(self) -> Lexicon:
        return self.searcher.lexicon

    def step(self, step_id: str) -> Step | None:
        return self.index.by_id.get(step_id)

    def step_number(self, step: Step) -> int:
        """Where one of this knowledge base's own steps stands in ``steps``."""
        return self.searcher.step_numbers[id(step)]

    @property
    def fingerprint(self) -> str:
        """What the index was built from: two knowledge bases with the same fingerprint
        hold the same steps in the same order."""
        return self.index.fingerprint

    def served_mask(self, hidden: Collection[int]) -> npt.NDArray[np.bool_] | None:
        """The steps served when the documents numbered ``hidden`` are not (None: all)."""
        key = frozenset(hidden)
        if not key:
            return None
        mask = self.served_masks.get(key)
        if mask is None:
            numbers = np.array([step.doc_no for step in self.steps], dtype=np.int64)
            mask = ~np.isin(numbers, list(key))
            if len(self.served_masks) > 64:  # one per store and level in practice
                self.served_masks.clear()
            self.served_masks[key] = mask
        return mask

    def ask(
        self,
        question: str,
        limit: int = 5,
        role: str | None = None,
        hint: str | None = None,
        hidden: Collection[int] = (),
    ) -> Answer:
        """Answer one question; never raises on odd input.

        ``hidden`` are the numbers of documents this asker is not served (out of service,
        or limited to other stores): none of their steps is a hit.
        """
        started = time.perf_counter()
        # Half an emoji (a lone surrogate) cannot be stored or sent on: the answer's copy
        # of the question goes without it.
        question = SURROGATE_RE.sub("", question or "")
        text = clean(question)
        script = detect_script(text[:MAX_QUERY_CHARS], hint)
        problem = ""
        if not text:
            return Answer(question, script, NONE, problem=EMPTY)
        if not (CJK_RE.search(text) or LATIN_RE.search(text) or any(c.isdigit() for c in text)):
            return Answer(question, script, NONE, problem=NO_WORDS)
        if talk := small_talk(text, self.lexicon.small_talk):
            return Answer(question, script, NONE, problem=talk)
        if len(text) > MAX_QUERY_CHARS:
            problem = TOO_LONG
        query = self.searcher.read(text)
        # The judgement reads as many hits however many are asked for.
        hits = self.searcher.rank(
            query, limit=max(limit, confidence.JUDGED), role=role, served=self.served_mask(hidden)
        )
        sureness = self.confidence(query, hits)
        hits = hits[:limit]
        elapsed = (time.perf_counter() - started) * 1000
        if not hits and not problem:
            problem = NO_WORDS if query.is_empty else ""
        return Answer(
            query=question,
            script=script,
            confidence=sureness,
            hits=tuple(hits),
            elapsed_ms=elapsed,
            problem=problem,
            terms=tuple(query.words),
        )

    def confidence(self, query: Query, hits: Sequence[Hit]) -> str:
        """HIGH when the first hit answers the question, LOW when the hits are only the
        closest steps, NONE when the question is off every topic (:mod:`knowledge.confidence`)."""
        return confidence.judge(self.searcher, query, hits)


class CorpusPathError(ValueError):
    """A path given as the corpus holds no SOP to answer from; the message says why."""


def sources_at(path: Path) -> list[Path]:
    """The SOP files at ``path``: the file itself, or the SOP files of a folder.

    Raises :class:`CorpusPathError` when there is nothing to answer from: no such path,
    a file of another kind, an empty file, or a folder without SOP files.
    """
    from knowledge.corpus import SOP_SUFFIXES

    if not path.exists():
        raise CorpusPathError(f"{path}: no such file or folder")
    if path.is_dir():
        found = sop_files(path)
        if not found:
            kinds = ", ".join(sorted(SOP_SUFFIXES))
            raise CorpusPathError(f"{path}: no SOP files in this folder ({kinds})")
    elif path.suffix.lower() not in SOP_SUFFIXES:
        kinds = ", ".join(sorted(SOP_SUFFIXES))
        raise CorpusPathError(f"{path}: not an SOP file (an SOP file is one of {kinds})")
    else:
        found = [path]
    empty = [p for p in found if p.stat().st_size == 0]
    if empty:
        raise CorpusPathError(f"{empty[0]}: the file is empty")
    return found


def trial_index_path(sources: Sequence[Path]) -> Path:
    """Where the index of a corpus tried with ``--corpus`` is kept, so asking again is
    quick: beside the served index, named after the files' paths."""
    key = fingerprint([str(p.resolve()).encode() for p in sources])[:16]
    return default_index_path().with_name(f"trial-{key}.db")


def open_path(path: Path) -> KnowledgeBase:
    """A knowledge base answering from the SOP file or folder at ``path`` alone.

    Raises :class:`CorpusPathError` when nothing there can be answered from.
    """
    sources = sources_at(path)
    kb = KnowledgeBase.open(index_path=trial_index_path(sources), sources=sources)
    if not kb.steps:
        raise CorpusPathError(f"{path}: no steps could be read from it")
    return kb


def lexicon_words(lexicon: Lexicon) -> list[str]:
    """Words the lexicon knows, so questions using them segment well."""
    # Stop words too: a question's 多久 or 怎麼辦 must stay one (neutral) word, not
    # become characters that look like content.
    words = [word for word, _ in lexicon.user_words] + sorted(lexicon.stopwords)
    for synonym in lexicon.synonyms:
        words += [*synonym.terms, *synonym.variants]
    for gloss in lexicon.glossary:
        words += gloss.terms
    return words


def parse_sources(sources: Sequence[Path] | None = None) -> list[ParsedSource]:
    """Parse SOP files without indexing them (for `sopbot kb` and the lint)."""
    catalog = load_catalog()
    return [parse_file(path, catalog) for path in (sources or sop_files(CORPUS_DIR))]
