"""Owner commands and menus: /start (and QR deep links), /new, /my, /cancel, /language, /help."""

from __future__ import annotations

import logging
import re

from telegram import Bot, CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot.core.sources import area_prefill
from bot.core.ticket_text import TicketText
from bot.tg import callbacks as cb
from bot.tg.inputs import event_of
from bot.tg.intake import Conversations
from bot.tg.render import replace_message, send
from bot.tg.services import Services, Visitor, visitor_of

log = logging.getLogger(__name__)

INTAKE = "intake"
PAGE_SIZE = 8
DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LANGUAGE_NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}


class OwnerDesk:
    """Everything an owner can do in a private chat."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.conversations = Conversations(services)

    def t(self, visitor: Visitor, key: str, **params: object) -> str:
        """A text in the visitor's language."""
        return self.services.catalog.text(visitor.lang, key, **params)

    def menu_rows(self, visitor: Visitor) -> list[list[tuple[str, str]]]:
        """The main menu's buttons."""
        return [
            [(self.t(visitor, "menu.new"), cb.encode(cb.Menu("new"))),
             (self.t(visitor, "menu.my"), cb.encode(cb.Menu("my")))],
            [(self.t(visitor, "menu.language"), cb.encode(cb.Menu("lang"))),
             (self.t(visitor, "menu.help"), cb.encode(cb.Menu("help")))],
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
        await send(context.bot, visitor.chat_id,
                   self.t(visitor, "start.welcome", name=visitor.person.first_name, company=name),
                   self.menu_rows(visitor))
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
        await self._ticket_list(context.bot, visitor, 0, None)
        await self._resume_hint(context.bot, visitor)

    async def on_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel: leave the report in progress."""
        visitor = await self._visitor(update)
        if visitor is None:
            return
        if await self.conversations.cancel(visitor):
            await send(context.bot, visitor.chat_id, self.t(visitor, "flow.cancelled_long"),
                       self.menu_rows(visitor))
        else:
            await send(context.bot, visitor.chat_id, self.t(visitor, "cancel.nothing"),
                       self.menu_rows(visitor))

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
        await send(context.bot, visitor.chat_id,
                   self.t(visitor, "help.text", hotline=self.services.settings.hotline),
                   self.menu_rows(visitor))
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
        if await self.conversations.feed(context.bot, visitor, event_of(message)):
            return
        await send(context.bot, visitor.chat_id, self.t(visitor, "start.no_flow"),
                   self.menu_rows(visitor))

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: answers are taken as first sent, so say how to change one."""
        visitor = await self._visitor(update)
        if visitor is not None:
            await send(context.bot, visitor.chat_id, self.t(visitor, "flow.edit_ignored"))

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every button press: decode, check, act, and always answer the query."""
        query = update.callback_query
        visitor = await self._visitor(update)
        if query is None or visitor is None:
            return
        data = cb.decode(query.data)
        message = query.message if isinstance(query.message, Message) else None
        notice: str | None = None
        if message is not None and message.chat.id != visitor.id:
            data = None  # our owner buttons live in private chats only
        if data is None:
            log.info("refused unknown callback data from user %s", visitor.id)
            notice = self.t(visitor, "callback.unknown")
        elif isinstance(data, cb.FlowPress):
            notice = await self.conversations.press(context.bot, visitor, data, message)
        elif isinstance(data, cb.Menu):
            notice = await self._menu(context.bot, visitor, data, message)
        elif isinstance(data, cb.TicketView):
            notice = await self._ticket_details(context.bot, visitor, data.ticket_id, message)
        elif isinstance(data, cb.TicketPage):
            await self._ticket_list(context.bot, visitor, data.offset, message)
        else:
            notice = await self._set_language(context.bot, visitor, data.language, message)
        await _answer(query, notice)

    # ----- pieces -------------------------------------------------------------------------

    async def _menu(
        self, bot: Bot, visitor: Visitor, data: cb.Menu, message: Message | None
    ) -> str | None:
        if data.item == "new":
            await self._new(bot, visitor, area="")
        elif data.item == "my":
            await self._ticket_list(bot, visitor, 0, None)
        elif data.item == "lang":
            await self._language_menu(bot, visitor)
        elif data.item == "help":
            await send(bot, visitor.chat_id,
                       self.t(visitor, "help.text", hotline=self.services.settings.hotline))
        elif data.item == "continue":
            await replace_message(message, self.t(visitor, "flow.continuing"))
            state = await self.conversations.current(visitor.chat_id)
            if state is None:
                return self.t(visitor, "flow.stale_conversation")
            await self.conversations.reprompt(bot, visitor, state)
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
            prefill = area_prefill(self.services.settings, area) if area else None
            await self.conversations.begin(bot, visitor, INTAKE, prefill)
            return
        await send(bot, visitor.chat_id, self.t(visitor, "flow.unfinished"), [
            [(self.t(visitor, "flow.btn_continue"), cb.encode(cb.Menu("continue")))],
            [(self.t(visitor, "flow.btn_restart"), cb.encode(cb.Menu("restart", area)))],
        ])

    async def _deep_link(self, bot: Bot, visitor: Visitor, payload: str) -> None:
        """A QR poster's link: start a report with that place filled in."""
        if not DEEP_LINK.match(payload) or self.services.settings.area(payload) is None:
            log.info("unknown deep-link payload from user %s", visitor.id)
            await send(bot, visitor.chat_id, self.t(visitor, "start.unknown_link"),
                       self.menu_rows(visitor))
            return
        await self._new(bot, visitor, area=payload)

    async def _resume_hint(self, bot: Bot, visitor: Visitor) -> None:
        """After a side command mid-report, show where the person was."""
        state = await self.conversations.current(visitor.chat_id)
        if state is not None:
            await send(bot, visitor.chat_id, self.t(visitor, "flow.still_open"))
            await self.conversations.reprompt(bot, visitor, state)

    async def _ticket_list(
        self, bot: Bot, visitor: Visitor, offset: int, message: Message | None
    ) -> None:
        store = self.services.store
        total = await store.count_owner_tickets(visitor.id)
        offset = max(0, min(offset, max(total - 1, 0)))
        tickets = await store.owner_tickets(visitor.id, PAGE_SIZE, offset)
        text = TicketText(self.services.settings, self.services.catalog, visitor.lang)
        if not tickets:
            body = self.t(visitor, "my.empty")
            rows = [[(self.t(visitor, "menu.new"), cb.encode(cb.Menu("new")))]]
        else:
            body = self.t(visitor, "my.title", first=offset + 1,
                          last=offset + len(tickets), total=total)
            rows = [[(text.list_line(tk), cb.encode(cb.TicketView(tk.id)))] for tk in tickets]
            pager = []
            if offset > 0:
                pager.append((self.t(visitor, "my.newer"),
                              cb.encode(cb.TicketPage(max(0, offset - PAGE_SIZE)))))
            if offset + PAGE_SIZE < total:
                pager.append((self.t(visitor, "my.older"),
                              cb.encode(cb.TicketPage(offset + PAGE_SIZE))))
            if pager:
                rows.append(pager)
        if message is not None:
            await replace_message(message, body, rows)
        else:
            await send(bot, visitor.chat_id, body, rows)

    async def _ticket_details(
        self, bot: Bot, visitor: Visitor, ticket_id: int, message: Message | None
    ) -> str | None:
        ticket = await self.services.store.get_ticket(ticket_id)
        if ticket is None or ticket.owner_id != visitor.id:
            # Same answer for "missing" and "not yours": ids of others' tickets leak nothing.
            log.info("user %s asked for ticket id %s they do not own", visitor.id, ticket_id)
            return self.t(visitor, "ticket.not_found")
        events = await self.services.store.ticket_events(ticket.id)
        text = TicketText(self.services.settings, self.services.catalog, visitor.lang)
        await send(bot, visitor.chat_id, text.details(ticket, events),
                   [[(self.t(visitor, "my.back"), cb.encode(cb.TicketPage(0)))]])
        return None

    async def _language_menu(self, bot: Bot, visitor: Visitor) -> None:
        rows = [[(LANGUAGE_NAMES.get(lang, lang), cb.encode(cb.SetLanguage(lang)))]
                for lang in self.services.settings.languages]
        await send(bot, visitor.chat_id, self.t(visitor, "language.choose"), rows)

    async def _set_language(
        self, bot: Bot, visitor: Visitor, lang: str, message: Message | None
    ) -> str | None:
        if lang not in self.services.settings.languages:
            return self.t(visitor, "callback.unknown")
        await self.services.store.set_language(visitor.id, lang, self.services.clock())
        switched = Visitor(person=visitor.person, lang=lang, chat_id=visitor.chat_id)
        await replace_message(message, self.t(switched, "language.set",
                                              name=LANGUAGE_NAMES.get(lang, lang)))
        state = await self.conversations.current(visitor.chat_id)
        if state is not None:
            await self.conversations.reprompt(bot, switched, state)
        return None


async def _answer(query: CallbackQuery, notice: str | None) -> None:
    """Answer a callback query (stops the button's spinner); a notice shows as a toast."""
    await query.answer(notice[:200] if notice else None)
