"""The search index: built once into an SQLite file, loaded into memory to answer.

Building segments every sentence of every step (the slow part: jieba, pinyin) and
stores the words with sqlite-utils, so a start-up only reads rows back. The file is a
derived cache, stamped with a fingerprint of everything it was built from; a changed
corpus, lexicon or index version rebuilds it, written beside the old one and moved into
place atomically so a running reader never sees half an index.
"""

from __future__ import annotations

import functools
import gc
import gzip
import hashlib
import importlib.metadata
import io
import json
import math
import os
import pickle
import re
import sqlite3
import sys
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge import answer_types, resources
from knowledge.model import Lint, ParsedSource, Passage, Step
from knowledge.normalize import fold, fold_characters
from knowledge.segment import Segmenter, bigrams, cache_dir, discover_words, write_dictionary

INDEX_VERSION = "3"
SENTENCE_RE = re.compile(r"[^。；;！!？?]+[。；;！!？?]?")
CJK_CHAR_RE = re.compile(r"[\u3400-\u9fff]")
DIGIT_RE = re.compile(r"\d|[一二三兩两五十百]+(?:米|分鐘|分钟|張|张|天|小時|小时|次|人)")


def fingerprint(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256(INDEX_VERSION.encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences, keeping each one's closing punctuation."""
    found = [s.strip() for s in SENTENCE_RE.findall(paragraph)]
    return [s for s in found if s] or [paragraph]


def repeats_text(title: str, body: Sequence[str]) -> bool:
    """Whether ``title`` stands word for word in the first paragraph of ``body``."""
    if not body:
        return False
    squeeze = re.compile(r"[\W_]+")
    return squeeze.sub("", title) in squeeze.sub("", body[0])


def passages_of(step_index: int, step: Step) -> list[Passage]:
    """The searchable pieces of a step: its title, body sentences, tips, alternates."""
    pieces = []
    # A heading that only repeats the start of the step's text (a list item's first
    # clause made its title) is not a second piece of evidence: counted twice, it made
    # every such step outscore one whose heading names the problem and whose text the fix.
    if step.title and not repeats_text(step.title, step.body):
        pieces.append(Passage(step_index, "title", 0, step.title))
    position = 0
    for paragraph in step.body:
        for sentence in sentences(paragraph):
            pieces.append(Passage(step_index, "body", position, sentence))
            position += 1
    for tip_no, tip in enumerate(step.tips):
        for sentence in sentences(tip):
            pieces.append(Passage(step_index, "tip", tip_no, sentence))
    for alt_no, alternate in enumerate(step.alternates):
        pieces.append(Passage(step_index, "alternate", alt_no, alternate))
    return pieces


@dataclass
class IndexedPassage:
    passage: Passage
    words: Counter[str]
    grams: Counter[str]
    has_number: bool
    # The kinds of answer the passage holds (a length of time, a count…: answer_types).
    holds: frozenset[str] = frozenset()


# The kinds of general expansion an automatic alternate is made of: the Cantonese, spoken
# and regional ways staff say an SOP's words. The thesaurus's and the English ones are
# looser: as alternates they cost the packaged SOP more than they gain elsewhere.
ALTERNATE_KINDS = frozenset({"cantonese", "everyday", "regional"})


def add_automatic_alternates(
    passages: list[IndexedPassage],
    step_passages: list[list[int]],
    expansions: Iterable[resources.Expansion],
) -> None:
    """Give every step, of any document, an alternate made of the words staff use for its
    own (停電 → 冇電, 跳掣): what a hand-written staff question gives one step of the
    packaged SOP, from the general resources alone.

    It counts as alternates do, below the SOP's own text; beside other documents a word
    only alternates hold counts as a staff word (``Tuning.staff_only_factor``).
    """
    spoken: dict[str, set[str]] = defaultdict(set)
    for expansion in expansions:
        if expansion.kind in ALTERNATE_KINDS:
            spoken[expansion.term].add(expansion.variant)
    if not spoken:
        return
    for step_index, numbers in enumerate(step_passages):
        own = {
            word
            for n in numbers
            if passages[n].passage.kind != "alternate"
            for word in passages[n].words
        }
        said = sorted({v for word in own for v in spoken.get(word, ()) if v not in own})
        if not said:
            continue
        grams: Counter[str] = Counter()
        for word in said:
            grams.update(bigrams(word))
        numbers.append(len(passages))
        passages.append(
            IndexedPassage(
                Passage(step_index, "alternate", -1, " ".join(said)),
                Counter(said),
                grams,
                False,
            )
        )


@dataclass
class Postings:
    """An inverted index over one kind of unit, with each unit's BM25 share precomputed.

    Every term's postings sit in two flat numpy arrays (its units, and their idf ×
    saturated tf), one run of them per term, worked out at load in a few vectorised
    operations; scoring a question is one multiply-add per query term on its run.
    """

    units: int = 0
    unit_numbers: npt.NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, np.intp))
    shares: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    runs: dict[str, tuple[int, int]] = field(default_factory=dict)  # term → [start, end)
    idf: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, units: Sequence[Counter[str]], k1: float = 1.2, b: float = 0.75) -> Postings:
        raw: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths = []
        for unit_no, counts in enumerate(units):
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                raw[term].append((unit_no, tf))
        total = max(len(units), 1)
        average = (sum(lengths) / total) or 1.0
        norms = np.array([k1 * (1 - b + b * length / average) for length in lengths])
        sizes = [len(hits) for hits in raw.values()]
        idfs = [math.log(1 + (total - n + 0.5) / (n + 0.5)) for n in sizes]
        unit_numbers = np.array([u for hits in raw.values() for u, _ in hits], dtype=np.intp)
        tfs = np.array([tf for hits in raw.values() for _, tf in hits], dtype=np.float64)
        tops = np.repeat(np.array(idfs) * (k1 + 1), sizes)
        ends = np.cumsum(sizes).tolist()
        return cls(
            units=len(units),
            unit_numbers=unit_numbers,
            shares=tops * tfs / (tfs + norms[unit_numbers]),
            runs={
                term: (end - size, end) for term, size, end in zip(raw, sizes, ends, strict=True)
            },
            idf=dict(zip(raw, idfs, strict=True)),
        )

    def score(self, weights: Mapping[str, float]) -> npt.NDArray[np.float64]:
        """BM25 of every unit for the weighted query terms (0 where none occurs)."""
        scores = np.zeros(self.units, dtype=np.float64)
        for term, weight in weights.items():
            self.add(scores, term, weight)
        return scores

    def add(self, scores: npt.NDArray[np.float64], term: str, weight: float) -> None:
        """Add ``term``'s BM25, times ``weight``, to the units that hold it."""
        run = self.runs.get(term)
        if run is not None:
            start, end = run
            # A term's units are distinct, so fancy-index addition is safe.
            scores[self.unit_numbers[start:end]] += weight * self.shares[start:end]

    def score_groups(
        self, groups: Iterable[Mapping[str, float]], others: float
    ) -> npt.NDArray[np.float64]:
        """BM25 of every unit, where each group's terms stand for one word of the question
        (the word and its synonyms): a unit counts the best of a group's terms in full
        and the others by ``others`` (0 to 1), so a sentence that happens to use three
        synonyms of one word is not three times the answer."""
        scores = np.zeros(self.units, dtype=np.float64)
        for group in groups:
            if len(group) == 1:
                ((term, weight),) = group.items()
                self.add(scores, term, weight)
                continue
            best = np.zeros(self.units, dtype=np.float64)
            for term, weight in group.items():
                run = self.runs.get(term)
                if run is not None:
                    start, end = run
                    units = self.unit_numbers[start:end]
                    best[units] = np.maximum(best[units], weight * self.shares[start:end])
            scores += best
            if others:
                total = np.zeros(self.units, dtype=np.float64)
                for term, weight in group.items():
                    self.add(total, term, weight)
                scores += others * (total - best)
        return scores


