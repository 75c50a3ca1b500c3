"""Owner commands and menus: /start (and QR deep links), /new, /my, /cancel, /language, /help."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import ContextTypes

from bot.core.runner import ContactInput, FlowState, OtherInput, PhotoInput
from bot.core.sources import area_prefill
from bot.tg import callbacks as cb
from bot.tg.followup import survey_of_card
from bot.tg.inputs import event_of
from bot.tg.intake import INTAKE, PHONE, RESTORE_WITHIN, Conversations
from bot.tg.owner_tickets import OwnerTickets
from bot.tg.render import replace_message, send
from bot.tg.services import Services, Visitor, visitor_of
from bot.tg.staff import StaffDesk
from bot.tg.surveys import SurveyDesk

log = logging.getLogger(__name__)

DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A reply this soon after the bot's message may beat the outbox's record of that message.
_FRESH_REPLY = 10.0
_LOOKUP_PAUSES = (0.0, 0.1, 0.3, 0.6)
Gate = Callable[[Bot, Visitor, str], Awaitable[bool]]
LANGUAGE_NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}


class OwnerDesk:
    """Everything an owner can do in a private chat."""

    def __init__(
        self,
        services: Services,
        conversations: Conversations,
        tickets: OwnerTickets,
        staff: StaffDesk,
        surveys: SurveyDesk,
        gate: Gate | None = None,
    ) -> None:
        self.services = services
        self.conversations = conversations
        self.tickets = tickets
        self.staff = staff
        self.surveys = surveys
        # Shown before a report when known incidents cover the owner's place (True: shown).
        self.gate = gate

    def t(self, visitor: Visitor, key: str, **params: object) -> str:
        """A text in the visitor's language."""
        return self.services.catalog.text(visitor.lang, key, **params)

    def menu_rows(self, visitor: Visitor) -> list[list[tuple[str, str]]]:
        """The main menu's buttons."""
        return [
            [
                (self.t(visitor, "menu.new"), cb.encode(cb.Menu("new"))),
                (self.t(visitor, "menu.my"), cb.encode(cb.Menu("my"))),
            ],
            [
                (self.t(visitor, "menu.phone"), cb.encode(cb.Menu("phone"))),
                (self.t(visitor, "menu.language"), cb.encode(cb.Menu("lang"))),
            ],
            [(self.t(visitor, "menu.help"), cb.encode(cb.Menu("help")))],
        ]

    async def _visitor(self, update: Update) -> Visitor | None:
        return await visitor_of(update, self.services)

    # ----- commands -----------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, optionally with a deep-link payload naming a common area."""
        visitor = await self._visitor(update)
        if visitor is None:
            return
        payload = (context.args or [""])[0] if context.args else ""
        if payload:
            await self._deep_link(context.bot, visitor, payload)
            return
        name = self.services.settings.text(self.services.settings.company.name, visitor.lang)
        await send(
            context.bot,
            visitor.chat_id,
            self.t(visitor, "start.welcome", name=visitor.person.first_name, company=name),
            self.menu_rows(visitor),
        )
        await self._resume_hint(context.bot, visitor)

    async def on_new(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/new: start a report (asking first if one is already in progress)."""
        visitor = await self._visitor(update)
        if visitor is not None:
            await self._new(context.bot, visitor, area="")

    async def on_my(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/my: the owner's tickets, newest first."""
        visitor = await self._visitor(update)
        if visitor is None:
            return
        await self.tickets.show_list(context.bot, visitor, 0, None)
        await self._resume_hint(context.bot, visitor)

    async def on_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel: leave the report in progress (asking first when it has several answers)."""
        visitor = await self._visitor(update)
        if visitor is None:
            return
        state = await self.conversations.current(visitor.chat_id)
        if state is None:
            await send(
                context.bot,
                visitor.chat_id,
                self.t(visitor, "cancel.nothing"),
                self.menu_rows(visitor),
            )
            return
        count = self.conversations.answered(state)
        if state.flow == INTAKE and count > 2:
            rows = [
                [(self.t(visitor, "cancel.btn_yes"), cb.encode(cb.Menu("cancel", state.token)))],
                [(self.t(visitor, "cancel.btn_no"), cb.encode(cb.Menu("continue")))],
            ]
            await send(
                context.bot, visitor.chat_id, self.t(visitor, "cancel.confirm", count=count), rows
            )
            return
        await self.conversations.cancelled(context.bot, visitor, state, None, "")

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/language: pick the interface language."""
        visitor = await self._visitor(update)
        if visitor is not None:
            await self._language_menu(context.bot, visitor)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: what the bot does and its commands."""
        visitor = await self._visitor(update)
        if visitor is None:
            return
        await send(
            context.bot,
            visitor.chat_id,
            self.t(visitor, "help.text", hotline=self.services.settings.hotline),
            self.menu_rows(visitor),
        )
        await self._resume_hint(context.bot, visitor)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command we do not have."""
        visitor = await self._visitor(update)
        if visitor is None:
            return
        await send(context.bot, visitor.chat_id, self.t(visitor, "command.unknown"))
        await self._resume_hint(context.bot, visitor)

    # ----- messages and buttons -----------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any other private message: an answer for the flow in progress, or a nudge to start."""
        visitor = await self._visitor(update)
        message = update.effective_message
        if visitor is None or message is None:
            return
        if message.reply_to_message is not None and await self.relay(context.bot, visitor, message):
            return
        event = event_of(message)
        if await self.conversations.feed(context.bot, visitor, event, message.message_id):
            return
        if isinstance(event, ContactInput) and event.own:
            # Shared outside a report (the keyboard still open): kept as their number.
            await self.services.store.set_phone(visitor.id, event.phone, self.services.clock())
            await send(
                context.bot, visitor.chat_id, self.t(visitor, "phone.saved", phone=event.phone)
            )
            return
        if isinstance(event, OtherInput) and event.kind == "voice":
            hotline = self.services.settings.hotline
            await send(context.bot, visitor.chat_id, self.t(visitor, "flow.voice", hotline=hotline))
            return
        await send(
            context.bot, visitor.chat_id, self.t(visitor, "start.no_flow"), self.menu_rows(visitor)
        )

    async def _ticket_of(self, chat_id: int, message: Message, replied: Message) -> int | None:
        """The ticket a replied-to bot message is about, or None.

        The outbox records a message's id just after Telegram answers the send, so a reply
        written within seconds of the message may arrive first: that one is looked up again
        for a moment. Both times are Telegram's, so no local clock is read.
        """
        store = self.services.store
        fresh = replied.from_user is not None and replied.from_user.is_bot
        fresh = fresh and (message.date - replied.date).total_seconds() <= _FRESH_REPLY
        for pause in _LOOKUP_PAUSES if fresh else (0.0,):
            if pause:
                await asyncio.sleep(pause)
            found = await store.ticket_of_message(chat_id, replied.message_id)
            if found is not None:
                return found
        return None

    async def relay(self, bot: Bot, visitor: Visitor, message: Message) -> bool:
        """A reply to one of a ticket's messages goes to the other side; False if it is not."""
        replied = message.reply_to_message
        assert replied is not None
        card = await self.services.store.card_of_message(visitor.chat_id, replied.message_id)
        survey_id = survey_of_card(card)
        ticket_id = await self._ticket_of(visitor.chat_id, message, replied)
        if ticket_id is None and survey_id is None:
            return False
        event = event_of(message)
        text = message.text or message.caption or ""
        photo = event.file_id if isinstance(event, PhotoInput) else None
        if not text.strip() and photo is None:
            await send(bot, visitor.chat_id, self.t(visitor, "relay.text_or_photo"))
            return True
        if len(text) > self.services.settings.limits.description_max:
            await send(
                bot,
                visitor.chat_id,
                self.t(
                    visitor,
                    "flow.too_long",
                    length=len(text),
                    max=self.services.settings.limits.description_max,
                ),
            )
            return True
        if survey_id is not None:  # a follow-up card: to the owner, whatever the ticket's state
            replied_note = await self.surveys.followup_reply(visitor, survey_id, text, photo)
            await send(bot, visitor.chat_id, replied_note)
            return True
        assert ticket_id is not None
        ticket = await self.tickets.own_ticket(visitor, ticket_id)
        if ticket is not None:
            notice = await self.tickets.relay(visitor, ticket, text, photo)
        elif self.staff.is_staff(visitor.id):
            notice = await self.staff.relay_reply(visitor, ticket_id, text, photo)
        else:
            notice = self.t(visitor, "ticket.not_found")
        await send(bot, visitor.chat_id, notice or "")
        return True

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: answers are taken as first sent, so say how to change one."""
        visitor = await self._visitor(update)
        if visitor is not None:
            await send(context.bot, visitor.chat_id, self.t(visitor, "flow.edit_ignored"))

    # ----- pieces -------------------------------------------------------------------------

    async def menu(
        self, bot: Bot, visitor: Visitor, data: cb.Menu, message: Message | None
    ) -> str | None:
        """A menu button."""
        if data.item == "new":
            await self._new(bot, visitor, area="")
        elif data.item == "my":
            await self.tickets.show_list(bot, visitor, 0, None)
        elif data.item == "lang":
            await self._language_menu(bot, visitor)
        elif data.item == "help":
            await send(
                bot,
                visitor.chat_id,
                self.t(visitor, "help.text", hotline=self.services.settings.hotline),
            )
        elif data.item == "continue":
            await replace_message(message, self.t(visitor, "flow.continuing"))
            state = await self.conversations.current(visitor.chat_id)
            if state is None:
                return self.t(visitor, "flow.stale_conversation")
            await self.conversations.reprompt(bot, visitor, state)
        elif data.item == "phone":
            await self.conversations.begin(bot, visitor, PHONE)
        elif data.item == "cancel":
            state = await self.conversations.current(visitor.chat_id)
            if state is None or state.token != data.arg:
                return self.t(visitor, "flow.stale_conversation")
            await replace_message(message, self.t(visitor, "flow.cancelled"))
            await self.conversations.cancelled(bot, visitor, state, None, "")
        elif data.item == "restore":
            await replace_message(message, self.t(visitor, "flow.continuing"))
            since = self.services.clock() - RESTORE_WITHIN
            raw = await self.services.store.take_draft(visitor.chat_id, since)
            if raw is None:
                minutes = int(RESTORE_WITHIN.total_seconds() // 60)
                await send(
                    bot, visitor.chat_id, self.t(visitor, "cancel.restore_gone", minutes=minutes)
                )
                return None
            await self.conversations.restore(bot, visitor, raw)
        elif data.item == "restart":
            prefill = area_prefill(self.services.settings, data.arg) if data.arg else None
            await replace_message(message, self.t(visitor, "flow.restarting"))
            await self.conversations.begin(bot, visitor, INTAKE, prefill)
        else:
            return self.t(visitor, "callback.unknown")
        return None

    async def _new(self, bot: Bot, visitor: Visitor, area: str) -> None:
        """Start a report, or ask whether to continue the unfinished one."""
        state = await self.conversations.current(visitor.chat_id)
        if state is None:
            if self.gate is not None and await self.gate(bot, visitor, area):
                return  # a known incident is shown first; its buttons go on from there
            prefill = area_prefill(self.services.settings, area) if area else None
            await self.conversations.begin(bot, visitor, INTAKE, prefill)
            return
        await send(
            bot,
            visitor.chat_id,
            self.t(visitor, "flow.unfinished"),
            [
                [(self.t(visitor, "flow.btn_continue"), cb.encode(cb.Menu("continue")))],
                [(self.t(visitor, "flow.btn_restart"), cb.encode(cb.Menu("restart", area)))],
            ],
        )

    async def _deep_link(self, bot: Bot, visitor: Visitor, payload: str) -> None:
        """A QR poster's link: start a report with that place filled in."""
        if not DEEP_LINK.match(payload) or self.services.settings.area(payload) is None:
            log.info("unknown deep-link payload from user %s", visitor.id)
            await send(
                bot, visitor.chat_id, self.t(visitor, "start.unknown_link"), self.menu_rows(visitor)
            )
            return
        await self._new(bot, visitor, area=payload)

    async def _resume_hint(self, bot: Bot, visitor: Visitor) -> None:
        """After a side command mid-report, show where the person was."""
        state = await self.conversations.current(visitor.chat_id)
        if state is not None:
            await send(bot, visitor.chat_id, self.t(visitor, "flow.still_open"))
            await self.conversations.reprompt(bot, visitor, state)

    async def _language_menu(self, bot: Bot, visitor: Visitor) -> None:
        rows = [
            [(LANGUAGE_NAMES.get(lang, lang), cb.encode(cb.SetLanguage(lang)))]
            for lang in self.services.settings.languages
        ]
        await send(bot, visitor.chat_id, self.t(visitor, "language.choose"), rows)

    async def set_language(
        self, bot: Bot, visitor: Visitor, lang: str, message: Message | None
    ) -> str | None:
        """Switch the visitor's language and ask the current question again in it."""
        if lang not in self.services.settings.languages:
            return self.t(visitor, "callback.unknown")
        await self.services.store.set_language(visitor.id, lang, self.services.clock())
        self.services.people.pop(visitor.id, None)
        switched = Visitor(person=visitor.person, lang=lang, chat_id=visitor.chat_id)
        await replace_message(
            message, self.t(switched, "language.set", name=LANGUAGE_NAMES.get(lang, lang))
        )
        state = await self.conversations.current(visitor.chat_id)
        if state is not None:
            await self.conversations.reprompt(bot, switched, state)
        return None

    async def finish_phone(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        """The phone flow (from the menu): keep the shared number; Skip keeps the old one."""
        await self.services.store.delete_conversation(visitor.chat_id, state.token)
        phone = str(answers.get(PHONE) or "")
        if not phone:
            return self.t(visitor, "phone.skipped")
        await self.services.store.set_phone(visitor.id, phone, self.services.clock())
        return self.t(visitor, "phone.saved", phone=phone)
