"""The general language resources and new-word discovery, on small made-up data."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from knowledge import resources
from knowledge.normalize import fold
from knowledge.segment import discover_words

FILLER = [
    "每天早上開門前先打掃地面並檢查照明",
    "顧客詢問商品價格時請耐心說明",
    "收銀時要唱收唱付並雙手遞回零錢",
    "發現地面濕滑立即放置警示牌",
    "冷藏櫃的溫度每兩小時記錄一次",
    "遇到顧客投訴先道歉再請主管處理",
    "下班前關閉電源並鎖好後門",
    "新到的商品要先核對送貨單",
]


def test_new_words_of_a_corpus_are_found_from_its_text_alone() -> None:
    own = [
        "理貨員每天清點貨架，把缺貨登記在補貨單",
        "補貨單交給店長，店長再通知理貨員上架",
        "開店前理貨員檢查冷藏櫃，發現缺貨先寫補貨單",
        "理貨員下班前把補貨單放回櫃台",
    ]
    texts = [fold(line) for line in own + FILLER * 6]
    found = discover_words(texts, known=lambda piece: False)
    assert fold("理貨員") in found and fold("補貨單") in found
    assert not any(piece[0] in "的了" or piece[-1] in "的了" for piece in found)


def test_expansions_lead_only_to_words_the_corpus_has() -> None:
    taxi, client = fold("計程車"), fold("客戶")
    corpus = resources.CorpusWords({taxi, client}, [fold("請客戶搭計程車離開")])
    found = {(e.variant, e.term): e for e in resources.expansions(corpus)}
    assert (fold("的士"), taxi) in found  # a regional word for the same thing
    assert found[(fold("的士"), taxi)].weight < 1.0  # beside the asker's word, below it
    assert all(e.term in corpus for e in found.values())


def test_english_translations_meet_the_corpus_and_vague_words_count_less() -> None:
    corpus = resources.CorpusWords({"投影仪", "制作"}, [fold("檢查投影儀，制作海報")])
    senses = {(s.words, s.term): s.weight for s in resources.english_senses(corpus)}
    projector = senses[(("projector",), "投影仪")]
    make = senses[(("make",), "制作")]
    assert make < projector


def test_cantonese_only_characters_come_from_the_cantonese_table() -> None:
    characters = resources.cantonese_characters()
    assert {"嘅", "咗", "喺"} <= characters


# -- the read dictionary, kept between index builds ------------------------------------------

SENSES = ((("fire", "extinguish"), "灭火器"), (("queue",), "排队"))


def test_the_dictionary_is_read_once_then_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(resources, "_parse_cedict", lambda: SENSES)
    assert resources.cedict_senses.__wrapped__() == SENSES
    (kept,) = (tmp_path / "sopbot").glob("cedict-senses-*.tsv")

    def must_not_parse() -> None:
        raise AssertionError("the dictionary was read again")

    monkeypatch.setattr(resources, "_parse_cedict", must_not_parse)
    assert resources.cedict_senses.__wrapped__() == SENSES
    assert kept.exists()


def test_a_damaged_cache_is_read_again_from_the_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path))
    path = resources._senses_cache()
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe garbage\n")
    monkeypatch.setattr(resources, "_parse_cedict", lambda: SENSES)
    assert resources.cedict_senses.__wrapped__() == SENSES
    assert path.read_text(encoding="utf-8").startswith("# sopbot cedict senses")


def test_a_cache_that_cannot_be_written_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(blocked))
    monkeypatch.setattr(resources, "_parse_cedict", lambda: SENSES)
    assert resources.cedict_senses.__wrapped__() == SENSES


def test_how_specific_each_english_word_is_is_counted_once_then_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(resources, "cedict_senses", lambda: SENSES)
    counted = resources.english_specificity.__wrapped__()
    assert set(counted) == {"fire", "extinguish", "queue"}
    (kept,) = (tmp_path / "sopbot").glob("cedict-specificity-*.tsv")

    def must_not_count() -> dict[str, float]:
        raise AssertionError("the dictionary was counted again")

    monkeypatch.setattr(resources, "_count_specificity", must_not_count)
    assert resources.english_specificity.__wrapped__() == counted  # the very same floats
    kept.write_bytes(b"\xff\xfe garbage\n")
    monkeypatch.setattr(resources, "_count_specificity", lambda: counted)
    assert resources.english_specificity.__wrapped__() == counted
    assert kept.read_text(encoding="utf-8").startswith("# sopbot cedict specificity")


def test_a_cache_written_anew_replaces_the_older_ones_of_its_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path))
    folder = tmp_path / "sopbot"
    folder.mkdir()
    older = folder / "cedict-senses-0123456789abcdef.tsv"  # another install's
    other_kind = folder / "cedict-specificity-0123456789abcdef.tsv"
    for path in (older, other_kind):
        path.write_text("# old\n", encoding="utf-8")
    path = resources._senses_cache("senses")
    assert path is not None and path.parent == folder
    resources.write_cache(path, "# sopbot test", [("词", "word")], "cedict-senses-*.tsv")
    assert resources.read_cache(path, "# sopbot test") == [("词", "word")]
    assert not older.exists() and other_kind.exists()
    # And the kinds' names are what the build writes.
    specificity = resources._senses_cache("specificity")
    assert specificity is not None and fnmatch.fnmatch(specificity.name, "cedict-specificity-*.tsv")
