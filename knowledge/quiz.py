"""Quiz questions made from the SOP text itself, so a new SOP yields new questions.

No question bank is written by hand: every question is cut from a shape the text
already has, and every correct answer is a piece of that text.

* ``number``: a quantity in a sentence (1.5米, 15-30分鐘, 80%, 1860) is blanked out; the
  wrong options are other quantities of the same unit in the SOP, or round values near
  the true one, never equal to it.
* ``role``: which role a sentence belongs to, asked only about sentences that no other
  role of the document has in nearly the same words, and that name no role.
* ``duty``: which of four tasks (step titles) is a role's own; the wrong options are other
  roles' tasks unlike any of its own. Where steps sit in the document (which comes right
  before 業務協助, which comes first) is not asked: that is the document's structure, not
  the work staff practise.
* ``mnemonic``: one phrase of a 服務標準口訣 blanked out; the wrong options are phrases
  of the other roles' mnemonics.
* ``truefalse``: a rule sentence (切忌, 不得, 必須, 應…) as written (true), or with its
  one rule word flipped, 不得 → 可以 or 應 → 不必 (false).

Pure functions of :class:`~knowledge.model.Step` lists: no Telegram, no storage. The
same seed always gives the same questions, options and option order.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from knowledge.corpus import load_catalog
from knowledge.model import Step
from knowledge.normalize import CJK_RE, fold
from knowledge.parse_text import POSITION, PROCEDURE, REQUIREMENTS

NUMBER, ROLE, DUTY, MNEMONIC, TRUEFALSE = "number", "role", "duty", "mnemonic", "truefalse"
KINDS = (NUMBER, ROLE, DUTY, MNEMONIC, TRUEFALSE)

# Telegram's quiz poll limits.
MAX_QUESTION = 300
MAX_OPTION = 100
MAX_EXPLANATION = 200
MAX_OPTIONS = 10
CHOICES = 4  # options of a multiple-choice question: the answer and three distractors

TRUE_FALSE_OPTIONS = ("對", "錯")
TRUE_FALSE_OPTIONS_EN = ("True", "False")
BLANK = "＿＿"
ELLIPSIS = "…"
SEPARATOR = " › "

# Sections that describe the job advert rather than how the work is done.
NOT_PROCEDURE = {REQUIREMENTS, POSITION}
MNEMONIC_MARK = "口訣"

# A role question is skipped when another role has a sentence like the quote, for then
# that option would be right too. "Like" is any of: rapidfuzz partial_ratio of the whole
# quote, the share of the quote's character pairs the sentence has, or one clause of the
# quote found nearly verbatim (tuned on the seed SOP, where shared duties score above
# these and distinct ones below).
SHARED_SENTENCE = 60
SHARED_BIGRAMS = 0.4
SHARED_CLAUSE = 85
CLAUSE_MIN_CHARS = 6
# A word in this share of the roles' sentences names none of them (客戶, 門市, 業務).
GENERIC_SHARE = 0.6
# A distractor step title this similar to one of the role's own titles could be right.
SIMILAR_TITLE = 50
# A distractor mnemonic phrase this similar to the answer is a trick, not a test.
SIMILAR_PHRASE = 70

QUOTE_CHARS = (12, 120)
STATEMENT_CHARS = (8, 150)
CONTEXT_SIDE = 90  # characters of a long sentence kept on each side of a blank

OPENING = "(（“「『《"
CLOSING = ")）”」』》"
SENTENCE_END = "。；;！!？?"
CLAUSE_END = ",，、:：" + SENTENCE_END
TRAILING = "。；;！!？?，, "

# Quantities: digits or Chinese numerals with a unit; a range keeps both ends.
UNITS = "分鐘|小時|個月|米|張|人|日|天|年|歲|度|次|%|％"
ARABIC_RE = re.compile(
    rf"(?<![\d.A-Za-z第])(?P<a>\d+(?:\.\d+)?)"
    rf"(?:(?P<sep>[-—–~～至到])(?P<b>\d+(?:\.\d+)?))?(?P<unit>{UNITS})"
)
# 一 is also the article "a" (一站式, 一天工作), so it only counts before time units.
CHINESE_RE = re.compile(
    r"(?<![第\d一二兩三四五六七八九十])(?P<a>[一二兩三四五六七八九十]{1,3})"
    r"(?P<unit>分鐘|小時|個月|米|張|人|年|歲|度)"
)
CHINESE_ONE_UNITS = {"分鐘", "小時"}
# A bare number of three or more digits is a code: a hotline (1860), 110.
CODE_RE = re.compile(r"(?<![\d.A-Za-z])[1-9]\d{2,}(?![\d.A-Za-z%％])")
ENUMERATOR_RE = re.compile(r"^[A-Za-z][、.．]\s*")
CHINESE_DIGITS = "零一兩三四五六七八九"
CHINESE_VALUES = {"一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
CHINESE_VALUES |= {"八": 8, "九": 9}
UNIT_CAPS = {"%": 100, "度": 360, "日": 31, "歲": 100, "個月": 12}

# Rule words, longest first, and what turns each rule into its opposite.
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
# 應 is a rule word only as a modal: after a clause break or a subject/adverb, not inside
# 相應, 供應, 應急, 應用…
MODAL_BEFORE = "都則也還均亦並即就員時"
NOT_MODAL_AFTER = "急變用對聘酬付允邀運徵聲"
# Words that do not survive a flip: 不得不, 不可能, 必須需…
NOT_RULE_AFTER = {"不得": "不了已", "不可": "能思或", "必須": "需須", "不能": "不"}
# "注意不要…" flipped reads "注意可以…": skip rules governed by these.
GOVERNED_BY = ("注意", "切記", "記得", "務必", "請")
# A rule word inside a clause that opens with these is part of a condition.
CONDITIONS = ("如", "若", "假如", "當", "遇")


@dataclass(frozen=True)
class QuizQuestion:
    """One quiz question, ready for a Telegram quiz poll.

    ``source`` is the SOP text the question was cut from; ``correct`` indexes
    ``options``; ``breadcrumb`` and ``step_id`` point at the step to read afterwards.
    """

    kind: str
    question: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    source: str
    breadcrumb: str
    step_id: str
    # The same question for English readers: the wording in English around the SOP's own
    # (Chinese) text, which stays as written. Empty where the English would not fit.
    question_en: str = ""
    explanation_en: str = ""
    options_en: tuple[str, ...] = ()  # only where the options are words, not SOP text

    def in_english(self) -> tuple[str, tuple[str, ...], str]:
        """(question, options, explanation) for an English reader."""
        return (
            self.question_en or self.question,
            self.options_en or self.options,
            self.explanation_en or self.explanation,
        )

    @property
    def answer(self) -> str:
        return self.options[self.correct]

    def as_dict(self) -> dict[str, object]:
        """The record `sopbot quiz --json` prints."""
        return {
            "kind": self.kind,
            "question": self.question,
            "options": list(self.options),
            "correct": self.correct,
            "explanation": self.explanation,
            "source": self.source,
            "breadcrumb": self.breadcrumb,
        }


def generate_questions(
    steps: Sequence[Step],
    n: int,
    role: str | None = None,
    seed: int | str | None = None,
    kinds: Iterable[str] | None = None,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> list[QuizQuestion]:
    """Make up to ``n`` quiz questions from ``steps``, spread over kinds, roles and steps.

    ``role`` keeps questions about that role, named in either script or by an alias
    (店長 → 值班經理); the other roles still serve as wrong options. ``aliases`` are the
    words that point at each role (by default the catalog's): a role question never
    quotes a sentence holding one, since it would give the answer away. Fewer than
    ``n`` questions come back only when the material runs out.
    """
    wanted = tuple(kinds) if kinds is not None else KINDS
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown quiz kind(s): {', '.join(unknown)}")
    if n <= 0:
        return []
    if aliases is None:
        aliases = load_catalog().roles
    frozen_aliases = tuple(sorted((name, tuple(words)) for name, words in aliases.items()))
    material: list[_Material] = list(_material(tuple(steps), frozen_aliases))
    if role is not None:
        roles = role_names(role, steps, aliases)
        material = [item for item in material if item.step.role in roles]
    material = [item for item in material if item.kind in wanted]
    if seed is None:
        seed = random.randrange(2**32)
    return _pick(material, n, seed, [kind for kind in KINDS if kind in wanted])


def role_names(role: str, steps: Iterable[Step], aliases: Mapping[str, Sequence[str]]) -> set[str]:
    """The roles ``role`` names: by name in either script (门市保全), or by an alias (店長)."""
    wanted = fold(role)
    names = {step.role for step in steps if step.role}
    return {
        name
        for name in names
        if wanted == fold(name) or any(wanted == fold(alias) for alias in aliases.get(name, ()))
    }


# --- Choosing ----------------------------------------------------------------------


def _pick(
    material: Sequence[_Material], n: int, seed: int | str, kinds: list[str]
) -> list[QuizQuestion]:
    """Take questions kind by kind, each time from the least-asked step and role."""
    rng = random.Random(f"quiz:{seed}")
    queues = {kind: [item for item in material if item.kind == kind] for kind in kinds}
    for queue in queues.values():
        rng.shuffle(queue)
    order = list(kinds)
    rng.shuffle(order)
    by_step: Counter[str] = Counter()
    by_role: Counter[tuple[int, str]] = Counter()
    sources: set[str] = set()  # the same sentence twice would give one answer away
    picked: list[QuizQuestion] = []
    while len(picked) < n and any(queues.values()):
        for kind in order:
            queue = queues[kind]
            while queue and len(picked) < n:
                best = min(
                    range(len(queue)),
                    key=lambda i: (
                        queue[i].source in sources,
                        by_step[queue[i].step.id],
                        by_role[queue[i].step.doc_no, queue[i].step.role],
                        i,
                    ),
                )
                item = queue.pop(best)
                if item.source in sources:
                    continue
                question = item.build(random.Random(f"{seed}:{item.key}"))
                if question is None:
                    continue
                sources.add(item.source)
                by_step[item.step.id] += 1
                by_role[item.step.doc_no, item.step.role] += 1
                picked.append(question)
                break
    return picked


@dataclass(frozen=True)
class _Material:
    """Text a question can be made from; ``build`` draws its options and their order."""

    kind: str
    step: Step
    key: str
    source: str

    def build(self, rng: random.Random) -> QuizQuestion | None:
        raise NotImplementedError


@lru_cache(maxsize=8)
def _material(
    steps: tuple[Step, ...], aliases: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[_Material, ...]:
    """Everything the steps offer, independent of the seed (so it is worked out once)."""
    corpus = _Corpus(steps, dict(aliases))
    found: list[_Material] = []
    found += _number_material(corpus)
    found += _role_material(corpus)
    found += _duty_material(corpus)
    found += _mnemonic_material(corpus)
    found += _truefalse_material(corpus)
    unique: dict[str, _Material] = {}
    for item in found:
        unique.setdefault(item.key, item)
    return tuple(unique.values())


class _Corpus:
    """The steps, with the sentence lists every kind of question reads."""

    def __init__(self, steps: tuple[Step, ...], aliases: dict[str, tuple[str, ...]]) -> None:
        self.steps = steps
        self.aliases = aliases
        self.sections = {step.section for step in steps if step.section}
        self.roles_by_doc: dict[int, list[str]] = {}
        for step in steps:
            roles = self.roles_by_doc.setdefault(step.doc_no, [])
            if step.role and step.role not in roles:
                roles.append(step.role)

    def prose(self) -> Iterable[tuple[Step, str]]:
        """Every sentence of every procedure step (not mnemonics, not job adverts)."""
        for step in self.steps:
            if is_mnemonic(step) or step.section in NOT_PROCEDURE:
                continue
            for paragraph in (*step.body, *step.tips):
                for sentence in split_sentences(paragraph):
                    yield step, sentence


def is_mnemonic(step: Step) -> bool:
    return MNEMONIC_MARK in step.section


# --- Text helpers ------------------------------------------------------------------


def split_sentences(paragraph: str) -> list[str]:
    """Cut a paragraph after 。；！？ outside brackets; each piece is verbatim text."""
    pieces: list[str] = []
    depth = start = 0
    for i, char in enumerate(paragraph):
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(0, depth - 1)
        elif char in SENTENCE_END and depth == 0:
            pieces.append(paragraph[start : i + 1])
            start = i + 1
    pieces.append(paragraph[start:])
    return [piece.strip() for piece in pieces if CJK_RE.search(piece)]


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _left_context(text: str, limit: int) -> str:
    """The end of ``text``, at most ``limit`` characters, starting at a clause."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    cut = next((i + 1 for i, char in enumerate(tail) if char in CLAUSE_END), 0)
    return ELLIPSIS + tail[cut:]


def _right_context(text: str, limit: int) -> str:
    """The start of ``text``, at most ``limit`` characters, ending at a clause."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max((i for i, char in enumerate(head) if char in CLAUSE_END), default=limit)
    return head[:cut] + ELLIPSIS


def _where(step: Step) -> str:
    """Role › step (or document › step): enough to say where a sentence is from."""
    return SEPARATOR.join(part for part in (step.role or step.doc, step.label) if part)


def _breadcrumb(step: Step) -> str:
    return SEPARATOR.join(step.breadcrumb)


def _shuffled(
    answer: str, distractors: Sequence[str], rng: random.Random
) -> tuple[tuple[str, ...], int]:
    options = [answer, *distractors]
    rng.shuffle(options)
    return tuple(options), options.index(answer)


def _question(
    item: _Material,
    question: str,
    answer: str,
    distractors: Sequence[str],
    explanation: str,
    rng: random.Random,
    source: str | None = None,
    english: tuple[str, str] = ("", ""),
) -> QuizQuestion | None:
    """Shuffle the options in and check Telegram's limits; ``None`` when they fail.

    ``english`` is the (question, explanation) for English readers.
    """
    options, correct = _shuffled(answer, distractors, rng)
    if len(set(options)) != len(options) or not 2 <= len(options) <= MAX_OPTIONS:
        return None
    if len(question) > MAX_QUESTION or any(len(o) > MAX_OPTION or not o for o in options):
        return None
    question_en, explanation_en = english
    return QuizQuestion(
        kind=item.kind,
        question=question,
        options=options,
        correct=correct,
        explanation=shorten(explanation, MAX_EXPLANATION),
        source=item.source if source is None else source,
        breadcrumb=_breadcrumb(item.step),
        step_id=item.step.id,
        question_en=question_en if len(question_en) <= MAX_QUESTION else "",
        explanation_en=shorten(explanation_en, MAX_EXPLANATION) if explanation_en else "",
    )


# --- number ------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A number with its unit as the SOP writes it: ``1.5米``, ``15-30分鐘``, ``三分鐘``."""

    values: tuple[float, ...]
    unit: str  # "" for a code such as a hotline number
    style: str  # "arabic", "chinese" or "code"
    sep: str = ""
    unit_text: str = ""

    @property
    def text(self) -> str:
        return self.render(self.values)

    def render(self, values: tuple[float, ...]) -> str:
        """``values`` written the way this quantity is written."""
        if self.style == "chinese":
            numbers = [chinese_numeral(int(value)) for value in values]
        else:
            numbers = [f"{value:g}" if value % 1 else str(int(value)) for value in values]
        return self.sep.join(numbers) + self.unit_text


def chinese_numeral(value: int) -> str:
    """1–99 in Chinese numerals, as counts are written (兩 for 2)."""
    tens, ones = divmod(value, 10)
    if not tens:
        return CHINESE_DIGITS[ones]
    text = ("" if tens == 1 else "二三四五六七八九"[tens - 2]) + "十"
    return text + (CHINESE_DIGITS[ones] if ones else "").replace("兩", "二")


def parse_chinese_numeral(text: str) -> int:
    """十五 → 15, 二十 → 20, 兩 → 2."""
    if "十" not in text:
        return CHINESE_VALUES[text]
    tens, _, ones = text.partition("十")
    return (CHINESE_VALUES[tens] if tens else 1) * 10 + (CHINESE_VALUES[ones] if ones else 0)


def find_quantities(sentence: str) -> list[tuple[int, int, Quantity]]:
    """Every quantity in ``sentence`` with its span."""
    found: list[tuple[int, int, Quantity]] = []
    for match in ARABIC_RE.finditer(sentence):
        values = tuple(float(match[g]) for g in ("a", "b") if match[g])
        unit = "%" if match["unit"] in "%％" else match["unit"]
        quantity = Quantity(values, unit, "arabic", match["sep"] or "", match["unit"])
        found.append((match.start(), match.end(), quantity))
    for match in CHINESE_RE.finditer(sentence):
        if match["a"] == "一" and match["unit"] not in CHINESE_ONE_UNITS:
            continue
        try:
            value = float(parse_chinese_numeral(match["a"]))
        except KeyError:
            continue
        quantity = Quantity((value,), match["unit"], "chinese", "", match["unit"])
        found.append((match.start(), match.end(), quantity))
    taken = [(start, end) for start, end, _ in found]
    for match in CODE_RE.finditer(sentence):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        found.append((match.start(), match.end(), Quantity((float(match[0]),), "", "code")))
    return sorted(found, key=lambda item: item[0])


def _nice(value: float, integral: bool) -> bool:
    return value > 0 and (value % 1 == 0 if integral else (value * 2) % 1 == 0)


def nearby_values(quantity: Quantity) -> list[tuple[float, ...]]:
    """Round values near ``quantity`` in the same shape (single value or range)."""
    integral = all(value % 1 == 0 for value in quantity.values)
    cap = UNIT_CAPS.get(quantity.unit, math.inf)
    if quantity.style == "chinese":
        integral, cap = True, min(cap, 99)
    if quantity.style == "code":
        return _code_variants(str(int(quantity.values[0])))
    if len(quantity.values) == 1:
        (value,) = quantity.values
        step = 10 ** math.floor(math.log10(value)) if value >= 10 else (1 if integral else 0.5)
        # Nearest first: the options should be close calls, not absurd ones.
        raw = [value + step, value - step, value * 2, value / 2, value + 2 * step]
        raw += [value - 2 * step, value * 3, value + 3 * step, value * 5, value * 10]
        candidates: list[tuple[float, ...]] = [(v,) for v in raw]
    else:
        low, high = quantity.values
        factors = (2, 1 / 3, 3, 2 / 3, 1 / 2, 3 / 2)
        candidates = [(low * f, high * f) for f in factors]
        candidates += [(low, high * 2), (low, high * 1.5), (low, high / 2), (low / 2, high)]
    return [
        values
        for values in candidates
        if all(_nice(v, integral) and v <= cap for v in values)
        and (len(values) == 1 or values[0] < values[1])
    ]


def _code_variants(digits: str) -> list[tuple[float, ...]]:
    """Codes one slip away: a changed last digit, two neighbours swapped."""
    variants: list[str] = []
    for i in range(len(digits) - 1):
        variants.append(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    for position in (len(digits) - 1, len(digits) - 2):
        for digit in "0123456789":
            variants.append(digits[:position] + digit + digits[position + 1 :])
    return [(float(v),) for v in dict.fromkeys(variants) if v != digits and v[0] != "0"]


@dataclass(frozen=True)
class _NumberBlank(_Material):
    before: str
    after: str
    answer: Quantity
    known: tuple[Quantity, ...]  # the SOP's other quantities of the same unit and shape

    def build(self, rng: random.Random) -> QuizQuestion | None:
        correct = self.answer.values
        from_text = [q.values for q in self.known if _plausible(q.values, self.answer)]
        from_text = [values for values in from_text if values != correct]
        rng.shuffle(from_text)
        chosen = from_text[: CHOICES - 2]  # at most two, so a round value can still show up
        nearby = [v for v in dict.fromkeys(nearby_values(self.answer)) if v != correct]
        nearby = [v for v in nearby if v not in chosen][: CHOICES + 1]
        rng.shuffle(nearby)
        chosen += nearby[: CHOICES - 1 - len(chosen)]
        distractors = [self.answer.render(values) for values in chosen]
        if len(distractors) < CHOICES - 1:
            return None
        after = self.after.rstrip(TRAILING)  # a ";" ends the clause, not the quote
        context = f"{self.before}{BLANK}{after}"
        question = f"【{_where(self.step)}】\n「{context}」\n{BLANK}處應填入什麼？"
        explanation = f"{_where(self.step)}：{self.before}{self.answer.text}{after}"
        english = (
            f"【{_where(self.step)}】\n「{context}」\nWhat goes in the blank {BLANK}?",
            f"The SOP, {_where(self.step)}: {self.before}{self.answer.text}{after}",
        )
        return _question(
            self, question, self.answer.text, distractors, explanation, rng, english=english
        )


def _plausible(values: tuple[float, ...], answer: Quantity) -> bool:
    """Another SOP value is a fair distractor when within ten times the true one
    and writable the same way (三分鐘 takes whole numbers only)."""
    ratio = values[0] / answer.values[0]
    writable = answer.style != "chinese" or all(v % 1 == 0 and 0 < v < 100 for v in values)
    return len(values) == len(answer.values) and 0.1 < ratio < 10 and writable


def _number_material(corpus: _Corpus) -> list[_Material]:
    spotted = [
        (step, sentence, start, end, quantity)
        for step, sentence in corpus.prose()
        for start, end, quantity in find_quantities(sentence)
    ]
    by_unit: dict[tuple[str, str, int], list[Quantity]] = {}
    for *_, quantity in spotted:
        style = "code" if quantity.style == "code" else "count"
        group = by_unit.setdefault((quantity.unit, style, len(quantity.values)), [])
        if all(known.values != quantity.values for known in group):
            group.append(quantity)
    found: list[_Material] = []
    for step, sentence, start, end, quantity in spotted:
        before = _left_context(sentence[:start], CONTEXT_SIDE)
        after = _right_context(sentence[end:], CONTEXT_SIDE)
        if any(
            other.values == quantity.values and other.unit == quantity.unit
            for *_, other in find_quantities(before + after)
        ):
            continue  # the answer would stand in the question
        style = "code" if quantity.style == "code" else "count"
        known = tuple(by_unit[quantity.unit, style, len(quantity.values)])
        key = f"{NUMBER}:{step.id}:{sentence}:{start}"
        found.append(_NumberBlank(NUMBER, step, key, sentence, before, after, quantity, known))
    return found


# --- role --------------------------------------------------------------------------


@dataclass(frozen=True)
class _RoleQuote(_Material):
    quote: str
    roles: tuple[str, ...]  # every role of the document

    def build(self, rng: random.Random) -> QuizQuestion | None:
        others = [role for role in self.roles if role != self.step.role]
        distractors = rng.sample(others, min(CHOICES - 1, len(others)))
        question = f"《{self.step.doc}》中，「{self.quote}」是哪個崗位的規範？"
        explanation = f"{_where(self.step)}：{self.source.rstrip(TRAILING)}"
        english = (
            f"《{self.step.doc}》: whose rule is this? 「{self.quote}」",
            f"The SOP, {_where(self.step)}: {self.source.rstrip(TRAILING)}",
        )
        return _question(
            self, question, self.step.role, distractors, explanation, rng, english=english
        )


def _role_material(corpus: _Corpus) -> list[_Material]:
    found: list[_Material] = []
    for doc_no, roles in corpus.roles_by_doc.items():
        if len(roles) < 2:
            continue
        doc_steps = [step for step in corpus.steps if step.doc_no == doc_no and step.role]
        folded: dict[str, list[str]] = {role: [] for role in roles}
        described: dict[str, str] = {role: "" for role in roles}
        for step in doc_steps:
            for paragraph in (*step.body, *step.tips):
                folded[step.role] += [fold(s) for s in split_sentences(paragraph)]
            if not step.number and not is_mnemonic(step):
                described[step.role] += fold(step.text)
        telltales = _naming_words(roles, corpus.aliases, folded, described)
        for step, sentence in corpus.prose():
            if step.doc_no != doc_no or not step.role:
                continue
            quote = ENUMERATOR_RE.sub("", sentence.rstrip(TRAILING))
            if not QUOTE_CHARS[0] <= len(quote) <= QUOTE_CHARS[1]:
                continue
            key = fold(quote)
            if any(word in key for word in telltales):
                continue
            others = [other for role in roles if role != step.role for other in folded[role]]
            if not shares_wording(key, others):
                item_key = f"{ROLE}:{step.id}:{quote}"
                found.append(_RoleQuote(ROLE, step, item_key, sentence, quote, tuple(roles)))
    return found


def shares_wording(quote: str, others: Sequence[str]) -> bool:
    """Whether one of ``others`` says much the same as ``quote`` (all folded)."""
    if process.extractOne(quote, others, scorer=fuzz.partial_ratio, score_cutoff=SHARED_SENTENCE):
        return True
    pairs = _bigrams(quote)
    if pairs and any(len(pairs & _bigrams(o)) >= SHARED_BIGRAMS * len(pairs) for o in others):
        return True
    clauses = [c for c in re.split(f"[{CLAUSE_END}]", quote) if len(c) >= CLAUSE_MIN_CHARS]
    return any(
        process.extractOne(clause, others, scorer=fuzz.partial_ratio, score_cutoff=SHARED_CLAUSE)
        for clause in clauses
    )


@cache
def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def _naming_words(
    roles: list[str],
    aliases: Mapping[str, Sequence[str]],
    texts: Mapping[str, list[str]],
    described: Mapping[str, str],
) -> set[str]:
    """Folded words that point at a role, so a quote holding one gives the answer away.

    They are the role names; the aliases that act as names, because the role's own
    description uses them (諮詢導辦) or no other role's text does; and the halves of
    the names (演示, 經理, 保全, VIP), unless nearly every role's text uses them outside
    the names (客戶, 門市, 業務), for then they point at no role in particular.
    """
    names = {fold(role) for role in roles}
    names |= {fold(alias) for role in roles for alias in aliases.get(role, ())}
    plain = {role: [_without(sentence, names) for sentence in texts[role]] for role in roles}
    words = {fold(role) for role in roles}
    for role in roles:
        candidates = [(fold(alias), False) for alias in aliases.get(role, ())]
        candidates += [(half, True) for half in _name_halves(fold(role))]
        for word, is_half in candidates:
            if len(word) < 2:
                continue
            users = [r for r in roles if any(word in sentence for sentence in texts[r])]
            common = [r for r in roles if any(word in sentence for sentence in plain[r])]
            if len(common) >= GENERIC_SHARE * len(roles):
                continue
            if is_half or word in described[role] or users == [role]:
                words.add(word)
    return words


def _without(text: str, names: Iterable[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = text.replace(name, "|")
    return text


def _name_halves(name: str) -> list[str]:
    """``值班经理`` → 值班, 经理; ``vip接待`` → vip, 接待."""
    halves: list[str] = []
    for run in re.findall(r"[a-z0-9]{2,}|[^\x00-\x7f]{2,}", name):
        halves += [run] if run.isascii() or len(run) < 4 else [run[:2], run[-2:]]
    return halves


# --- order -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Duty(_Material):
    """Which of four tasks is this role's: its own step among other roles' steps."""

    pool: tuple[str, ...]  # other roles' step titles that are not like this role's

    def build(self, rng: random.Random) -> QuizQuestion | None:
        step = self.step
        distractors = rng.sample(self.pool, min(CHOICES - 1, len(self.pool)))
        question = f"做「{step.role}」時，以下哪一項是你的工作？"
        explanation = f"{step.label}是「{step.role}」的工作。"
        english = (
            f"As 「{step.role}」, which of these is your job?",
            f"{step.label} is a job of 「{step.role}」.",
        )
        return _question(self, question, step.title, distractors, explanation, rng, english=english)


def _numbered_groups(corpus: _Corpus) -> list[tuple[Step, ...]]:
    """Each role's titled, numbered steps of one section, in number order."""
    groups: dict[tuple[int, str, str], list[Step]] = {}
    for step in corpus.steps:
        if step.role and step.title and step.number.isdigit() and not is_mnemonic(step):
            groups.setdefault((step.doc_no, step.role, step.section), []).append(step)
    ordered = [tuple(sorted(group, key=lambda s: int(s.number))) for group in groups.values()]
    return [group for group in ordered if len({s.title for s in group}) == len(group) >= 2]


def _duty_material(corpus: _Corpus) -> list[_Material]:
    """A question per titled step of a role whose document's other roles have at least
    three tasks unlike any of this role's (so no wrong option could be right too)."""
    found: list[_Material] = []
    groups = _numbered_groups(corpus)
    for group in groups:
        first = group[0]
        rivals = [
            step.title
            for other in groups
            if other[0].doc_no == first.doc_no
            and other[0].role != first.role
            and other[0].section == first.section
            for step in other
        ]
        pool = tuple(
            dict.fromkeys(
                title
                for title in rivals
                if not any(_similar_titles(title, own.title) for own in group)
            )
        )
        if len(pool) < CHOICES - 1:
            continue
        for step in group:
            found.append(_Duty(DUTY, step, f"{DUTY}:{step.id}", step.label, pool))
    return found


def _similar_titles(a: str, b: str) -> bool:
    a, b = fold(a), fold(b)
    return fuzz.ratio(a, b) >= SIMILAR_TITLE or fuzz.partial_ratio(a, b) >= 2 * SIMILAR_TITLE


# --- mnemonic ----------------------------------------------------------------------


@dataclass(frozen=True)
class _MnemonicBlank(_Material):
    phrases: tuple[str, ...]
    index: int
    pool: tuple[str, ...]  # phrases of the other mnemonics

    def build(self, rng: random.Random) -> QuizQuestion | None:
        answer = self.phrases[self.index]
        fair = [
            phrase
            for phrase in self.pool
            if phrase not in self.phrases and fuzz.ratio(phrase, answer) < SIMILAR_PHRASE
        ]
        if len(fair) < CHOICES - 1:
            return None
        distractors = rng.sample(fair, CHOICES - 1)
        shown = list(self.phrases)
        shown[self.index] = "＿" * len(answer)
        owner = self.step.role or self.step.doc
        question = f"「{owner}」的{self.step.section}填空：\n{'，'.join(shown)}\n空格處是哪一句？"
        explanation = f"{owner}{self.step.section}：{'，'.join(self.phrases)}"
        english = (
            f"「{owner}」 {self.step.section}, fill in the blank:\n{'，'.join(shown)}\n"
            "Which phrase is missing?",
            f"The SOP, {owner} {self.step.section}: {'，'.join(self.phrases)}",
        )
        return _question(self, question, answer, distractors, explanation, rng, english=english)


def mnemonic_phrases(text: str, headings: Iterable[str] = (PROCEDURE,)) -> tuple[str, ...]:
    """Split a mnemonic into its phrases.

    Punctuation splits it when there is any; otherwise it is cut into equal phrases of
    7 (or 5, 4, 6) characters. A heading the parser left at the end (``服務標準流程說明``)
    is dropped; text that fits no phrase length gives no phrases.
    """
    parts = [part for part in re.split(r"[\s,，、。;；!！?？:：]+", text) if part]
    if len(parts) >= 3 and all(2 <= len(part) <= 12 for part in parts):
        return tuple(parts)
    joined = "".join(parts)
    headings = [fold(heading) for heading in headings]
    for size in (7, 5, 4, 6):
        for count in range(len(joined) // size, 2, -1):
            tail = joined[count * size :]
            if not tail or any(fuzz.ratio(fold(tail), heading) >= 80 for heading in headings):
                return tuple(joined[i * size : (i + 1) * size] for i in range(count))
    return ()


def _mnemonic_material(corpus: _Corpus) -> list[_Material]:
    split = {
        step: mnemonic_phrases(step.text, corpus.sections)
        for step in corpus.steps
        if is_mnemonic(step)
    }
    found: list[_Material] = []
    for step, phrases in split.items():
        if len(phrases) < 3:
            continue
        pool = tuple(
            dict.fromkeys(
                phrase
                for other, others in split.items()
                if other != step
                for phrase in others
                if len(phrase) == len(phrases[0])
            )
        )
        owner = fold(step.role or step.doc)
        for index in range(len(phrases)):
            if owner and owner in fold(phrases[index]):
                continue  # "業務演示要直觀" in 業務演示's mnemonic answers itself
            key = f"{MNEMONIC}:{step.id}:{index}"
            found.append(_MnemonicBlank(MNEMONIC, step, key, step.text, phrases, index, pool))
    return found


# --- truefalse ---------------------------------------------------------------------


@dataclass(frozen=True)
class _RuleStatement(_Material):
    statement: str  # the rule as written
    flipped: str  # the same with its rule word turned into the opposite
    word: str

    def build(self, rng: random.Random) -> QuizQuestion | None:
        true = rng.random() < 0.5
        shown = self.statement if true else self.flipped
        question = f"【{_where(self.step)}】\n判斷對錯：「{shown}」"
        verdict = "對" if true else f"錯，SOP 說的是「{self.word}」而不是「{FLIPS[self.word]}」"
        explanation = f"{verdict}。原文：{self.statement}"
        question_en = f"【{_where(self.step)}】\nTrue or false? 「{shown}」"
        verdict_en = (
            "True" if true else f"False: the SOP says 「{self.word}」, not 「{FLIPS[self.word]}」"
        )
        explanation_en = f"{verdict_en}. The SOP: {self.statement}"
        options = TRUE_FALSE_OPTIONS
        if len(question) > MAX_QUESTION:
            return None
        return QuizQuestion(
            kind=self.kind,
            question=question,
            options=options,
            correct=0 if true else 1,
            explanation=shorten(explanation, MAX_EXPLANATION),
            source=self.source,
            breadcrumb=_breadcrumb(self.step),
            step_id=self.step.id,
            question_en=question_en if len(question_en) <= MAX_QUESTION else "",
            explanation_en=shorten(explanation_en, MAX_EXPLANATION),
            options_en=TRUE_FALSE_OPTIONS_EN,
        )


def rule_words(sentence: str) -> list[tuple[int, str]]:
    """Where ``sentence`` states a rule: (position, rule word) for each one."""
    found: list[tuple[int, str]] = []
    words = sorted(FLIPS, key=len, reverse=True)
    i = 0
    while i < len(sentence):
        word = next((w for w in words if sentence.startswith(w, i)), None)
        if word is None:
            i += 1
            continue
        before = sentence[i - 1] if i else ""
        after = sentence[i + len(word) : i + len(word) + 1]
        usable = not after or after not in NOT_RULE_AFTER.get(word, "")
        if word == "應":
            modal = not before or before in CLAUSE_END or before in MODAL_BEFORE
            usable = modal and (not after or after not in NOT_MODAL_AFTER)
        if any(sentence[:i].endswith(governor) for governor in GOVERNED_BY):
            usable = False
        clause_start = max((sentence.rfind(mark, 0, i) for mark in CLAUSE_END), default=-1) + 1
        if sentence[clause_start:].startswith(CONDITIONS):
            usable = False  # "如確實存在問題且必須立刻解決時": a condition, not a rule
        if usable:
            found.append((i, word))
        i += len(word)
    return found


def _truefalse_material(corpus: _Corpus) -> list[_Material]:
    paragraphs = [fold(p) for step in corpus.steps for p in (*step.body, *step.tips)]
    found: list[_Material] = []
    for step, sentence in corpus.prose():
        statement = sentence.rstrip(TRAILING)
        if not STATEMENT_CHARS[0] <= len(statement) <= STATEMENT_CHARS[1]:
            continue
        if any(mark in statement for mark in "“”?？"):
            continue  # quoted speech and questions do not read as rules
        for position, word in rule_words(statement):
            flipped = statement[:position] + FLIPS[word] + statement[position + len(word) :]
            if any(fold(flipped) in paragraph for paragraph in paragraphs):
                continue  # the "false" statement is something the SOP does say
            key = f"{TRUEFALSE}:{step.id}:{statement}:{position}"
            found.append(_RuleStatement(TRUEFALSE, step, key, sentence, statement, flipped, word))
    return found
