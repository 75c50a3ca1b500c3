"""Notices in Telegram: ``/notice`` (supervisors, admins), ``/notices off|on`` (owners), the
preview's [Send] [Cancel], and the sender's status message edited in place as it goes out.

The use cases are ``bot.desk.announcements``; this module only reads updates, calls them and
draws their answers. ``NoticeLoop`` runs ``Announcements.tick`` every couple of seconds (and at
once when a notice is confirmed): the due times are in the database, so a restart loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from telegram import Bot, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.desk.announcements import Announcements
from bot.tg import callbacks as cb
from bot.tg.render import fit, replace_message, send
from bot.tg.services import Services, Visitor, visitor_of

if TYPE_CHECKING:
    from bot.tg.notice_flow import NoticeFlow

log = logging.getLogger(__name__)

TICK = 2.0  # seconds between looks at due notices, late joiners and counts
_OFF = frozenset({"off", "关", "關", "关闭", "關閉"})
_ON = frozenset({"on", "开", "開", "开启", "開啟"})
_HELP = frozenset({"help", "?", "？", "帮助", "幫助", "说明", "說明"})


class NoticeLoop:
    """Runs the notices' tick in the background and edits each sender's status message."""

    def __init__(self, bot: Bot, desk: Announcements, every: float = TICK) -> None:
        self.bot = bot
        self.desk = desk
        self.every = every
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._shown: dict[int, str] = {}  # notice id → the status text last shown

    def wake(self) -> None:
        """A notice was confirmed: look now."""
        self._wake.set()

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self._run(), name="notices")

    async def stop(self) -> None:
        """Stop the background loop (what is due is found again at the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop outlives a database hiccup: the next tick retries
                log.exception("notices: a tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every)

    async def run_once(self) -> None:
        """One tick: due notices claimed, late joiners queued, status messages edited."""
        for progress in await self.desk.tick():
            notice = progress.notice
            if notice.status_chat is None or notice.status_message is None:
                continue
            if self._shown.get(notice.id) == progress.text:
                continue
            try:
                await self.bot.edit_message_text(
                    fit(progress.text), chat_id=notice.status_chat, message_id=notice.status_message
                )
            except BadRequest as exc:
                if "not modified" not in str(exc):
                    log.info("notice %s: status message not edited: %s", notice.id, exc)
            except TelegramError as exc:  # tried again at the next tick
                log.info("notice %s: status message not edited: %s", notice.id, exc)
                continue
            self._shown[notice.id] = progress.text


class NoticeDesk:
    """The Telegram side of notices."""

    def __init__(
        self,
        services: Services,
        desk: Announcements,
        loop: NoticeLoop,
        guided: NoticeFlow | None = None,
    ) -> None:
        self.services = services
        self.desk = desk
        self.loop = loop
        self.guided = guided  # /notice alone: the step-by-step conversation

    async def on_notice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/notice: alone, the recent notices, both ways to write one, and the guided
        conversation's first question; ``/notice help`` the same without it; with a form, its
        preview."""
        visitor = await visitor_of(update, self.services)
        message = update.effective_message
        if visitor is None or message is None:
            return
        t = self.services.catalog.text
        refused = self.desk.refusal(visitor.id)
        if refused is not None:
            await send(context.bot, visitor.chat_id, t(visitor.lang, f"notice.refused_{refused}"))
            return
        raw = _form_of(message.text or message.caption or "")
        if not raw.strip() or raw.strip().casefold() in _HELP:
            recent = await self.desk.recent(visitor.id, visitor.lang)
            ways = t(visitor.lang, "notice.help") + "\n\n" + t(visitor.lang, "notice.form_hint")
            await send(context.bot, visitor.chat_id, recent + "\n\n" + ways)
            if not raw.strip() and self.guided is not None:
                await self.guided.begin(context.bot, visitor)
            return
        if self.guided is not None:
            await self.guided.drop(context.bot, visitor)  # the typed form replaces it
        draft = await self.desk.draft(visitor.id, visitor.lang, raw)
        if draft.notice is None:
            await send(context.bot, visitor.chat_id, draft.text)
            return
        rows = preview_rows(self.services, visitor.lang, draft.notice.id)
        await send(context.bot, visitor.chat_id, draft.text, rows)

    async def on_notices(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/notices off|on: an owner turns non-urgent notices off or on; alone: says which."""
        visitor = await visitor_of(update, self.services)
        if visitor is None:
            return
        t = self.services.catalog.text
        arg = " ".join(context.args or []).strip().casefold()
        if arg in _OFF or arg in _ON:
            await self.desk.set_off(visitor.id, arg in _OFF)
            key = "notice.pref_off" if arg in _OFF else "notice.pref_on"
        elif arg:
            key = "notice.pref_usage"
        else:
            off = await self.desk.is_off(visitor.id)
            key = "notice.pref_is_off" if off else "notice.pref_is_on"
        await send(context.bot, visitor.chat_id, t(visitor.lang, key))

    async def on_press(
        self, bot: Bot, visitor: Visitor, data: cb.NoticePress, message: Message | None
    ) -> str | None:
        """[Send] or [Cancel] on a preview; the answer is a toast, the preview becomes the
        status message."""
        t = self.services.catalog.text
        if data.action == "send":
            outcome, notice = await self.desk.confirm(visitor.id, data.notice_id)
        else:
            outcome, notice = await self.desk.cancel(visitor.id, data.notice_id)
        toast = t(visitor.lang, f"notice.press_{outcome}")
        if outcome in ("sending", "scheduled", "cancelled") and notice is not None:
            if outcome != "cancelled" and message is not None:
                await self.services.store.notice_status_message(
                    notice.id, message.chat.id, message.message_id
                )
            status = await self.desk.status(notice.id, visitor.lang)
            # A scheduled notice can still be called off until it goes out.
            label = t(visitor.lang, "notice.btn_cancel")
            rows = (
                [[(label, cb.encode(cb.NoticePress(notice.id, "cancel")))]]
                if outcome == "scheduled"
                else []
            )
            await replace_message(message, status or toast, rows)
            if outcome == "sending":
                self.loop.wake()
        return toast


def preview_rows(services: Services, lang: str, notice_id: int) -> list[list[tuple[str, str]]]:
    """A preview's [📤 Send] [✖️ Cancel], for the form and the guided conversation alike."""
    t = services.catalog.text
    return [
        [
            (t(lang, "notice.btn_send"), cb.encode(cb.NoticePress(notice_id, "send"))),
            (t(lang, "notice.btn_cancel"), cb.encode(cb.NoticePress(notice_id, "cancel"))),
        ]
    ]


def _form_of(text: str) -> str:
    """What follows ``/notice`` (or ``/notice@bot``) in a message."""
    first, _, rest = text.partition("\n")
    head = first.split(maxsplit=1)
    inline = head[1] if len(head) > 1 else ""
    return (inline + "\n" + rest).strip("\n")
