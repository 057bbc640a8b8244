"""The texts of answers and SOP steps, as Telegram HTML: pure functions of core objects.

Each feature's own texts are beside it (``bot/<feature>/render.py``); this module holds
what they share (breadcrumbs, shortening, fitting Telegram's limit) and the answers.

The CLI prints the same strings (`sopbot ask` reports the bot's exact reply), so nothing
here imports Telegram. All SOP and user text is HTML-escaped; matched words are bold.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache

from bot.i18n import label, label_html
from knowledge.base import HIGH, NONE
from knowledge.corpus import load_catalog
from knowledge.excerpt import is_verse_step, readable_paragraphs
from knowledge.model import Answer, Hit, Step
from knowledge.normalize import EN, to_script, to_simplified
from knowledge.smalltalk import KINDS as SMALL_TALK

SEPARATOR = " › "
# The core chooses what a card shows from whole sentences, short enough for a phone
# (knowledge/excerpt.py); these limits only guard a document's one endless sentence.
PASSAGE_LIMIT = 600
TIP_LIMIT = 400
DOUBT_LIMIT = 160
TELEGRAM_LIMIT = 4096
# A document's or role's name, and a step's heading, as a breadcrumb shows them: an SOP may
# have a whole paragraph as a heading, which would push every answer citing it past 4096.
NAME_LIMIT = 80
HEADING_LIMIT = 160
SENTENCE_END_RE = re.compile(r"[。；;！？!?\n]")
CLAUSE_END_RE = re.compile(r"[，,、：:]")


def breadcrumb(step: Step, script: str) -> str:
    return html.escape(breadcrumb_text(step, script))


def breadcrumb_text(step: Step, script: str, levels: int = 3) -> str:
    """Document › role › step (plain text; the last ``levels``): names in English for
    English readers; the step's own heading stays as the SOP writes it."""
    *names, heading = step.breadcrumb[-levels:]
    shown = [shorten(name_in(name, script), NAME_LIMIT) for name in names]
    return SEPARATOR.join([*shown, to_script(shorten(heading, HEADING_LIMIT), script)])


def name_in(name: str, script: str) -> str:
    """A document's or role's name for the reader: its English name from the catalog for
    English readers (the Chinese one when it has none), else in the reader's script."""
    if script == EN:
        return english_names().get(name, name)
    return to_script(name, script)


@cache
def english_names() -> dict[str, str]:
    return load_catalog().english_names()


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters at a sentence end, else at a clause's end,
    so no half sentence reaches a reader unless a single clause is longer than that."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for ends in (SENTENCE_END_RE, CLAUSE_END_RE):
        found = [m.end() for m in ends.finditer(cut)]
        if found and found[-1] >= limit * 0.4:
            return cut[: found[-1]] + "…"
    return cut.rstrip() + "…"


def first_sentence(text: str) -> str:
    match = SENTENCE_END_RE.search(text)
    return text[: match.end()] if match else text


def highlight(text: str, terms: tuple[str, ...]) -> str:
    """Escape ``text`` and bold the places where the question's terms occur.

    Terms are in the folded (simplified) form; ``to_simplified`` keeps offsets, so a
    match found in the simplified text marks the same characters of the original.
    """
    folded = to_simplified(text.lower())
    marked = [False] * len(text)
    for term in terms:
        if len(term) < 2 and not term.isascii():
            continue
        start = folded.find(term)
        while start != -1:
            for i in range(start, min(start + len(term), len(text))):
                marked[i] = True
            start = folded.find(term, start + len(term))
    out, bold = [], False
    for char, mark in zip(text, marked, strict=True):
        if mark != bold:
            out.append("<b>" if mark else "</b>")
            bold = mark
        out.append(html.escape(char))
    if bold:
        out.append("</b>")
    return "".join(out)


def answer(result: Answer, buttons: bool = True) -> str:
    """The reply to a staff question (``buttons``: shown under it, as in Telegram)."""
    script = result.script
    if not result.hits or result.confidence == NONE:
        if result.problem in SMALL_TALK:
            return label_html(script, f"talk_{result.problem}")
        if result.problem:
            return html.escape(label(script, result.problem))
        # No step, or the closest only shares a word by chance: offering it would mislead.
        # Either way the reader hears the SOP does not answer it, and what to try instead.
        return html.escape(label(script, "no_answer"))
    note = f"<i>{label_html(script, 'too_long')}</i>\n\n" if result.problem == "too_long" else ""
    if result.confidence != HIGH:
        return note + not_found(result)
    return note + hit_card(result.hits[0], script, buttons)