@dataclass
class Index:
    """Everything the search needs, in memory."""

    steps: list[Step]
    passages: list[IndexedPassage]
    step_passages: list[list[int]]
    passage_words: Postings
    passage_grams: Postings
    step_words: Postings
    step_grams: Postings
    vocabulary: dict[str, int]
    # Every word and character pair of each step (words of its headings too), for
    # judging what a step explains.
    step_word_sets: list[frozenset[str]]
    step_gram_sets: list[frozenset[str]]
    pinyin_terms: dict[str, list[str]]
    readings: dict[str, str]
    sound_alikes: set[str]
    lints: list[Lint]
    fingerprint: str
    # General staff words → corpus words, and English phrases → corpus words, cut down to
    # this corpus when it was built (knowledge/resources.py).
    expansions: list[resources.Expansion] = field(default_factory=list)
    english: list[resources.EnglishSense] = field(default_factory=list)
    # The source file of each step, for what applies to one document only.
    step_sources: list[str] = field(default_factory=list)
    # Real English words (a dictionary's), which spelling correction leaves alone.
    english_words: frozenset[str] = frozenset()

    @property
    def by_id(self) -> dict[str, Step]:
        return {step.id: step for step in self.steps}


def step_context(step: Step, aliases: Sequence[str]) -> str:
    """Text that places a step (document, role, section) for the step-level match."""
    return " ".join([step.doc, step.role, step.section, *aliases])


