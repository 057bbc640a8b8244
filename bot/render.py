"""Every message text the product shows, as Telegram HTML: pure functions of core objects.

The CLI prints the same strings (`sopbot ask` reports the bot's exact reply), so nothing
here imports Telegram. All SOP and user text is HTML-escaped; matched words are bold.
"""

from __future__ import annotations

import html
import re

from bot.i18n import label
from knowledge.model import Answer, Hit, Step
from knowledge.normalize import to_script, to_simplified

SEPARATOR = " › "
PASSAGE_LIMIT = 380
TIP_LIMIT = 220
TELEGRAM_LIMIT = 4096
SENTENCE_END_RE = re.compile(r"[。；;！？!?]")


def breadcrumb(step: Step, script: str) -> str:
    return html.escape(to_script(SEPARATOR.join(step.breadcrumb), script))


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, at a sentence end where one is near."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [m.end() for m in SENTENCE_END_RE.finditer(cut)]
    if ends and ends[-1] >= limit * 0.5:
        return cut[: ends[-1]] + "…"
    return cut.rstrip() + "…"


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


def answer(result: Answer) -> str:
    """The reply to a staff question."""
    script = result.script
    if not result.hits:
        return html.escape(
            label(script, result.problem or "no_words")
            if result.problem
            else label(script, "not_found")
        )
    note = (
        f"<i>{html.escape(label(script, 'too_long'))}</i>\n\n"
        if result.problem == "too_long"
        else ""
    )
    if result.confidence != "high":
        return note + not_found(result)
    return note + hit_card(result.hits[0], script)


def hit_card(hit: Hit, script: str) -> str:
    """One step as a short card: breadcrumb, matching sentences, the best tip."""
    lines = [f"<b>{breadcrumb(hit.step, script)}</b>"]
    passage = hit.passage if hit.passage else ""
    if passage:
        lines.append(
            to_script(highlight(shorten(passage, PASSAGE_LIMIT), hit.matched_terms), script)
        )
    if hit.tips:
        tip = to_script(highlight(shorten(hit.tips[0], TIP_LIMIT), hit.matched_terms), script)
        lines.append(f"{html.escape(label(script, 'tip'))}：{tip}")
        if len(hit.tips) > 1:
            lines.append(f"<i>{html.escape(label(script, 'more_tips', n=len(hit.tips) - 1))}</i>")
    if not passage and not hit.tips:
        lines.append(html.escape(to_script(shorten(hit.step.text, PASSAGE_LIMIT), script)))
    return "\n\n".join(lines)


def not_found(result: Answer, limit: int = 3) -> str:
    script = result.script
    lines = [html.escape(label(script, "not_found")), "", html.escape(label(script, "closest"))]
    lines += [f"• {breadcrumb(hit.step, script)}" for hit in result.hits[:limit]]
    return "\n".join(lines)


def step_full(step: Step, script: str) -> str:
    """A whole step with all its tips (the 📄 全文 button), within Telegram's limit."""
    parts = [f"<b>{breadcrumb(step, script)}</b>"]
    parts += [html.escape(to_script(paragraph, script)) for paragraph in step.body]
    parts += [
        f"{html.escape(label(script, 'tip'))}：{html.escape(to_script(tip, script))}"
        for tip in step.tips
    ]
    text = "\n\n".join(parts)
    if len(text) > TELEGRAM_LIMIT:
        text = html.escape(shorten(html.unescape(text), TELEGRAM_LIMIT - 200))
    return text


def plain(text: str) -> str:
    """Telegram HTML as a terminal shows it: tags dropped, entities unescaped."""
    return html.unescape(re.sub(r"</?(?:b|i|code|a)(?:\s[^>]*)?>", "", text))