def hit_card(hit: Hit, script: str, buttons: bool = True) -> str:
    """One step as a short card: breadcrumb, the sentences that answer, the best tip.

    What of the step and its tip is shown the core chose (``Hit.passage``,
    ``Hit.tip_passage``: whole sentences, a list whole or counted); the benchmark's
    reply@1 reads the same fields (knowledge.evaluate.shown).
    """
    lines = [f"<b>{breadcrumb(hit.step, script)}</b>"]
    passage = hit.passage
    if passage:
        lines.append(
            to_script(highlight(shorten(passage, PASSAGE_LIMIT), hit.matched_terms), script)
        )
    if hit.hidden_items and buttons:  # the pointer names the 📄 全文 button
        lines.append(f"<i>{label_html(script, 'more_items', n=hit.hidden_items)}</i>")
    if hit.tip_passage:
        tip = to_script(highlight(shorten(hit.tip_passage, TIP_LIMIT), hit.matched_terms), script)
        lines.append(f"{label_html(script, 'tip')}：{tip}")
    hidden_tips = len(hit.tips) - (1 if hit.tip_passage else 0)
    if hidden_tips and buttons:  # the hint points at the 📄 全文 button
        lines.append(f"<i>{label_html(script, 'more_tips', n=hidden_tips)}</i>")
    if not passage and not hit.tips:
        lines.append(html.escape(to_script(shorten(hit.step.text, PASSAGE_LIMIT), script)))
    return "\n\n".join(lines)


def sentences(script: str, *parts: str) -> str:
    """Sentences one after another: Chinese runs them together, English needs a space."""
    return (" " if script == EN else "").join(parts)


def not_found(result: Answer, limit: int = 3) -> str:
    """Say the SOP has no clear answer, then show the closest step and name the others.

    The closest step is often right after all (confidence is kept for answers that are
    almost never wrong), so it is shown as a card shows it, a list whole or counted;
    but the reply never presents it as the answer.
    """
    script = result.script
    closest, *others = result.hits[:limit]
    lines = [
        html.escape(sentences(script, label(script, "not_found"), label(script, "closest_is"))),
        "",
        f"<b>{breadcrumb(closest.step, script)}</b>",
    ]
    passage = closest.passage or closest.tip_passage or closest.step.text
    if passage:
        short = shorten(passage, PASSAGE_LIMIT)
        lines.append(to_script(highlight(short, closest.matched_terms), script))
    if closest.passage and closest.hidden_items:
        lines.append(f"<i>{label_html(script, 'more_items', n=closest.hidden_items)}</i>")
    if others:
        lines += ["", label_html(script, "also_close")]
        lines += [f"• {breadcrumb(hit.step, script)}" for hit in others]
    return "\n".join(lines)


def step_full(step: Step, script: str) -> str:
    """A whole step with all its tips (the 📄 全文 button), within Telegram's limit.

    A rhyme (口訣) is shown as its lines. A step too long for one message is cut at a
    paragraph (or inside the one that does not fit) with "…"; each part is escaped after
    it is cut, so the markup stays whole.
    """
    heading = f"<b>{breadcrumb(step, script)}</b>"
    tip = label_html(script, "tip")
    verse = is_verse_step(step.section, step.title)
    body = readable_paragraphs(step.body, verse)
    parts = [("", to_script(paragraph, script)) for paragraph in body]
    parts += [(f"{tip}：", to_script(text, script)) for text in readable_paragraphs(step.tips)]
    out, room = [heading], TELEGRAM_LIMIT - 10 - len(heading)
    for prefix, text in parts:
        room -= 2 + len(prefix)  # the blank line before it
        escaped = html.escape(text)
        if len(escaped) <= room:
            out.append(prefix + escaped)
            room -= len(escaped)
            continue
        cut = shorten(text, room)
        while len(escaped := html.escape(cut)) > room and len(cut) > 1:  # & is five long
            cut = shorten(text, len(cut) - (len(escaped) - room) - 1)
        if room > 20:
            out.append(prefix + escaped)
        else:
            out.append("…")
        break
    return "\n\n".join(out)


