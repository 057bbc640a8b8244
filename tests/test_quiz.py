"""Quiz questions cut from the SOP: grounded answers, wrong options that stay wrong, limits."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from rapidfuzz import fuzz

from bot import cli
from knowledge import Step, parse_sources
from knowledge.normalize import fold
from knowledge.quiz import (
    KINDS,
    QuizQuestion,
    find_quantities,
    generate_questions,
    mnemonic_phrases,
    rule_words,
    split_sentences,
)

SEEDS = range(25)
PER_QUIZ = 5  # the seed SOP has five mnemonics, and a quiz blanks each at most once
TRAILING = "。；;！!？?，, "
# The rule flips the brief allows: drop the prohibition (→ 可以) or the obligation (→ 不必).
FLIPS = {
    "切不可": "可以",
    "切忌": "可以",
    "切勿": "可以",
    "不得": "可以",
    "不可": "可以",
    "不要": "可以",
    "不能": "可以",
    "不應": "可以",
    "必須": "不必",
    "應該": "不必",
    "應當": "不必",
    "應": "不必",
}
CHINESE_NUMBERS = dict(
    zip("一兩二三四五六七八九十", (1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10), strict=True)
)


@pytest.fixture(scope="module")
def steps() -> list[Step]:
    return [step for source in parse_sources() for step in source.steps]


@pytest.fixture(scope="module")
def asked(steps: list[Step]) -> dict[str, list[QuizQuestion]]:
    """Questions of each kind: short quizzes over many seeds, and long ones that use it all."""
    return {
        kind: [
            question
            for seed, n in [*((seed, PER_QUIZ) for seed in SEEDS), (100, 500), (101, 500)]
            for question in generate_questions(steps, n, seed=seed, kinds=[kind])
        ]
        for kind in KINDS
    }


def role_sentences(steps: list[Step]) -> dict[str, list[str]]:
    """Every role's sentences, folded."""
    found: dict[str, list[str]] = {}
    for step in steps:
        for paragraph in (*step.body, *step.tips):
            found.setdefault(step.role, []).extend(map(fold, split_sentences(paragraph)))
    return found


def quoted(question: str) -> str:
    """The text between the first 「 and the last 」 of a question."""
    return question[question.index("「") + 1 : question.rindex("」")]


def values(option: str) -> tuple[float, ...]:
    digits = re.findall(r"\d+(?:\.\d+)?", option)
    if digits:
        return tuple(float(d) for d in digits)
    return (float(sum(CHINESE_NUMBERS[c] for c in option if c in CHINESE_NUMBERS)),)


def test_generate_questions_makes_every_kind_from_the_seed_sop(steps: list[Step]) -> None:
    for kind in KINDS:
        quizzes = [generate_questions(steps, PER_QUIZ, seed=seed, kinds=[kind]) for seed in SEEDS]
        assert all(len(quiz) == PER_QUIZ for quiz in quizzes), kind
        assert {q.kind for quiz in quizzes for q in quiz} == {kind}
        # Varied: many different questions (a duty question's text names only the role,
        # so it counts with its answer).
        assert len({(q.question, q.answer) for quiz in quizzes for q in quiz}) > 3 * PER_QUIZ, kind


def test_quiz_questions_hold_telegram_limits(asked: dict[str, list[QuizQuestion]]) -> None:
    for question in (q for kind in KINDS for q in asked[kind]):
        assert 0 < len(question.question) <= 300, question
        assert 2 <= len(question.options) <= 10, question
        assert all(0 < len(option) <= 100 for option in question.options), question
        assert len(set(question.options)) == len(question.options), question
        assert 0 <= question.correct < len(question.options), question
        assert 0 < len(question.explanation) <= 200, question
        assert question.source and question.step_id and " › " in question.breadcrumb


def test_quiz_questions_have_an_english_wording_around_the_same_sop_text(
    asked: dict[str, list[QuizQuestion]],
) -> None:
    for kind in KINDS:
        worded = [q for q in asked[kind] if q.question_en]
        # Nearly all fit Telegram's limit in English too; the rest fall back to Chinese.
        assert len(worded) >= 0.9 * len(asked[kind]), kind
        for question in worded:
            text, options, explanation = question.in_english()
            assert 0 < len(text) <= 300 and 0 < len(explanation) <= 200, question
            assert re.search(r"[A-Za-z]{3}", text) and re.search(r"[A-Za-z]{3}", explanation)
            # The SOP's own words stay as written: whatever the Chinese question quotes.
            assert all(quote in text for quote in re.findall(r"「([^」]+)」", question.question))
            if kind == "truefalse":
                assert options == ("True", "False")
                assert explanation.startswith("True" if question.correct == 0 else "False")
            else:
                assert options == question.options  # SOP text, in the SOP's words


