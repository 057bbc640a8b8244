"""The buttons under answers and step cards, and /start's example questions."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks, render
from bot.i18n import label
from knowledge import Answer
from knowledge.base import HIGH

SUGGESTIONS = 3

Button = InlineKeyboardButton


def answer_keyboard(result: Answer, index: int, ui: str) -> InlineKeyboardMarkup | None:
    """The buttons under hit ``index`` of an answer (0: the reply as first sent).

    An answer that is not confident offers 🙋: hand the question to a person.
    """
    if not result.hits:
        if result.problem or not result.terms:
            return None  # not a question (small talk, no words)
        return InlineKeyboardMarkup([[ask_person_button(ui)]])
    if result.confidence != HIGH:
        if index == 0:
            rows = suggestions_keyboard(result).inline_keyboard
            return InlineKeyboardMarkup([*rows, [ask_person_button(ui)]])
        # A suggestion's card: "back" returns to the list of suggestions.
        return card_keyboard(result.hits[index].step.id, ui, previous=0, previous_caption="back")
    return card_keyboard(
        result.hits[index].step.id,
        ui,
        previous=index - 1 if index > 0 else None,
        following=index + 1 if index + 1 < len(result.hits) else None,
    )


def card_keyboard(
    step_id: str,
    ui: str,
    previous: int | None = None,
    following: int | None = None,
    previous_caption: str = "previous",
) -> InlineKeyboardMarkup:
    """📄 full step, ⬅️/➡️ through the answer's hits, 👍/👎."""
    first = [Button(label(ui, "full_text"), callback_data=callbacks.full(step_id))]
    if previous is not None:
        first.append(Button(label(ui, previous_caption), callback_data=callbacks.more(previous)))
    if following is not None:
        first.append(Button(label(ui, "more"), callback_data=callbacks.more(following)))
    votes = [
        Button("👍", callback_data=callbacks.vote(True, step_id)),
        Button("👎", callback_data=callbacks.vote(False, step_id)),
    ]
    return InlineKeyboardMarkup([first, votes])


def suggestions_keyboard(result: Answer) -> InlineKeyboardMarkup:
    """The closest steps as "did you mean…" buttons, in the question's script."""
    return InlineKeyboardMarkup(
        [
            [
                Button(
                    f"❓ {render.step_caption(hit.step, result.script)}",
                    callback_data=callbacks.see(hit.step.id),
                )
            ]
            for hit in result.hits[:SUGGESTIONS]
        ]
    )


def ask_person_button(ui: str) -> InlineKeyboardButton:
    """🙋 問主管: the question goes to a person of the asker's store (bot/asks/)."""
    return Button(label(ui, "ask_button"), callback_data=callbacks.ask_person())


def with_ask_person(markup: InlineKeyboardMarkup | None, ui: str) -> InlineKeyboardMarkup:
    """``markup`` with 🙋 as its last row, unless it has it already (after a 👎)."""
    rows = list(markup.inline_keyboard) if markup else []
    data = callbacks.ask_person()
    if any(button.callback_data == data for row in rows for button in row):
        return InlineKeyboardMarkup(rows)
    return InlineKeyboardMarkup([*rows, [ask_person_button(ui)]])


def shared_card_keyboard(step_id: str, ui: str) -> InlineKeyboardMarkup:
    """Under a card shared with inline mode: only the full step (votes need the asker)."""
    return InlineKeyboardMarkup.from_button(
        Button(label(ui, "full_text"), callback_data=callbacks.full(step_id))
    )


def without_button(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """``markup`` less the button that sent ``data`` (📄 once the full step is shown)."""
    if markup is None:
        return None
    rows = [
        [button for button in row if button.callback_data != data] for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def examples_keyboard(ui: str) -> InlineKeyboardMarkup:
    """The example questions of /start; tapping one asks it."""
    return InlineKeyboardMarkup(
        [
            [Button(f"❓ {label(ui, f'example_{n}')}", callback_data=callbacks.example(n))]
            for n in (1, 2, 3)
        ]
    )
