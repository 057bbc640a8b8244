"""The index keeps what the parsers read (pictures of steps, lints with their codes) and is
built again when its file is damaged: it is a derived cache."""

from __future__ import annotations

import dataclasses
import gzip
import marshal
import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import jieba
import numpy as np
import pytest

from knowledge import KnowledgeBase
from knowledge import index as index_module
from knowledge.base import StaleIndexError
from knowledge.corpus import parse_file
from knowledge.index import Index, Postings, snapshot_version
from knowledge.lexicon import LEXICON_DIR, load_lexicon
from knowledge.segment import Segmenter, usable

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
SOP = """\
# 門市規範
## 店員
#### 1、開門準備
每天早上九點前打開收銀機。

![收銀機](pictures/till.png)

#### 3、冷氣保養
每月清洗冷氣濾網一次。
"""


def test_pictures_and_lint_codes_survive_the_index(tmp_path: Path) -> None:
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "till.png").write_bytes(PNG)
    sop = tmp_path / "store.md"
    sop.write_text(SOP, encoding="utf-8")
    parsed = parse_file(sop)
    kb = KnowledgeBase.open(index_path=tmp_path / "index.db", sources=[sop], questions=[])
    pictured = [step for step in parsed.steps if step.pictures]
    assert pictured, "the parser keeps the step's picture"
    by_id = {step.id: step for step in kb.steps}
    for step in pictured:
        assert by_id[step.id].pictures == step.pictures
    assert [(lint.code, lint.params) for lint in kb.lints] == [
        (lint.code, lint.params) for lint in parsed.lints
    ]
    assert any(lint.code for lint in kb.lints), "the numbering gap (1 → 3) is a lint"


FRONT_DESK = Path(__file__).parent / "data" / "front-desk.md"


def damage_pages(index: Path) -> None:
    """Overwrite part of every page after the first two: the header and meta stay readable."""
    data = bytearray(index.read_bytes())
    for page in range(8192, len(data), 4096):
        data[page + 100 : page + 300] = b"\xff" * 200
    index.write_bytes(bytes(data))