def plain(text: str) -> str:
    """Telegram HTML as a terminal shows it: tags dropped, entities unescaped."""
    return html.unescape(re.sub(r"</?(?:b|i|code|a)(?:\s[^>]*)?>", "", text))


# -- Texts of the Telegram interface: /start, /help, browsing, /role, button captions. ------


def step_caption(step: Step, script: str, limit: int = 32) -> str:
    """A step as a button reads (plain text): its heading, or an untitled step's opening words."""
    text = step.label if step.title else f"{step.label} {step.text}".strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return to_script(text, script)


def suggestion_caption(step: Step, script: str, limit: int = 40) -> str:
    """A "did you mean…" button (plain text): the step under its role, or its document,
    so that steps of one name (every role has a 主動迎客) tell apart."""
    owner = name_in(step.role or step.doc, script) if (step.role or step.doc) else ""
    if not owner:
        return step_caption(step, script, limit)
    if len(owner) > limit // 2:
        owner = owner[: limit // 2 - 1].rstrip() + "…"
    return f"{owner}{SEPARATOR}{step_caption(step, script, limit - len(owner) - len(SEPARATOR))}"


def step_card(step: Step, script: str) -> str:
    """A step as a card when no question picked its sentences (browsing, suggestions)."""
    text = "\n".join(readable_paragraphs(step.body, is_verse_step(step.section, step.title)))
    return hit_card(Hit(step=step, passage=text, tips=step.tips, score=0.0), script)


def asked(question: str, result: Answer) -> str:
    """The reply to a question the user tapped rather than typed, so the chat shows it."""
    return f"❓ <i>{html.escape(question)}</i>\n\n{answer(result)}"


def welcome(script: str, name: str) -> str:
    """The /start message; the example questions follow as buttons."""
    return "\n\n".join(
        [
            label_html(script, "welcome", name=name),
            label_html(script, "try_examples"),
        ]
    )


def help_text(script: str, bot_username: str, commands: Sequence[str] = ()) -> str:
    """/help: how to ask and the buttons, then the commands this reader may use."""
    text = label_html(script, "help", bot=bot_username)
    if not commands:
        return text
    lines = [f"<b>{label_html(script, 'help_commands')}</b>"]
    lines += [f"/{name} {label_html(script, f'cmd_{name}')}" for name in commands]
    return f"{text}\n\n" + "\n".join(lines)


def documents_heading(script: str) -> str:
    return f"<b>{label_html(script, 'documents')}</b>"


def roles_heading(document: str, script: str) -> str:
    heading = html.escape(name_in(document, script))
    return f"<b>{heading}</b>\n{label_html(script, 'choose_role')}"


def steps_heading(document: str, role: str, script: str) -> str:
    title = SEPARATOR.join(name_in(part, script) for part in (document, role) if part)
    heading = html.escape(title)
    return f"<b>{heading}</b>\n{label_html(script, 'choose_step')}"


def role_prompt(script: str, current: str | None, unknown: str | None = None) -> str:
    """/role: the choice of roles; ``unknown`` is a role name typed that matched none."""
    role = name_in(current, script) if current else label(script, "role_none")
    lines = [label(script, "role_unknown", role=unknown)] if unknown else []
    lines += [label(script, "role_prompt"), label(script, "role_current", role=role)]
    return "\n\n".join(html.escape(line) for line in lines)


def role_chosen(script: str, role: str | None) -> str:
    if role is None:
        return label_html(script, "role_cleared")
    return label_html(script, "role_set", role=name_in(role, script))


def inline_title(step: Step, script: str) -> str:
    """An inline result's title (plain text): the step under its role or document."""
    return breadcrumb_text(step, script, levels=2)


def inline_description(hit: Hit, script: str, limit: int = 120) -> str:
    """An inline result's second line (plain text): the sentences that matched."""
    text = (hit.passage or hit.step.text).replace("\n", " ")  # one line under the title
    return to_script(shorten(text, limit), script)


def fit(text: str) -> str:
    """A long ranking or summary cut to a message's length, at a line."""
    if len(text) <= TELEGRAM_LIMIT:
        return text
    return text[: text.rfind("\n", 0, TELEGRAM_LIMIT - 2)] + "\n…"
