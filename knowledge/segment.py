"""Word segmentation with jieba, taught the SOP's own vocabulary.

We own one ``jieba.Tokenizer`` instead of using the module-level default, so loading
the domain words never leaks into other users of jieba in the same process, and its
dictionary cache goes where we say (the image builds it once, see the Dockerfile).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from knowledge.lexicon import Lexicon, stem

# jieba imports the deprecated pkg_resources (~0.15 s, a third of start-up) only to find its
# own dictionary file, and falls back to a plain path when that import fails; so make it
# fail for jieba alone, unless something else already loaded pkg_resources.
_hide_pkg_resources = "pkg_resources" not in sys.modules
if _hide_pkg_resources:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
try:
    import jieba
finally:
    if _hide_pkg_resources:
        del sys.modules["pkg_resources"]

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

# A private-use character: never typed, so the filler entry never matches anything.
FILLER_WORD = "\ue000"
PUNCTUATION_RE = re.compile(r"^[\W_]+$")
CJK_RUN_RE = re.compile(r"[\u3400-\u9fff]+")


def cache_dir() -> Path:
    """Where jieba keeps its dictionary cache: $SOPBOT_CACHE_DIR, else the temp dir."""
    configured = os.environ.get("SOPBOT_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir())


class Segmenter:
    """Cuts folded (simplified, lower-case) text into words."""

    def __init__(self, lexicon: Lexicon, dictionary: Path | None = None) -> None:
        if dictionary:
            check_dictionary(dictionary)
        self.tokenizer = prepared(
            jieba.Tokenizer(str(dictionary)) if dictionary else jieba.Tokenizer()
        )
        for word, freq in lexicon.user_words:
            self.tokenizer.add_word(word, freq)
        self.stopwords = lexicon.stopwords

    def words(self, text: str) -> list[str]:
        """Content words of ``text`` for a query: no punctuation, spaces or stop words."""
        return self._content(self.tokenizer.lcut(text, HMM=True))

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """Every word of ``text`` with its place, stop words included, no punctuation."""
        return [
            (word, start, end)
            for word, start, end in self.tokenizer.tokenize(text, HMM=False)
            if word.strip() and not PUNCTUATION_RE.match(word)
        ]

    def index_words(self, text: str) -> list[str]:
        """Words of ``text`` for the index: also the shorter words inside compounds.

        Without jieba's HMM guesses, as a question is cut: the corpus's own words are
        known to the dictionary instead (``discover_words``), so both meet on the same
        words, and a guess never fuses a word with its neighbour's character.
        """
        return self._content(self.tokenizer.lcut_for_search(text, HMM=False))

    def learn(self, words: Mapping[str, int]) -> None:
        """Teach the tokenizer words found in the corpus itself."""
        for word, freq in words.items():
            self.tokenizer.add_word(word, freq)

    def _content(self, words: Iterable[str]) -> list[str]:
        return [
            normal_form(word)
            for word in (w.strip() for w in words)
            if word and not PUNCTUATION_RE.match(word) and word not in self.stopwords
        ]


DICTIONARY_LINE_RE = re.compile(r"[^\s]+ \d+(?: [^\s]+)?")


# jieba's own dictionary as this process last loaded it: (its cache file, the file's mtime
# and size) → (prefix dictionary, total). Every index build segments with that dictionary
# and loading it takes most of a second; a process that builds again copies it instead.
_loaded_general: dict[tuple[str, int, int], tuple[dict[str, int], int]] = {}


def initialize(tokenizer: jieba.Tokenizer) -> None:
    """Load jieba's prefix dictionary, from its cache file when there is one.

    jieba reads the cache with ``marshal`` and keeps whatever comes out if it unpacks into
    two values; a garbled cache that does (a copy cut short, another program's file) made
    every later word addition fail, so nothing could start or rebuild the index. Such a
    cache is deleted and the dictionary built again from its source.

    jieba's own dictionary, once loaded, is kept for the next tokenizer of this process:
    a copy (words are added to each tokenizer's own), for as long as its cache file is the
    one read (a cache rewritten or garbled since is read again).
    """
    general = tokenizer.dictionary == jieba.DEFAULT_DICT
    key = general_cache_key(tokenizer) if general else None
    if key is not None and key in _loaded_general:
        freq, total = _loaded_general[key]
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(freq), total, True
        return
    _initialize(tokenizer)
    if general and (key := general_cache_key(tokenizer)) is not None:
        _loaded_general.clear()
        _loaded_general[key] = (dict(tokenizer.FREQ), tokenizer.total)


def prepared(tokenizer: jieba.Tokenizer) -> jieba.Tokenizer:
    """``tokenizer`` with its dictionary loaded (see ``initialize``), caching it in
    ``cache_dir()``."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.tmp_dir = str(directory)
    initialize(tokenizer)
    return tokenizer


def general_cache_key(tokenizer: jieba.Tokenizer) -> tuple[str, int, int] | None:
    cache = jieba_cache_file(tokenizer)
    try:
        stat = cache.stat()
    except OSError:
        return None
    return (str(cache), stat.st_mtime_ns, stat.st_size)


def _initialize(tokenizer: jieba.Tokenizer) -> None:
    tokenizer.initialize()
    if usable(tokenizer):
        return
    cache = jieba_cache_file(tokenizer)
    log.warning("jieba's dictionary cache %s is damaged: building it again", cache)
    cache.unlink(missing_ok=True)
    tokenizer.initialized = False
    tokenizer.initialize()
    if not usable(tokenizer):
        raise ValueError(f"jieba's dictionary {tokenizer.dictionary or 'default'} is damaged")


def usable(tokenizer: jieba.Tokenizer) -> bool:
    """Whether jieba's prefix dictionary is what it builds: word → count, and their total."""
    freq, total = tokenizer.FREQ, tokenizer.total
    if not isinstance(freq, dict) or not isinstance(total, int | float) or not freq:
        return False
    sample = [value for _, value in zip(range(100), freq.items(), strict=False)]
    return all(isinstance(word, str) and isinstance(count, int) for word, count in sample)


def jieba_cache_file(tokenizer: jieba.Tokenizer) -> Path:
    """The cache file jieba reads for this tokenizer (named as ``Tokenizer.initialize`` does)."""
    if tokenizer.cache_file:
        name = tokenizer.cache_file
    elif tokenizer.dictionary == jieba.DEFAULT_DICT:
        name = "jieba.cache"
    else:
        digest = hashlib.md5(tokenizer.dictionary.encode("utf-8", "replace")).hexdigest()
        name = f"jieba.u{digest}.cache"
    return Path(tokenizer.tmp_dir or tempfile.gettempdir()) / name


def check_dictionary(path: Path) -> None:
    """Raise ValueError unless ``path`` reads as a jieba dictionary, one ``word freq [tag]``
    a line (jieba itself would raise too, but leave the file open)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a dictionary: {error}") from None
    for number, line in enumerate(lines, 1):
        if not DICTIONARY_LINE_RE.fullmatch(line):
            raise ValueError(f"{path}:{number} is not a dictionary line: {line[:40]!r}")


def normal_form(word: str) -> str:
    """English words as stems ("forgot"/"forgets" meet in questions and in the index)."""
    return stem(word) if word.isascii() and word.isalpha() else word


def bigrams(text: str) -> list[str]:
    """Overlapping two-character pieces of every Chinese run in ``text``.

    They find a match where segmentation differs between question and document.
    """
    pieces: list[str] = []
    for run in CJK_RUN_RE.findall(text):
        pieces.extend(run[i : i + 2] for i in range(len(run) - 1))
    return pieces


# Characters that begin or end no word of their own: a run that does is two words' pieces.
GLUE_CHARS = frozenset(
    "的了和与及或在是把被对将为以于之等也都就还又再很并且从向给让由个这那其各每些"
)
# New-word discovery: how often a piece must recur, how tightly its parts must hold
# (occurrences against chance), and how varied its neighbours must be (entropy, nats).
MIN_WORD_COUNT = 3
MIN_COHESION = 30.0
MIN_FREEDOM = 0.9
LONGEST_NEW_WORD = 6
# jieba's dictionary words this frequent are kept for questions (about 20,000 of them).
COMMON_WORD_FREQ = 200


def _entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    return -sum(n / total * math.log(n / total) for n in counts.values())


def discover_words(texts: Iterable[str], known: Callable[[str], bool]) -> dict[str, int]:
    """Words of a corpus that the dictionary lacks, found from the corpus alone.

    A run of characters is a word when it recurs, its parts occur together far more
    often than chance would put them side by side (cohesion), and it stands among varied
    neighbours (left and right entropy): 簽到台 in an event SOP, 理貨員 in a supermarket's.
    The classic statistics of new-word discovery, cheap enough for any SOP at index time.
    Returns each word with its count, as a dictionary frequency.
    """
    runs = [run for text in texts for run in CJK_RUN_RE.findall(text)]
    counts: Counter[str] = Counter()
    for run in runs:
        for size in range(1, LONGEST_NEW_WORD + 1):
            counts.update(run[i : i + size] for i in range(len(run) - size + 1))
    total = sum(count for piece, count in counts.items() if len(piece) == 1) or 1
    candidates = {
        piece
        for piece, count in counts.items()
        if len(piece) >= 2
        and count >= MIN_WORD_COUNT
        and piece[0] not in GLUE_CHARS
        and piece[-1] not in GLUE_CHARS
        and not known(piece)
    }
    left: dict[str, Counter[str]] = defaultdict(Counter)
    right: dict[str, Counter[str]] = defaultdict(Counter)
    for run in runs:
        for size in range(2, LONGEST_NEW_WORD + 1):
            for i in range(len(run) - size + 1):
                piece = run[i : i + size]
                if piece in candidates:
                    left[piece][run[i - 1] if i else f"^{i}"] += 1
                    end = i + size
                    right[piece][run[end] if end < len(run) else f"${i}"] += 1
    found: dict[str, int] = {}
    for piece in candidates:
        count = counts[piece]
        cohesion = min(
            count * total / (counts[piece[:cut]] * counts[piece[cut:]])
            for cut in range(1, len(piece))
        )
        freedom = min(_entropy(left[piece]), _entropy(right[piece]))
        if cohesion >= MIN_COHESION and freedom >= MIN_FREEDOM:
            found[piece] = count
    # A piece of a longer word found as often is only that word's piece.
    return {
        piece: count
        for piece, count in found.items()
        if not any(piece in other and count <= found[other] for other in found if other != piece)
    }


def write_dictionary(
    path: Path,
    texts: Iterable[str],
    extra_words: Iterable[str],
    new_words: Mapping[str, int] | None = None,
) -> None:
    """Write the part of jieba's dictionary that the corpus can use.

    jieba's full dictionary holds 350,000 words; loading it costs most of a second and
    some 60 MB. A question can only match words the corpus has, so the search needs
    just the dictionary words found in the corpus (and the lexicon). Keeping jieba's
    total frequency (one filler entry makes up the difference) keeps every probability,
    so the corpus's own sentences segment exactly as with the full dictionary.
    """
    longest = 8
    pieces: set[str] = set(extra_words)
    for text in texts:
        for start in range(len(text)):
            for size in range(1, longest + 1):
                if start + size > len(text):
                    break
                pieces.add(text[start : start + size])
    entries, total = general_entries()
    # Common words too, though the corpus lacks them: a question's 一半 or 斷掉 is then one
    # word the corpus does not have, not characters that look like content (一, 半) and
    # match anything.
    kept = [
        entry
        for entry in entries
        if entry[0] in pieces or (len(entry[0]) >= 2 and entry[1] >= COMMON_WORD_FREQ)
    ]
    known = {word for word, _, _ in kept}
    kept += [(word, freq, "") for word, freq in (new_words or {}).items() if word not in known]
    filler = total - sum(freq for _, freq, _ in kept)
    lines = [f"{word} {freq} {tag}".rstrip() for word, freq, tag in kept]
    lines.append(f"{FILLER_WORD} {max(filler, 1)} x")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@functools.cache
def general_entries() -> tuple[tuple[tuple[str, int, str], ...], int]:
    """jieba's own dictionary as (word, frequency, tag) lines, and its total frequency,
    once per process, for every index it builds.

    Taken from the prefix dictionary a tokenizer of this process already loaded, when one
    did (building an index always does): parsing jieba's 350,000 lines again costs most of
    a second. Tags are left out either way: jieba reads a word and its count from a line,
    and the search cuts words, it does not tag them.
    """
    for freq, total in _loaded_general.values():
        return tuple((word, count, "") for word, count in freq.items() if count), total
    entries, total = [], 0
    with jieba.get_dict_file() as full:
        for raw in full:
            word, count, *_ = raw.decode("utf-8").split()
            total += int(count)
            entries.append((word, int(count), ""))
    return tuple(entries), total
