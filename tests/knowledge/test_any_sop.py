"""Any store's SOP: general language resources apply to every document, while what one
document brings (its lexicon, its indexed staff questions) stays with that document."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.corpus import CORPUS_DIR, sop_files

FRONT_DESK = Path(__file__).parent / "data" / "front-desk.md"


@pytest.fixture(scope="module")
def desk(kept_index: Callable[[str], Path]) -> KnowledgeBase:
    """A small front-desk SOP the project has no hand-written words for, served alone."""
    index = kept_index("any-sop-desk")
    return KnowledgeBase.open(index_path=index, sources=[FRONT_DESK], questions=[])


@pytest.fixture(scope="module")
def beside(kept_index: Callable[[str], Path]) -> KnowledgeBase:
    """The same SOP served beside the packaged one."""
    index = kept_index("any-sop-beside")
    return KnowledgeBase.open(index_path=index, sources=[*sop_files(CORPUS_DIR), FRONT_DESK])


def first(kb: KnowledgeBase, question: str) -> str:
    best = kb.ask(question).best
    assert best is not None, question
    return best.step.label


@pytest.mark.parametrize(
    ("question", "step"),
    [
        ("客人冇帶身份證可唔可以入住", "1、辦理入住"),  # Cantonese, through the general tables
        ("guest has no ID at check in", "1、辦理入住"),  # English, through CC-CEDICT
        ("luggage storage how many days", "3、行李寄存"),
        ("停電了怎麼辦", "4、停電處理"),
        ("两个客人吵起来了", "5、旅客爭吵"),
        ("客房的矿泉水每天补几瓶", "6、礦泉水補充"),
    ],
)
def test_a_document_without_hand_written_words_is_answered(
    desk: KnowledgeBase, question: str, step: str
) -> None:
    assert first(desk, question) == step


@pytest.mark.parametrize(
    ("question", "step"),
    [
        ("停電了怎麼辦", "4、停電處理"),  # the packaged lexicon reads 停電 as 突發事件
        ("两个客人吵起来了", "5、旅客爭吵"),  # ... and 吵起來 as 爭執
        ("礦泉水每天補幾瓶", "6、礦泉水補充"),  # ... and 礦泉水 as 茶水
    ],
)
def test_the_packaged_lexicon_does_not_pull_answers_to_its_document(
    beside: KnowledgeBase, question: str, step: str
) -> None:
    assert first(beside, question) == step


def test_an_expansion_adds_beside_the_askers_word_never_replaces_it(desk: KnowledgeBase) -> None:
    query = desk.searcher.read("顧客冇帶證件")
    assert {"顾客", "冇", "证件"} <= set(query.words)  # every word the asker typed
    assert query.words["顾客"] == query.words["证件"] == 1.0
    added = {term: w for term, w in query.words.items() if term not in {"顾客", "冇", "带", "证件"}}
    assert "没有" in added, "冇 is written 沒有 in the document"
    assert all(weight < 1.0 for weight in added.values())


def test_every_step_of_any_document_gets_an_alternate_in_staff_words(desk: KnowledgeBase) -> None:
    index = desk.searcher.index
    blackout = next(n for n, step in enumerate(index.steps) if step.title == "停電處理")
    made = [
        index.passages[n]
        for n in index.step_passages[blackout]
        if index.passages[n].passage.kind == "alternate"
    ]
    assert made, "the front desk has no hand-written staff questions: this one is made"
    words = set().union(*(p.words for p in made))
    assert {"冇电", "断电"} <= words  # Cantonese and spoken for 停電
    own = set().union(
        *(
            index.passages[n].words
            for n in index.step_passages[blackout]
            if index.passages[n].passage.kind != "alternate"
        )
    )
    assert not words & own  # only words the step does not already have


def test_the_packaged_lexicon_applies_in_full_to_its_own_document(kb: KnowledgeBase) -> None:
    query = kb.searcher.read("客人沒帶身分證")
    assert not kb.searcher.partial_scope
    assert "客户" in query.words and not query.scoped_words


def test_beside_another_document_the_packaged_lexicon_is_kept_apart(beside: KnowledgeBase) -> None:
    query = beside.searcher.read("客人沒帶身分證")
    assert beside.searcher.partial_scope
    assert "客户" in query.scoped_words


def test_a_documents_staff_questions_never_score_another_document(
    desk: KnowledgeBase, kept_index: Callable[[str], Path]
) -> None:
    target = next(step for step in desk.steps if step.label == "3、行李寄存").id
    kb = KnowledgeBase.open(
        index_path=kept_index("any-sop-taught"),
        sources=[*sop_files(CORPUS_DIR), FRONT_DESK],
        extra_alternates={target: ["旅客的大背包放哪裡保管"]},
    )
    answer = kb.ask("大背包可以放哪裡")
    assert answer.best is not None and answer.best.step.id == target
    for hit in answer.hits[1:]:
        assert "背包" not in hit.matched_terms, hit.step.label  # no other step matched the word
    # The staff question is a passage of its own step and of no other.
    taught = [p for p in kb.index.passages if "背包" in p.passage.text]
    assert taught and {kb.steps[p.passage.step_index].id for p in taught} == {target}


def test_without_its_document_the_packaged_lexicon_adds_nothing(desk: KnowledgeBase) -> None:
    query = desk.searcher.read("客人沒帶身分證")
    assert not desk.searcher.lexicon_applies
    assert not query.scoped_words and "未带证件" not in query.words


def test_half_an_emoji_in_a_question_is_dropped(desk: KnowledgeBase) -> None:
    answer = desk.ask("停電\ud83d了怎麼辦")
    assert answer.query == "停電了怎麼辦"
    assert answer.best is not None and answer.best.step.label == "4、停電處理"
    answer.query.encode("utf-8")  # storable and sendable


KITCHEN_EN = Path(__file__).parent / "data" / "kitchen-en.md"


@pytest.fixture(scope="module")
def kitchen(kept_index: Callable[[str], Path]) -> KnowledgeBase:
    """A small SOP written wholly in English, with no Chinese word at all."""
    index = kept_index("any-sop-kitchen")
    return KnowledgeBase.open(index_path=index, sources=[KITCHEN_EN], questions=[])


@pytest.mark.parametrize(
    ("question", "step"),
    [
        ("what temperature should the fridge be", "Fridge temperature"),
        ("冰箱溫度要幾度", "Fridge temperature"),  # CC-CEDICT read backwards
        ("垃圾什麼時候倒", "Waste and bins"),
        ("檯面要怎麼擦", "Wiping the worktops"),  # a single character: 擦, wipe
        ("切菜要用哪塊板", "Cutting vegetables"),
        ("戴戒指可以處理食物嗎", "Jewellery"),
        ("使唔使擦", "Wiping the worktops"),
        ("can i swap it for something else", "Missing ingredients"),  # swap, replace: 掉換
    ],
)
def test_an_sop_written_in_english_answers_questions_in_chinese_and_other_words(
    kitchen: KnowledgeBase, question: str, step: str
) -> None:
    best = kitchen.ask(question).best
    assert best is not None, question
    assert best.step.title == step


def test_an_english_sop_beside_a_chinese_one_is_reached_through_translation(
    tmp_path: Path, kept_index: Callable[[str], Path]
) -> None:
    # The Chinese SOP has 冰箱 too: the English one is still reached through "fridge".
    rooms = tmp_path / "rooms.md"
    rooms.write_text(
        "# 客房\n## 房務員\n#### 1、補充飲料\n每天補充客房冰箱的飲料。\n", encoding="utf-8"
    )
    kb = KnowledgeBase.open(index_path=kept_index("any-sop-rooms"), sources=[rooms, KITCHEN_EN])
    best = kb.ask("冰箱溫度要幾度").best
    assert best is not None and best.step.title == "Fridge temperature"
