"""A step's pictures (equipment, forms, screens), sent with the step when it is opened whole.

Pictures are read from the served corpus by the names the SOP gives them
(``knowledge.corpus.picture_bytes``): a file beside the SOP, or one embedded in a Word
file. Photos Telegram can show go as one album; other files (an SVG, a GIF, a photo over
Telegram's 10 MB) as documents; web addresses as links. A picture that cannot be read any
more is named with the reason, in the reader's language, and the rest are still sent.
"""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import PurePosixPath

from telegram import InputMediaDocument, InputMediaPhoto
from telegram.constants import MediaGroupLimit

from bot import render
from bot.context import Context
from bot.documents.service import corpus_directory
from bot.i18n import label_html
from knowledge.corpus import picture_bytes
from knowledge.model import Step
from knowledge.reading import SopFileError

log = logging.getLogger(__name__)

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
PHOTO_BYTES = 10_000_000  # Telegram's limit for a photo; larger ones go as files
MOST = MediaGroupLimit.MAX_MEDIA_LENGTH  # 10: one album's worth per opening
WEB = ("http://", "https://")


def file_name(reference: str) -> str:
    """``site/assets/till.png`` → ``till.png``; ``sop.docx#word/media/image1.png`` →
    ``image1.png``."""
    return PurePosixPath(reference.rsplit("#", 1)[-1]).name or "picture"


async def send_pictures(context: Context, chat_id: int, step: Step, ui: str) -> None:
    """Send ``step``'s pictures to ``chat_id`` (nothing when it has none)."""
    if not step.pictures:
        return
    directory = corpus_directory(context.bot_data.settings)
    links = [p for p in step.pictures if p.startswith(WEB)]
    photos: list[tuple[str, bytes]] = []
    files: list[tuple[str, bytes]] = []
    problems: list[str] = []
    for reference in [p for p in step.pictures if not p.startswith(WEB)][:MOST]:
        try:
            data = await asyncio.to_thread(picture_bytes, directory, reference)
        except (SopFileError, OSError) as error:
            log.warning("picture %s of step %s: %s", reference, step.id, error)
            reason = error.render(ui) if isinstance(error, SopFileError) else str(error)
            text = label_html(ui, "pictures_unavailable", picture=reference, reason=reason)
            problems.append(text)
            continue
        name = file_name(reference)
        is_photo = PurePosixPath(name).suffix.lower() in PHOTO_SUFFIXES
        (photos if is_photo and len(data) <= PHOTO_BYTES else files).append((name, data))
    caption = "🖼 " + html.escape(render.step_caption(step, ui, limit=200))
    if len(photos) == 1:
        name, data = photos[0]
        await context.bot.send_photo(chat_id, data, caption=caption, filename=name)
    elif photos:
        album = [
            InputMediaPhoto(data, caption=caption if n == 0 else None, filename=name)
            for n, (name, data) in enumerate(photos)
        ]
        await context.bot.send_media_group(chat_id, album)
    caption = caption if not photos else ""
    if len(files) == 1:
        name, data = files[0]
        await context.bot.send_document(chat_id, data, caption=caption or None, filename=name)
    elif files:
        documents = [
            InputMediaDocument(data, caption=(caption or None) if n == 0 else None, filename=name)
            for n, (name, data) in enumerate(files)
        ]
        await context.bot.send_media_group(chat_id, documents)
    lines = [
        f'🔗 <a href="{html.escape(link)}">{html.escape(file_name(link))}</a>' for link in links
    ]
    if lines or problems:
        await context.bot.send_message(chat_id, "\n".join([*lines, *problems]))
