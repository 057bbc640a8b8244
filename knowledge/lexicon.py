"""The hand-written vocabulary that bridges staff wording to an SOP's wording.

Two scopes, two folders (formats in ``knowledge/lexicon/README.md``):

- ``knowledge/lexicon/``: what holds for any SOP (stop words, small talk, chat shorthand;
  ``general/`` holds the general tables that :mod:`knowledge.resources` reads);
- ``knowledge/corpus/lexicon/``: the packaged SOP's own synonyms, English glossary and
  jieba words, which the search applies to that document's steps only.

Everything is written in traditional Chinese like the SOP and folded on load, so it meets
the question and the index on the same ground.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from knowledge.normalize import fold, fold_all
from knowledge.smalltalk import read_phrases

LEXICON_DIR = Path(__file__).parent / "lexicon"
# The packaged SOP's own lexicon: applied to the files its catalog names, nowhere else.
DOCUMENT_LEXICON_DIR = Path(__file__).parent / "corpus" / "lexicon"
WORD_RE = re.compile(r"[a-z0-9%]+")


@dataclass(frozen=True)
class Synonym:
    """Staff variants that stand for document terms: 客人 → 客戶."""

    terms: tuple[str, ...]
    variants: tuple[str, ...]


@dataclass(frozen=True)
class Gloss:
    """An English phrase (stemmed words) and the SOP terms it means."""

    words: tuple[str, ...]
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    synonyms: tuple[Synonym, ...] = ()
    glossary: tuple[Gloss, ...] = ()
    stopwords: frozenset[str] = frozenset()
    user_words: tuple[tuple[str, int], ...] = ()
    english_stopwords: frozenset[str] = field(default=frozenset())
    # Chat shorthand → the word it stands for (mgr → manager), read before stemming.
    english_shorthand: dict[str, str] = field(default_factory=dict)
    # Greetings, thanks, goodbyes, "ok" (knowledge/smalltalk.py): folded phrase → kind.
    small_talk: dict[str, str] = field(default_factory=dict)


def _rows(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append(line.rstrip("\n").split("\t"))
    return rows


@cache
def stem(word: str) -> str:
    """Reduce an English word to its stem so "forgot", "forgets", "forgetting" meet."""
    from knowledge.english import stem_word

    return stem_word(word)


def english_words(text: str) -> list[str]:
    """Lower-case English words and numbers of ``text``, stemmed."""
    return [stem(word) for word in WORD_RE.findall(text.lower())]


@cache
def english_stopwords(directory: Path = LEXICON_DIR) -> frozenset[str]:
    """The (stemmed) English words of the stop word list: they ask, they do not say."""
    words = (row[0].strip().lower() for row in _rows(directory / "stopwords.txt"))
    return frozenset(stem(w) for w in words if WORD_RE.fullmatch(w) and not w.isdigit())


def load_lexicon(directory: Path = LEXICON_DIR, document: Path = DOCUMENT_LEXICON_DIR) -> Lexicon:
    """The general lexicon in ``directory`` with one document's own in ``document``."""
    synonym_rows = [row for row in _rows(document / "synonyms.tsv") if len(row) >= 2]
    gloss_rows = [row for row in _rows(document / "glossary_en.tsv") if len(row) >= 2]
    # Fold every distinct entry in one OpenCC call: thousands of calls cost ~0.1 s at start.
    entries = {t for row in synonym_rows for t in row[0].split() + row[1].split("|")}
    entries |= {t for row in gloss_rows for t in row[1].split()}
    entries = {t for t in entries if t.strip()}
    order = sorted(entries)
    folded = dict(zip(order, fold_all(order), strict=True))
    synonyms = []
    for row in synonym_rows:
        terms = tuple(dict.fromkeys(folded[t] for t in row[0].split() if t.strip()))
        variants = tuple(dict.fromkeys(folded[v] for v in row[1].split("|") if v.strip()))
        if terms and variants:
            synonyms.append(Synonym(terms, variants))
    glossary = []
    for row in gloss_rows:
        terms = tuple(dict.fromkeys(folded[t] for t in row[1].split() if t.strip()))
        for phrase in row[0].split("|"):
            words = tuple(english_words(phrase))
            if words and terms:
                glossary.append(Gloss(words, terms))
    stopwords = frozenset(fold(row[0].strip()) for row in _rows(directory / "stopwords.txt"))
    user_words = []
    for row in _rows(document / "userdict.txt"):
        parts = row[0].split()
        if parts:
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1000
            user_words.append((fold(parts[0]), freq))
    english_stops = english_stopwords(directory)
    shorthand = {
        row[0].strip(): row[1].strip()
        for row in _rows(directory / "shorthand_en.tsv")
        if len(row) == 2 and row[0].strip() and row[1].strip()
    }
    return Lexicon(
        small_talk=read_phrases(directory / "smalltalk.tsv"),
        english_shorthand=shorthand,
        synonyms=tuple(synonyms),
        glossary=tuple(sorted(glossary, key=lambda g: -len(g.words))),
        stopwords=stopwords,
        user_words=tuple(user_words),
        english_stopwords=english_stops,
    )