def test_quiz_number_answer_is_in_the_source_and_distractors_differ(
    asked: dict[str, list[QuizQuestion]],
) -> None:
    for question in asked["number"]:
        assert question.answer in question.source
        assert "＿＿" in question.question
        filled = quoted(question.question).replace("…", "").replace("＿＿", question.answer)
        assert filled in question.source
        unit = re.sub(r"^[\d.\-—一二兩三四五六七八九十]+", "", question.answer)
        for option in question.options:
            if option != question.answer:
                assert values(option) != values(question.answer), question
                assert option.endswith(unit), question


def test_quiz_role_quote_belongs_to_the_answer_and_to_no_distractor(
    steps: list[Step], asked: dict[str, list[QuizQuestion]]
) -> None:
    sentences = role_sentences(steps)
    for question in asked["role"]:
        quote = quoted(question.question)
        assert quote in question.source
        assert question.answer in question.breadcrumb
        assert quote in "".join(
            text for s in steps if s.role == question.answer for text in (*s.body, *s.tips)
        )
        for role in question.options:
            assert fold(role) not in fold(quote), question
            if role == question.answer:
                continue
            closest = max(fuzz.partial_ratio(fold(quote), s) for s in sentences[role])
            assert closest < 70, (question.question, role)


def test_quiz_duty_answer_is_the_roles_own_task_and_no_option_is_another_of_its(
    steps: list[Step], asked: dict[str, list[QuizQuestion]]
) -> None:
    assert asked["duty"]
    for question in asked["duty"]:
        role = re.search(r"做「(.+?)」時", question.question)[1]
        own = {s.title for s in steps if s.role == role}
        assert question.answer in own and question.answer in question.source
        assert all(o not in own for o in question.options if o != question.answer)


def test_quiz_asks_about_the_work_not_where_steps_sit_in_the_document(
    asked: dict[str, list[QuizQuestion]],
) -> None:
    structure = ("緊接在", "之前的是哪一步", "之後的是哪一步", "排在最前面", "包含以下哪一步")
    for questions in asked.values():
        for question in questions:
            assert not any(words in question.question for words in structure), question


def test_quiz_mnemonic_blank_is_one_phrase_of_that_mnemonic(
    asked: dict[str, list[QuizQuestion]],
) -> None:
    for question in asked["mnemonic"]:
        assert question.answer in question.source
        shown = question.question.splitlines()[1].split("，")
        blank = "＿" * len(question.answer)
        assert blank in shown
        assert "".join(question.answer if p == blank else p for p in shown) in question.source
        for option in question.options:
            assert option == question.answer or option not in question.source, question


def test_quiz_truefalse_statement_is_the_rule_or_its_flip(
    asked: dict[str, list[QuizQuestion]],
) -> None:
    answers = set()
    for question in asked["truefalse"]:
        assert question.options == ("對", "錯")
        rule = question.source.rstrip(TRAILING)
        statement = quoted(question.question)
        answers.add(question.answer)
        if question.answer == "對":
            assert statement == rule
            continue
        flips = {
            rule[:i] + flipped + rule[i + len(word) :]
            for word, flipped in FLIPS.items()
            for i in [m.start() for m in re.finditer(word, rule)]
        }
        assert statement in flips, question
        assert statement not in question.source
    assert answers == {"對", "錯"}


def test_generate_questions_is_deterministic_per_seed(steps: list[Step]) -> None:
    first = generate_questions(steps, 15, seed=7)
    assert first == generate_questions(steps, 15, seed=7)
    assert first != generate_questions(steps, 15, seed=8)


def test_generate_questions_honours_n_and_spreads_over_kinds_and_roles(
    steps: list[Step],
) -> None:
    for n in (1, 5, 20, 60):
        assert len(generate_questions(steps, n, seed=n)) == n
    questions = generate_questions(steps, 20, seed=3)
    assert {q.kind for q in questions} == set(KINDS)
    assert len({q.breadcrumb.split(" › ")[1] for q in questions}) >= 7
    assert len({q.source for q in questions}) == len(questions)
    assert generate_questions(steps, 0) == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("門市保全", "門市保全"),
        ("门市保全", "門市保全"),
        ("vip接待", "VIP接待"),
        ("店長", "值班經理"),
    ],
)
def test_generate_questions_keeps_to_the_role_named_in_either_script(
    steps: list[Step], role: str, expected: str
) -> None:
    aliases = {"值班經理": ("店長",)}  # a catalog alias, fixed here so catalog edits don't matter
    for seed in range(5):
        questions = generate_questions(steps, 10, role=role, seed=seed, aliases=aliases)
        assert len(questions) == 10
        assert all(q.breadcrumb.split(" › ")[1] == expected for q in questions)
    assert generate_questions(steps, 5, role="收銀員") == []


def test_generate_questions_rejects_unknown_kinds(steps: list[Step]) -> None:
    with pytest.raises(ValueError, match="essay"):
        generate_questions(steps, 3, kinds=["essay"])


