"""Format and provenance checks for the hand-written lexicon.

knowledge/lexicon/ holds what applies to any SOP (stop words, shorthand, small talk);
knowledge/corpus/lexicon/ the packaged SOP's own. Every document-side term of the latter
(left column of synonyms.tsv, right column of glossary_en.tsv, first field of
userdict.txt) must occur verbatim in the traditional-Chinese SOP text, so that a query
expanded with it can actually meet the document. Standard library only.
"""

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parents[1]
SOP = ROOT / "knowledge" / "corpus" / "營業主管崗位職責.txt"
LEXICON = ROOT / "knowledge" / "lexicon"
DOCUMENT_LEXICON = ROOT / "knowledge" / "corpus" / "lexicon"
DOCUMENT_FILES = {"synonyms.tsv", "glossary_en.tsv", "userdict.txt"}

# Characters that only exist in simplified Chinese: the lexicon is written in traditional
# characters like the SOP (the loader converts both sides with OpenCC t2s).
SIMPLIFIED_ONLY = set(
    "们这说还么没门关开时间问题机纸坏办会过见经电话账号钱员务户诉证样单张处认应该让对给请确"
    "业营厅柜检备设录区车乱觉闹骂丢报钟几谁为从东带记帮"
)

# Words the engine treats as number-question cues: they must never be dropped as stopwords.
CHINESE_NUMBER_CUES = {"幾", "多久", "多遠", "幾多", "多少", "幾耐", "幾點", "幾時"}
NUMBER_CUES = CHINESE_NUMBER_CUES | {"many", "much", "far", "long"}

ASCII_UPPER = re.compile(r"[A-Z]")
TAG = re.compile(r"^[a-z]{1,4}$")


def _sop_text() -> str:
    return SOP.read_text(encoding="utf-8")


