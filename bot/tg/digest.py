"""Digest cards in department groups: a burst of new tickets on one message, edited in place.

The outbox worker delivers a group's cards one at a time, each waiting for the group's slot
(20 a minute, edits counted). When a new ticket's group card is about to go and other new
tickets' group cards already wait for the same group, or the group's digest of this burst is
still open (``bot.core.digest``), they all go on one digest card instead: one send or edit for
up to 30 tickets. Changes of a ticket on it edit the digest (one edit shows every pending
change of its tickets). A line shows the ticket until it is taken; then who took it.
"""

from __future__ import annotations

import logging

from telegram import Bot, LinkPreviewOptions
from telegram.error import BadRequest

from bot.core.card_audience import GROUP, LEFT
from bot.core.digest import (
    BUTTONS_PER_ROW,
    LINE_LIMIT,
    Digest,
    burst,
    common,
    joinable,
    short_numbers,
)
from bot.core.fitting import clip
from bot.core.models import OutboxItem, Outgoing, Priority, Status, Ticket
from bot.core.ticket_text import TicketText
from bot.desk.tickets import TicketDesk
from bot.tg import callbacks as cb
from bot.tg.render import fit, keyboard, urgency_mark
from bot.tg.services import Services

log = logging.getLogger(__name__)

Rows = list[list[tuple[str, str]]]
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class DigestCards:
    """Decides when a group card becomes a digest line, and draws, sends and edits digests."""

    def __init__(self, services: Services, desk: TicketDesk) -> None:
        self.services = services
        self.desk = desk

    async def deliver(
        self, bot: Bot, item: OutboxItem, ticket: Ticket, audience: str, held: str | None
    ) -> bool:
        """Deliver a group card as a digest (a refresh of the one it is on, or a new line);
        False when it is no digest's business and goes as a card of its own."""
        store = self.services.store
        chat = item.message.chat_id
        digest = await store.digest_of(ticket.id, chat)
        if digest is not None:
            if await self._refresh(bot, digest, item.id):
                return True
            if not _waits(ticket):
                return True  # its digest was deleted, and it needs no card any more
        if audience == GROUP and held in (None, LEFT) and _waits(ticket):
            return await self._take(bot, item, ticket)
        return False

    async def _refresh(self, bot: Bot, digest: Digest, item_id: int) -> bool:
        """Edit a digest to show its tickets now; False if its message is gone."""
        store = self.services.store
        chat = digest.chat_id
        # Read before the tickets: a change after this read keeps its own message.
        rows_now = await store.pending_card_rows(chat, _open_ids(digest))
        absorbed = [i for i in rows_now if i != item_id]
        tickets = await self._tickets(digest.ticket_ids)
        text, rows, lines = self.render(chat, tickets, _closed_ids(digest))
        if await self._show(bot, chat, digest.message_id, text, rows) is None:
            await self._gone(digest)
            return False
        await store.save_digest(chat, digest.message_id, lines, absorbed, self.services.clock())
        return True

    async def _take(self, bot: Bot, item: OutboxItem, ticket: Ticket) -> bool:
        """Put a new ticket (and the others waiting for the group) on a digest, if the group
        is in a burst; False for a quiet group: the ticket gets its own card."""
        settings = self.services.settings.group_digest
        if not settings.enabled:
            return False
        store = self.services.store
        chat = item.message.chat_id
        now = self.services.clock()
        limit = settings.max_tickets
        waiting = [
            (row, ticket_id)
            for row, ticket_id in await store.waiting_group_cards(chat, now, limit)
            if row != item.id and ticket_id != ticket.id
        ]
        latest = await store.latest_digest(chat)
        room = joinable(latest, now, settings.join_within, limit)
        if latest is not None and ticket.id in latest.ticket_ids:
            room = 0  # back after it left that digest: a line anew, never its old one
        if not burst(len(waiting), room):
            return False
        target = latest if room and latest is not None else None
        if target is not None:
            waiting = [w for w in waiting if w[1] not in target.ticket_ids]
        joining = [(item.id, ticket.id), *waiting][: room if target is not None else limit]
        before = target.ticket_ids if target is not None else []
        absorbed = [row for row, _ in joining if row != item.id]
        if target is not None:
            rows_now = await store.pending_card_rows(chat, _open_ids(target))
            absorbed += [i for i in rows_now if i != item.id]
        tickets = await self._tickets([*before, *(t for _, t in joining)])
        # A waiting ticket that moved to another department meanwhile needs no line here.
        tickets = [t for t in tickets if t.id in before or self._group_of(t) == chat]
        closed = _closed_ids(target) if target is not None else set()
        text, rows, lines = self.render(chat, tickets, closed)
        shown = await self._show(bot, chat, target.message_id if target else None, text, rows)
        if shown is None:
            assert target is not None  # only an edit finds its message gone
            await self._gone(target)
            return await self._take(bot, item, ticket)
        await store.save_digest(chat, shown, lines, absorbed, now)
        log.info("digest %s in chat %s: %d tickets", shown, chat, len(lines))
        return True

    async def _gone(self, digest: Digest) -> None:
        """Its message was deleted in the group: forget it; the tickets on it still waiting
        to be taken get cards anew (the one in hand goes on by itself)."""
        store = self.services.store
        chat = digest.chat_id
        log.info("digest %s in chat %s is gone", digest.message_id, chat)
        await store.drop_digest(chat, digest.message_id)
        again = [
            Outgoing(chat, "", ticket_id=t.id, card=GROUP, priority=Priority.ALERT)
            for t in await self._tickets(_open_ids(digest))
            if _waits(t) and self._group_of(t) == chat
        ]
        await store.enqueue(again, self.services.clock())

    async def _tickets(self, ids: list[int]) -> list[Ticket]:
        found = []
        for ticket_id in dict.fromkeys(ids):
            ticket = await self.services.store.get_ticket(ticket_id)
            if ticket is not None:
                found.append(ticket)
        return found

    def _group_of(self, ticket: Ticket) -> int | None:
        dept = self.services.settings.department(ticket.department)
        return dept.group_chat_id if dept else None

    def render(
        self, chat: int, tickets: list[Ticket], closed: set[int]
    ) -> tuple[str, Rows, list[tuple[int, bool]]]:
        """The digest's text, its Accept buttons, and each line as (ticket id, still open).

        A line once closed (its ticket taken or gone elsewhere) stays closed: a ticket that
        comes back gets a card or line anew, never its old button back.
        """
        settings = self.services.settings
        text = self.desk.text(settings.default_language)
        lines: list[tuple[int, bool]] = []
        body: list[str] = []
        buttons: list[tuple[str, str]] = []
        shorts = short_numbers([t.number for t in tickets])
        # The estate on each line only when the head does not name it already.
        estates = len(settings.estates) > 1 and common([t.estate for t in tickets]) is None
        for ticket, short in zip(tickets, shorts, strict=True):
            here = self._group_of(ticket) == chat
            is_open = here and _waits(ticket) and ticket.id not in closed
            lines.append((ticket.id, is_open))
            body.append(clip(self._line(text, ticket, here, is_open, estates), LINE_LIMIT))
            if is_open:
                label = f"{text.t('card.btn_accept')} {short}"
                buttons.append((label, cb.encode(cb.CardPress(ticket.id, "accept"))))
        waiting = sum(1 for _, is_open in lines if is_open)
        head = text.t(
            "digest.title", where=self._where(text, chat, tickets), count=len(tickets), open=waiting
        )
        hint = [text.t("digest.hint")] if waiting else []
        rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
        return fit("\n".join([head, *body, *hint])), rows, lines

    def _line(
        self, text: TicketText, ticket: Ticket, here: bool, is_open: bool, estates: bool
    ) -> str:
        """One ticket: urgency mark, what, where (never the flat), when, the number last."""
        if not here:
            return f"↪️ {text.t('digest.left')} · {ticket.number}"
        if not is_open:
            member = self.services.settings.staff_member(ticket.assignee_id or 0)
            who = member.name if member else text.t("card.nobody")
            return f"{text.status(ticket)} · {who} · {ticket.number}"
        settings = self.services.settings
        mark = urgency_mark(settings, ticket.urgency)
        overdue = " ⏰" if ticket.overdue else ""
        place = text.place(ticket, unit=False, estate=estates)
        at = ticket.created_at.astimezone(text.tz).strftime("%H:%M")
        return f"{mark} {text.problem(ticket)}{overdue} · {place} · {at} · {ticket.number}"

    def _where(self, text: TicketText, chat: int, tickets: list[Ticket]) -> str:
        """What the tickets share: a building (3栋), else an estate, else the department."""
        settings = self.services.settings
        estate_id = common([t.estate for t in tickets])
        estate = settings.estate(estate_id) if estate_id else None
        building_id = common([t.building for t in tickets]) if estate else None
        building = estate.building(building_id) if estate and building_id else None
        if building is not None and estate is not None:
            name = settings.text(building.name, text.lang)
            if len(settings.estates) > 1:  # which estate's block 3
                name = f"{settings.text(estate.name, text.lang)} {name}"
            return name
        if estate is not None:
            return settings.text(estate.name, text.lang)
        dept = next((d for d in settings.departments if d.group_chat_id == chat), None)
        return settings.text(dept.name, text.lang) if dept else ""

    async def _show(
        self, bot: Bot, chat: int, message_id: int | None, text: str, rows: Rows
    ) -> int | None:
        """Send the digest, or edit it in place; its message id, None if it is gone."""
        if message_id is not None:
            try:
                await bot.edit_message_text(
                    text,
                    chat,
                    message_id,
                    reply_markup=keyboard(rows),
                    link_preview_options=_NO_PREVIEW,
                )
            except BadRequest as exc:
                said = str(exc).lower()
                if "not modified" in said:
                    return message_id
                if "not found" not in said and "can't be edited" not in said:
                    raise
                return None
            return message_id
        sent = await bot.send_message(
            chat, text, reply_markup=keyboard(rows), link_preview_options=_NO_PREVIEW
        )
        return sent.message_id


def _waits(ticket: Ticket) -> bool:
    """Still waiting for someone to accept it (what a group card offers Accept for)."""
    return ticket.status in (Status.NEW, Status.ASSIGNED)


def _open_ids(digest: Digest) -> list[int]:
    return [line.ticket_id for line in digest.lines if line.open]


def _closed_ids(digest: Digest) -> set[int]:
    return {line.ticket_id for line in digest.lines if not line.open}
