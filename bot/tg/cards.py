"""Ticket cards for staff: one message per ticket and chat, edited as the ticket moves."""

from __future__ import annotations

import logging

from telegram import Bot, LinkPreviewOptions, Message
from telegram.error import BadRequest

from bot.core.card_audience import GROUP, LEFT, card_audience
from bot.core.fitting import CAPTION_LIMIT, TEXT_LIMIT, clip
from bot.core.lifecycle import work_started
from bot.core.models import OutboxItem, Status, Ticket, TicketEvent
from bot.desk.tickets import TicketDesk
from bot.tg import callbacks as cb
from bot.tg.digest import DigestCards
from bot.tg.followup import FollowupCards, survey_of_card
from bot.tg.proposals import ProposalChannel
from bot.tg.render import fit, keyboard
from bot.tg.render import urgency_mark as urgency_mark  # kept importable from here
from bot.tg.services import Services

log = logging.getLogger(__name__)

Rows = list[list[tuple[str, str]]]
# An owner's description may hold a link: a card never unfolds it (in a group, for everyone).
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def owner_line(label: str, name: str, phone: str | None) -> str:
    """The owner on a card: 👤 业主：陈美玲 · 📞 phone (when the ticket carries one)."""
    line = f"👤 {label}: {name}"
    return f"{line} · 📞 {phone}" if phone else line


class Cards:
    """Renders cards from the ticket's current state and sends or edits them."""

    def __init__(
        self, services: Services, desk: TicketDesk, proposals: ProposalChannel | None = None
    ) -> None:
        self.services = services
        self.desk = desk
        self.followups = FollowupCards(services, desk)
        self.digests = DigestCards(services, desk)
        self.proposals = proposals

    def render(
        self,
        ticket: Ticket,
        events: list[TicketEvent],
        audience: str,
        lang: str,
        owner_name: str,
        *,
        limit: int = TEXT_LIMIT,
        chat_id: int | None = None,
    ) -> tuple[str, Rows]:
        """The card's text and buttons for a staff member's chat or the department group.

        Read at a glance: urgency mark first, the place in short, the description, the owner,
        the deadline with the time left, the number last. ``limit`` is 1024 when the card is
        the caption of the owner's photo.
        """
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

        def compose(description: str, note: str) -> str:
            overdue = " ⏰" if ticket.overdue else ""  # after the mark: urgency reads first
            lines = [
                f"{urgency_mark(settings, ticket.urgency)} {text.urgency(ticket)}"
                f" · {text.problem(ticket)}{overdue}",
                f"📍 {text.place(ticket, unit=private, estate=self._estate_needed(chat_id))}",
                f"📝 {description}",
            ]
            if private:
                # The phone only on a staff member's own card, never the group's.
                lines.append(owner_line(text.t("card.owner"), owner_name, ticket.owner_phone))
            if ticket.photos and private:
                lines.append(text.t("card.photos", count=len(ticket.photos)))
            if ticket.status in (Status.NEW, Status.ASSIGNED):
                lines.append("⏱ " + text.due_left("field.accept_due", ticket.accept_due))
            elif ticket.status is Status.ACCEPTED:
                lines.append("⏱ " + text.due_left("field.resolve_due", ticket.resolve_due))
            who = assignee.name if assignee else text.t("card.nobody")
            lines.append(f"{text.t('field.status')}: {state} · {who}")
            if ticket.overdue:
                lines.append(text.t("card.overdue"))
            if note:
                lines.append(f"{text.t('field.result')}: {note}")
            lines.append(
                f"{text.t('field.created')}: {text.when(ticket.created_at)} · {ticket.number}"
            )
            return "\n".join(lines)

        note = ""
        if ticket.resolution_note and ticket.status in (Status.RESOLVED, Status.CLOSED):
            note = clip(ticket.resolution_note, 800)
        description = clip(ticket.description, 1500)
        body = compose(description, note)
        # The free texts give way (visibly "…") so that the caption limit keeps every fact.
        over = len(body) - limit
        if over > 0:
            description = clip(description, max(len(description) - over, 40))
            body = compose(description, note)
            over = len(body) - limit
            if over > 0 and note:
                body = compose(description, clip(note, max(len(note) - over, 40)))
        return fit(body, limit), self.buttons(ticket, events, audience, lang)

    def _estate_needed(self, chat_id: int | None) -> bool:
        """The estate's name only helps a reader who covers more than one."""
        settings = self.services.settings
        member = settings.staff_member(chat_id) if chat_id is not None else None
        if member is not None and len(member.estates) == 1:
            return False
        return len(settings.estates) > 1

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
        if survey_of_card(message.card) is not None:
            return await self.followups.deliver(bot, item)
        if self.proposals is not None and self.proposals.owns(message.card):
            return await self.proposals.deliver(bot, item)
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
        if chat < 0 and await self.digests.deliver(bot, item, ticket, audience, held):
            return None  # on a digest card (groups only: bot.tg.digest)
        if audience == LEFT and held in (None, LEFT):
            return None  # never had a card here, or was told once already
        events = await store.ticket_events(ticket.id)
        lang = await self._chat_lang(chat)
        owner = await store.get_person(ticket.owner_id)
        owner_name = owner.display_name if owner else str(ticket.owner_id)
        # A staff member's new card is the caption of the owner's first photo (the group never
        # sees the photos: they may show the owner's home).
        photo = ticket.photos[0] if ticket.photos and audience == "staff" else None
        limit = CAPTION_LIMIT if photo or (held == "staff" and ticket.photos) else TEXT_LIMIT
        text, rows = self.render(
            ticket, events, audience, lang, owner_name, limit=limit, chat_id=chat
        )
        # A card that said "left" stays as it is; the ticket's return gets a fresh card below.
        existing = await store.card_message(ticket.id, chat) if held != LEFT else None
        if existing is not None:
            try:
                edited = await self._edit(bot, chat, existing, text, rows)
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
        if photo is not None:
            sent = await bot.send_photo(
                chat, photo, caption=fit(text, CAPTION_LIMIT), reply_markup=keyboard(rows)
            )
        else:
            sent = await bot.send_message(
                chat, fit(text), reply_markup=keyboard(rows), link_preview_options=NO_PREVIEW
            )
        await store.save_card(ticket.id, chat, sent.message_id, audience)
        return sent

    async def _edit(
        self, bot: Bot, chat: int, message_id: int, text: str, rows: Rows
    ) -> Message | bool:
        """Edit a card in place: its text, or its caption when the card is a photo."""
        try:
            return await bot.edit_message_text(
                fit(text),
                chat,
                message_id,
                reply_markup=keyboard(rows),
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "no text in the message" not in str(exc):
                raise
        return await bot.edit_message_caption(
            chat, message_id, caption=fit(text, CAPTION_LIMIT), reply_markup=keyboard(rows)
        )

    async def _chat_lang(self, chat_id: int) -> str:
        """A group speaks the default language; a person their own."""
        if chat_id < 0:
            return self.services.settings.default_language
        return await self.desk.lang_of(chat_id)
