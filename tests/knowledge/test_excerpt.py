"""What a card shows of a step: whole sentences, lists whole or counted, rhymes as lines."""

from __future__ import annotations

from knowledge.excerpt import excerpt, readable, readable_paragraphs, units, verse
from knowledge.index import sentences

SAMPLE = dict(budget=200, whole_below=40, second_below=100)


def scored(paragraphs: list[str], best: str) -> tuple[list, list[float]]:
    """The units of ``paragraphs``, the one holding ``best`` scored 1, the rest 0."""
    found = units(paragraphs)
    return found, [1.0 if best in unit.text else 0.0 for unit in found]


def test_units_number_the_pieces_as_the_index_cuts_them() -> None:
    paragraphs = ["一。二；三", "", "四！"]
    found = units(paragraphs)
    assert [unit.text for unit in found] == ["一。", "二；", "三", "四！"]
    pieces = [piece for paragraph in paragraphs for piece in sentences(paragraph)]
    # The empty paragraph is one (empty) piece of the index, and no unit.
    assert [found_piece for unit in found for found_piece in unit.pieces] == [0, 1, 2, 4]
    assert len(pieces) == 5


def test_units_join_a_sentence_cut_inside_brackets() -> None:
    text = "採取隨機抽查方式(註:5人以下,全員檢查;5—20人,抽查50%;20人以上抽查30%);抽查內容包括微笑。"
    found = units([text])
    assert [unit.text for unit in found] == [
        "採取隨機抽查方式(註:5人以下,全員檢查;5—20人,抽查50%;20人以上抽查30%);",
        "抽查內容包括微笑。",
    ]
    assert found[0].pieces == (0, 1, 2)


def test_units_keep_the_documents_spaces_between_english_sentences() -> None:
    found = units(["Greet the customer; offer a seat. Then ask!"])
    assert [(unit.text, unit.spaced) for unit in found] == [
        ("Greet the customer;", False),
        ("offer a seat. Then ask!", True),
    ]


def test_a_short_text_is_shown_whole() -> None:
    found, scores = scored(["先問好。再請坐。", "最後送客。"], "再請坐")
    assert excerpt(found, scores, **SAMPLE).text == "先問好。再請坐。\n最後送客。"


def test_nothing_matched_shows_nothing() -> None:
    found, scores = scored(["先問好。"], "no such words")
    assert excerpt(found, scores, **SAMPLE).text == ""


def test_a_list_comes_whole_with_the_line_that_introduces_it() -> None:
    paragraphs = [
        "營業前須做好檢查工作,內容包括:A、門市環境衛生;",
        "B、台席物品齊備情況;",
        "C、單據資源使用情況;",
        "D、設備運轉情況。",
        "班前檢查完畢後開門營業,並向店長報告檢查結果與發現的問題。",
    ]
    found, scores = scored(paragraphs, "內容包括")
    shown = excerpt(found, scores, **SAMPLE)
    assert shown.text.splitlines() == [
        "營業前須做好檢查工作,內容包括:",
        "A、門市環境衛生;",
        "B、台席物品齊備情況;",
        "C、單據資源使用情況;",
        "D、設備運轉情況。",
    ]
    assert shown.hidden_items == 0


def test_a_list_too_long_for_the_card_counts_what_it_leaves_out() -> None:
    items = [f"{n}、第{n}項要檢查的事情寫在這裡,寫得很長很長很長;" for n in range(1, 9)]
    found, scores = scored(["主管的主要職責有:", *items], "職責有")
    shown = excerpt(found, scores, budget=100, whole_below=40, second_below=100)
    lines = shown.text.splitlines()
    assert lines[0] == "主管的主要職責有:"
    assert len(lines) - 1 + shown.hidden_items == 8
    assert shown.hidden_items > 0
    assert all(line in ["主管的主要職責有:", *items] for line in lines)  # whole items only