def dictionary_path(index_path: Path) -> Path:
    """The small jieba dictionary written beside the index (see ``write_dictionary``)."""
    return index_path.with_name(index_path.name + ".dict.txt")


# What pinyin_table() keeps in the cache directory: bump when its reading changes.
PINYIN_FORMAT = "1"


@functools.cache
def pinyin_table() -> dict[str, str]:
    """Every common Chinese character's first reading, without tones (build time only).

    pypinyin's table takes 0.4 s to import, so the index keeps the part it needs; read once
    per process, for every index it builds (not to be changed by its callers), from the
    cache directory when an earlier process kept it there for this pypinyin.
    """
    header = f"# sopbot pinyin {PINYIN_FORMAT} {importlib.metadata.version('pypinyin')}"
    path = cache_dir() / "sopbot" / "pinyin.tsv"
    try:
        kept = dict(resources.read_cache(path, header))
        if all(len(char) == 1 for char in kept):
            return kept
    except (OSError, UnicodeError, ValueError):
        pass  # absent, or not what we wrote: read pypinyin again
    table = read_pinyin()
    resources.write_cache(path, header, table.items())
    return table


def read_pinyin() -> dict[str, str]:
    """:func:`pinyin_table` read from pypinyin itself."""
    from pypinyin.pinyin_dict import pinyin_dict

    table = {}
    for code, readings in pinyin_dict.items():
        if 0x4E00 <= code <= 0x9FFF:
            first = unicodedata.normalize("NFKD", readings.split(",")[0])
            table[chr(code)] = "".join(c for c in first if not unicodedata.combining(c))
    return table


def pinyin_key(word: str, table: dict[str, str]) -> str:
    return " ".join(table.get(char, char) for char in word)


def real_look_alikes(
    vocabulary: Iterable[str], real: set[str], readings: dict[str, str]
) -> set[str]:
    """Real words the typo correction would misread as an SOP word, so must leave alone.

    Two kinds: words that sound like an SOP word (只是 ~ 知識), and words one character
    away from one where that character is foreign to the SOP (幹嘛 ~ 乾淨).

    jieba's 335,000 words are compared at once, as arrays: each word a row of its
    characters' numbers, a reading and a word with one character left out each packed
    into one integer. Word by word in Python this took most of a second of every build.
    """
    vocabulary = set(vocabulary)
    targets = sorted(term for term in vocabulary if term in real and 2 <= len(term) <= 4)
    words = list(real)
    if not words or not targets:
        return set()
    word_points, chosen = _four_points(words)
    target_points, _ = _four_points(targets)
    chars = np.unique(np.concatenate([word_points.ravel(), target_points.ravel(), [0]]))
    if len(chars) >= 1 << PACKED_BITS:  # more characters than a packed number holds
        return look_alikes_word_by_word(vocabulary, real, readings)
    # A character's number is its place in ``chars`` (0: past the word's end); its
    # reading's number, one per reading (a character without one reads as itself).
    syllables: dict[str, int] = {}
    sound_of = np.array(
        [0]
        + [
            syllables.setdefault(readings.get(chr(c), chr(c)), len(syllables) + 1)
            for c in chars[1:].tolist()
        ],
        dtype=np.int64,
    )
    word_chars = np.searchsorted(chars, word_points).astype(np.int64)
    target_chars = np.searchsorted(chars, target_points).astype(np.int64)
    sounds_alike = np.isin(_pack(sound_of[word_chars]), _pack(sound_of[target_chars]))
    sop_points = np.array(sorted({ord(c) for term in vocabulary for c in term}), dtype=np.uint32)
    sop_chars = np.searchsorted(chars, sop_points[np.isin(sop_points, chars)])
    strangers = ~(np.isin(word_chars, sop_chars) | (word_chars == 0))
    stranger_at = np.argmax(strangers, axis=1)
    without = word_chars.copy()
    without[np.arange(len(without)), stranger_at] = 0
    lengths = (target_chars != 0).sum(axis=1)
    frames = []
    for place in range(4):
        frame = target_chars[lengths > place].copy()
        frame[:, place] = 0
        frames.append((_pack(frame) << 2) | place)
    one_off = (strangers.sum(axis=1) == 1) & np.isin(
        (_pack(without) << 2) | stranger_at, np.concatenate(frames)
    )
    return {words[n] for n in chosen[np.flatnonzero(sounds_alike | one_off)]} - vocabulary