def garble_dictionary(index: Path) -> None:
    index.with_name(index.name + ".dict.txt").write_bytes(b"\x00\xffnot a dictionary\n" * 50)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small index built once; each test damages a copy of it."""
    folder = tmp_path_factory.mktemp("built")
    KnowledgeBase.open(index_path=folder / "index.db", sources=[FRONT_DESK], questions=[])
    return folder


def copy_of(built: Path, tmp_path: Path) -> Path:
    for path in built.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / "index.db"


@pytest.mark.parametrize("damage", [damage_pages, garble_dictionary])
def test_a_damaged_index_is_built_again(built: Path, tmp_path: Path, damage) -> None:
    index = copy_of(built, tmp_path)
    damage(index)
    kb = KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[])
    assert kb.ask("停電了怎麼辦").best.step.label == "4、停電處理"  # type: ignore[union-attr]


@pytest.mark.parametrize("damage", [damage_pages, garble_dictionary])
def test_a_reader_that_may_not_build_says_the_index_is_damaged(
    built: Path, tmp_path: Path, damage
) -> None:
    index = copy_of(built, tmp_path)
    assert KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[], build=False)
    damage(index)
    with pytest.raises(StaleIndexError, match="damaged"):
        KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[], build=False)


def garble_jieba_caches(folder: Path) -> list[Path]:
    """Replace jieba's dictionary caches (its own dictionary's, ``jieba.cache``, and the
    index's) with files that unpack, but into the wrong things: jieba itself only catches a
    cache that does not unpack at all."""
    caches = sorted({*folder.glob("jieba*.cache"), folder / "jieba.cache"})
    for cache in caches:
        cache.write_bytes(marshal.dumps(({"客人": "many"}, "a total")))
    return caches


def test_a_garbled_jieba_cache_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path / "cache"))
    index = tmp_path / "index.db"
    KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[])
    assert len(garble_jieba_caches(tmp_path / "cache")) == 2
    damage_pages(index)  # so the index is built again too, with jieba's own dictionary
    kb = KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[])
    assert kb.ask("停電了怎麼辦").best.step.label == "4、停電處理"  # type: ignore[union-attr]
    for cache in (tmp_path / "cache").glob("jieba*.cache"):
        freq, total = marshal.loads(cache.read_bytes())
        assert isinstance(total, int) and len(freq) > 1000  # built again, and kept


def test_jiebas_dictionary_is_loaded_once_and_each_tokenizer_gets_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path / "cache"))
    lexicon = load_lexicon(LEXICON_DIR)
    first = Segmenter(lexicon)
    total = first.tokenizer.total
    first.learn({"嗶嗶機": 5})
    loads = []
    monkeypatch.setattr(jieba.Tokenizer, "initialize", lambda self: loads.append(self))
    second = Segmenter(lexicon)
    assert loads == [], "the second tokenizer copies what the first loaded"
    assert "嗶嗶機" in first.tokenizer.FREQ and "嗶嗶機" not in second.tokenizer.FREQ
    assert second.tokenizer.total == total
    monkeypatch.undo()
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path / "cache"))
    (cache,) = garble_jieba_caches(tmp_path / "cache")
    third = Segmenter(lexicon)  # a cache changed since is read again, and repaired
    assert usable(third.tokenizer) and third.tokenizer.total == total
    freq, cached_total = marshal.loads(cache.read_bytes())
    assert isinstance(freq, dict) and cached_total < total  # jieba's own, without the lexicon


def test_the_pinyin_table_is_kept_in_the_cache_directory_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge import index as built

    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path))
    table = built.pinyin_table.__wrapped__()
    assert table["滅"] == "mie" and table == built.read_pinyin()

    def must_not_read() -> dict[str, str]:
        raise AssertionError("pypinyin was read again")

    monkeypatch.setattr(built, "read_pinyin", must_not_read)
    assert built.pinyin_table.__wrapped__() == table
    # A damaged copy is read again from pypinyin, and kept anew.
    (tmp_path / "sopbot" / "pinyin.tsv").write_bytes(b"\xff\xfe garbage\n")
    monkeypatch.setattr(built, "read_pinyin", lambda: table)
    assert built.pinyin_table.__wrapped__() == table
    assert (tmp_path / "sopbot" / "pinyin.tsv").read_text(encoding="utf-8").startswith("# sopbot")


def test_look_alikes_are_found_at_once_as_one_word_at_a_time_finds_them() -> None:
    from knowledge.index import look_alikes_word_by_word, pinyin_table, real_look_alikes

    readings = pinyin_table()
    vocabulary = {"知识", "干净", "收银机", "排队"}
    real = {"知识", "干净", "排队", "只是", "干嘛", "收银员", "收银台", "之时", "知道", "排对"}
    real |= {
        "𠀋𠀋",
        "ab",
        "a",
        "排队机器人",
        "机",
    }  # beyond the BMP, not Chinese, too short or long
    found = real_look_alikes(vocabulary, real, readings)
    assert found == look_alikes_word_by_word(vocabulary, real, readings)
    assert {
        "只是",
        "之时",
        "排对",
        "干嘛",
        "知道",
    } <= found  # sounding alike; one foreign character
    assert not found & vocabulary
    assert real_look_alikes(set(), real, readings) == set()


def same_index(a: Index, b: Index) -> bool:
    """Field by field, the postings' arrays by value."""
    for name in (f.name for f in dataclasses.fields(Index)):
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, Postings):
            same_arrays = np.array_equal(x.unit_numbers, y.unit_numbers) and np.array_equal(
                x.shares, y.shares
            )
            if (x.units, x.runs, x.idf) != (y.units, y.runs, y.idf) or not same_arrays:
                return False
        elif x != y:
            return False
    return True


def test_the_index_in_memory_is_loaded_from_its_snapshot_as_the_tables_would_give_it(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = built / "index.db"
    db = index_module.connect(path)
    try:
        from_tables = index_module.read_tables(db)
    finally:
        db.close()

    def must_not_read(db: object) -> Index:
        raise AssertionError("the tables were read although the snapshot is good")

    monkeypatch.setattr(index_module, "read_tables", must_not_read)
    assert same_index(index_module.load_index(path), from_tables)


class Planted:
    """What a hostile snapshot would make unpickling call."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted",))


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param(lambda version: (version, gzip.compress(pickle.dumps(Planted()))), id="code"),
        pytest.param(lambda version: (version, b"\x1f\x8b not gzip"), id="garbled"),
        pytest.param(lambda version: (version, gzip.compress(pickle.dumps([1, 2]))), id="a list"),
        pytest.param(lambda version: ("other code", b""), id="other code's"),
    ],
)
def test_a_foreign_or_damaged_snapshot_is_passed_over_for_the_tables(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot
) -> None:
    index = copy_of(built, tmp_path)
    db = sqlite3.connect(index)
    db.execute("update snapshot set version = ?, data = ?", snapshot(snapshot_version()))
    db.commit()
    db.close()
    monkeypatch.chdir(tmp_path)
    kb = KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[], build=False)
    assert kb.ask("停電了怎麼辦").best.step.label == "4、停電處理"  # type: ignore[union-attr]
    assert not (tmp_path / "planted").exists()


def test_an_index_built_before_snapshots_is_read_from_its_tables(
    built: Path, tmp_path: Path
) -> None:
    index = copy_of(built, tmp_path)
    db = sqlite3.connect(index)
    db.execute("drop table snapshot")
    db.commit()
    db.close()
    kb = KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[], build=False)
    assert kb.ask("停電了怎麼辦").best.step.label == "4、停電處理"  # type: ignore[union-attr]