def test_a_line_ending_in_a_colon_brings_the_next_paragraph() -> None:
    paragraphs = [
        "值班經理是門市運作的指揮者,負責上傳下達。值班經理的主要職責有:",
        "外部服務:處理疑難問題;內部管理:檢查與培訓。",
        "現場工作時間應不少於80%,營業忙時不得離開現場,投訴客戶出現異常須立即到場。",
    ]
    found, scores = scored(paragraphs, "職責有")
    assert excerpt(found, scores, **SAMPLE).text == (
        "值班經理的主要職責有:\n外部服務:處理疑難問題;內部管理:檢查與培訓。"
    )


def test_text_the_document_broke_off_is_left_out() -> None:
    paragraphs = [
        "VIP接待強調的是個性化的一站式服務,方便、高效、快捷。 "
        "VIP接待的主要職責:根據VIP客戶需要準確、"
    ]
    found = units(paragraphs)
    # Best scored is the broken-off piece; the card shows the whole sentence instead.
    shown = excerpt(found, [0.5, 1.0], budget=200, whole_below=40, second_below=100)
    assert shown.text == "VIP接待強調的是個性化的一站式服務,方便、高效、快捷。"
    short = excerpt(found, [0.5, 1.0], budget=200, whole_below=500, second_below=100)
    assert short.text == shown.text


def test_what_lies_between_two_chosen_sentences_is_shown_too() -> None:
    paragraphs = [
        "正式工作時以標準坐姿在台席前等待客戶,保持輕鬆心態。"
        "當發現有客戶進入時,起立並略為傾身、點頭、微笑向客戶問好;"
        "當俱樂部內所有台席已滿時,如再有大客戶進入,則應主動上前迎接客戶,引領客戶就坐等候。"
    ]
    found = units(paragraphs)
    shown = excerpt(found, [1.0, 0.0, 0.9], budget=300, whole_below=40, second_below=100)
    assert shown.text == paragraphs[0]


def test_a_rhyme_run_together_is_shown_as_its_lines() -> None:
    rhyme = "班前擊掌提提神著裝台席檢查細激勵員工要努力巡視總結要做細"
    assert verse(rhyme) == ["班前擊掌提提神", "著裝台席檢查細", "激勵員工要努力", "巡視總結要做細"]
    assert readable("服務標準口訣" + rhyme) == "服務標準口訣：\n" + "\n".join(verse(rhyme) or [])
    # A rhyme by its place (a 口訣 step) keeps a leftover heading on its last line.
    assert readable(rhyme + "服務標準", is_verse=True).splitlines()[-1] == "巡視總結要做細服務標準"
    assert verse("這是一句有標點的話,不是口訣。") is None


def test_a_sub_heading_run_into_its_sentence_is_set_off() -> None:
    assert (
        readable("分流根據客戶要辦理的業務類型引導客戶。")
        == "分流：根據客戶要辦理的業務類型引導客戶。"
    )
    assert (
        readable("詢問與核實詢問客戶要辦理的業務類型。") == "詢問與核實：詢問客戶要辦理的業務類型。"
    )
    # Who acts is the sentence's subject, not a heading; 當天 is a word.
    for sentence in ("客戶對於資費有疑問時要耐心解釋。", "營業員當天要做的事情很多。"):
        assert readable(sentence) == sentence


def test_readable_paragraphs_keep_every_word_of_the_document() -> None:
    paragraphs = ["分流根據客戶要辦理的業務類型引導客戶。當客戶離開時,送出道別語。", "溫馨提示"]
    shown = readable_paragraphs(paragraphs)
    assert [line.replace("：", "") for line in shown] == paragraphs


def test_when_only_a_broken_off_piece_matches_the_opening_sentence_is_shown() -> None:
    paragraphs = [
        "業務受理崗強調的是一站式服務,方便、高效、快捷為客戶實現服務需要。",
        "業務受理的主要職責有:根據客戶需要準確、",
    ]
    found = units(paragraphs)
    shown = excerpt(found, [0.0, 1.0], budget=200, whole_below=10, second_below=100)
    assert shown.text == paragraphs[0]
    alone = excerpt(found[1:], [1.0], budget=200, whole_below=10, second_below=100)
    assert alone.text == paragraphs[1] + "…"
