"""Every button press: decode the data, check where it was pressed, hand it on, answer it."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.tg import callbacks as cb
from bot.tg.announcements import NoticeDesk
from bot.tg.incidents import IncidentChannel
from bot.tg.intake import Conversations
from bot.tg.owner import OwnerDesk
from bot.tg.owner_tickets import OwnerTickets
from bot.tg.proposals import ProposalChannel
from bot.tg.services import Services, visitor_of
from bot.tg.staff import StaffDesk
from bot.tg.surveys import SurveyDesk

log = logging.getLogger(__name__)


# The ratings offered on the "resolved" message (owner.rate1 … owner.rate5).
_RESULT_RATINGS = frozenset(f"rate{r}" for r in range(1, 6))


class Buttons:
    """The callback-query handler."""

    def __init__(
        self,
        services: Services,
        owner: OwnerDesk,
        tickets: OwnerTickets,
        staff: StaffDesk,
        conversations: Conversations,
        surveys: SurveyDesk,
        notices: NoticeDesk,
        incidents: IncidentChannel,
        proposals: ProposalChannel,
    ) -> None:
        self.services = services
        self.owner = owner
        self.tickets = tickets
        self.staff = staff
        self.conversations = conversations
        self.surveys = surveys
        self.notices = notices
        self.incidents = incidents
        self.proposals = proposals

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Decode, check, act, and always answer the query (a toast when there is news)."""
        query = update.callback_query
        visitor = await visitor_of(update, self.services)
        if query is None or visitor is None:
            return
        data = cb.decode(query.data)
        message = query.message if isinstance(query.message, Message) else None
        in_private = message is None or message.chat.id == visitor.id
        if data is not None and not in_private and not isinstance(data, cb.CardPress):
            data = None  # in a group only ticket cards have working buttons
        notice: str | None = None
        bot = context.bot
        if data is None:
            log.info("refused unknown callback data from user %s", visitor.id)
            notice = self.services.catalog.text(visitor.lang, "callback.unknown")
        elif isinstance(data, cb.FlowPress):
            notice = await self.conversations.press(bot, visitor, data, message)
        elif isinstance(data, cb.Menu):
            notice = await self.owner.menu(bot, visitor, data, message)
        elif isinstance(data, cb.TicketView):
            notice = await self.tickets.show_details(bot, visitor, data.ticket_id)
        elif isinstance(data, cb.TicketPage):
            await self.tickets.show_list(bot, visitor, data.offset, message)
        elif isinstance(data, cb.SetLanguage):
            notice = await self.owner.set_language(bot, visitor, data.language, message)
        elif isinstance(data, cb.CardPress):
            notice = await self.staff.on_card(bot, visitor, data, message)
        elif isinstance(data, cb.SurveyPress):
            notice = await self.surveys.on_rating(bot, visitor, data, message)
        elif isinstance(data, cb.FollowupPress):
            notice = await self.surveys.on_followup(bot, visitor, data, message)
        elif isinstance(data, cb.NoticePress):
            notice = await self.notices.on_press(bot, visitor, data, message)
        elif isinstance(data, cb.IncidentPress):
            notice = await self.incidents.on_press(bot, visitor, data, message)
        elif isinstance(data, cb.ProposalPress):
            notice = await self.proposals.on_press(bot, visitor, data, message)
        elif isinstance(data, cb.OwnerPress) and data.action in _RESULT_RATINGS:
            notice = await self.surveys.on_result_rating(bot, visitor, data, message)
        else:
            notice = await self.tickets.on_press(bot, visitor, data, message)
        try:
            await query.answer(notice[:200] if notice else None)
        except BadRequest as exc:
            # A press handed over again after a crash was answered by the first run, and
            # Telegram lets a query be answered once (and only for a short while).
            log.info("could not answer callback query of update %s: %s", update.update_id, exc)
