"""The supervisor's follow-up card in Telegram: sent once per supervisor and survey, then
edited in place; it is no ticket card, so it is found by the outbox row that delivered it."""

from __future__ import annotations

import logging

from telegram import Bot, Message
from telegram.error import BadRequest

from bot.core.fitting import clip
from bot.core.followup_card import followup_card
from bot.core.models import OutboxItem, Status, action_ref
from bot.desk.tickets import TicketDesk
from bot.tg.callbacks import callback_rows
from bot.tg.render import keyboard
from bot.tg.services import Services

log = logging.getLogger(__name__)

PREFIX = "followup:"


def followup_key(survey_id: int) -> str:
    """The outbox ``card`` of a survey's follow-up card."""
    return f"{PREFIX}{survey_id}"


def survey_of_card(card: str | None) -> int | None:
    """The survey a follow-up card's key names, or None for any other card."""
    if card is None or not card.startswith(PREFIX):
        return None
    number = card.removeprefix(PREFIX)
    return int(number) if number.isdigit() else None


class FollowupCards:
    """Draws a follow-up card from the survey and ticket as they are now, and sends or edits."""

    def __init__(self, services: Services, desk: TicketDesk) -> None:
        self.services = services
        self.desk = desk

    async def deliver(self, bot: Bot, item: OutboxItem) -> Message | None:
        """Send the card, or edit the one this chat already has; None if nothing to show."""
        store = self.services.store
        card = item.message.card
        survey_id = survey_of_card(card)
        survey = await store.get_survey(survey_id) if survey_id is not None else None
        ticket = await store.get_ticket(survey.ticket_id) if survey else None
        if card is None or survey is None or ticket is None:
            return None
        chat = item.message.chat_id
        lang = await self.desk.lang_of(chat)
        text = self.desk.text(lang)
        owner = await store.get_person(ticket.owner_id)
        events = await store.ticket_events(ticket.id)
        body = clip(
            followup_card(
                text,
                survey,
                ticket,
                events,
                owner.display_name if owner else "",
                owner_phone=ticket.owner_phone,
            ),
            4096,
        )
        rows: list[list[tuple[str, str]]] = []
        if survey.followup_status == "open":
            row = [(text.t("survey.btn_called"), action_ref("followup.done", survey.id))]
            if ticket.status is Status.RESOLVED:
                row.append((text.t("survey.btn_reopen"), action_ref("followup.reopen", survey.id)))
            rows = [row]
        markup = keyboard(callback_rows(rows))
        existing = await store.sent_card(chat, card)
        if existing is not None:
            try:
                edited = await bot.edit_message_text(body, chat, existing, reply_markup=markup)
                return edited if isinstance(edited, Message) else None
            except BadRequest as exc:
                if "not modified" in str(exc):
                    return None
                if "not found" not in str(exc) and "can't be edited" not in str(exc):
                    raise
                log.info("follow-up card %s in chat %s is gone; sending anew", card, chat)
        return await bot.send_message(chat, body, reply_markup=markup)
