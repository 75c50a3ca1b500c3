"""Ticket cards for staff: one message per ticket and chat, edited as the ticket moves."""

from __future__ import annotations

import logging

from telegram import Bot, LinkPreviewOptions, Message
from telegram.error import BadRequest

from bot.core.card_audience import GROUP, LEFT, card_audience
from bot.core.lifecycle import work_started
from bot.core.models import OutboxItem, Status, Ticket, TicketEvent
from bot.desk.tickets import TicketDesk
from bot.tg import callbacks as cb
from bot.tg.render import fit, keyboard
from bot.tg.services import Services

log = logging.getLogger(__name__)

Rows = list[list[tuple[str, str]]]
# An owner's description may hold a link: a card never unfolds it (in a group, for everyone).
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class Cards:
    """Renders cards from the ticket's current state and sends or edits them."""

    def __init__(self, services: Services, desk: TicketDesk) -> None:
        self.services = services
        self.desk = desk

    def render(
        self,
        ticket: Ticket,
        events: list[TicketEvent],
        audience: str,
        lang: str,
        owner_name: str,
    ) -> tuple[str, Rows]:
        """The card's text and buttons for a staff member's chat or the department group."""
        text = self.desk.text(lang)
        if audience == LEFT:
            return text.t("card.left", number=ticket.number), []
        # The whole group reads its card: the owner's name, flat and photos are for whoever
        # takes the ticket, on their own card.
        private = audience != GROUP
        settings = self.services.settings
        assignee = settings.staff_member(ticket.assignee_id) if ticket.assignee_id else None
        state = text.status(ticket)
        if ticket.status is Status.ACCEPTED and work_started(ticket, events):
            state = "🚶 " + text.t("card.in_progress")
        if ticket.paused_at is not None:
            state = "⏸ " + text.t("card.waiting", since=text.when(ticket.paused_at))
        lines = [
            f"{'⏰ ' if ticket.overdue else ''}{ticket.number} · {text.urgency(ticket)}",
            f"{text.t('field.category')}: {text.category(ticket)}",
            f"{text.t('field.location')}: {text.location(ticket, unit=private)}",
            f"{text.t('field.description')}: {fit(ticket.description, 1500)}",
        ]
        if private:
            lines.append(f"{text.t('card.owner')}: {owner_name}")
        if ticket.photos and private:
            lines.append(text.t("card.photos", count=len(ticket.photos)))
        lines.append(f"{text.t('field.created')}: {text.when(ticket.created_at)}")
        if ticket.status in (Status.NEW, Status.ASSIGNED):
            lines.append(text.due_left("field.accept_due", ticket.accept_due))
        elif ticket.status is Status.ACCEPTED:
            lines.append(text.due_left("field.resolve_due", ticket.resolve_due))
        who = assignee.name if assignee else text.t("card.nobody")
        lines.append(f"{text.t('field.status')}: {state} · {who}")
        if ticket.overdue:
            lines.append(text.t("card.overdue"))
        if ticket.resolution_note and ticket.status in (Status.RESOLVED, Status.CLOSED):
            lines.append(f"{text.t('field.result')}: {fit(ticket.resolution_note, 800)}")
        return "\n".join(lines), self.buttons(ticket, events, audience, lang)

    def buttons(self, ticket: Ticket, events: list[TicketEvent], audience: str, lang: str) -> Rows:
        """The buttons the ticket's state offers staff (the group card only offers Accept)."""
        t = self.desk.text(lang).t

        def button(key: str, action: str) -> tuple[str, str]:
            return t(key), cb.encode(cb.CardPress(ticket.id, action))

        if ticket.status in (Status.NEW, Status.ASSIGNED):
            if audience == "group":
                return [[button("card.btn_accept", "accept")]]
            return [[button("card.btn_accept", "accept"), button("card.btn_transfer", "transfer")]]
        if ticket.status is Status.ACCEPTED and audience == "staff":
            first = [button("card.btn_reply", "reply"), button("card.btn_note", "note")]
            if not work_started(ticket, events):
                first.insert(0, button("card.btn_start", "start"))
            wait = (
                button("card.btn_resume", "resume")
                if ticket.paused_at
                else button("card.btn_pause", "pause")
            )
            return [
                first,
                [
                    wait,
                    button("card.btn_transfer", "transfer"),
                    button("card.btn_resolve", "resolve"),
                ],
            ]
        return []

    async def deliver(self, bot: Bot, item: OutboxItem) -> Message | None:
        """Send a card, or edit the one already in that chat; None if the ticket is gone."""
        store = self.services.store
        message = item.message
        assert message.ticket_id is not None and message.card is not None
        ticket = await store.get_ticket(message.ticket_id)
        if ticket is None:
            return None
        chat = message.chat_id
        # Drawn from the ticket as it is now, whatever was queued: a card queued for someone
        # the ticket has since left says that it left.
        dept = self.services.settings.department(ticket.department)
        audience = card_audience(ticket, chat, dept.group_chat_id if dept else None)
        held = dict(await store.card_chats(ticket.id)).get(chat)
        if audience == LEFT and held in (None, LEFT):
            return None  # never had a card here, or was told once already
        events = await store.ticket_events(ticket.id)
        lang = await self._chat_lang(chat)
        owner = await store.get_person(ticket.owner_id)
        owner_name = owner.display_name if owner else str(ticket.owner_id)
        text, rows = self.render(ticket, events, audience, lang, owner_name)
        # A card that said "left" stays as it is; the ticket's return gets a fresh card below.
        existing = await store.card_message(ticket.id, chat) if held != LEFT else None
        if existing is not None:
            try:
                edited = await bot.edit_message_text(
                    fit(text),
                    chat,
                    existing,
                    reply_markup=keyboard(rows),
                    link_preview_options=NO_PREVIEW,
                )
                if held != audience:
                    await store.save_card(ticket.id, chat, existing, audience)
                return edited if isinstance(edited, Message) else None
            except BadRequest as exc:
                if "not modified" in str(exc):
                    if held != audience:
                        await store.save_card(ticket.id, chat, existing, audience)
                    return None
                if "not found" not in str(exc) and "can't be edited" not in str(exc):
                    raise
                log.info("card of %s in chat %s is gone; sending a new one", ticket.number, chat)
                if audience == LEFT:  # nothing left to say in that chat
                    await store.save_card(ticket.id, chat, existing, LEFT)
                    return None
        sent = await bot.send_message(
            chat, fit(text), reply_markup=keyboard(rows), link_preview_options=NO_PREVIEW
        )
        await store.save_card(ticket.id, chat, sent.message_id, audience)
        return sent

    async def _chat_lang(self, chat_id: int) -> str:
        """A group speaks the default language; a person their own."""
        if chat_id < 0:
            return self.services.settings.default_language
        return await self.desk.lang_of(chat_id)