# Bits for one character's number in a packed word (4 of them and a place: 62 bits).
PACKED_BITS = 15


def _four_points(words: Sequence[str]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.intp]]:
    """The words of 2–4 characters among ``words`` as rows of 4 code points (0 past the
    word's end), and where each row's word is in ``words``."""
    flat = np.frombuffer("\0".join(words).encode("utf-32-le"), dtype=np.uint32)
    ends = np.append(np.flatnonzero(flat == 0), len(flat))
    starts = np.append(0, ends[:-1] + 1)
    lengths = ends - starts
    chosen = np.flatnonzero((lengths >= 2) & (lengths <= 4))
    offsets = np.arange(4)
    inside = offsets[None, :] < lengths[chosen][:, None]
    where = np.minimum(starts[chosen][:, None] + offsets[None, :], len(flat) - 1)
    return np.where(inside, flat[where], 0).astype(np.uint32), chosen


def _pack(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Rows of 4 numbers below 2**PACKED_BITS, each as one integer."""
    packed = np.zeros(len(rows), dtype=np.int64)
    for column in range(4):
        packed = (packed << PACKED_BITS) | rows[:, column]
    return packed


def look_alikes_word_by_word(
    vocabulary: Iterable[str], real: set[str], readings: dict[str, str]
) -> set[str]:
    """:func:`real_look_alikes`, one word at a time: what it must equal, and the way for
    more distinct characters than a packed number holds."""
    vocabulary = set(vocabulary)
    targets = {term for term in vocabulary if term in real and 2 <= len(term) <= 4}
    keys = {pinyin_key(term, readings) for term in targets}
    known_chars = {char for term in vocabulary for char in term}
    frames = {(term[:i], term[i + 1 :]) for term in targets for i in range(len(term))}
    found = set()
    first_syllables = {key.split(" ", 1)[0] for key in keys}
    for word in real:
        if not 2 <= len(word) <= 4 or word in vocabulary:
            continue
        if readings.get(word[0]) in first_syllables and pinyin_key(word, readings) in keys:
            found.add(word)
            continue
        strangers = [i for i, char in enumerate(word) if char not in known_chars]
        if len(strangers) == 1 and (word[: strangers[0]], word[strangers[0] + 1 :]) in frames:
            found.add(word)
    return found


def build_index(
    path: Path,
    sources: Sequence[ParsedSource],
    segmenter: Segmenter,
    aliases: Mapping[int, Sequence[str]],
    stamp: str,
    extra_words: Iterable[str] = (),
) -> None:
    """Segment every step and write the index to ``path`` (atomically)."""
    extra_words = list(extra_words)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    import sqlite_utils  # building only: reading needs no more than sqlite3

    db = sqlite_utils.Database(tmp)
    # A scratch file until os.replace publishes it: durability is the rename's job, so
    # skip the journal and the per-insert syncs that made building take ~20 s.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")

    def table(name: str) -> sqlite_utils.db.Table:
        return db.table(name)

    def fill(name: str, columns: dict[str, type], rows: Iterable[tuple], pk: str = "") -> None:
        """Create a table (its schema as sqlite-utils writes it) and insert its rows, as
        tuples in ``columns``' order, at once: sqlite-utils' insert_all converts them value
        by value, which took most of a second for an index's hundred thousand rows."""
        table(name).create(columns, pk=pk or None)
        marks = ", ".join("?" * len(columns))
        db.conn.executemany(f"insert into [{name}] values ({marks})", rows)

    steps = [step for source in sources for step in source.steps]
    freq = segmenter.tokenizer.FREQ
    # Every passage with its folded text, once: discovery, indexing and expansion read it.
    passages = [
        (passage, fold(passage.text))
        for step_index, step in enumerate(steps)
        for passage in passages_of(step_index, step)
    ]
    corpus_text = [folded for _, folded in passages]

    def known(piece: str) -> bool:
        """A dictionary word, or one the dictionary already cuts into words of its own."""
        if freq.get(piece) or "的" in piece or "了" in piece:
            return True
        return all(len(word) >= 2 for word in segmenter.tokenizer.lcut(piece, HMM=False))

    new_words = discover_words(corpus_text, known)
    segmenter.learn(new_words)
    step_sources = [source.source for source in sources for _ in source.steps]
    table("steps").insert_all(
        (
            {
                "position": position,
                "source": step_sources[position],
                "id": step.id,
                "doc": step.doc,
                "doc_no": step.doc_no,
                "role": step.role,
                "section": step.section,
                "number": step.number,
                "title": step.title,
                "body": json.dumps(step.body, ensure_ascii=False),
                "tips": json.dumps(step.tips, ensure_ascii=False),
                "alternates": json.dumps(step.alternates, ensure_ascii=False),
                "pictures": json.dumps(step.pictures, ensure_ascii=False),
                "context": fold(step_context(step, aliases.get(step.doc_no, ()))),
                "context_words": " ".join(
                    segmenter.index_words(fold(step_context(step, aliases.get(step.doc_no, ()))))
                ),
            }
            for position, step in enumerate(steps)
        ),
        pk="position",
    )
    rows: list[tuple[int, int, str, int, str, str, str]] = []
    vocabulary: Counter[str] = Counter()
    text_words: set[str] = set()  # of the SOPs' own text, not of staff questions indexed
    for passage, folded in passages:
        words = segmenter.index_words(folded)
        other = fold_characters(passage.text)
        if other != folded:  # OpenCC changed a word: keep the document's own too
            seen = set(words)
            words += [w for w in segmenter.index_words(other) if w not in seen]
        vocabulary.update(set(words))
        if passage.kind != "alternate":
            text_words.update(words)
        rows.append(
            (
                len(rows) + 1,
                passage.step_index,
                passage.kind,
                passage.position,
                passage.text,
                folded,
                " ".join(words),
            )
        )
    fill(
        "passages",
        {
            "id": int,
            "step": int,
            "kind": str,
            "position": int,
            "text": str,
            "folded": str,
            "words": str,
        },
        rows,
        pk="id",
    )
    readings = pinyin_table()
    fill("pinyin", {"char": str, "reading": str}, readings.items(), pk="char")
    # Typo targets are real words (jieba's or the lexicon's), not segmentation debris.
    real = {word for word, freq in segmenter.tokenizer.FREQ.items() if freq} | set(extra_words)
    # Tables loading reads are created even when empty: an SOP written in English has
    # no Chinese words for them.
    fill(
        "vocabulary",
        {"term": str, "df": int, "pinyin": str, "is_word": bool},
        (
            (term, df, pinyin_key(term, readings), term in real)
            for term, df in sorted(vocabulary.items())  # sorted: the same file every build
            if re.search(r"[\u3400-\u9fff]", term) and len(term) >= 2
        ),
        pk="term",
    )
    corpus_words = resources.CorpusWords(vocabulary, corpus_text, text_words)
    general = resources.expansions(corpus_words)
    fill(
        "expansions",
        {"variant": str, "term": str, "weight": float, "kind": str},
        ((e.variant, e.term, e.weight, e.kind) for e in general),
    )
    fill(
        "english",
        {"words": str, "term": str, "weight": float, "listed": bool},
        (
            (" ".join(sense.words), sense.term, sense.weight, sense.listed)
            for sense in resources.english_senses(corpus_words)
        ),
    )
    fill(
        "english_words",
        {"word": str},
        ((word,) for word in sorted(resources.english_vocabulary())),
        pk="word",
    )
    extra_words += resources.words_to_keep(general)
    fill(
        "homophones",
        {"word": str},
        ((word,) for word in real_look_alikes(vocabulary, real, readings)),
        pk="word",
    )
    # A clean SOP has no lints.
    table("lints").create({"source": str, "line": int, "message": str, "code": str, "params": str})
    table("lints").insert_all(
        (
            {
                "source": lint.source,
                "line": lint.line,
                "message": lint.message,
                "code": lint.code,
                "params": json.dumps(lint.params, ensure_ascii=False),
            }
            for source in sources
            for lint in source.lints
        ),
    )
    table("meta").insert({"key": "fingerprint", "value": stamp}, pk="key")
    db.conn.row_factory = sqlite3.Row
    write_snapshot(db.conn, read_tables(db.conn))
    db.close()
    texts = [row[4] for row in rows] + [
        fold(step_context(s, aliases.get(s.doc_no, ()))) for s in steps
    ]
    dictionary = dictionary_path(path)
    tmp_dictionary = dictionary.with_name(f".{dictionary.name}.{os.getpid()}.tmp")
    write_dictionary(tmp_dictionary, [fold(t) for t in texts], extra_words, new_words)
    os.replace(tmp_dictionary, dictionary)
    os.replace(tmp, path)


def connect(path: Path) -> sqlite3.Connection:
    """Open a built index for reading; rows behave like dicts."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def read_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        db = connect(path)
        try:
            row = db.execute("select value from meta where key = 'fingerprint'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:  # a damaged or foreign file: rebuild rather than fail
        return None
    return row[0] if row else None


# The index in memory, pickled into the index file when it is built: loading unpickles it
# in a fifth of the time that working it out of the tables again takes (every start of the
# bot and of its search worker does this). It holds only the classes below: anything else
# in the file is refused, not imported, and the tables are read instead.
SNAPSHOT_CODE = ("index.py", "model.py", "resources.py")
# What unpickling a damaged or foreign snapshot raises.
SNAPSHOT_DAMAGE = (
    pickle.UnpicklingError,
    zlib.error,
    gzip.BadGzipFile,
    OSError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
)
SNAPSHOT_CLASSES = frozenset(
    {
        ("builtins", "frozenset"),
        ("builtins", "set"),
        ("collections", "Counter"),
        ("knowledge.index", "Index"),
        ("knowledge.index", "IndexedPassage"),
        ("knowledge.index", "Postings"),
        ("knowledge.model", "Lint"),
        ("knowledge.model", "Passage"),
        ("knowledge.model", "Step"),
        ("knowledge.resources", "EnglishSense"),
        ("knowledge.resources", "Expansion"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "_reconstruct"),
    }
)


@functools.cache
def snapshot_version() -> str:
    """What a snapshot's objects depend on besides the tables: the code of their classes,
    and the Python and numpy that pickled them."""
    here = Path(__file__).parent
    digest = hashlib.sha256(f"{sys.version_info[:2]} numpy {np.__version__}".encode())
    for name in SNAPSHOT_CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


class SnapshotUnpickler(pickle.Unpickler):
    """Unpickles an index snapshot, and refuses any class but an index's own."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in SNAPSHOT_CLASSES:
            raise pickle.UnpicklingError(f"{module}.{name} has no place in an index")
        return super().find_class(module, name)


def write_snapshot(db: sqlite3.Connection, index: Index) -> None:
    db.execute("create table snapshot (version text, data blob)")
    data = gzip.compress(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL), 1, mtime=0)
    db.execute("insert into snapshot values (?, ?)", (snapshot_version(), data))
    db.commit()


