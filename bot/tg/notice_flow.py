"""The guided ``/notice`` in Telegram: flows/notice.yaml on one card, and its finisher, which
builds the draft with the form's checks and answers with the form's preview and buttons.

The conversation is an ordinary card flow (saved after every step, so a restart resumes it;
``/cancel`` ends it; another person's or an old button is refused by the flow's token and
step). Each time is checked as it is given (``bot.core.notice_flow``); the final check here
catches what time changed meanwhile (a send time passed while the text was typed) and asks
that step again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from telegram import Bot

from bot.core.notice_flow import SENDER, STEP_OF, form_fields
from bot.core.runner import FlowState
from bot.desk.announcements import Announcements
from bot.tg.announcements import preview_rows
from bot.tg.cardview import drop_buttons
from bot.tg.intake import SENT, Conversations
from bot.tg.render import send
from bot.tg.services import Services, Visitor

FLOW = "notice"


class NoticeFlow:
    """Starts the guided notice and turns its answers into the form path's preview."""

    def __init__(
        self, services: Services, desk: Announcements, conversations: Conversations
    ) -> None:
        self.services = services
        self.desk = desk
        self.conversations = conversations

    async def begin(self, bot: Bot, visitor: Visitor) -> None:
        """Ask the first question on a fresh card (replacing a conversation in progress)."""
        private = Visitor(person=visitor.person, lang=visitor.lang, chat_id=visitor.id)
        await self.conversations.begin(bot, private, FLOW, {SENDER: visitor.id})

    async def drop(self, bot: Bot, visitor: Visitor) -> None:
        """End a guided notice in progress (a typed form replaces it)."""
        state = await self.conversations.current(visitor.chat_id)
        if state is None or state.flow != FLOW:
            return
        await self.services.store.delete_conversation(visitor.chat_id, state.token)
        if state.anchor is not None:
            await drop_buttons(bot, visitor.chat_id, state.anchor)

    async def finish(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        """The last answer given: the draft and its preview, or back to the step to fix."""
        fields, texts = form_fields(answers, self.services.settings)
        draft = await self.desk.draft_answers(visitor.id, visitor.lang, fields, texts)
        if state.anchor is not None:
            await drop_buttons(bot, visitor.chat_id, state.anchor)
        step = STEP_OF.get(draft.code or "")
        if draft.notice is None and step is not None:
            # Time moved on while they typed (or a refusal only the whole notice shows):
            # the reason, and that step asked again on a fresh card; the rest is kept.
            await send(bot, visitor.chat_id, draft.text)
            again = replace(state, anchor=None)
            await self.conversations.back_to(bot, visitor, again, step)
            return SENT
        await self.services.store.delete_conversation(visitor.chat_id, state.token)
        if draft.notice is None:
            return draft.text
        rows = preview_rows(self.services, visitor.lang, draft.notice.id)
        await send(bot, visitor.chat_id, draft.text, rows)
        return SENT