def test_generate_questions_reads_a_new_sop_without_a_question_bank() -> None:
    def step(role: str, number: str, title: str, body: str, tips: tuple[str, ...] = ()) -> Step:
        section = "服務標準口訣" if title == "口訣" else "服務標準說明"
        return Step("倉庫作業規範", 1, role, section, number, title, (body,), tips)

    made_up = [
        step("收貨員", "", "口訣", "卸貨之前先點數單貨相符再簽收破損貨物要拍照入庫上架按區域"),
        step(
            "收貨員", "1", "點數", "貨車到達後20分鐘內開始卸貨,逐箱點數。", ("切忌未點數就簽收。",)
        ),
        step("收貨員", "2", "驗貨", "發現破損必須拍照留底,並通知供應商。"),
        step("收貨員", "3", "簽收", "單貨相符後在送貨單上簽名。"),
        step("收貨員", "4", "入庫", "貨物按區域上架,高度不得超過2米。"),
        step("收貨員", "5", "記錄", "每日下班前把收貨記錄交給主管。"),
        step("揀貨員", "", "口訣", "領單核對看清楚揀貨順路不回頭掃碼確認防錯漏打包封箱貼標籤"),
        step("揀貨員", "1", "領單", "每張揀貨單最多包含30個品項。"),
        step("揀貨員", "2", "揀貨", "按貨架順序揀貨,不要來回走動。"),
        step("叉車司機", "1", "檢查", "開車前檢查剎車、喇叭與電量。"),
        step("叉車司機", "2", "行駛", "倉內行駛速度不得超過5公里,轉彎時應鳴笛。"),
    ]
    questions = generate_questions(made_up, 30, seed=1, aliases={})
    text = "".join(t for s in made_up for t in (*s.body, *s.tips))
    assert {q.kind for q in questions} == set(KINDS)
    assert all(q.source in text or q.kind == "duty" for q in questions)
    assert {q.answer for q in questions if q.kind == "number"} <= {"20分鐘", "2米", "30個"}


def test_find_quantities_reads_ranges_chinese_numerals_and_codes() -> None:
    found = find_quantities("營業前15-30分鐘開會,超過三分鐘的,隨時撥打1860,不少於80%,一站式服務")
    assert [q.text for *_, q in found] == ["15-30分鐘", "三分鐘", "1860", "80%"]


def test_mnemonic_phrases_cuts_seven_characters_and_drops_a_stray_heading() -> None:
    text = "起身迎候笑一笑辦一安二要做到業務演示要直觀服務標準流程說明"
    assert mnemonic_phrases(text) == ("起身迎候笑一笑", "辦一安二要做到", "業務演示要直觀")
    assert mnemonic_phrases("班前擊掌提提神，著裝台席檢查細，激勵員工要努力") == (
        "班前擊掌提提神",
        "著裝台席檢查細",
        "激勵員工要努力",
    )


def test_rule_words_finds_rules_but_not_conditions_or_compounds() -> None:
    assert rule_words("營業忙時不得離開現場") == [(4, "不得")]
    assert rule_words("若出現異常情況,應及時匯報") == [(8, "應")]
    assert rule_words("採取應急措施,提供相應的服務") == []
    assert rule_words("如確實存在問題且必須立刻解決時") == []
    assert rule_words("離開台席時注意不要把坐椅弄響") == []


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, steps: list[Step]) -> CliRunner:
    # The quiz needs only the steps; building the search index would just cost time.
    monkeypatch.setattr(cli, "open_knowledge", lambda index: SimpleNamespace(steps=steps))
    return CliRunner()


def test_quiz_cli_prints_one_json_object_per_question(runner: CliRunner) -> None:
    result = runner.invoke(cli.cli, ["quiz", "--json", "-n", "6", "--seed", "4"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 6
    keys = {"kind", "question", "options", "correct", "explanation", "source", "breadcrumb"}
    assert all(set(record) == keys for record in records)
    assert all(record["options"][record["correct"]] for record in records)
    again = runner.invoke(cli.cli, ["quiz", "--json", "-n", "6", "--seed", "4"])
    assert again.output == result.output


def test_quiz_cli_keeps_to_a_role_and_prints_readably(runner: CliRunner) -> None:
    result = runner.invoke(cli.cli, ["quiz", "--json", "-n", "4", "--role", "门市保全"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 4
    assert all("門市保全" in json.loads(line)["breadcrumb"] for line in lines)
    readable = runner.invoke(cli.cli, ["quiz", "-n", "3", "--seed", "1"])
    assert readable.exit_code == 0 and readable.output.count("✓") == 3
    unknown = runner.invoke(cli.cli, ["quiz", "--role", "收銀員"])
    assert unknown.exit_code != 0 and "收銀員" in unknown.output