def read_snapshot(db: sqlite3.Connection) -> Index | None:
    """The index pickled when it was built, or None: an index built before snapshots, or by
    other code, or one whose snapshot is damaged."""
    try:
        row = db.execute("select version, data from snapshot").fetchone()
    except sqlite3.OperationalError:  # no such table: built before snapshots existed
        return None
    if row is None or row[0] != snapshot_version():
        return None
    # Millions of new objects at once: the collector would walk them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # Unpacked as it is read, never whole in memory beside what it unpickles into.
        with gzip.GzipFile(fileobj=io.BytesIO(row[1])) as data:
            index = SnapshotUnpickler(data).load()
    except SNAPSHOT_DAMAGE:
        return None
    finally:
        if collecting:
            gc.enable()
    return index if isinstance(index, Index) else None


def load_index(path: Path) -> Index:
    """Read a built index back into memory."""
    db = connect(path)
    try:
        return read_snapshot(db) or read_tables(db)
    finally:
        db.close()


def read_tables(db: sqlite3.Connection) -> Index:
    """Work the index in memory out of its tables."""
    steps = []
    contexts: list[Counter[str]] = []
    for row in db.execute("select * from steps order by position"):
        steps.append(
            Step(
                doc=row["doc"],
                doc_no=row["doc_no"],
                role=row["role"],
                section=row["section"],
                number=row["number"],
                title=row["title"],
                body=tuple(json.loads(row["body"])),
                tips=tuple(json.loads(row["tips"])),
                alternates=tuple(json.loads(row["alternates"])),
                pictures=tuple(json.loads(row["pictures"])),
            )
        )
        contexts.append(Counter(row["context_words"].split()))
    passages: list[IndexedPassage] = []
    step_passages: list[list[int]] = [[] for _ in steps]
    for row in db.execute("select * from passages order by id"):
        passage_words = Counter(row["words"].split())
        folded = row["folded"]
        passage = Passage(row["step"], row["kind"], row["position"], row["text"])
        step_passages[row["step"]].append(len(passages))
        passages.append(
            IndexedPassage(
                passage,
                passage_words,
                # Character pairs, and single characters for words that share one.
                Counter(bigrams(folded)) + Counter(CJK_CHAR_RE.findall(folded)),
                bool(DIGIT_RE.search(folded)),
                answer_types.held(folded),
            )
        )
    vocabulary = dict(db.execute("select term, df from vocabulary").fetchall())
    pinyin_terms: dict[str, list[str]] = defaultdict(list)
    for row in db.execute("select term, pinyin from vocabulary where is_word"):
        pinyin_terms[row["pinyin"]].append(row["term"])
    readings = dict(db.execute("select char, reading from pinyin").fetchall())
    sound_alikes = {row[0] for row in db.execute("select word from homophones")}
    lints = [
        Lint(
            r["source"],
            r["line"],
            r["message"],
            r["code"],
            tuple((str(k), str(v)) for k, v in json.loads(r["params"])),
        )
        for r in db.execute("select * from lints")
    ]
    stamp = db.execute("select value from meta where key = 'fingerprint'").fetchone()[0]
    expansions = [
        resources.Expansion(r["variant"], r["term"], r["weight"], r["kind"])
        for r in db.execute("select * from expansions")
    ]
    english = [
        resources.EnglishSense(tuple(r["words"].split()), r["term"], r["weight"], bool(r["listed"]))
        for r in db.execute("select * from english")
    ]
    step_sources = [r[0] for r in db.execute("select source from steps order by position")]
    english_words = frozenset(r[0] for r in db.execute("select word from english_words"))

    add_automatic_alternates(passages, step_passages, expansions)
    step_word_counts = []
    step_gram_counts = []
    for step_index in range(len(steps)):
        words: Counter[str] = Counter(contexts[step_index])
        grams: Counter[str] = Counter()
        for passage_no in step_passages[step_index]:
            words.update(passages[passage_no].words)
            grams.update(passages[passage_no].grams)
        step_word_counts.append(words)
        step_gram_counts.append(grams)
    # What a step explains of a question includes the headings it stands under (its
    # document, role and section): "活動結束後怎麼復盤" is answered by a step about 復盤 in
    # the section 活動後, not by a packing list that happens to say 活動結束後.
    passage_word_sets = [
        frozenset(contexts[step_index]).union(*(passages[n].words for n in numbers))
        for step_index, numbers in enumerate(step_passages)
    ]
    return Index(
        steps=steps,
        passages=passages,
        step_passages=step_passages,
        passage_words=Postings.build([p.words for p in passages]),
        passage_grams=Postings.build([p.grams for p in passages]),
        step_words=Postings.build(step_word_counts),
        step_grams=Postings.build(step_gram_counts),
        vocabulary=vocabulary,
        step_word_sets=passage_word_sets,
        step_gram_sets=[frozenset(grams) for grams in step_gram_counts],
        pinyin_terms=dict(pinyin_terms),
        readings=readings,
        sound_alikes=sound_alikes,
        lints=lints,
        fingerprint=stamp,
        expansions=expansions,
        english=english,
        step_sources=step_sources,
        english_words=english_words,
    )