def _lines(name: str) -> list[str]:
    raw = ((DOCUMENT_LEXICON if name in DOCUMENT_FILES else LEXICON) / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{name}: remove the UTF-8 BOM"
    text = raw.decode("utf-8")
    assert text.endswith("\n"), f"{name}: the file must end with a newline"
    assert "\r" not in text, f"{name}: use LF line endings"
    lines = text[:-1].split("\n")
    for number, line in enumerate(lines, 1):
        assert line.strip(), f"{name}:{number}: blank line"
        assert line == line.strip(), f"{name}:{number}: leading or trailing whitespace"
        assert not line.startswith("#"), f"{name}:{number}: comments are not part of the format"
    return lines


def _synonym_rows() -> list[tuple[int, list[str], list[str]]]:
    rows = []
    for number, line in enumerate(_lines("synonyms.tsv"), 1):
        assert line.count("\t") == 1, f"synonyms.tsv:{number}: expected exactly one TAB"
        left, right = line.split("\t")
        terms = left.split(" ")
        variants = right.split("|")
        rows.append((number, terms, variants))
    return rows


def _glossary_rows() -> list[tuple[int, list[str], list[str]]]:
    rows = []
    for number, line in enumerate(_lines("glossary_en.tsv"), 1):
        assert line.count("\t") == 1, f"glossary_en.tsv:{number}: expected exactly one TAB"
        left, right = line.split("\t")
        rows.append((number, left.split("|"), right.split(" ")))
    return rows


def _userdict_rows() -> list[tuple[int, str, str, str]]:
    rows = []
    for number, line in enumerate(_lines("userdict.txt"), 1):
        fields = line.split(" ")
        assert len(fields) == 3, f"userdict.txt:{number}: expected 'word freq tag'"
        rows.append((number, *fields))
    return rows


def test_sop_corpus_is_present():
    text = _sop_text()
    assert "營業主管崗位職責 篇3" in text
    assert "值班經理" in text


def test_synonyms_format():
    rows = _synonym_rows()
    assert len(rows) >= 250
    for number, terms, variants in rows:
        assert all(terms), f"synonyms.tsv:{number}: empty document term (double space?)"
        assert len(set(terms)) == len(terms), f"synonyms.tsv:{number}: repeated document term"
        assert all(variants), f"synonyms.tsv:{number}: empty variant (stray '|')"
        for variant in variants:
            assert variant == variant.strip(), f"synonyms.tsv:{number}: spaces around {variant!r}"
            assert variant not in terms, f"synonyms.tsv:{number}: {variant!r} repeats its term"
            assert not ASCII_UPPER.search(variant), (
                f"synonyms.tsv:{number}: write Latin letters in lower case: {variant!r}"
            )


def test_synonym_variants_are_unique():
    counts = Counter(v for _, _, variants in _synonym_rows() for v in variants)
    duplicates = sorted(v for v, n in counts.items() if n > 1)
    assert not duplicates, f"variants listed more than once: {duplicates}"


def test_synonym_document_terms_occur_in_sop():
    sop = _sop_text()
    missing = [
        (number, term) for number, terms, _ in _synonym_rows() for term in terms if term not in sop
    ]
    assert not missing, f"document terms not found in the SOP: {missing}"


def test_glossary_format():
    rows = _glossary_rows()
    assert len(rows) >= 300
    for number, phrases, terms in rows:
        assert all(phrases), f"glossary_en.tsv:{number}: empty English phrase (stray '|')"
        assert all(terms), f"glossary_en.tsv:{number}: empty Chinese term (double space?)"
        for phrase in phrases:
            assert phrase.isascii(), f"glossary_en.tsv:{number}: non-ASCII phrase {phrase!r}"
            assert phrase == phrase.lower(), f"glossary_en.tsv:{number}: lower-case {phrase!r}"
            assert phrase == " ".join(phrase.split()), (
                f"glossary_en.tsv:{number}: irregular spacing in {phrase!r}"
            )


def test_glossary_phrases_are_unique():
    counts = Counter(p for _, phrases, _ in _glossary_rows() for p in phrases)
    duplicates = sorted(p for p, n in counts.items() if n > 1)
    assert not duplicates, f"English phrases listed more than once: {duplicates}"


def test_glossary_terms_occur_in_sop():
    sop = _sop_text()
    missing = [
        (number, term) for number, _, terms in _glossary_rows() for term in terms if term not in sop
    ]
    assert not missing, f"glossary terms not found in the SOP: {missing}"


def test_userdict_format_and_terms():
    sop = _sop_text()
    rows = _userdict_rows()
    assert 100 <= len(rows) <= 250
    words = Counter(word for _, word, _, _ in rows)
    assert not [w for w, n in words.items() if n > 1], "userdict.txt: repeated word"
    for number, word, freq, tag in rows:
        assert freq.isdigit() and int(freq) > 0, f"userdict.txt:{number}: bad frequency {freq!r}"
        assert TAG.match(tag), f"userdict.txt:{number}: bad part-of-speech tag {tag!r}"
        assert word in sop, f"userdict.txt:{number}: {word!r} does not occur in the SOP"


def test_stopwords_format():
    words = _lines("stopwords.txt")
    assert len(words) >= 50
    counts = Counter(words)
    assert not [w for w, n in counts.items() if n > 1], "stopwords.txt: repeated word"
    for word in words:
        assert " " not in word and "\t" not in word, f"stopwords.txt: one word per line: {word!r}"
        if word.isascii():
            assert word == word.lower(), f"stopwords.txt: lower-case {word!r}"
    kept_cues = sorted(NUMBER_CUES & set(words))
    assert not kept_cues, f"number-question cues must not be stopwords: {kept_cues}"


def test_stopwords_do_not_shadow_lexicon_entries():
    stopwords = set(_lines("stopwords.txt"))
    variants = {v for _, _, vs in _synonym_rows() for v in vs}
    phrases = {p for _, ps, _ in _glossary_rows() for p in ps}
    assert not sorted(stopwords & variants), "a synonym variant is also a stopword"
    assert not sorted(stopwords & phrases), "a glossary phrase is also a stopword"


def test_chinese_is_written_in_traditional_characters():
    offenders = []
    for name in ("synonyms.tsv", "glossary_en.tsv", "userdict.txt", "stopwords.txt"):
        for number, line in enumerate(_lines(name), 1):
            found = sorted(set(line) & SIMPLIFIED_ONLY)
            if found:
                offenders.append((name, number, "".join(found)))
    assert not offenders, f"simplified characters found: {offenders}"


def test_shorthand_maps_one_word_to_one_other_word():
    glossary_phrases = {p for _, ps, _ in _glossary_rows() for p in ps}
    seen = set()
    for number, line in enumerate(_lines("shorthand_en.tsv"), 1):
        short, _, word = line.partition("\t")
        assert short.isascii() and short == short.lower() and short.isalnum(), (
            f"shorthand_en.tsv:{number}: {short!r} is not one lower-case ASCII word"
        )
        assert word.isascii() and word.isalpha() and word == word.lower(), (
            f"shorthand_en.tsv:{number}: {word!r} must be one lower-case English word"
        )
        assert short != word, f"shorthand_en.tsv:{number}: {short!r} maps to itself"
        assert short not in seen, f"shorthand_en.tsv:{number}: {short!r} listed twice"
        assert short not in glossary_phrases, (
            f"shorthand_en.tsv:{number}: {short!r} is already a glossary phrase"
        )
        seen.add(short)
